"""The crash sweep's counting: lost and duplicated daily posts, answers confirmed but not stored.
(The sweep itself kills and restarts a bot process many times: too slow for the test run.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks._sweep_rounds import Ledger, OpenCount, Openness, count_open
from benchmarks.crash_sweep import AnswerLedger, DailyCount, count_daily


def test_daily_posts_are_counted_per_guild() -> None:
    assert count_daily([1, 1, 1]) == DailyCount(expected=3, posted=3, lost=0, duplicated=0)
    assert count_daily([0, 1, 3, 2]) == DailyCount(expected=4, posted=6, lost=1, duplicated=3)
    assert count_daily([]) == DailyCount(expected=0, posted=0, lost=0, duplicated=0)


def test_an_answer_is_lost_only_if_the_member_was_told_it_was_saved() -> None:
    ledger = AnswerLedger(sent={"a", "b", "c"}, confirmed={"a", "b"})
    assert ledger.lost(stored={"a", "b", "c"}) == set()
    assert ledger.lost(stored={"a", "c"}) == {"b"}  # confirmed, then gone: lost
    assert ledger.lost(stored={"a", "b"}) == set()  # never confirmed: the member retries


def test_a_peer_or_practice_event_is_lost_only_once_confirmed() -> None:
    ledger = Ledger(sent={"vote:1", "vote:2"}, confirmed={"vote:1"})
    assert ledger.lost(stored=set()) == {"vote:1"}
    assert ledger.lost(stored={"vote:1"}) == set()


def test_an_open_pair_or_round_is_stuck_without_a_timer_or_with_an_overdue_one() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    grace = timedelta(seconds=30)
    rows = [
        Openness(done=True, due_at=None),  # finished
        Openness(done=False, due_at=now + timedelta(minutes=9)),  # its timer will fire
        Openness(done=False, due_at=now - timedelta(seconds=10)),  # due, within the grace
        Openness(done=False, due_at=None),  # nothing will ever close it
        Openness(done=False, due_at=now - timedelta(minutes=5)),  # the timer never fired
    ]
    assert count_open(rows, now, grace) == OpenCount(total=5, done=1, pending=2, stuck=2)
    assert count_open([], now, grace) == OpenCount(0, 0, 0, 0)
