"""Local-time rules of the daily question: occurrences across DST, parsing, streak days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.daily_schedule import (
    InvalidSchedule,
    Slot,
    StreakState,
    advance_streak,
    first_slot,
    live_streak,
    local_date,
    matching_zones,
    next_occurrence,
    occurrence_on,
    parse_time,
    parse_zone,
    slot_after,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- occurrences ---------------------------------------------------------------------------


def test_ordinary_day_in_winter_and_summer() -> None:
    assert occurrence_on(date(2026, 1, 5), time(9, 0), BERLIN) == utc(2026, 1, 5, 8, 0)
    assert occurrence_on(date(2026, 7, 5), time(9, 0), BERLIN) == utc(2026, 7, 5, 7, 0)


@pytest.mark.parametrize(
    ("zone", "before", "after", "local_before", "local_after"),
    [
        # Berlin: clocks go forward on 2026-03-29 (02:00 -> 03:00, UTC+1 -> UTC+2)
        (BERLIN, date(2026, 3, 28), date(2026, 3, 30), utc(2026, 3, 28, 8), utc(2026, 3, 30, 7)),
        # New York: forward on 2026-03-08 (UTC-5 -> UTC-4)
        (NEW_YORK, date(2026, 3, 7), date(2026, 3, 9), utc(2026, 3, 7, 14), utc(2026, 3, 9, 13)),
        # Berlin: back on 2026-10-25; New York: back on 2026-11-01
        (
            BERLIN,
            date(2026, 10, 24),
            date(2026, 10, 26),
            utc(2026, 10, 24, 7),
            utc(2026, 10, 26, 8),
        ),
        (
            NEW_YORK,
            date(2026, 10, 31),
            date(2026, 11, 2),
            utc(2026, 10, 31, 13),
            utc(2026, 11, 2, 14),
        ),
    ],
)
def test_the_same_local_time_moves_in_utc_across_a_dst_change(
    zone: ZoneInfo, before: date, after: date, local_before: datetime, local_after: datetime
) -> None:
    at = time(9, 0)
    assert occurrence_on(before, at, zone) == local_before
    assert occurrence_on(after, at, zone) == local_after
    slot = Slot(before, local_before)
    # walking day by day keeps 09:00 local through the change day
    middle = slot_after(slot, at, zone)
    assert middle.due_at.astimezone(zone).time() == at
    assert slot_after(middle, at, zone) == Slot(after, local_after)


def test_gap_posts_at_the_first_valid_instant_after() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29: clocks jump from 02:00 to 03:00 (01:00 UTC)
    due = occurrence_on(date(2026, 3, 29), time(2, 30), BERLIN)
    assert due == utc(2026, 3, 29, 1, 0)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)
    # New York: 02:30 on 2026-03-08 does not exist; 03:00 EDT is 07:00 UTC
    assert occurrence_on(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 0)


def test_fold_posts_once_at_the_first_instant() -> None:
    # 01:30 happens twice in New York on 2026-11-01: 05:30 UTC (EDT) and 06:30 UTC (EST)
    first = occurrence_on(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert first == utc(2026, 11, 1, 5, 30)
    # after the first, the next occurrence is the next day, not the second 01:30
    nxt = next_occurrence(first, time(1, 30), NEW_YORK)
    assert nxt == Slot(date(2026, 11, 2), utc(2026, 11, 2, 6, 30))
    # Berlin: 02:30 twice on 2026-10-25 (00:30 and 01:30 UTC)
    assert occurrence_on(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    between = utc(2026, 10, 25, 1, 0)  # between the two 02:30s
    assert next_occurrence(between, time(2, 30), BERLIN).local_date == date(2026, 10, 26)


def test_quarter_hour_offset_kathmandu() -> None:
    # Asia/Kathmandu is UTC+05:45 all year
    assert occurrence_on(date(2026, 1, 5), time(7, 0), KATHMANDU) == utc(2026, 1, 5, 1, 15)
    assert local_date(utc(2026, 1, 5, 18, 14), KATHMANDU) == date(2026, 1, 5)
    assert local_date(utc(2026, 1, 5, 18, 15), KATHMANDU) == date(2026, 1, 6)


def test_next_occurrence_is_strictly_after() -> None:
    at = time(9, 0)
    assert next_occurrence(utc(2026, 1, 5, 7, 59), at, BERLIN) == Slot(
        date(2026, 1, 5), utc(2026, 1, 5, 8, 0)
    )
    assert next_occurrence(utc(2026, 1, 5, 8, 0), at, BERLIN) == Slot(
        date(2026, 1, 6), utc(2026, 1, 6, 8, 0)
    )
    # across the spring-forward night, from the evening before
    assert next_occurrence(utc(2026, 3, 28, 20, 0), time(2, 30), BERLIN) == Slot(
        date(2026, 3, 29), utc(2026, 3, 29, 1, 0)
    )


def test_a_whole_missing_day_still_has_an_occurrence() -> None:
    # Samoa skipped 2011-12-30; its slot falls at the first instant of the 31st
    apia = ZoneInfo("Pacific/Apia")
    due = occurrence_on(date(2011, 12, 30), time(9, 0), apia)
    assert due.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 31, 0, 0)


def test_first_slot_catches_up_today_only_if_the_schedule_existed_then() -> None:
    now = utc(2026, 1, 5, 12, 0)  # 13:00 in Berlin
    set_long_ago = utc(2025, 12, 1, 0, 0)
    late = first_slot(now, time(9, 0), BERLIN, since=set_long_ago, done_today=False)
    assert late == Slot(date(2026, 1, 5), utc(2026, 1, 5, 8, 0))  # the bot was down: late, once
    tomorrow = Slot(date(2026, 1, 6), utc(2026, 1, 6, 8, 0))
    assert first_slot(now, time(9, 0), BERLIN, since=set_long_ago, done_today=True) == tomorrow
    # set up at 13:00 for 09:00: nothing owed today
    assert first_slot(now, time(9, 0), BERLIN, since=now, done_today=False) == tomorrow
    later_today = first_slot(now, time(18, 0), BERLIN, since=now, done_today=False)
    assert later_today.due_at == utc(2026, 1, 5, 17)


# -- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("09:30", time(9, 30)), ("7:05", time(7, 5))])
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9.30", "09:60", "nine", "", "09:3", "21:00pm"])
def test_parse_time_refuses_with_the_allowed_form(text: str) -> None:
    with pytest.raises(InvalidSchedule, match="24-hour time as HH:MM"):
        parse_time(text)


def test_parse_zone_is_case_insensitive_and_refuses_unknown_names() -> None:
    assert parse_zone("europe/berlin").key == "Europe/Berlin"
    for bad in ("Mars/Olympus", "CEST", "", "../etc/passwd"):
        with pytest.raises(InvalidSchedule, match="Europe/Berlin"):
            parse_zone(bad)


def test_matching_zones_prefers_prefixes_and_caps_at_25() -> None:
    found = matching_zones("ber")
    assert "Europe/Berlin" in found and len(found) <= 25
    assert matching_zones("new york")[0] == "America/New_York"
    assert len(matching_zones("")) == 25
    assert matching_zones("Europe/")[0].startswith("Europe/")


# -- streaks -------------------------------------------------------------------------------


def test_streak_two_days_in_a_row_then_a_missed_day_resets() -> None:
    day = date(2026, 1, 5)
    state = advance_streak(StreakState(), day)
    assert state == StreakState(1, 1, day)
    assert advance_streak(state, day) == state  # twice the same day counts once
    state = advance_streak(state, day + timedelta(days=1))
    assert state == StreakState(2, 2, day + timedelta(days=1))
    state = advance_streak(state, day + timedelta(days=3))  # day + 2 missed
    assert state == StreakState(1, 2, day + timedelta(days=3))


def test_streak_never_goes_backwards() -> None:
    state = StreakState(3, 4, date(2026, 1, 5))
    assert advance_streak(state, date(2026, 1, 4)) == state


def test_live_streak_breaks_after_a_missed_day() -> None:
    state = StreakState(3, 4, date(2026, 1, 5))
    assert live_streak(state, date(2026, 1, 5)) == 3
    assert live_streak(state, date(2026, 1, 6)) == 3  # still time to answer today
    assert live_streak(state, date(2026, 1, 7)) == 0
    assert live_streak(StreakState(), date(2026, 1, 7)) == 0
