"""Interview formats per track and length (defaults from common ML-engineer interview loops).

A format is a list of slots; each slot asks for one question matching its topic group and
difficulty. The numbers are defaults: ``build_format`` takes overrides.
"""

from __future__ import annotations

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
