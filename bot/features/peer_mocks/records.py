"""What the peer-mock service hands to adapters: states, views, results, events and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.questions import Difficulty, Question, Track
from bot.core.scoring import Score
from bot.core.session import ItemView


class PeerError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


class NotAllowed(PeerError):
    """The member pressed something that belongs to someone else (the other role, another pair)."""


class PeerBusy(PeerError):
    """The member is already in a peer mock; ``pair`` says which (the adapter links it)."""

    def __init__(self, message: str, pair: PairView) -> None:
        super().__init__(message)
        self.pair = pair


class PairState(StrEnum):
    READY = "ready"  # both members must press Ready
    ROUND = "round"  # the candidate is answering
    FEEDBACK = "feedback"  # interviewer scores and writes feedback, candidate rates
    SWAP = "swap"  # round 1 complete: swap roles or finish
    FINISHED = "finished"
    CLOSED = "closed"  # someone did not act for 10 minutes
    CANCELLED = "cancelled"  # the private thread could not be created

    @property
    def is_active(self) -> bool:
        return self in _ACTIVE


_ACTIVE = frozenset({PairState.READY, PairState.ROUND, PairState.FEEDBACK, PairState.SWAP})
ACTIVE_STATES = tuple(s.value for s in _ACTIVE)


class RoundStatus(StrEnum):
    ACTIVE = "active"
    FEEDBACK = "feedback"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # the pair was closed before both sides gave their feedback


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    external_id: str  # the platform's id (a Discord user id)
    name: str


@dataclass(frozen=True, slots=True)
class QueueSpot:
    member: Member
    track: Track
    difficulty: Difficulty | None
    joined_at: datetime
    channel_id: int | None


@dataclass(frozen=True, slots=True)
class PairView:
    id: int
    guild_id: int
    channel_id: int | None
    thread_id: int | None
    track: Track
    source: str
    state: PairState
    members: tuple[Member, Member]
    ready_ids: frozenset[int]
    no_show_ids: frozenset[int]
    created_at: datetime

    def has(self, user_id: int) -> bool:
        return any(m.user_id == user_id for m in self.members)

    def other(self, user_id: int) -> Member:
        a, b = self.members
        return b if a.user_id == user_id else a


@dataclass(frozen=True, slots=True)
class RoundView:
    """A round as the adapters need it. ``question`` carries the interviewer's material: render
    only ``item.prompt`` where the candidate can see it."""

    id: int
    pair: PairView
    number: int
    interviewer: Member
    candidate: Member
    question: Question
    session_id: int | None
    status: RoundStatus
    ended_by: str | None
    hints_revealed: int
    follow_ups_revealed: int
    item: ItemView | None  # the candidate's current item while the round runs


@dataclass(frozen=True, slots=True)
class JoinResult:
    spot: QueueSpot | None  # None when the member was paired at once
    updated: bool  # they were already waiting: track/difficulty updated
    pairs: tuple[PairView, ...]  # every pair this join created (normally the member's own)
    waiting_ahead: int  # others waiting for the same track before them


@dataclass(frozen=True, slots=True)
class QueueStatus:
    spot: QueueSpot | None
    waiting: tuple[QueueSpot, ...]  # everyone in this guild's queue, in join order
    pair: PairView | None  # the member's peer mock in progress, if any


@dataclass(frozen=True, slots=True)
class InviteView:
    id: int
    guild_id: int
    channel_id: int | None
    message_id: int | None
    inviter: Member
    invitee: Member
    track: Track
    difficulty: Difficulty | None
    status: str  # pending|accepted|declined|expired
    expires_at: datetime
    pair_id: int | None


@dataclass(frozen=True, slots=True)
class ReadyResult:
    pair: PairView
    started: RoundView | None  # both were ready: round 1 started
    waiting_for: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class Reveal:
    round: RoundView
    kind: str  # hint|follow_up
    number: int  # 1-based; 0 when nothing was left
    total: int
    text: str | None  # None: nothing left to reveal


@dataclass(frozen=True, slots=True)
class RoundStep:
    """After Next phase / End round: the next phase, or the round is over (feedback time)."""

    round: RoundView
    ended: bool


@dataclass(frozen=True, slots=True)
class ScoreSlot:
    """One select of the interviewer's score sheet: a rubric point, or a system-design phase."""

    position: int
    point_index: int
    label: str
    score: int | None


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    round: RoundView
    slots: tuple[ScoreSlot, ...]


@dataclass(frozen=True, slots=True)
class ItemResult:
    position: int
    label: str  # the phase name, or the question's topic
    auto_score: int | None
    peer_score: int | None
    points: tuple[tuple[str, int], ...]  # (rubric point or phase, the interviewer's 1-4)


@dataclass(frozen=True, slots=True)
class RoundReport:
    number: int
    interviewer: Member
    candidate: Member
    question: Question
    status: RoundStatus
    ended_by: str | None
    items: tuple[ItemResult, ...]
    peer_mean: float | None
    peer_verdict: Score | None
    auto_mean: float | None
    strengths: str | None
    improvements: str | None
    rating: int | None
    rating_comment: str | None
    hints_revealed: int
    follow_ups_revealed: int


@dataclass(frozen=True, slots=True)
class PairReport:
    pair: PairView
    rounds: tuple[RoundReport, ...]


@dataclass(frozen=True, slots=True)
class RoundProgress:
    """Where a round's feedback stands after one side's contribution."""

    round: RoundView
    scored: int
    to_score: int
    feedback_done: bool
    rating_done: bool
    complete: bool  # all three done: the round counts
    report: PairReport | None  # the pair finished with this (round 2 complete)

    @property
    def scores_done(self) -> bool:
        return self.scored >= self.to_score


@dataclass(frozen=True, slots=True)
class PeerSummary:
    """A member's peer mocks, for /stats: kept apart from automatic scores."""

    mocks: int
    rounds_as_candidate: int
    rounds_as_interviewer: int
    mean_peer_score: float | None  # mean over their candidate rounds' peer means
    mean_rating_received: float | None  # as interviewer, 1-5
    no_shows: int


# -- events: what happens on its own (timers, the interview clock) ---------------------------


@dataclass(frozen=True, slots=True)
class PhaseAdvanced:
    round: RoundView  # ``round.item`` is the new phase


@dataclass(frozen=True, slots=True)
class RoundReminder:
    round: RoundView
    item: ItemView


@dataclass(frozen=True, slots=True)
class RoundEnded:
    round: RoundView  # ended_by "time"


@dataclass(frozen=True, slots=True)
class InviteExpired:
    invite: InviteView


@dataclass(frozen=True, slots=True)
class PairClosed:
    pair: PairView
    no_shows: tuple[Member, ...]
    present: tuple[Member, ...]
    report: PairReport | None  # what was done before the pair closed


@dataclass(frozen=True, slots=True)
class PairFinished:
    """Nobody swapped roles within 10 minutes of round 1: the report closes the mock."""

    report: PairReport


PeerEvent = PhaseAdvanced | RoundReminder | RoundEnded | InviteExpired | PairClosed | PairFinished
