"""The guild's daily question is drawn from the bank's index, not by listing the bank: the same
rule as ``choose_guild_question`` (nothing posted in the last 30 days, uniformly at random;
else the one posted longest ago), at a cost that does not grow with the bank."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.questions import Track
from bot.core.spaced_repetition import RECENT_GUILD_DAYS
from bot.features.daily.picking import QuestionPicker
from tests.factories import question

DAY = date(2026, 3, 2)


def _bank() -> QuestionBank:
    technical = [question(f"t-{n}", topic=f"topic-{n % 3}") for n in range(12)]
    design = [question(f"s-{n}", track=Track.SYSTEM_DESIGN, topic="ranking") for n in range(4)]
    return QuestionBank([*technical, *design])


def _picker(bank: QuestionBank, seed: int = 1) -> QuestionPicker:
    return QuestionPicker(BankRegistry(bank), FakeClock(), random.Random(seed))


def test_never_a_recent_question_and_every_fresh_one_about_equally_often() -> None:
    bank = _bank()
    picker = _picker(bank)
    recent = {f"t-{n}": DAY - timedelta(days=n) for n in range(6)}  # six posted lately
    recent["s-0"] = DAY - timedelta(days=RECENT_GUILD_DAYS + 1)  # long ago: fresh again
    counts: Counter[str] = Counter()
    for _ in range(10_000):
        chosen = picker.choose_for_guild(None, None, recent, DAY)
        assert chosen is not None
        counts[chosen.id] += 1
    fresh = {q.id for q in bank} - {f"t-{n}" for n in range(6)}
    assert set(counts) == fresh
    expected = 10_000 / len(fresh)
    assert all(abs(n - expected) < 0.2 * expected for n in counts.values()), counts


def test_the_track_is_kept_and_all_recent_gives_the_oldest() -> None:
    picker = _picker(_bank())
    for _ in range(200):
        chosen = picker.choose_for_guild(None, Track.SYSTEM_DESIGN, {}, DAY)
        assert chosen is not None and chosen.track is Track.SYSTEM_DESIGN
    every = {f"s-{n}": DAY - timedelta(days=n + 1) for n in range(4)}
    oldest = picker.choose_for_guild(None, Track.SYSTEM_DESIGN, every, DAY)
    assert oldest is not None and oldest.id == "s-3"
    assert _picker(QuestionBank()).choose_for_guild(None, None, {}, DAY) is None


def test_a_pick_does_not_list_the_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    picker = _picker(_bank())
    picker.choose_for_guild(None, None, {}, DAY)  # the per-track sizes, once per bank

    def no_listing(self: Any) -> Any:
        raise AssertionError("the whole bank was listed for one pick")

    monkeypatch.setattr(QuestionBank, "__iter__", no_listing)
    for _ in range(50):
        assert picker.choose_for_guild(None, None, {"t-1": DAY}, DAY) is not None
