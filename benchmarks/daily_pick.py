"""Time one guild's daily pick as the bank grows (not part of the test run).

The baseline is the rule applied by listing the bank (``choose_guild_question`` over every
candidate, as each guild's pick did before); the picker draws from the bank's index instead.
Both pick for the same guild state: 30 questions posted in the last 30 days.

    .venv/bin/python benchmarks/daily_pick.py [--sizes 500,5000,50000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.questions import Track
from bot.core.spaced_repetition import choose_guild_question
from bot.features.daily.picking import QuestionPicker
from tests.factories import question

DAY = date(2026, 3, 2)


def per_pick(run: object, seconds: float = 0.5) -> float:
    """Mean seconds per call over about ``seconds`` of calls."""
    calls, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        run()  # type: ignore[operator]
        calls += 1
    return elapsed / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,5000,50000")
    sizes = [int(n) for n in parser.parse_args().sizes.split(",")]
    tracks = [Track.TECHNICAL, Track.PHONE_SCREEN]
    print("one guild's daily pick, any track, 30 questions posted in the last 30 days")
    for n in sizes:
        old, new = _timed(n, tracks)
        print(
            f"  {n:>6} questions: listing the bank {old * 1e3:8.3f} ms  "
            f"index draw {new * 1e3:6.3f} ms  ({old / new:.1f}x faster)"
        )


def _timed(n: int, tracks: list[Track]) -> tuple[float, float]:
    """Seconds per pick: (listing the bank, index draw)."""
    bank = QuestionBank(
        question(f"q-{i}", topic=f"topic-{i % 40}", track=tracks[i % 2]) for i in range(n)
    )
    picker = QuestionPicker(BankRegistry(bank), FakeClock(), random.Random(1))
    recent = {f"q-{i}": DAY - timedelta(days=i % 30) for i in range(30)}
    rng = random.Random(2)
    picker.choose_for_guild(None, None, recent, DAY)  # per-track sizes: once per bank
    new = per_pick(lambda: picker.choose_for_guild(None, None, recent, DAY))
    old = per_pick(
        lambda: choose_guild_question(picker.candidates(None, None), recent, DAY, rng=rng)
    )
    return old, new


if __name__ == "__main__":
    main()
