"""The peer-mock service's foundation: dependencies, locks, timers and the shared rules.

The use cases live in three mixins (queue and invitations, rounds, feedback and reports) that
``PeerMockService`` combines; this base holds what all of them need: who owes an action (the
no-show rule), the idle timer, pair and round lookups.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.formats import Length
from bot.core.questions import Question, Track, missing_question
from bot.features.interviews.service import InterviewService
from bot.features.peer_mocks import store
from bot.features.peer_mocks.models import PeerPair, PeerRound
from bot.features.peer_mocks.records import (
    NotAllowed,
    PairState,
    PairView,
    PeerBusy,
    PeerError,
    PeerEvent,
    RoundStatus,
    RoundView,
)
from bot.features.peer_mocks.timers import PeerTimers, TimerKey
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.locks import across_processes

log = logging.getLogger(__name__)

NO_SHOW_AFTER = timedelta(minutes=10)
INVITE_TTL = timedelta(minutes=5)
ROUNDS = 2  # round 1, then swap roles for round 2
ROUND_LENGTH = Length.SHORT  # the study-group slot (system design: 25 minutes in phases)
RATING_RANGE = range(1, 6)
FEEDBACK_LIMIT = 1000
IDLE, INVITE = "idle", "invite"

PeerListener = Callable[[PeerEvent], Awaitable[None]]


class PeerCore:
    """What the parts of the peer-mock service share: storage, clock, timers, listeners,
    per-pair locks and the lookups every part needs."""

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
        self.db = db
        self.banks = banks
        self.clock = clock
        self.interviews = interviews
        self.rng = rng or random.Random()
        self.platform = platform
        self.timers = PeerTimers(db, scheduler or interviews.scheduler, (IDLE, INVITE))
        self.listeners: list[PeerListener] = []
        self.locks: weakref.WeakValueDictionary[tuple[str, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def subscribe(self, listener: PeerListener) -> None:
        self.listeners.append(listener)

    async def missing_tables(self) -> list[str]:
        """Non-empty while the database lacks the peer tables (migrations not run yet)."""
        return await store.missing_tables(self.db)

    async def start(self) -> None:
        await self.timers.start()

    async def stop(self) -> None:
        await self.timers.stop()

    async def pair(self, pair_id: int) -> PairView:
        async with self.db.reading() as s:
            return await store.pair_view(s, await self.pair_row(s, pair_id))

    async def open_pair(self, user_id: int) -> PairView | None:
        async with self.db.reading() as s:
            row = await store.active_pair(s, user_id)
            return await store.pair_view(s, row) if row else None

    async def round_view(self, round_id: int) -> RoundView:
        async with self.db.reading() as s:
            row = await s.get(PeerRound, round_id)
            if row is None:
                raise PeerError("That round no longer exists.")
            pair = await store.pair_view(s, await self.pair_row(s, row.pair_id))
            people = await store.members(s, (row.interviewer_id, row.candidate_id))
        item = None
        if row.session_id is not None and row.status == RoundStatus.ACTIVE:
            item = (await self.interviews.view(row.session_id)).current
        return RoundView(
            id=row.id,
            pair=pair,
            number=row.number,
            interviewer=people[row.interviewer_id],
            candidate=people[row.candidate_id],
            question=self.question(row.question_id),
            session_id=row.session_id,
            status=RoundStatus(row.status),
            ended_by=row.ended_by,
            hints_revealed=row.hints_revealed,
            follow_ups_revealed=row.follow_ups_revealed,
            item=item,
        )

    async def emit(self, event: PeerEvent) -> None:
        for listener in list(self.listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("peer mock listener failed for %s", event)

    @asynccontextmanager
    async def lock(self, kind: str, key: int) -> AsyncIterator[None]:
        lock = self.locks.get((kind, key))
        if lock is None:
            lock = self.locks[(kind, key)] = asyncio.Lock()
        async with lock:  # this process; and on PostgreSQL, every write transaction inside
            with across_processes(f"peer.{kind}", key):  # also takes the advisory lock
                yield

    async def schedule(
        self,
        s: AsyncSession,
        scheduled: dict[TimerKey, datetime],
        key: TimerKey,
        due: datetime,
    ) -> None:
        await self.timers.schedule_in(s, key, due)
        scheduled[key] = due

    def new_pair(
        self,
        guild_id: int,
        track: Track,
        source: str,
        first: tuple[int, str | None],
        second: tuple[int, str | None],
        channel_id: int | None,
        now: datetime,
    ) -> PeerPair:
        return PeerPair(
            guild_id=guild_id,
            channel_id=channel_id,
            track=track.value,
            source=source,
            member_a_id=first[0],
            member_b_id=second[0],
            difficulty_a=first[1],
            difficulty_b=second[1],
            state=PairState.READY.value,
            state_since=now,
            no_show_ids=[],
            created_at=now,
        )

    async def refuse_busy(self, s: AsyncSession, user_id: int, *, other: bool = False) -> None:
        row = await store.active_pair(s, user_id)
        if row is None:
            return
        view = await store.pair_view(s, row)
        if other:
            name = next(m.name for m in view.members if m.user_id == user_id)
            raise PeerError(f"{name} is in a peer mock right now; try again when it is over.")
        raise PeerBusy("You are already in a peer mock; finish it first.", view)

    async def refuse_open_interview(self, user_id: int, *, ready: bool = False) -> None:
        session = await self.interviews.open_session(user_id)
        if session is not None and session.mode != "peer":
            then = "then press Ready again" if ready else "then try again"
            raise PeerError(
                f"You have an interview in progress; finish it or use /interview end, {then}."
            )

    async def pair_row(self, s: AsyncSession, pair_id: int) -> PeerPair:
        row = await s.get(PeerPair, pair_id, populate_existing=True)
        if row is None:
            raise PeerError("That peer mock no longer exists.")
        return row

    async def member_pair(self, s: AsyncSession, pair_id: int, user_id: int) -> PeerPair:
        row = await self.pair_row(s, pair_id)
        if user_id not in (row.member_a_id, row.member_b_id):
            raise NotAllowed(
                "This peer mock belongs to two other members; join your own with /mock queue join."
            )
        return row

    @staticmethod
    def only_interviewer(view: RoundView, user_id: int) -> None:
        if view.interviewer.user_id != user_id:
            raise NotAllowed(
                f"Only the interviewer of this round ({view.interviewer.name}) can use this."
            )

    @staticmethod
    def touch(pair: PeerPair, user_id: int, now: datetime) -> None:
        if pair.member_a_id == user_id:
            pair.a_acted_at = now
        elif pair.member_b_id == user_id:
            pair.b_acted_at = now

    @staticmethod
    def last_act(pair: PeerPair, user_id: int) -> datetime:
        acted = pair.a_acted_at if pair.member_a_id == user_id else pair.b_acted_at
        return max(pair.state_since, acted) if acted else pair.state_since

    async def owing(self, s: AsyncSession, pair: PeerPair, current: PeerRound | None) -> list[int]:
        """Who still owes the action the mock is waiting for."""
        if pair.state == PairState.READY:
            return [
                uid
                for uid, at in (
                    (pair.member_a_id, pair.a_ready_at),
                    (pair.member_b_id, pair.b_ready_at),
                )
                if at is None
            ]
        if pair.state != PairState.FEEDBACK or current is None:
            return []
        owing = []
        scored = await store.scored_count(s, current.id)
        if scored < current.score_slots or current.feedback_at is None:
            owing.append(current.interviewer_id)
        if current.rated_at is None:
            owing.append(current.candidate_id)
        return owing

    async def reschedule_idle(
        self, s: AsyncSession, pair: PeerPair, current: PeerRound | None
    ) -> tuple[dict[TimerKey, datetime], list[TimerKey]]:
        key = TimerKey(IDLE, pair.id)
        due: datetime | None = None
        if pair.state == PairState.SWAP:
            due = pair.state_since + NO_SHOW_AFTER
        else:
            owing = await self.owing(s, pair, current)
            if owing:
                due = min(self.last_act(pair, u) for u in owing) + NO_SHOW_AFTER
        if due is None:
            await self.timers.cancel_in(s, key)
            return {}, [key]
        await self.timers.schedule_in(s, key, due)
        return {key: due}, []

    def question(self, question_id: str) -> Question:
        return self.banks.get(question_id) or missing_question(question_id)
