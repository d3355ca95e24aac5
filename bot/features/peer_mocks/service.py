"""Peer mock interviews for study groups: queue, invitations, pairs, rounds and feedback.

A pair goes ``ready -> round -> feedback -> swap -> round -> feedback -> finished``. The
candidate's round is an ordinary timed interview session (mode "peer"), so the interview
service keeps its clock, phases, reminders and durable deadlines; this service listens to its
events for the time-outs of peer sessions. Everything else is stored in the peer tables, and two
kinds of jobs on the shared scheduler cover invitation expiry (5 minutes) and no-shows (10
minutes without the action a member owes: Ready, the score sheet and feedback, the rating).

Each operation is one transaction (the interview service runs its own for the session), under
an in-process lock per guild (queue, invitations, new pairs) or per pair (everything after).
"""

from __future__ import annotations

import logging
import random

from sqlalchemy import select

from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.questions import Difficulty, Question, Track
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import AnswerSaved, ReminderDue, TimedOut
from bot.features.interviews.types import Event as InterviewEvent
from bot.features.peer_mocks import store
from bot.features.peer_mocks.base import (
    IDLE,
    INVITE,
    INVITE_TTL,
    NO_SHOW_AFTER,
    PeerCore,
    PeerListener,
)
from bot.features.peer_mocks.feedback import FeedbackOps
from bot.features.peer_mocks.models import PeerInvite, PeerPair, PeerRound
from bot.features.peer_mocks.queue import QueueOps
from bot.features.peer_mocks.records import (
    InviteExpired,
    InviteView,
    JoinResult,
    Member,
    NotAllowed,
    PairClosed,
    PairFinished,
    PairReport,
    PairState,
    PairView,
    PeerBusy,
    PeerError,
    PeerEvent,
    PeerSummary,
    PhaseAdvanced,
    QueueStatus,
    ReadyResult,
    Reveal,
    RoundEnded,
    RoundProgress,
    RoundReminder,
    RoundReport,
    RoundStatus,
    RoundStep,
    RoundView,
    ScoreSheet,
    ScoreSlot,
)
from bot.features.peer_mocks.rounds import RoundOps
from bot.features.peer_mocks.store import missing_tables
from bot.features.peer_mocks.timers import TimerKey
from bot.scheduler import Scheduler
from bot.storage.database import Database

log = logging.getLogger(__name__)


