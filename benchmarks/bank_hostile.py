"""Benchmark: worst-case time and memory of validating hostile bank files (each at most 1 MiB).

    .venv/bin/python benchmarks/bank_hostile.py [--case NAME ...] [--repeat 3]

Each case runs in its own subprocess (so one case's memory cannot hide another's): it builds the
document, then times `parse_questions` on it (best of ``--repeat``, no tracing), then runs it
once more under tracemalloc. Printed per case: document size, seconds, the tracemalloc peak, the
growth of the process's peak RSS during the parse (ru_maxrss after, minus the RSS before), the
number of problems and the first one. Targets: at most 2 s and 200 MB per case. Exit code 0 when
every case meets both, 1 otherwise.

The cases are the known bombs (billion laughs, aliased ids and lists, %TAG expansion, duplicate
keys, hundreds of thousands of empty questions, deep nesting, custom tags, escapes) plus the
largest valid document: questions of the bundled bank dumped up to the 1 MiB limit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.bank import bundled_bank_path, dump_questions, load_bank, parse_questions
from bot.core.bank.limits import DOCUMENT_BYTES

TARGET_SECONDS = 2.0
TARGET_MB = 200.0
MIB = DOCUMENT_BYTES


def _fill(head: str, item: str, tail: str = "") -> str:
    """``head`` + as many ``item`` as fit in 1 MiB + ``tail``."""
    room = MIB - len(head.encode()) - len(tail.encode())
    return head + item * (room // len(item.encode())) + tail


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*{chr(96 + level)}"] * 9)
        lines.append(f"{chr(97 + level)}: &{chr(97 + level)} [{refs}]")
    return "\n".join(lines) + "\nquestions: [" + ",".join(["*j"] * 1000) + "]\n"


def aliased_id() -> str:
    # A 400k-character id, repeated through an alias in 2,000 questions.
    return f"x: &i {'a' * 400_000}\nquestions:\n" + "  - {id: *i}\n" * 2000


def tag_directive() -> str:
    # A %TAG prefix of 400 KB applied to 20,000 nodes (8 GB once expanded).
    prefix = "tag:x," + "p" * 400_000 + ":"
    return f"%TAG !e! {prefix}\n---\nquestions:\n" + "  - !e!t x\n" * 20_000


def aliased_tags() -> str:
    # A 100k-item list aliased three times as one question's tags (300k items).
    return "t: &t [" + ",".join(["x"] * 100_000) + "]\nquestions:\n  - {tags: [*t, *t, *t]}\n"


def duplicate_keys() -> str:
    return _fill("questions:\n  - id: a\n", "    id: a\n")


def empty_questions_flow() -> str:
    return _fill("questions: [", "{},", "{}]\n")


def empty_questions_block() -> str:
    return _fill("questions:\n", "- {}\n")


def empty_questions_50k() -> str:
    return "questions:\n" + "- {}\n" * 50_000


def flow_scalars() -> str:
    return _fill("questions: [", "a,", "a]\n")


def flow_null_keys() -> str:
    return _fill("questions: {", "?,", "?}\n")


def deep_flow() -> str:
    return "questions: " + "[" * 10_000 + "]" * 10_000 + "\n"


def deep_block() -> str:
    return "questions:\n" + "- " * 10_000 + "x\n"


def custom_tags() -> str:
    return _fill("questions:\n", "  - !x y\n")


def escapes() -> str:
    return _fill('questions: ["', "\\0", '"]\n')


def long_scalar() -> str:
    return _fill("questions:\n  - prompt: ", "x", "\n")


def long_unknown_keys() -> str:
    return _fill("questions:\n  - id: a\n", f"    {'k' * 1000}: v\n")


def many_invalid_questions() -> str:
    item = (
        "  - {id: Bad Id, track: x, topic: Y, difficulty: z, minutes: 0, prompt: '', rubric: 1}\n"
    )
    return "questions:\n" + item * 1000


def largest_valid() -> str:
    questions = load_bank([bundled_bank_path()], lint=False).questions
    chosen = list(questions)
    text = dump_questions(chosen)
    while len(text.encode()) > MIB:
        chosen = chosen[: int(len(chosen) * MIB / len(text.encode())) - 1]
        text = dump_questions(chosen)
    return text


CASES: dict[str, Callable[[], str]] = {
    "billion-laughs": billion_laughs,
    "aliased-id-400k-x2000": aliased_id,
    "tag-directive-400k-x20k": tag_directive,
    "aliased-tags-300k": aliased_tags,
    "duplicate-keys-1mib": duplicate_keys,
    "empty-questions-flow-1mib": empty_questions_flow,
    "empty-questions-block-1mib": empty_questions_block,
    "empty-questions-50k": empty_questions_50k,
    "flow-scalars-1mib": flow_scalars,
    "flow-null-keys-1mib": flow_null_keys,
    "deep-flow-10k": deep_flow,
    "deep-block-10k": deep_block,
    "custom-tags-1mib": custom_tags,
    "escapes-1mib": escapes,
    "long-scalar-1mib": long_scalar,
    "long-unknown-keys-1mib": long_unknown_keys,
    "many-invalid-questions": many_invalid_questions,
    "largest-valid-1mib": largest_valid,
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def run_case(name: str, repeat: int) -> dict[str, object]:
    """Inside the subprocess: build, time, trace; return the figures."""
    text = CASES[name]()
    parse_questions("questions: []\n", "warm-up.yaml")
    before = _rss_mb()
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = parse_questions(text, f"{name}.yaml")
        best = min(best, time.perf_counter() - start)
        del result
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # KiB on Linux
    tracemalloc.start()
    result = parse_questions(text, f"{name}.yaml")
    traced_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return {
        "bytes": len(text.encode()),
        "seconds": best,
        "traced_mb": traced_peak,
        "rss_growth_mb": max(0.0, peak_rss - before),
        "questions": len(result.questions),
        "errors": result.error_count,
        "first": str(result.problems[0])[:90] if result.problems else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="default: all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child, args.repeat)))
        return 0
    failed = 0
    print(
        f"{'case':<28}{'KiB':>6}{'s':>8}{'traced MB':>11}{'RSS+ MB':>9}{'errors':>8}  first problem"
    )
    for name in args.case or list(CASES):
        child = subprocess.run(
            [sys.executable, __file__, "--child", name, "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{name:<28} crashed: {child.stderr.strip().splitlines()[-1:]}")
            failed += 1
            continue
        r = json.loads(child.stdout)
        memory = max(float(r["traced_mb"]), float(r["rss_growth_mb"]))
        ok = float(r["seconds"]) <= TARGET_SECONDS and memory <= TARGET_MB
        failed += not ok
        print(
            f"{name:<28}{int(r['bytes']) // 1024:>6}{float(r['seconds']):>8.3f}"
            f"{float(r['traced_mb']):>11.1f}{float(r['rss_growth_mb']):>9.1f}{r['errors']:>8}"
            f"  {'' if ok else 'OVER TARGET  '}{r['first']}"
        )
    print(f"targets: <= {TARGET_SECONDS} s and <= {TARGET_MB:.0f} MB per case; {failed} over")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
