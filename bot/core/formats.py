"""Interview formats per track and length (defaults from common ML-engineer interview loops),
and the pace model that turns a question's minutes into a time limit for typed answers.

A format is a list of slots; each slot asks for one question matching its topic group and
difficulty. The numbers are defaults: ``build_format`` takes overrides.

Pace model. Answers here are typed, not spoken, and typing is slower than speaking: an item's
time limit is the longer of the bank's ``minutes`` and the time a reference-length answer
takes to type at ``TYPED_WORDS_PER_MINUTE`` (25) words per minute (``typed_minutes``). The
bundled bank's minutes are already sized to that pace (a test checks every question), so the
floor changes little there; it protects guild banks written with spoken minutes. A
system-design question gets the format's minutes, raised the same way for its whole reference
answer, then split over its phases in proportion to their written minutes. A follow-up adds
``FOLLOW_UP_ALLOWANCE`` to the item's remaining time (see ``follow_up_seconds``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core.questions import Difficulty, Phase, Track


class Length(StrEnum):
    STANDARD = "standard"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class Slot:
    """One question in a format. Empty ``topics`` means any topic of the track."""

    topics: tuple[str, ...] = ()
    difficulty: Difficulty | None = None


@dataclass(frozen=True, slots=True)
class InterviewFormat:
    track: Track
    length: Length
    minutes: int
    slots: tuple[Slot, ...]


_INTRO = Slot(("background",))
_BEHAVIOURAL = Slot(
    (
        "motivation",
        "career-goals",
        "teamwork-and-conflict",
        "stakeholder-communication",
        "ambiguity-and-deadlines",
    )
)
_CONCEPT = Slot(("light-concepts",))
E, M, H = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD

DEFAULT_FORMATS: dict[tuple[Track, Length], InterviewFormat] = {
    # 30 min: intro (~2), two behavioural (~3-4 each), four light concepts (~3 each), slack.
    (Track.PHONE_SCREEN, Length.STANDARD): InterviewFormat(
        Track.PHONE_SCREEN,
        Length.STANDARD,
        30,
        (_INTRO, _BEHAVIOURAL, _BEHAVIOURAL) + (_CONCEPT,) * 4,
    ),
    (Track.PHONE_SCREEN, Length.SHORT): InterviewFormat(
        Track.PHONE_SCREEN, Length.SHORT, 15, (_INTRO, _BEHAVIOURAL, _CONCEPT, _CONCEPT)
    ),
    # 45 min: seven questions of ~5 min, difficulty rising.
    (Track.TECHNICAL, Length.STANDARD): InterviewFormat(
        Track.TECHNICAL,
        Length.STANDARD,
        45,
        tuple(Slot(difficulty=d) for d in (E, E, M, M, M, H, H)),
    ),
    (Track.TECHNICAL, Length.SHORT): InterviewFormat(
        Track.TECHNICAL, Length.SHORT, 20, tuple(Slot(difficulty=d) for d in (E, M, M, H))
    ),
    # One open prompt in timed phases.
    (Track.SYSTEM_DESIGN, Length.STANDARD): InterviewFormat(
        Track.SYSTEM_DESIGN, Length.STANDARD, 45, (Slot(),)
    ),
    (Track.SYSTEM_DESIGN, Length.SHORT): InterviewFormat(
        Track.SYSTEM_DESIGN, Length.SHORT, 25, (Slot(),)
    ),
}


def build_format(track: Track, length: Length, *, questions: int | None = None) -> InterviewFormat:
    """The default format, optionally with a different number of questions.

    Extra slots repeat the pattern's last slot; fewer slots keep the first ones, so difficulty
    still rises.
    """
    fmt = DEFAULT_FORMATS[(track, length)]
    if questions is None or track is Track.SYSTEM_DESIGN:
        return fmt
    if questions < 1:
        raise ValueError("an interview needs at least one question")
    slots = fmt.slots[:questions] + (fmt.slots[-1],) * max(0, questions - len(fmt.slots))
    return InterviewFormat(track, length, fmt.minutes, slots)


def scale_phases(phases: tuple[Phase, ...], total_minutes: int) -> tuple[int, ...]:
    """Split ``total_minutes`` across phases in proportion to their written minutes.

    Largest-remainder rounding keeps the sum exact and gives every phase at least one minute.
    """
    written = sum(p.minutes for p in phases)
    if written == total_minutes:
        return tuple(p.minutes for p in phases)
    exact = [p.minutes * total_minutes / written for p in phases]
    result = [max(1, int(x)) for x in exact]
    order = sorted(range(len(phases)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    i = 0
    while sum(result) < total_minutes:
        result[order[i % len(order)]] += 1
        i += 1
    while sum(result) > total_minutes:
        j = max(range(len(result)), key=lambda k: result[k])
        result[j] -= 1
    return tuple(result)


TYPED_WORDS_PER_MINUTE = 25
_WORD = re.compile(r"\S+")


def reference_words(reference_answer: str) -> int:
    """Words of a reference answer as a candidate would type them (whitespace-separated)."""
    return len(_WORD.findall(reference_answer))


def typed_minutes(minutes: int, reference_answer: str) -> int:
    """The time limit for a typed answer: the bank's ``minutes``, or longer when typing a
    reference-length answer at ``TYPED_WORDS_PER_MINUTE`` would not fit in them."""
    return max(minutes, math.ceil(reference_words(reference_answer) / TYPED_WORDS_PER_MINUTE))


FOLLOW_UP_ALLOWANCE_SECONDS = 120
FOLLOW_UP_MAX_SECONDS = 300


def follow_up_seconds(remaining_seconds: float) -> float:
    """Time for a follow-up reply: what was left of the item plus a fixed allowance (two
    minutes), capped at five minutes so an early submit does not bank a long reply."""
    left = max(0.0, remaining_seconds)
    return min(left + FOLLOW_UP_ALLOWANCE_SECONDS, float(FOLLOW_UP_MAX_SECONDS))