class PeerMockService:
    """The peer mocks' use cases: the queue and invitations, the rounds, the feedback. Each
    group is a part of its own over one shared core; this service composes them."""

    def __init__(
        self,
        db: Database,
        banks: BankRegistry,
        clock: Clock,
        interviews: InterviewService,
        *,
        rng: random.Random | None = None,
        platform: str = "discord",
        scheduler: Scheduler | None = None,
    ) -> None:
        self._core = core = PeerCore(
            db, banks, clock, interviews, rng=rng, platform=platform, scheduler=scheduler
        )
        self.timers = core.timers
        self.queue = QueueOps(core)
        self.rounds = RoundOps(core)
        self.feedback_ops = FeedbackOps(core)
        self.timers.set_handler(self._on_timer)
        interviews.subscribe(self._on_interview_event)

    async def _on_interview_event(self, event: InterviewEvent) -> None:
        try:
            async with self._core.db.reading() as s:
                round_id = await s.scalar(
                    select(PeerRound.id).where(PeerRound.session_id == event.session_id)
                )
            if round_id is None:
                return  # not a peer mock
            if isinstance(event, ReminderDue):
                await self._core.emit(
                    RoundReminder(await self._core.round_view(round_id), event.item)
                )
            elif isinstance(event, TimedOut) and event.next_item is not None:
                await self._core.emit(PhaseAdvanced(await self._core.round_view(round_id)))
            elif isinstance(event, TimedOut):
                ended = await self.rounds._enter_feedback(round_id, "time")
                if ended is not None:
                    await self._core.emit(RoundEnded(ended))
        except Exception:  # never break the interview service's other listeners
            log.exception("peer mock could not handle %s", event)

    async def _on_timer(self, key: TimerKey) -> None:
        event: PeerEvent | None = None
        if key.kind == INVITE:
            event = await self._expire_invite(key.ref_id)
        elif key.kind == IDLE:
            event = await self._check_idle(key.ref_id)
        if event is not None:
            await self._core.emit(event)

    async def _expire_invite(self, invite_id: int) -> InviteExpired | None:
        async with self._core.db.transaction() as s:
            row = await s.get(PeerInvite, invite_id)
            if row is None or row.status != "pending" or row.expires_at > self._core.clock.now():
                return None
            row.status, row.responded_at = "expired", self._core.clock.now()
            return InviteExpired(await store.invite_view(s, row))

    async def _check_idle(self, pair_id: int) -> PairClosed | PairFinished | None:
        async with self._core.lock("pair", pair_id):
            now = self._core.clock.now()
            async with self._core.db.transaction() as s:
                pair = await s.get(PeerPair, pair_id)
                if pair is None or not PairState(pair.state).is_active:
                    return None
                rows = await store.rounds_of(s, pair_id)
                current = rows[-1] if rows else None
                owing = await self._core.owing(s, pair, current)
                late = [u for u in owing if self._core.last_act(pair, u) + NO_SHOW_AFTER <= now]
                swap_expired = (
                    pair.state == PairState.SWAP and pair.state_since + NO_SHOW_AFTER <= now
                )
                if not late and not swap_expired:
                    step = await self._core.reschedule_idle(s, pair, current)
                    closed = None
                else:
                    pair.ended_at = now
                    if late:
                        pair.state = PairState.CLOSED.value
                        pair.no_show_ids = [str(u) for u in late]
                        if current is not None and current.status == RoundStatus.FEEDBACK:
                            current.status = RoundStatus.INCOMPLETE.value
                    else:
                        pair.state = PairState.FINISHED.value
                    step = ({}, [])
                    closed = await store.pair_view(s, pair)
            self.timers.committed(*step)
        if closed is None:
            return None
        report = await self.report(pair_id)
        if closed.state is PairState.FINISHED:
            return PairFinished(report)
        no_shows = tuple(m for m in closed.members if m.user_id in closed.no_show_ids)
        present = tuple(m for m in closed.members if m.user_id not in closed.no_show_ids)
        return PairClosed(closed, no_shows, present, report if report.rounds else None)

    # -- the public face: each call goes to the part that owns it ---------------------------

    def subscribe(self, listener: PeerListener) -> None:
        return self._core.subscribe(listener)

    async def missing_tables(self) -> list[str]:
        return await self._core.missing_tables()

    async def start(self) -> None:
        return await self._core.start()

    async def stop(self) -> None:
        return await self._core.stop()

    async def pair(self, pair_id: int) -> PairView:
        return await self._core.pair(pair_id)

    async def open_pair(self, user_id: int) -> PairView | None:
        return await self._core.open_pair(user_id)

    async def round_view(self, round_id: int) -> RoundView:
        return await self._core.round_view(round_id)

    async def join_queue(
        self,
        guild_id: int,
        user_id: int,
        track: Track,
        difficulty: Difficulty | None = None,
        *,
        channel_id: int | None = None,
    ) -> JoinResult:
        return await self.queue.join_queue(
            guild_id, user_id, track, difficulty, channel_id=channel_id
        )

    async def leave_queue(self, guild_id: int, user_id: int) -> bool:
        return await self.queue.leave_queue(guild_id, user_id)

    async def queue_status(self, guild_id: int, user_id: int) -> QueueStatus:
        return await self.queue.queue_status(guild_id, user_id)

    async def requeue(
        self, pair_id: int, user_id: int, channel_id: int | None = None
    ) -> JoinResult:
        return await self.queue.requeue(pair_id, user_id, channel_id)

    async def invite(
        self,
        guild_id: int,
        inviter_id: int,
        invitee_id: int,
        track: Track,
        difficulty: Difficulty | None = None,
        *,
        channel_id: int | None = None,
    ) -> InviteView:
        return await self.queue.invite(
            guild_id, inviter_id, invitee_id, track, difficulty, channel_id=channel_id
        )

    async def set_invite_message(self, invite_id: int, channel_id: int, message_id: int) -> None:
        return await self.queue.set_invite_message(invite_id, channel_id, message_id)

    async def accept_invite(self, invite_id: int, user_id: int) -> tuple[InviteView, PairView]:
        return await self.queue.accept_invite(invite_id, user_id)

    async def decline_invite(self, invite_id: int, user_id: int) -> InviteView:
        return await self.queue.decline_invite(invite_id, user_id)

    async def withdraw_invite(self, invite_id: int, user_id: int) -> None:
        return await self.queue.withdraw_invite(invite_id, user_id)

    async def set_thread(self, pair_id: int, channel_id: int | None, thread_id: int) -> None:
        return await self.rounds.set_thread(pair_id, channel_id, thread_id)

    async def cancel_pair(self, pair_id: int) -> PairView:
        return await self.rounds.cancel_pair(pair_id)

    async def ready(self, pair_id: int, user_id: int) -> ReadyResult:
        return await self.rounds.ready(pair_id, user_id)

    async def swap(self, pair_id: int, user_id: int) -> RoundView:
        return await self.rounds.swap(pair_id, user_id)

    async def kit(self, round_id: int, user_id: int) -> RoundView:
        return await self.rounds.kit(round_id, user_id)

    async def reveal(self, round_id: int, user_id: int, kind: str) -> Reveal:
        return await self.rounds.reveal(round_id, user_id, kind)

    async def answer(
        self, round_id: int, user_id: int, text: str, position: int | None = None
    ) -> AnswerSaved:
        return await self.rounds.answer(round_id, user_id, text, position)

    async def next_phase(self, round_id: int, user_id: int, position: int) -> RoundStep:
        return await self.rounds.next_phase(round_id, user_id, position)

    async def end_round(self, round_id: int, user_id: int) -> RoundView:
        return await self.rounds.end_round(round_id, user_id)

    async def score_sheet(self, round_id: int, user_id: int) -> ScoreSheet:
        return await self.feedback_ops.score_sheet(round_id, user_id)

    async def score_point(
        self, round_id: int, user_id: int, position: int, point_index: int, score: int
    ) -> RoundProgress:
        return await self.feedback_ops.score_point(round_id, user_id, position, point_index, score)

    async def feedback(
        self, round_id: int, user_id: int, strengths: str, improvements: str
    ) -> RoundProgress:
        return await self.feedback_ops.feedback(round_id, user_id, strengths, improvements)

    async def rate_interviewer(
        self, round_id: int, user_id: int, rating: int, comment: str
    ) -> RoundProgress:
        return await self.feedback_ops.rate_interviewer(round_id, user_id, rating, comment)

    async def finish(self, pair_id: int, user_id: int) -> PairReport:
        return await self.feedback_ops.finish(pair_id, user_id)

    async def report(self, pair_id: int) -> PairReport:
        return await self.feedback_ops.report(pair_id)

    async def reference_questions(self, pair_id: int, user_id: int) -> tuple[Question, ...]:
        return await self.feedback_ops.reference_questions(pair_id, user_id)

    async def member_summary(self, user_id: int) -> PeerSummary:
        return await self.feedback_ops.member_summary(user_id)


__all__ = [
    "INVITE_TTL",
    "NO_SHOW_AFTER",
    "InviteExpired",
    "InviteView",
    "JoinResult",
    "Member",
    "NotAllowed",
    "PairClosed",
    "PairFinished",
    "PairReport",
    "PairState",
    "PairView",
    "PeerBusy",
    "PeerError",
    "PeerEvent",
    "PeerMockService",
    "PeerSummary",
    "PhaseAdvanced",
    "QueueStatus",
    "ReadyResult",
    "Reveal",
    "RoundEnded",
    "RoundProgress",
    "RoundReminder",
    "RoundReport",
    "RoundStatus",
    "RoundStep",
    "RoundView",
    "ScoreSheet",
    "ScoreSlot",
    "missing_tables",
]
