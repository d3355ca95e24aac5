"""What the interview service hands out: errors, events and results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.formats import Length
from bot.core.questions import Difficulty, Question, Track
from bot.core.scoring import Score
from bot.core.selection import QuestionSource
from bot.core.session import ItemView, Scorecard, ScorecardItem, SessionStatus, SessionView


class InterviewError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


class ActiveInterviewExists(InterviewError):
    def __init__(self, session: SessionView) -> None:
        super().__init__("You already have an interview in progress.")
        self.session = session


class NoQuestionsAvailable(InterviewError):
    @classmethod
    def matching(
        cls, track: Track, topic: str | None, difficulty: Difficulty | None
    ) -> NoQuestionsAvailable:
        filters = [f"track {track.value}"]
        if topic:
            filters.append(f"topic {topic}")
        if difficulty:
            filters.append(f"difficulty {difficulty.value}")
        return cls(f"No questions match {', '.join(filters)}. Try fewer filters.")

    pass


class SessionNotFound(InterviewError):
    pass


class NotYourInterview(InterviewError):
    pass


class StaleAction(InterviewError):
    """The button or command refers to an item that is no longer the current one."""


class QuestionSourceWithLookup(QuestionSource, Protocol):
    """What the service needs of a bank: selection plus lookup by id."""

    def get(self, question_id: str) -> Question | None: ...


@dataclass(frozen=True, slots=True)
class TimedOut:
    session_id: int
    item: ScorecardItem
    next_item: ItemView | None
    scorecard: Scorecard | None


@dataclass(frozen=True, slots=True)
class ReminderDue:
    session_id: int
    item: ItemView


@dataclass(frozen=True, slots=True)
class Advance:
    """The result of submit/skip: what was scored, and what comes next (or the scorecard)."""

    finished_item: ScorecardItem
    next_item: ItemView | None
    scorecard: Scorecard | None

    @property
    def follow_up(self) -> bool:
        """The answer was submitted and the interviewer asks a follow-up on the same item
        (``next_item`` is that item, with ``follow_up`` set); nothing was scored yet."""
        nxt = self.next_item
        return (
            nxt is not None
            and nxt.follow_up is not None
            and (nxt.position == self.finished_item.position)
        )


@dataclass(frozen=True, slots=True)
class AnswerSaved:
    session_id: int
    position: int
    parts: int
    characters: int


@dataclass(frozen=True, slots=True)
class HintResult:
    text: str | None
    hints_used: int
    max_score: Score
    hints_available: int


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: int
    track: Track
    length: Length
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    items: int
    mean_score: float | None
    verdict: Score | None
    ended_early: bool = False


Event = TimedOut | ReminderDue
Listener = Callable[[Event], Awaitable[None]]
