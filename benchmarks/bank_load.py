"""Benchmark: load+validate a 10,000-question bank against a bare libyaml parse of the same files.

    .venv/bin/python benchmarks/bank_load.py [--questions 10000] [--files 100] [--repeat 3]
    .venv/bin/python benchmarks/bank_load.py --startup [--sizes 5000,50000] [--repeat 3]

Generates a synthetic bank in a temporary directory (realistic sizes: ~1 KB of prompt and
reference answer, 3-5 rubric points, ~15% system-design questions with six phases), then times,
in the same run and in the same conditions (same bytes read and decoded, cyclic GC paused on
every side as ``load_bank`` does, the previous result released and collected before the clock
starts): (a) a bare libyaml compose and (a') load of every file, (b) ``load_bank`` as start-up
runs it, and (c) start-up from the compiled-bank cache. Targets: (b) under 2 s and at most 3x
(a'). Exit code 0 when (b)'s targets are met, 1 otherwise.

``--startup`` times what start-up does with the bank (``load_bank_cached``, then the
``QuestionBank`` and ``BankRegistry`` built on it) at each size: cold (no cache: parse,
validate and write the cache) and warm (unchanged bank, cache present), against the same
baseline (a') and against reading and hashing the bank's bytes (the floor of a content-keyed
cache), plus a warm start in a fresh interpreter (imports included). Target: warm <= 1 s at
50,000 questions. Exit code 0 when it is met at every size, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.core.bank import QuestionBank, dump, load_bank, parse_questions
from bot.core.bank.compiled import load_bank_cached
from bot.core.bank.problems import BankLoadResult
from bot.core.bank_registry import BankRegistry
from bot.core.questions import PHASE_NAMES, Difficulty, Phase, Question, RubricPoint, Track

TARGET_SECONDS = 2.0
TARGET_RATIO = 3.0
WARM_TARGET_SECONDS = 1.0
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
    """Markdown-ish multi-line prose of about ``chars`` characters, in lines of about ``line``."""
    words = rng.choices(_WORDS, k=chars // 8 + 1)  # the words average 7.6 letters and a space
    lines, current, size, width = [], [], 0, 0
    for word in words:
        current.append(word)
        size += len(word) + 1
        width += len(word) + 1
        if width > line:
            lines.append(" ".join(current))
            current, width = [], 0
        if size >= chars:
            break
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
    """Write exactly ``questions`` questions over ``files`` files (fewer if there are fewer
    questions) in the ``<track>/<topic>.yaml`` layout, split over the tracks as in ``_LAYOUT``."""
    rng = random.Random(seed)
    files = max(1, min(files, questions))
    written: list[Path] = []
    number = 0
    for track, count in zip((t for t, _ in _LAYOUT), _split(files, _LAYOUT), strict=True):
        for index in range(count):
            # Questions spread evenly: the first (questions % files) files get one more.
            size = questions // files + (len(written) < questions % files)
            topic = f"{track.value}-topic-{index:03d}"
            batch = [make_question(rng, track, topic, number + i) for i in range(size)]
            number += size
            path = root / track.value / f"{topic}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_dump(batch), encoding="utf-8")
            written.append(path)
    assert number == questions, (number, questions)
    return written


def _split(total: int, shares: tuple[tuple[Track, int], ...]) -> list[int]:
    """``total`` split by percentage shares, rounded so that the parts add up to ``total``."""
    exact = [total * share / 100 for _, share in shares]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(parts)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


class _FastDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The bank's own representers on libyaml's emitter: the same YAML data, ~8x faster to
    write than the pure-Python dumper ``dump_questions`` uses (a 50,000-question bank took
    minutes to generate); only the indentation of the list items differs."""


_FastDumper.yaml_representers = dict(dump._Dumper.yaml_representers)


def _dump(batch: list[Question]) -> str:
    document = {"questions": [dump.question_to_dict(q) for q in batch]}
    return yaml.dump(
        document,
        Dumper=_FastDumper,
        sort_keys=False,
        allow_unicode=True,
        indent=2,
        width=1 << 20,
        default_flow_style=False,
    )


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
    parser.add_argument("--startup", action="store_true", help="cold and warm start-up")
    parser.add_argument("--sizes", default="5000,50000", help="with --startup: question counts")
    args = parser.parse_args(argv)
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        print("PyYAML was built without libyaml: no CSafeLoader to compare with", file=sys.stderr)
        return 2
    _check_generator()
    if args.startup:
        sizes = [int(n) for n in args.sizes.split(",")]
        return 0 if all([startup(n, args.repeat, loader) for n in sizes]) else 1

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


