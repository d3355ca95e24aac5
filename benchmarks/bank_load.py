"""Benchmark: load+validate a 10,000-question bank against a bare libyaml parse of the same files.

    .venv/bin/python benchmarks/bank_load.py [--questions 10000] [--files 100] [--repeat 3]

Generates a synthetic bank in a temporary directory (realistic sizes: ~1 KB of prompt and
reference answer, 3-5 rubric points, ~15% system-design questions with six phases), then times,
in the same run and in the same conditions (same bytes read and decoded, cyclic GC paused on
every side as ``load_bank`` does, the previous result released and collected before the clock
starts): (a) a bare libyaml compose and (a') load of every file, (b) ``load_bank`` as start-up
runs it, and (c) start-up from the compiled-bank cache. Targets: (b) under 2 s and at most 3x
(a'); (c) at most 1 s at 50,000 questions (``--questions 50000 --files 500``).
Exit code 0 when (b)'s targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.core.bank import dump_questions, load_bank
from bot.core.bank.compiled import load_bank_cached
from bot.core.questions import PHASE_NAMES, Difficulty, Phase, Question, RubricPoint, Track

TARGET_SECONDS = 2.0
TARGET_RATIO = 3.0
_WORDS = [
    "model",
    "feature",
    "training",
    "validation",
    "latency",
    "gradient",
    "embedding",
    "ranking",
    "recall",
    "precision",
    "label",
    "drift",
    "batch",
    "stream",
    "offline",
    "online",
    "serving",
    "cache",
    "index",
    "retrieval",
    "candidate",
    "loss",
    "regularisation",
    "variance",
    "bias",
    "sample",
    "cohort",
    "experiment",
    "metric",
    "baseline",
    "threshold",
    "calibration",
    "pipeline",
    "schema",
    "monitoring",
    "rollout",
    "shadow",
    "canary",
    "budget",
    "throughput",
    "quantile",
    "distribution",
]
_LAYOUT = ((Track.TECHNICAL, 55), (Track.PHONE_SCREEN, 30), (Track.SYSTEM_DESIGN, 15))
_DESIGN_MINUTES = (6, 5, 10, 10, 9, 5)  # the documented 45-minute split


def _text(rng: random.Random, chars: int, line: int = 90) -> str:
    """Markdown-ish multi-line prose of about ``chars`` characters."""
    lines, current, size = [], [], 0
    while size < chars:
        word = rng.choice(_WORDS)
        current.append(word)
        size += len(word) + 1
        if sum(len(w) + 1 for w in current) > line:
            lines.append(" ".join(current))
            current = []
    if current:
        lines.append(" ".join(current))
    return "\n".join(lines) + "\n"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _rubric(rng: random.Random, points: int) -> tuple[RubricPoint, ...]:
    return tuple(
        RubricPoint(
            point=_sentence(rng, rng.randint(8, 16)),
            cues=tuple(
                "|".join(rng.sample(_WORDS, rng.randint(1, 3))) for _ in range(rng.randint(2, 4))
            ),
            weight=rng.randint(1, 3),
        )
        for _ in range(points)
    )


def make_question(rng: random.Random, track: Track, topic: str, number: int) -> Question:
    design = track is Track.SYSTEM_DESIGN
    phases: tuple[Phase, ...] = ()
    if design:
        phases = tuple(
            Phase(name, minutes, _text(rng, 220), _rubric(rng, rng.randint(2, 4)))
            for name, minutes in zip(PHASE_NAMES, _DESIGN_MINUTES, strict=True)
        )
    return Question(
        id=f"{topic}-q{number:05d}",
        track=track,
        topic=topic,
        difficulty=rng.choice(list(Difficulty)),
        minutes=45 if design else rng.randint(3, 10),
        prompt=_text(rng, rng.randint(200, 400)),
        reference_answer=_text(rng, rng.randint(600, 900)),
        rubric=() if design else _rubric(rng, rng.randint(3, 5)),
        tags=tuple(rng.sample(_WORDS, rng.randint(1, 3))),
        hints=tuple(_sentence(rng, 10) for _ in range(rng.randint(1, 3))),
        follow_ups=tuple(_sentence(rng, 12) for _ in range(rng.randint(1, 3))),
        phases=phases,
    )


def generate_bank(root: Path, questions: int, files: int, seed: int = 7) -> list[Path]:
    """Write ``questions`` questions over ``files`` files in the ``<track>/<topic>.yaml`` layout."""
    rng = random.Random(seed)
    per_file = questions // files
    written: list[Path] = []
    number = 0
    for track, share in _LAYOUT:
        for index in range(files * share // 100):
            topic = f"{track.value}-topic-{index:03d}"
            batch = [make_question(rng, track, topic, number + i) for i in range(per_file)]
            number += per_file
            path = root / track.value / f"{topic}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_questions(batch), encoding="utf-8")
            written.append(path)
    return written


def timed(repeat: int, func: Callable[[], object]) -> float:
    """Best of ``repeat`` runs of ``func``, each in the same conditions: the previous result is
    released and collected before the clock starts, the cyclic GC is paused while it runs (as
    ``load_bank`` does itself), and the result is released only after the clock stops."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            out = func()
            elapsed = time.perf_counter() - start
        finally:
            gc.enable()
        del out
        best = min(best, elapsed)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        print("PyYAML was built without libyaml: no CSafeLoader to compare with", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bank-bench-") as tmp:
        root = Path(tmp) / "bank"
        cache = Path(tmp) / "cache"
        files = generate_bank(root, args.questions, args.files)
        size = sum(p.stat().st_size for p in files)
        print(f"bank: {args.questions} questions in {len(files)} files, {size / 1e6:.1f} MB")

        # Both sides read the same bytes and decode them the same way.
        def bare_compose() -> list[object]:
            return [yaml.compose(p.read_bytes().decode("utf-8"), Loader=loader) for p in files]

        def bare_load() -> list[object]:
            return [yaml.load(p.read_bytes().decode("utf-8"), Loader=loader) for p in files]

        check = load_bank([root], lint=False)
        if not check.ok or len(check.questions) != args.questions:
            print(f"generated bank is invalid: {check.problems[:3]}", file=sys.stderr)
            return 1
        del check
        compose_s = timed(args.repeat, bare_compose)
        load_s = timed(args.repeat, bare_load)
        full_s = timed(args.repeat, lambda: load_bank([root], lint=False))
        lint_s = timed(args.repeat, lambda: load_bank([root]))
        load_bank_cached([root], cache)  # writes the cache (a miss)
        cached_s = timed(args.repeat, lambda: _hit(root, cache))
        cache_mb = sum(p.stat().st_size for p in cache.iterdir()) / 1e6

    print(f"best of {args.repeat}; GC paused on every side; previous result released first")
    print(f"(a) libyaml compose (CSafeLoader), all files: {compose_s:.3f} s")
    print(f"(a') libyaml load (CSafeLoader), all files:   {load_s:.3f} s")
    print(f"(b) load_bank, start-up (no lint):           {full_s:.3f} s")
    print(f"    load_bank with lint (what authors run):  {lint_s:.3f} s")
    print(f"(c) start-up from the compiled-bank cache:   {cached_s:.3f} s ({cache_mb:.1f} MB)")
    print(
        f"ratio (b)/(a) compose: {full_s / compose_s:.2f}x; (b)/(a') load: {full_s / load_s:.2f}x"
    )
    print(f"ratio (c)/(b): {cached_s / full_s:.2f}x  (target: (c) <= 1 s at 50,000 questions)")
    ok = full_s < TARGET_SECONDS and full_s / load_s <= TARGET_RATIO
    return 0 if ok else 1


def _hit(root: Path, cache: Path) -> object:
    result, hit = load_bank_cached([root], cache)
    if not hit:
        raise SystemExit("the compiled-bank cache missed on an unchanged bank")
    return result


if __name__ == "__main__":
    sys.exit(main())
