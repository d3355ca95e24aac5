"""What the practice-round service raises and returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.practice_rounds import RoundStatus, RoundView
from bot.core.questions import Question
from bot.core.selection import QuestionSource


class RoundError(Exception):
    """A request that cannot be carried out; the message is safe to show to the member."""


class RoundRunning(RoundError):
    def __init__(self, running: RoundView) -> None:
        super().__init__("A practice round is already running in this channel.")
        self.round = running


class RoundNotFound(RoundError):
    pass


class RoundNotOpen(RoundError):
    """The round is past the stage the request belongs to (time is up, voting closed...)."""


class NotAllowed(RoundError):
    pass


class NoQuestions(RoundError):
    pass


class GuildBanks(Protocol):
    """What the service needs of the bank registry."""

    def for_guild(self, guild_id: int | None) -> QuestionSource: ...

    def get(self, question_id: str) -> Question | None: ...


@dataclass(frozen=True, slots=True)
class AnswerSaved:
    round_id: int
    part: int  # 1-based number of the part just stored
    characters: int  # the whole answer so far


@dataclass(frozen=True, slots=True)
class VoteSaved:
    author: str
    previous_author: str | None  # the member's earlier choice, when the vote was moved
    closes_at: datetime | None


@dataclass(frozen=True, slots=True)
class BallotProgress:
    scored: int
    points: int

    @property
    def complete(self) -> bool:
        return self.scored == self.points


@dataclass(frozen=True, slots=True)
class Announcement:
    """Stages reached and not yet shown in Discord, oldest first."""

    round: RoundView
    stages: tuple[RoundStatus, ...]


Listener = Callable[[Announcement], Awaitable[None]]
