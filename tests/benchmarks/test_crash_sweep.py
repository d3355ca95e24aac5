"""The crash sweep's counting: lost and duplicated daily posts, answers confirmed but not stored.
(The sweep itself kills and restarts a bot process many times: too slow for the test run.)"""

from __future__ import annotations

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
