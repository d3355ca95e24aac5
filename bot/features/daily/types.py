"""What the daily service hands out and takes in: targets, schedules, claims, outcomes, views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.daily_schedule import Slot
from bot.core.questions import Question, Track
from bot.core.scoring import Score
from bot.features.config.service import GuildConfig

GUILD = "guild"  # target id: the Discord guild id
USER = "user"  # target id: users.id


class DailyError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # GUILD | USER
    id: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and where a target gets its daily question."""

    target: Target
    at: time
    zone: ZoneInfo
    track: Track | None
    guild_id: int | None  # whose bank (for a guild: itself)
    channel_id: int | None  # guild posts only
    since: datetime  # when it was last set: a slot before that is not owed

    @property
    def zone_name(self) -> str:
        return self.zone.key


@dataclass(frozen=True, slots=True)
class ScheduleView:
    schedule: Schedule
    next_slot: Slot
    done_today: bool


@dataclass(frozen=True, slots=True)
class GuildDailyView:
    """A guild's daily setting; ``active`` is None when it is off."""

    config: GuildConfig
    active: ScheduleView | None


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    schedule: Schedule
    local_date: date
    question: Question
    recipient: str | None  # a user target's Discord id


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    claims: list[Claim]
    no_question: list[Schedule]  # the bank has no question for these schedules' tracks
    # Claimed before and never confirmed (their process died): the batch holding the slots'
    # jobs now owns them and reconciles them.
    unconfirmed: list[Unconfirmed] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int


@dataclass(frozen=True, slots=True)
class SendFailed:
    error: str
    permanent: bool  # the channel or user is gone: switch the schedule off now
    # Discord was busy or unreachable (429 after discord.py's retries, 5xx, the network): the
    # claim stays unconfirmed and its slot is tried again soon, the same day.
    transient: bool = False


@dataclass(frozen=True, slots=True)
class NotSent:
    """A claim settled without a post and without a failure to count: its local day passed
    while the bot was down, its schedule was stopped, or its question left the bank."""

    reason: str


Outcome = Sent | SendFailed | NotSent


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """A claim whose outcome was never recorded (the process died between claim and record)."""

    claim: Claim
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerRef:
    """What an Answer button points at: a delivery (guild post, DM) or a personal card."""

    kind: str  # "delivery" | "card"
    id: int


@dataclass(frozen=True, slots=True)
class Offer:
    ref: AnswerRef
    question: Question


@dataclass(frozen=True, slots=True)
class StreakView:
    current: int
    best: int
    last_local_date: date | None
    today: date
    zone_name: str

    @property
    def answered_today(self) -> bool:
        return self.last_local_date == self.today


@dataclass(frozen=True, slots=True)
class AnswerResult:
    question: Question
    score: Score
    coverage: float | None  # None when it was already recorded
    missed: tuple[str, ...]
    recorded: bool  # False: an answer for this question today already existed (kept as is)
    local_date: date
    streak: StreakView


ScheduleListener = Callable[[Target, Schedule | None], None]
