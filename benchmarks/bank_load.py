"""Benchmark: load+validate a 10,000-question bank against a bare libyaml parse of the same files.

    .venv/bin/python benchmarks/bank_load.py [--questions 10000] [--files 100] [--repeat 3]

Generates a synthetic bank in a temporary directory (realistic sizes: ~1 KB of prompt and
reference answer, 3-5 rubric points, ~15% system-design questions with six phases), then times,
in the same run, (a) ``yaml.load(..., Loader=CSafeLoader)`` of every file and (b) ``load_bank``,
best of ``--repeat`` each. Targets: (b) under 2 s and at most 3x (a). Since ``load_bank``
pauses the cyclic GC while it builds, (a) is also shown with the GC paused, for a fair ratio.
Exit code 0 when both targets are met, 1 otherwise.
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


def best_of(repeat: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
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
        root = Path(tmp)
        files = generate_bank(root, args.questions, args.files)
        size = sum(p.stat().st_size for p in files)
        print(f"bank: {args.questions} questions in {len(files)} files, {size / 1e6:.1f} MB")

        def bare() -> None:
            for path in files:
                yaml.load(path.read_text(encoding="utf-8"), Loader=loader)

        result = load_bank([root])
        if not result.ok or len(result.questions) != args.questions:
            print(f"generated bank is invalid: {result.problems[:3]}", file=sys.stderr)
            return 1
        bare_s = best_of(args.repeat, bare)
        full_s = best_of(args.repeat, lambda: load_bank([root]))
        # load_bank pauses the cyclic GC while it builds; show the bare parse that way too, so
        # the ratio is not flattered by that alone.
        gc.disable()
        try:
            bare_nogc_s = best_of(args.repeat, bare)
        finally:
            gc.enable()

    ratio = full_s / bare_s
    print(f"(a) yaml.load CSafeLoader, all files: {bare_s:.3f} s (best of {args.repeat})")
    print(f"    same with the GC paused:          {bare_nogc_s:.3f} s")
    print(f"(b) load_bank (load + validate):      {full_s:.3f} s (best of {args.repeat})")
    print(f"ratio (b)/(a): {ratio:.2f}x  (targets: (b) < {TARGET_SECONDS} s, ratio <= 3x)")
    print(f"ratio (b)/(a, GC paused): {full_s / bare_nogc_s:.2f}x")
    return 0 if full_s < TARGET_SECONDS and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
