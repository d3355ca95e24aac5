"""Check every bundled question against the scorer's three bank rules, and print the offenders.

For each question (each phase of a system-design question): the reference answer must score 4;
an answer made only of the rubric's cues, and the prompt pasted back, must each score at most 2.

    python benchmarks/bank_scoring_check.py [BANK_DIR_OR_FILE ...] [--all]

``--all`` prints every question, not just the failing ones. Exit status 1 when any rule fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.core.bank import load_bank
from bot.core.scoring import score_for
from bot.core.scoring.probes import cue_stuffing_answer, prompt_echo_answer, reference_for

DEFAULT_BANK = Path(__file__).resolve().parent.parent / "question_bank"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_BANK])
    parser.add_argument("--all", action="store_true", help="print passing questions too")
    args = parser.parse_args(argv)
    failures = checked = 0
    for path in args.paths:
        bank = load_bank([path])
        for question in bank.questions:
            for phase in [p.name for p in question.phases] or [None]:
                checked += 1
                ref = score_for(question, reference_for(question, phase), phase=phase)
                stuffed = score_for(question, cue_stuffing_answer(question, phase), phase=phase)
                echo = score_for(question, prompt_echo_answer(question, phase), phase=phase)
                ok = ref.score == 4 and stuffed.score <= 2 and echo.score <= 2
                failures += not ok
                if args.all or not ok:
                    where = f"{question.id}" + (f" [{phase}]" if phase else "")
                    missed = "; ".join(ref.missed) if ref.score < 4 else ""
                    print(
                        f"{'ok  ' if ok else 'FAIL'} {where}: reference {int(ref.score)}, "
                        f"cues-only {int(stuffed.score)}, echo {int(echo.score)}"
                        + (f"  reference missed: {missed}" if missed else "")
                    )
    print(f"{checked - failures} of {checked} items pass; {failures} fail")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
