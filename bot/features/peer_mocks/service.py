"""Peer mock interviews for study groups: queue, invitations, pairs, rounds and feedback.

A pair goes ``ready -> round -> feedback -> swap -> round -> feedback -> finished``. The
candidate's round is an ordinary timed interview session (mode "peer"), so the interview
service keeps its clock, phases, reminders and durable deadlines; this service listens to its
events for the time-outs of peer sessions. Everything else is stored in the peer tables, and two
durable timers of our own cover invitation expiry (5 minutes) and no-shows (10 minutes without
the action a member owes: Ready, the score sheet and feedback, the rating).

Each operation is one transaction (the interview service runs its own for the session), under
an in-process lock per guild (queue, invitations, new pairs) or per pair (everything after).
"""

from __future__ import annotations

import logging
import random

from sqlalchemy import select

from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.features.interviews.service import Event as InterviewEvent
from bot.features.interviews.service import InterviewService, ReminderDue, TimedOut
from bot.features.peer_mocks import store
from bot.features.peer_mocks.base import (
    IDLE,
    INVITE,
    INVITE_TTL,
    NO_SHOW_AFTER,
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


class PeerMockService(QueueOps, RoundOps, FeedbackOps):
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
        super().__init__(
            db, banks, clock, interviews, rng=rng, platform=platform, scheduler=scheduler
        )
        self.timers.set_handler(self._on_timer)
        interviews.subscribe(self._on_interview_event)

    async def _on_interview_event(self, event: InterviewEvent) -> None:
        try:
            async with self._db.reading() as s:
                round_id = await s.scalar(
                    select(PeerRound.id).where(PeerRound.session_id == event.session_id)
                )
            if round_id is None:
                return  # not a peer mock
            if isinstance(event, ReminderDue):
                await self._emit(RoundReminder(await self.round_view(round_id), event.item))
            elif isinstance(event, TimedOut) and event.next_item is not None:
                await self._emit(PhaseAdvanced(await self.round_view(round_id)))
            elif isinstance(event, TimedOut):
                ended = await self._enter_feedback(round_id, "time")
                if ended is not None:
                    await self._emit(RoundEnded(ended))
        except Exception:  # never break the interview service's other listeners
            log.exception("peer mock could not handle %s", event)

    async def _on_timer(self, key: TimerKey) -> None:
        event: PeerEvent | None = None
        if key.kind == INVITE:
            event = await self._expire_invite(key.ref_id)
        elif key.kind == IDLE:
            event = await self._check_idle(key.ref_id)
        if event is not None:
            await self._emit(event)

    async def _expire_invite(self, invite_id: int) -> InviteExpired | None:
        async with self._db.transaction() as s:
            row = await s.get(PeerInvite, invite_id)
            if row is None or row.status != "pending" or row.expires_at > self._clock.now():
                return None
            row.status, row.responded_at = "expired", self._clock.now()
            return InviteExpired(await store.invite_view(s, row))

    async def _check_idle(self, pair_id: int) -> PairClosed | PairFinished | None:
        async with self._lock("pair", pair_id):
            now = self._clock.now()
            async with self._db.transaction() as s:
                pair = await s.get(PeerPair, pair_id)
                if pair is None or not PairState(pair.state).is_active:
                    return None
                rows = await store.rounds_of(s, pair_id)
                current = rows[-1] if rows else None
                owing = await self._owing(s, pair, current)
                late = [u for u in owing if self._last_act(pair, u) + NO_SHOW_AFTER <= now]
                swap_expired = (
                    pair.state == PairState.SWAP and pair.state_since + NO_SHOW_AFTER <= now
                )
                if not late and not swap_expired:
                    step = await self._reschedule_idle(s, pair, current)
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
