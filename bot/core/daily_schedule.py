"""Local-time rules of the daily question: when "HH:MM in a zone" happens, and streak days.

Pure functions over aware datetimes and ``zoneinfo`` zones; nothing here reads a clock. Daylight
saving is handled per local day:

- gap (the clocks jump forward over the time, e.g. 02:30 on a spring-forward night): the post
  happens at the first valid instant after it, the moment the clocks jump (03:00 local);
- fold (the time happens twice, e.g. 01:30 on a fall-back night): the post happens once, at
  the first of the two instants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

TIME_FORMAT_HELP = "a 24-hour time as HH:MM, for example 07:30 or 18:00"
ZONE_EXAMPLES = "Europe/Berlin, America/New_York or Asia/Kolkata"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_MAX_GAP = timedelta(days=2)  # the longest jump on record is Samoa skipping 2011-12-30


class InvalidSchedule(ValueError):
    """A time or time zone the user typed is not valid; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One local day's occurrence of a daily time: the day it belongs to and when it happens."""

    local_date: date
    due_at: datetime  # UTC


def parse_time(text: str) -> time:
    """ "7:30" or "07:30" -> 07:30; anything else raises InvalidSchedule."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise InvalidSchedule(f"`{text.strip()}` is not a time: use {TIME_FORMAT_HELP}.")
    return time(int(match[1]), int(match[2]))


def format_time(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


@cache
def _zone_names() -> dict[str, str]:
    """Lower-case name -> canonical IANA name (the tzdata package ships the database)."""
    return {name.lower(): name for name in available_timezones()}


def zone_names() -> list[str]:
    return sorted(_zone_names().values())


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone by name, case-insensitively ("europe/berlin" is Europe/Berlin)."""
    canonical = _zone_names().get(name.strip().lower())
    if canonical is None:
        raise InvalidSchedule(
            f"`{name.strip()}` is not a time zone: use an IANA name such as {ZONE_EXAMPLES} "
            "(pick one from the suggestions)."
        )
    try:
        return ZoneInfo(canonical)
    except ZoneInfoNotFoundError as exc:  # listed but not loadable: a broken tzdata install
        raise InvalidSchedule(f"The time zone `{canonical}` cannot be loaded here.") from exc


def matching_zones(fragment: str, limit: int = 25) -> list[str]:
    """Zone names containing ``fragment`` (case-insensitive), names starting with it first."""
    needle = fragment.strip().lower().replace(" ", "_")
    names = zone_names()
    if not needle:
        return names[:limit]
    starts = [n for n in names if n.lower().startswith(needle)]
    contains = [n for n in names if needle in n.lower() and n not in starts]
    return (starts + contains)[:limit]


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return _aware(instant).astimezone(zone).date()


def occurrence_on(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which local ``at`` happens on ``day`` (see the module notes)."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; in a fold, fold=0 is the earlier instant
    # In a gap fold=0 reads the wall time with the offset before the jump (too late) and fold=1
    # with the offset after it (too early): the jump lies between them. Find it to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    if not low < high <= low + _MAX_GAP:
        raise ValueError(f"unexpected offsets around {wall} in {zone}")
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def next_occurrence(after: datetime, at: time, zone: ZoneInfo) -> Slot:
    """The first occurrence of local ``at`` strictly after the instant ``after``."""
    today = local_date(after, zone)
    for offset in range(-1, 3):  # a gap can push a day's occurrence into the next day
        day = today + timedelta(days=offset)
        due = occurrence_on(day, at, zone)
        if due > after:
            return Slot(day, due)
    raise AssertionError("unreachable: every local day has an occurrence")


def todays_slot(now: datetime, at: time, zone: ZoneInfo) -> Slot:
    """Today's (local) occurrence, whether it has passed or not."""
    day = local_date(now, zone)
    return Slot(day, occurrence_on(day, at, zone))


def slot_after(slot: Slot, at: time, zone: ZoneInfo) -> Slot:
    """The occurrence on the local day after ``slot``'s."""
    day = slot.local_date + timedelta(days=1)
    return Slot(day, occurrence_on(day, at, zone))


def first_slot(
    now: datetime, at: time, zone: ZoneInfo, *, since: datetime, done_today: bool
) -> Slot:
    """The slot a schedule set at ``since`` waits for, as of ``now``.

    Today's slot, even when its time has passed (the bot was down: it is sent late, once),
    provided the schedule already existed at that time and today is not done yet; otherwise
    tomorrow's. Earlier missed days are never sent.
    """
    slot = todays_slot(now, at, zone)
    if done_today or slot.due_at < since:
        slot = slot_after(slot, at, zone)
    return slot


# -- streaks -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreakState:
    current: int = 0
    best: int = 0
    last_local_date: date | None = None


def advance_streak(state: StreakState, day: date) -> StreakState:
    """The streak after a daily answer on local ``day``.

    Same day: unchanged. The day after the last: one more. Later: a new streak of 1. Earlier
    (the member moved west and it is still "yesterday" there): unchanged, never backwards.
    """
    last = state.last_local_date
    if last is not None and day <= last:
        return state
    current = state.current + 1 if last is not None and day - last == timedelta(days=1) else 1
    return StreakState(current, max(state.best, current), day)


def live_streak(state: StreakState, today: date) -> int:
    """The current streak as of ``today``: a streak whose last answer is older than yesterday
    is broken (it is stored as it was until the next answer)."""
    last = state.last_local_date
    if last is None or (today - last).days > 1:
        return 0
    return state.current


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass UTC-aware instants")
    return instant
