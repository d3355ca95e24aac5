"""Study-group practice rounds and panels: start, answer, reveal, vote, score, close.

Every operation is one transaction on the practice tables with the round row locked (shared by
answers, votes and ballots, exclusive for stage changes), so nothing is accepted after a stage
changed. Answers, votes and ballots are unique per member (see ``writes``): 30 members
submitting in the same second store 30 answers, and a double click stores nothing twice.

Automatic steps (time-up reveal, end of voting/scoring) run as ``practice.round`` jobs of the
shared scheduler, one per round, kept at ``practice_rounds.due_at``. After each stage change
the service stores the results (once per answer, through ``InterviewService.record_result``, so
they count in stats) and hands an ``Announcement`` to its listeners (the Discord adapter posts
it). A stage is marked announced only after the listeners succeeded, so a crash or a Discord
failure is retried (with the scheduler's backoff), not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.practice_rounds import (
    MAX_PART_CHARS,
    MAX_ROUND_MINUTES,
    POINT_SCORES,
    SCORING_MINUTES,
    VOTING_MINUTES,
    PanelResults,
    RoundKind,
    RoundResults,
    RoundReveal,
    RoundStatus,
    RoundView,
    choose_question,
    default_minutes,
    judging_status,
    stages_to_announce,
)
from bot.core.questions import Question, Track, missing_question
from bot.features.interviews.service import InterviewService
from bot.features.practice_rounds import store, writes
from bot.features.practice_rounds.models import PracticeRound
from bot.features.practice_rounds.results import record_results, results_due
from bot.features.practice_rounds.types import (
    Announcement,
    AnswerSaved,
    BallotProgress,
    GuildBanks,
    Listener,
    NoQuestions,
    NotAllowed,
    RoundError,
    RoundNotFound,
    RoundNotOpen,
    RoundRunning,
    VoteSaved,
)
from bot.scheduler import Due, Job
from bot.storage.database import Database

GONE = "That practice round no longer exists."


JOB = "practice.round"  # scheduler job kind; key: the round id


class PracticeRoundService:
    def __init__(
        self,
        db: Database,
        banks: GuildBanks,
        clock: Clock,
        interviews: InterviewService,
        *,
        rng: random.Random | None = None,
        platform: str = "discord",
        voting_minutes: int = VOTING_MINUTES,
        scoring_minutes: int = SCORING_MINUTES,
    ) -> None:
        self._db = db
        self._banks = banks
        self._clock = clock
        self._interviews = interviews
        self._rng = rng or random.Random()
        self._platform = platform
        self._judging = {
            RoundKind.ROUND: timedelta(minutes=voting_minutes),
            RoundKind.PANEL: timedelta(minutes=scoring_minutes),
        }
        self._dialect = db.engine.dialect.name
        self._listeners: list[Listener] = []
        self._locks: weakref.WeakValueDictionary[object, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._scheduler = interviews.scheduler  # the process's one scheduler

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        """Take the rounds' jobs on; every round that needs a timed step or an announcement
        gets its job (idempotent), so what fell due while we were down runs at once."""
        self._scheduler.handle(JOB, self._on_job)
        async with self._db.reading() as s:
            waiting = await store.rounds_waiting(s)
        for round_id in waiting:
            await self._sync_job(round_id)

    async def stop(self) -> None:
        self._scheduler.unhandle(JOB)

    async def settled(self) -> None:
        """Return once every step due now has run (tests, after advancing a fake clock)."""
        await self._scheduler.settled()

    async def schema_ready(self) -> bool:
        """False while the database lacks the practice tables (migrations not run yet)."""
        async with self._db.engine.connect() as conn:
            return bool(
                await conn.run_sync(lambda c: inspect(c).has_table(PracticeRound.__tablename__))
            )

    # -- starting ---------------------------------------------------------------------------

    async def start_round(
        self,
        kind: RoundKind,
        *,
        guild_id: int,
        channel_id: int,
        starter_id: int,
        track: Track,
        topic: str | None = None,
        minutes: int | None = None,
        candidate_id: int | None = None,
    ) -> RoundView:
        """Open a round (or a panel for ``candidate_id``) in a channel that has none running;
        raises RoundRunning with the running one otherwise."""
        if kind is RoundKind.PANEL and candidate_id is None:
            raise RoundError("A panel needs a member to answer.")
        if minutes is not None and not 1 <= minutes <= MAX_ROUND_MINUTES:
            raise RoundError(f"A round lasts 1 to {MAX_ROUND_MINUTES} minutes.")
        candidates = self._banks.for_guild(guild_id).select(track, [topic] if topic else None)
        now = self._clock.now()
        try:
            async with self._db.transaction() as s:
                running = await store.running_in(s, channel_id)
                if running is not None:
                    raise RoundRunning(await store.round_view(s, running, self._banks.get))
                recent = await store.recent_question_ids(s, guild_id)
                question = choose_question(candidates, recent, self._rng)
                if question is None:
                    where = f"track {track.value}" + (f", topic {topic}" if topic else "")
                    raise NoQuestions(f"No questions match {where} in this server's bank.")
                due = now + timedelta(minutes=minutes or default_minutes(question))
                row = PracticeRound(
                    kind=kind.value,
                    status=RoundStatus.ANSWERING.value,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    active_channel_id=channel_id,
                    question_id=question.id,
                    track=question.track.value,
                    topic=topic,
                    minutes=minutes or default_minutes(question),
                    starter_id=starter_id,
                    candidate_id=candidate_id,
                    started_at=now,
                    answer_due_at=due,
                    due_at=due,
                    announced=RoundStatus.ANSWERING.value,
                )
                s.add(row)
                await s.flush()  # a concurrent start in this channel fails here
                await self._scheduler.schedule_in(s, [Due(JOB, str(row.id), due)])
                view = await store.round_view(s, row, self._banks.get)
        except IntegrityError:
            async with self._db.reading() as s:
                other = await store.running_in(s, channel_id)
                if other is None:
                    raise
                raise RoundRunning(await store.round_view(s, other, self._banks.get)) from None
        self._scheduler.poke()
        return view

    async def attach_messages(
        self, round_id: int, *, message_id: int | None = None, thread_id: int | None = None
    ) -> None:
        """Remember where the round lives in Discord (the question message, the thread)."""
        values = {
            k: v for k, v in (("message_id", message_id), ("thread_id", thread_id)) if v is not None
        }
        if values:
            async with self._db.transaction() as s:
                await s.execute(
                    update(PracticeRound).where(PracticeRound.id == round_id).values(**values)
                )

    async def cancel(self, round_id: int) -> None:
        """The question could not be posted: free the channel, keep nothing running."""
        async with self._lock(round_id), self._locked(round_id, exclusive=True) as (_, row):
            if row.status == RoundStatus.ANSWERING:
                writes.finish(row, RoundStatus.CANCELLED, self._clock.now())
                row.announced = RoundStatus.CANCELLED.value
        await self._sync_job(round_id)

    # -- reading ----------------------------------------------------------------------------

    async def view(self, round_id: int) -> RoundView:
        async with self._db.reading() as s:
            return await store.round_view(s, await self._row(s, round_id), self._banks.get)

    async def running_in(self, channel_id: int) -> RoundView | None:
        """The open round of this channel (or of its round thread), if any."""
        async with self._db.reading() as s:
            row = await store.running_in(s, channel_id)
            return None if row is None else await store.round_view(s, row, self._banks.get)

    async def reveal_data(self, round_id: int) -> RoundReveal:
        async with self._db.reading() as s:
            return await store.reveal_data(s, await self._row(s, round_id), self._banks.get)

    async def results(self, round_id: int) -> RoundResults:
        async with self._db.reading() as s:
            return await store.results(s, await self._row(s, round_id), self._banks.get)

    async def panel_results(self, round_id: int) -> PanelResults:
        async with self._db.reading() as s:
            return await store.panel_results(s, await self._row(s, round_id), self._banks.get)

    async def ballot(self, round_id: int, scorer_id: int) -> list[int | None]:
        """A scorer's ballot so far (None for points not scored yet)."""
        async with self._db.reading() as s:
            points = len(self._question(await self._row(s, round_id)).rubric)
            return await store.ballot_of(s, round_id, scorer_id, points)

    async def helpful_votes(self, guild_id: int) -> dict[int, int]:
        """Votes received per user over the guild's closed rounds (for the leaderboard)."""
        async with self._db.reading() as s:
            return await store.helpful_votes(s, guild_id)

    # -- answering, voting, scoring ----------------------------------------------------------

    async def add_answer(self, round_id: int, user_id: int, text: str) -> AnswerSaved:
        """Append a part to the member's answer (one answer per member; parts in order)."""
        text = text.strip("\n")
        if not text.strip():
            raise RoundError("That answer was empty: nothing was added.")
        if len(text) > MAX_PART_CHARS:
            raise RoundError(f"An answer part can hold at most {MAX_PART_CHARS} characters.")
        for attempt in range(3):
            try:
                async with self._locked(round_id, user_id) as (s, row):
                    now = self._clock.now()
                    return await writes.append_part(s, self._dialect, row, user_id, text, now)
            except IntegrityError:  # another process appended the same part number first
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def vote(self, round_id: int, voter_id: int, answer_id: int) -> VoteSaved:
        """One vote per member per round; voting again moves it. Never for your own answer."""
        async with self._locked(round_id, voter_id) as (s, row):
            now = self._clock.now()
            return await writes.cast_vote(s, self._dialect, row, voter_id, answer_id, now)

    async def score_point(
        self, round_id: int, scorer_id: int, index: int, score: int
    ) -> BallotProgress:
        """Set one rubric point on the scorer's ballot (one ballot per member; a new score for
        the same point replaces the old one)."""
        if score not in POINT_SCORES:
            raise RoundError("A rubric point is scored 1 to 4.")
        async with self._locked(round_id, scorer_id) as (s, row):
            points = len(self._question(row).rubric)
            now = self._clock.now()
            return await writes.set_point(
                s, self._dialect, row, points, scorer_id, index, score, now
            )

    # -- stage changes ----------------------------------------------------------------------

    async def reveal(self, round_id: int) -> RoundView:
        """End answering now: reveal a round's answers, or open a panel's scoring."""
        try:
            async with self._lock(round_id):
                async with self._locked(round_id, exclusive=True) as (s, row):
                    if row.status != RoundStatus.ANSWERING:
                        raise RoundNotOpen("The answers of this round are already revealed.")
                    await self._end_answering(s, row)
                await self._announce(round_id)
        finally:
            await self._sync_job(round_id)  # a new due time; or a failed announcement to retry
        return await self.view(round_id)

    async def close(self, round_id: int) -> RoundView:
        """End voting or scoring now and store the results."""
        try:
            async with self._lock(round_id):
                async with self._locked(round_id, exclusive=True) as (s, row):
                    if row.status == RoundStatus.ANSWERING:
                        raise RoundNotOpen(
                            "This round is still taking answers: use /practice reveal first."
                        )
                    if row.status != judging_status(RoundKind(row.kind)):
                        raise RoundNotOpen("This round is already closed.")
                    await writes.close(s, row, self._clock.now())
                await self._announce(round_id)
        finally:
            await self._sync_job(round_id)
        return await self.view(round_id)

    async def _end_answering(self, s: AsyncSession, row: PracticeRound) -> None:
        judging = self._judging[RoundKind(row.kind)]
        await writes.end_answering(s, row, self._clock.now(), judging)

    # -- the timer and announcements ---------------------------------------------------------

    async def _sync_job(self, round_id: int) -> None:
        """Give the round the job it needs now: at its due time, now (an announcement still to
        show), or none."""
        async with self._db.transaction() as s:
            due = await store.next_step_at(s, round_id, self._clock.now())
            if due is None:
                await self._scheduler.cancel_in(s, JOB, [str(round_id)])
            else:
                await self._scheduler.schedule_in(s, [Due(JOB, str(round_id), due)])
        self._scheduler.poke()

    async def _on_job(self, job: Job) -> None:
        round_id = int(job.key)
        try:
            await self._on_due(round_id)
        except RoundNotFound:
            return  # deleted meanwhile: nothing left to do
        await self._sync_job(round_id)  # the next step's time, if the stage moved on

    async def _on_due(self, round_id: int) -> None:
        async with self._lock(round_id):
            async with self._locked(round_id, exclusive=True) as (s, row):
                now = self._clock.now()
                due = row.due_at is not None and row.due_at <= now
                if due and row.status == RoundStatus.ANSWERING:
                    await self._end_answering(s, row)
                elif due and RoundStatus(row.status).is_open:
                    await writes.close(s, row, now)
                elif due:
                    row.due_at = None
            await self._announce(round_id)

    async def _announce(self, round_id: int) -> None:
        """Store results for the stages reached, tell the listeners, then mark them shown.
        Runs under the round's lock; safe to repeat after a failure."""
        async with self._db.reading() as s:
            row = await self._row(s, round_id)
            stages = stages_to_announce(
                RoundKind(row.kind), RoundStatus(row.announced), RoundStatus(row.status)
            )
            if not stages:
                return
            view = await store.round_view(s, row, self._banks.get)
        if results_due(view):
            await record_results(self._db, self._interviews, view, platform=self._platform)
        announcement = Announcement(view, stages)
        for listener in list(self._listeners):
            await listener(announcement)
        async with self._db.transaction() as s:
            await s.execute(
                update(PracticeRound)
                .where(PracticeRound.id == round_id)
                .values(announced=view.status.value)
            )

    # -- helpers ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _locked(
        self, round_id: int, member: int | None = None, *, exclusive: bool = False
    ) -> AsyncIterator[tuple[AsyncSession, PracticeRound]]:
        """A transaction with the round row locked (shared, or exclusive for stage changes).
        With ``member``, this process's calls for that member also wait for each other, so a
        double click queues instead of racing."""
        async with contextlib.AsyncExitStack() as stack:
            if member is not None:
                await stack.enter_async_context(self._lock((round_id, member)))
            s = await stack.enter_async_context(self._db.transaction())
            row = await store.locked_round(s, round_id, shared=not exclusive)
            if row is None:
                raise RoundNotFound(GONE)
            yield s, row

    async def _row(self, s: AsyncSession, round_id: int) -> PracticeRound:
        row = await s.get(PracticeRound, round_id, populate_existing=True)
        if row is None:
            raise RoundNotFound(GONE)
        return row

    def _question(self, row: PracticeRound) -> Question:
        return self._banks.get(row.question_id) or missing_question(
            row.question_id, Track(row.track)
        )

    def _lock(self, key: object) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock


__all__ = [
    "Announcement",
    "AnswerSaved",
    "BallotProgress",
    "NoQuestions",
    "NotAllowed",
    "PracticeRoundService",
    "RoundError",
    "RoundNotFound",
    "RoundNotOpen",
    "RoundRunning",
    "VoteSaved",
]