def startup(questions: int, repeat: int, loader: type) -> bool:
    """Print cold and warm start-up at ``questions`` (100 per file); True if warm meets the target."""
    with tempfile.TemporaryDirectory(prefix="bank-bench-") as tmp:
        root, caches = Path(tmp) / "bank", Path(tmp) / "caches"
        began = time.perf_counter()
        files = generate_bank(root, questions, max(1, questions // 100))
        size = sum(p.stat().st_size for p in files)
        print(
            f"\n== {questions} questions in {len(files)} files, {size / 1e6:.1f} MB"
            f" (generated in {time.perf_counter() - began:.0f} s)"
        )
        fresh = iter(range(repeat + 1))

        def cold() -> object:  # an empty cache folder each time: parse, validate, write
            result, hit = load_bank_cached([root], caches / str(next(fresh)))
            if hit or not result.ok or len(result.questions) != questions:
                raise SystemExit(f"generated bank is invalid: {result.problems[:3]}")
            return BankRegistry(QuestionBank(result.questions))

        warm_cache = caches / "0"  # written by the first cold run

        def warm() -> object:
            return BankRegistry(QuestionBank(_hit(root, warm_cache).questions))

        def bare_load() -> list[object]:
            return [yaml.load(p.read_bytes().decode("utf-8"), Loader=loader) for p in files]

        def hash_bytes() -> str:
            digest = hashlib.sha256()
            for p in files:
                digest.update(p.read_bytes())
            return digest.hexdigest()

        cold_s = timed(repeat, cold)
        warm_s = timed(repeat, warm)
        load_s = timed(repeat, bare_load)
        hash_s = timed(repeat, hash_bytes)
        process_s = min(_fresh_process(root, warm_cache) for _ in range(repeat))
        cache_mb = sum(p.stat().st_size for p in warm_cache.iterdir()) / 1e6
    print(f"best of {repeat}; GC paused on every side (the fresh process: as the app runs it)")
    print(f"baseline (a') libyaml load, all files:       {load_s:.3f} s")
    print(f"floor: read and SHA-256 the bank files:       {hash_s:.3f} s")
    print(
        f"cold start (parse, validate, write cache):  {cold_s:.3f} s  {cold_s / load_s:.2f}x (a')"
    )
    print(
        f"warm start (cache hit, index, registry):    {warm_s:.3f} s  {warm_s / load_s:.2f}x (a'),"
        f" {warm_s / cold_s:.3f}x cold ({cache_mb:.1f} MB cache)"
    )
    print(f"warm start in a fresh interpreter (imports): {process_s:.3f} s")
    ok = warm_s <= WARM_TARGET_SECONDS
    print(f"target warm <= {WARM_TARGET_SECONDS:.0f} s: {'met' if ok else 'NOT met'}")
    return ok


_PROCESS = """
import sys
from pathlib import Path
from bot.core.bank import QuestionBank
from bot.core.bank.compiled import load_bank_cached
from bot.core.bank.problems import BankLoadResult
from bot.core.bank_registry import BankRegistry
result, hit = load_bank_cached([Path(sys.argv[1])], Path(sys.argv[2]))
BankRegistry(QuestionBank(result.questions))
sys.exit(0 if hit else 3)
"""


def _fresh_process(root: Path, cache: Path) -> float:
    """Wall time of a new interpreter that imports the bank code and starts from the cache."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PROCESS, str(root), str(cache)], check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the fresh process failed or missed the cache ({done.returncode})")
    return elapsed


def _check_generator() -> None:
    """The fast dumper writes YAML that parses back to the questions it was given."""
    rng = random.Random(1)
    batch = [make_question(rng, t, f"{t.value}-check", i) for i, (t, _) in enumerate(_LAYOUT)]
    parsed = parse_questions(_dump(batch), "check.yaml")
    if parsed.problems or parsed.questions != tuple(batch):
        raise SystemExit(f"the generator's YAML does not parse back: {parsed.problems[:3]}")


def _hit(root: Path, cache: Path) -> BankLoadResult:
    result, hit = load_bank_cached([root], cache)
    if not hit:
        raise SystemExit("the compiled-bank cache missed on an unchanged bank")
    return result


if __name__ == "__main__":
    sys.exit(main())
