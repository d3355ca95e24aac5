"""The interview use cases: start, answer, hint, submit, skip, time out, pause, end, score.

Every operation is one database transaction, serialised per session by an in-process lock and,
on PostgreSQL, an advisory lock (several bot processes), so a double click or a deadline firing
during a submit cannot advance a session twice. Adapters
(terminal, Discord) call these methods and subscribe to events for what happens on its own
(a time-out moving to the next question, the one-minute reminder).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.follow_ups import FollowUp, FollowUpContext, FollowUpSources, OnlyDeterministic
from bot.core.formats import Length, build_format, follow_up_seconds
from bot.core.questions import Difficulty, Question, Track
from bot.core.scoring import MAX_SCORED_CHARS, hint_cap, score_for
from bot.core.selection import choose_questions
from bot.core.session import (
    ItemStatus,
    ItemView,
    Scorecard,
    SessionStatus,
    SessionView,
    phase_for,
    plan_items,
)
from bot.features.interviews import rows
from bot.features.interviews.answers import Appender
from bot.features.interviews.cursors import SessionCache
from bot.features.interviews.marking import Marking
from bot.features.interviews.snapshots import Snapshots, scored_text
from bot.features.interviews.timers import (
    ANSWER_DEADLINE,
    REMINDER,
    DeadlineKey,
    Fired,
    InterviewTimers,
)
from bot.features.interviews.types import (
    ActiveInterviewExists,
    Advance,
    AnswerSaved,
    Event,
    HintResult,
    InterviewError,
    Listener,
    NoQuestionsAvailable,
    QuestionSourceWithLookup,
    ReminderDue,
    SessionNotFound,
    SessionSummary,
    StaleAction,
    TimedOut,
)
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.locks import lock_in
from bot.storage.models import Answer, InterviewSession

MAX_PART_CHARS = 4000
# One item's answer, all parts and the follow-up reply together: no more than the scorer reads.
MAX_ANSWER_CHARS = MAX_SCORED_CHARS


def follow_ups_by_default(length: Length, mode: str) -> bool:
    """Follow-ups are on for a standard-length solo interview, off for a short one."""
    return length is Length.STANDARD and mode == "solo"


class InterviewService:
    def __init__(
        self,
        db: Database,
        bank: QuestionSourceWithLookup,
        clock: Clock,
        scheduler: Scheduler,
        *,
        rng: random.Random | None = None,
        follow_ups: FollowUpSources | None = None,
    ) -> None:
        self._db = db
        # Who picks the follow-up after a submitted answer, chosen per session (the AI
        # interviewer where it is on for the session, the bank's follow-ups elsewhere).
        self._follow_ups: FollowUpSources = follow_ups or OnlyDeterministic()
        self._bank = bank
        self._snap = Snapshots(bank)
        self._marking = Marking(self._snap)
        self._clock = clock
        self._deadlines = InterviewTimers(scheduler)
        self._rng = rng or random.Random()
        self._listeners: list[Listener] = []
        # Every state change goes through this service under the session lock, so the cache
        # is refreshed (``remember``) whenever the current item changes.
        self._cache = SessionCache(db)
        self._appender = Appender(db, self._cache, max_chars=MAX_ANSWER_CHARS)
        self._deadlines.subscribe(self._on_deadline)

    @property
    def clock(self) -> Clock:
        return self._clock

    async def timers_of_sessions_in(self, s: AsyncSession, session_ids: list[int]) -> int:
        """How many timers (time limits, reminders) these sessions still have pending."""
        return await self._deadlines.count_of_sessions(s, session_ids)

    async def drop_timers_of_sessions_in(self, s: AsyncSession, session_ids: list[int]) -> None:
        """Delete these sessions' timers in the caller's transaction (their rows are going)."""
        await self._deadlines.cancel_sessions_in(s, session_ids)

    @property
    def scheduler(self) -> Scheduler:
        """The process's scheduler, on which other features put their own timers."""
        return self._deadlines.scheduler

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def forget_sessions(self, session_ids: Iterable[int]) -> None:
        """Drop cached state of sessions deleted from the database (privacy deletion)."""
        for session_id in session_ids:
            self._cache.forget(session_id)

    # -- users ------------------------------------------------------------------------------

    async def ensure_user(self, platform: str, external_id: str, display_name: str = "") -> int:
        """The member's users.id, created on first sight. A member already known under the
        same name is found on a reader: the single SQLite writer is taken only to write."""
        async with self._db.reading() as s:
            known = await rows.known_user(s, platform, external_id, display_name)
        if known is not None:
            return known
        async with self._db.transaction() as s:
            return await rows.ensure_user(s, platform, external_id, display_name, self._clock.now())

    # -- starting ---------------------------------------------------------------------------

    async def open_session(self, user_id: int) -> SessionView | None:
        async with self._db.reading() as s:
            row = await rows.open_row(s, user_id)
            return None if row is None else self._snap.view(row)

    async def start(
        self,
        user_id: int,
        track: Track,
        length: Length = Length.STANDARD,
        *,
        platform: str,
        topic: str | None = None,
        difficulty: Difficulty | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        questions: int | None = None,
        bank: QuestionSourceWithLookup | None = None,
        fixed_questions: Sequence[Question] | None = None,
        mode: str = "solo",
        follow_ups: bool | None = None,
    ) -> SessionView:
        """Start a timed session; ``fixed_questions`` skips selection (peer mocks pick theirs).

        ``follow_ups``: ask a follow-up after each submitted answer; ``None`` is the default
        for the length (``follow_ups_by_default``)."""
        if follow_ups is None:
            follow_ups = follow_ups_by_default(length, mode)
        source = bank if bank is not None else self._bank
        fmt = build_format(track, length, questions=questions)
        if fixed_questions is not None:
            chosen = list(fixed_questions)
        else:
            # Choosing reads and computes only: outside the write transaction, so the single
            # SQLite writer is held for the insert alone.
            async with self._db.reading() as s:
                recent = await rows.recent_question_ids(s, user_id, track)
            chosen = choose_questions(
                source, fmt, topic=topic, difficulty=difficulty, recent_ids=recent, rng=self._rng
            )
        async with self._db.transaction() as s:
            # Two starts from one member may reach two processes: one opens the session, the
            # other then reads it here (PostgreSQL; SQLite has one writer and one process).
            await lock_in(s, "interview.user", user_id)
            existing = await rows.open_row(s, user_id)
            if existing is not None:
                raise ActiveInterviewExists(self._snap.view(existing))
            if not chosen:
                raise NoQuestionsAvailable.matching(track, topic, difficulty)
            now = self._clock.now()
            row = rows.new_session(
                user_id,
                platform,
                mode,
                guild_id,
                channel_id,
                track,
                length,
                topic,
                difficulty,
                plan_items(chosen, fmt),
                now,
                follow_ups=follow_ups,
            )
            s.add(row)
            await s.flush()
            scheduled = await self._ask(s, row, 0, now)
            view = self._snap.view(row)  # built from the rows just written: no read back
        self._cache.remember(row)
        self._deadlines.committed(scheduled, ())
        self._marking.prepare(a.question_id for a in row.answers)
        return view

    async def record_result(
        self,
        user_id: int,
        question: Question,
        answer_text: str,
        *,
        mode: str,
        platform: str = "discord",
        guild_id: int | None = None,
        channel_id: int | None = None,
        peer_score: int | None = None,
        started_at: datetime | None = None,
    ) -> int:
        """Store a one-question result answered outside a timed session (a practice round, a
        panel answer): scored automatically, with an optional peer score. Returns its id."""
        now = self._clock.now()
        async with self._db.transaction() as s:
            row = rows.one_answer_session(
                user_id,
                question,
                answer_text,
                platform,
                mode,
                guild_id,
                channel_id,
                peer_score,
                started_at or now,
                now,
            )
            answer = row.answers[0]
            s.add(row)
            self._marking.score(answer, ItemStatus.SUBMITTED, now)
            self._marking.close(row, SessionStatus.FINISHED, now)
            await s.flush()
            return row.id

    async def set_channel(
        self, session_id: int, guild_id: int | None, channel_id: int | None
    ) -> None:
        async with self._db.transaction() as s:  # one UPDATE: no load of the session
            found = await s.execute(
                update(InterviewSession)
                .where(InterviewSession.id == session_id)
                .values(guild_id=guild_id, channel_id=channel_id)
                .execution_options(synchronize_session=False)
            )
            if not getattr(found, "rowcount", 1):
                raise SessionNotFound("That interview no longer exists.")

    # -- reading ----------------------------------------------------------------------------

    async def view(self, session_id: int) -> SessionView:
        async with self._db.reading() as s:
            return self._snap.view(await rows.session_row(s, session_id))

    async def scorecard(self, session_id: int) -> Scorecard:
        async with self._db.reading() as s:
            return self._snap.scorecard(await rows.session_row(s, session_id))

    async def current_position(self, session_id: int, user_id: int) -> int | None:
        """The open item's position if ``user_id`` owns the session; cached, so a button click
        can be checked without touching the database. Raises NotYourInterview otherwise."""
        return await self._cache.position(session_id, user_id, self.view)

    async def history(self, user_id: int, limit: int = 20) -> list[SessionSummary]:
        async with self._db.reading() as s:
            return await rows.summaries(s, user_id, limit)

    # -- answering --------------------------------------------------------------------------

    async def add_answer(
        self, session_id: int, text: str, *, position: int | None = None
    ) -> AnswerSaved:
        """Append a part to the current answer; returns once it is committed."""
        text = text.strip("\n")
        if not text.strip():
            raise InterviewError("That answer was empty: nothing was added.")
        if len(text) > MAX_PART_CHARS:
            raise InterviewError(f"An answer part can hold at most {MAX_PART_CHARS} characters.")
        return await self._appender.append(session_id, text, position, self._clock.now())

    async def hint(self, session_id: int, *, position: int | None = None) -> HintResult:
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            answer = rows.current_answer(row, position)
            question = self._snap.question(answer.question_id)
            hints = question.hints
            if answer.hints_used >= len(hints):
                return HintResult(None, answer.hints_used, hint_cap(answer.hints_used), len(hints))
            text = hints[answer.hints_used]
            answer.hints_used += 1
            return HintResult(text, answer.hints_used, hint_cap(answer.hints_used), len(hints))

    async def submit(
        self, session_id: int, *, position: int | None = None, on_follow_up: bool | None = None
    ) -> Advance:
        """Submit the current item. ``on_follow_up``: whether the click came from the
        follow-up's message (True) or the question's (False); a click from the question's
        message once a follow-up was asked is refused, so the follow-up is never passed
        unseen (None: not known, no check)."""
        return await self._finish_current(
            session_id, ItemStatus.SUBMITTED, position, on_follow_up=on_follow_up
        )

    async def skip(
        self, session_id: int, *, position: int | None = None, on_follow_up: bool | None = None
    ) -> Advance:
        """Skip the question; during a follow-up, skip only the follow-up: the item is then
        scored on the first answer alone, without penalty (``on_follow_up`` as for submit)."""
        return await self._finish_current(
            session_id, ItemStatus.SKIPPED, position, on_follow_up=on_follow_up
        )

    async def end(self, session_id: int) -> Scorecard:
        """End early: score what was written for the current item, the rest is not reached."""
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            if not SessionStatus(row.status).is_open:
                return self._snap.scorecard(row)
            now = self._clock.now()
            cancelled = self._marking.close_open_items(row, now)
            row.ended_early = True
            self._marking.close(row, SessionStatus.FINISHED, now)
            await self._deadlines.cancel_in(s, cancelled)
            card = self._snap.scorecard(row)
        self._deadlines.committed({}, cancelled)
        return card

    async def abandon(self, session_id: int) -> None:
        """Give up an unfinished session (the user chose to start afresh); answers are kept."""
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            if not SessionStatus(row.status).is_open:
                return
            now = self._clock.now()
            cancelled = self._marking.close_open_items(row, now)
            self._marking.close(row, SessionStatus.ABANDONED, now)
            await self._deadlines.cancel_in(s, cancelled)
        self._deadlines.committed({}, cancelled)

    async def pause(self, session_id: int) -> None:
        """Stop the clock (terminal Ctrl-C): the remaining time is kept for ``resume``."""
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            if row.status != SessionStatus.ACTIVE:
                return
            answer = row.answers[row.current_position]
            now = self._clock.now()
            cancelled = self._deadlines.keys(row.id, answer.position)
            if answer.status == ItemStatus.ACTIVE and answer.deadline_at is not None:
                answer.remaining_seconds = max(0.0, (answer.deadline_at - now).total_seconds())
                answer.status = ItemStatus.PAUSED.value
                answer.deadline_at = None
            row.status = SessionStatus.PAUSED.value
            await self._deadlines.cancel_in(s, cancelled)
        self._deadlines.committed({}, cancelled)

    async def resume(self, session_id: int) -> SessionView:
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            scheduled: dict[DeadlineKey, datetime] = {}
            if row.status == SessionStatus.PAUSED:
                answer = row.answers[row.current_position]
                row.status = SessionStatus.ACTIVE.value
                if answer.status == ItemStatus.PAUSED:
                    remaining = answer.remaining_seconds or 0.0
                    answer.status = ItemStatus.ACTIVE.value
                    answer.remaining_seconds = None
                    scheduled = await self._set_deadline(
                        s, row.id, answer, self._clock.now() + timedelta(seconds=remaining)
                    )
            view = self._snap.view(row)
        self._cache.remember(row)
        self._deadlines.committed(scheduled, ())
        self._marking.prepare(a.question_id for a in row.answers)
        return view

    async def set_self_score(self, session_id: int, position: int, score: int) -> Scorecard:
        return await self._set_human_score(session_id, position, score, peer=False)

    async def set_peer_score(self, session_id: int, position: int, score: int) -> Scorecard:
        return await self._set_human_score(session_id, position, score, peer=True)

    # -- deadlines --------------------------------------------------------------------------

    async def _on_deadline(self, fired: Fired) -> None:
        key = fired.key
        if key.kind == REMINDER:
            view = await self._reminder_view(key.session_id, key.position)
            if view is not None:
                await self._emit(ReminderDue(key.session_id, view))
            return
        if key.kind != ANSWER_DEADLINE:
            return
        try:
            advance = await self._finish_current(
                key.session_id, ItemStatus.TIMED_OUT, key.position, only_if_due=True
            )
        except (StaleAction, SessionNotFound):
            return  # already answered, skipped or ended: nothing to do (idempotent)
        await self._emit(
            TimedOut(key.session_id, advance.finished_item, advance.next_item, advance.scorecard)
        )

    async def _reminder_view(self, session_id: int, position: int) -> ItemView | None:
        async with self._db.reading() as s:
            found = await rows.still_asking(s, session_id, position)
            return None if found is None else self._snap.item_view(*found)

    async def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            await listener(event)

    # -- internals --------------------------------------------------------------------------

    @asynccontextmanager
    async def _locked_unit(self, session_id: int) -> AsyncIterator[AsyncSession]:
        """Serialise per session, across processes too (see cursors.SessionCache.unit)."""
        async with self._cache.unit(session_id) as s:
            yield s

    async def _finish_current(
        self,
        session_id: int,
        status: ItemStatus,
        position: int | None,
        *,
        only_if_due: bool = False,
        on_follow_up: bool | None = None,
    ) -> Advance:
        async with self._cache.lock(session_id):
            self._cache.cursors.pop(session_id, None)
            follow_up = None
            if status is ItemStatus.SUBMITTED:
                # Decided before the write transaction: an adaptive source may take a while.
                follow_up = await self._follow_up_for(session_id, position)
            async with self._cache.transaction_under_lock(session_id) as s:
                row = await rows.session_row(s, session_id)
                answer = rows.current_answer(row, position)
                now = self._clock.now()
                if only_if_due and (answer.deadline_at is None or answer.deadline_at > now):
                    raise StaleAction("deadline moved")
                _check_stage(answer, on_follow_up)
                cancelled = self._deadlines.keys(row.id, answer.position)
                await self._deadlines.cancel_in(s, cancelled)
                if follow_up is not None and answer.follow_up is None:
                    # The item stays open for the reply; cache and timers learn of it only
                    # after the commit, as on every other path.
                    scheduled = await self._ask_follow_up(s, row.id, answer, follow_up, now)
                    result = Advance(
                        self._snap.scorecard_item(answer), self._snap.item_view(row, answer), None
                    )
                else:
                    scheduled, result = await self._score_and_advance(s, row, answer, status, now)
            self._cache.remember(row)
        self._deadlines.committed(scheduled, cancelled)
        return result

    async def _score_and_advance(
        self,
        s: AsyncSession,
        row: InterviewSession,
        answer: Answer,
        status: ItemStatus,
        now: datetime,
    ) -> tuple[dict[DeadlineKey, datetime], Advance]:
        """Score the current item and open the next one (or close the session)."""
        if status is ItemStatus.SKIPPED and answer.follow_up is not None:
            answer.follow_up_skipped = True  # skip the follow-up, keep the answer
            status = ItemStatus.SUBMITTED
        self._marking.score(answer, status, now)
        finished = self._snap.scorecard_item(answer)
        nxt = answer.position + 1
        if nxt < len(row.answers):
            scheduled = await self._ask(s, row, nxt, now)
            return scheduled, Advance(finished, self._snap.item_view(row, row.answers[nxt]), None)
        self._marking.close(row, SessionStatus.FINISHED, now)
        return {}, Advance(finished, None, self._snap.scorecard(row))

    async def _follow_up_for(self, session_id: int, position: int | None) -> FollowUp | None:
        """The follow-up to ask now that the current answer is submitted, if any: only when
        the session has follow-ups on, none was asked on this item yet, and it has text."""
        if self._cache.follow_ups.get(session_id) is False:
            return None  # off for this session (most short ones): no read before the write
        async with self._db.reading() as s:
            row = await rows.session_row(s, session_id)
            answer = rows.current_answer(row, position)
            if not row.follow_ups or answer.follow_up is not None:
                return None
            text = scored_text(answer)
            if not text.strip():
                return None
            question = self._snap.question(answer.question_id)
            phase = phase_for(question, answer.phase)
            name = phase.name if phase else None
            asked = {
                a.follow_up for a in row.answers if a.follow_up and a.question_id == question.id
            }
            result = score_for(question, text, phase=name, hints_used=answer.hints_used)
            context = FollowUpContext(row.id, row.user_id, row.platform, row.guild_id)
        source = await self._follow_ups.source_for(context)
        return await source.follow_up(question, name, text, result, asked=asked)

    async def _ask_follow_up(
        self, s: AsyncSession, session_id: int, answer: Answer, follow_up: FollowUp, now: datetime
    ) -> dict[DeadlineKey, datetime]:
        """Keep the item open for the reply: it extends the same answer, and gets the item's
        remaining time plus the follow-up allowance (``bot.core.formats.follow_up_seconds``)."""
        answer.follow_up = follow_up.text
        answer.follow_up_by = follow_up.asked_by
        answer.follow_up_unavailable = follow_up.unavailable or None
        answer.follow_up_from = len(answer.parts)
        remaining = (answer.deadline_at - now).total_seconds() if answer.deadline_at else 0.0
        deadline = now + timedelta(seconds=follow_up_seconds(remaining))
        return await self._set_deadline(s, session_id, answer, deadline)

    async def _ask(
        self, s: AsyncSession, row: InterviewSession, position: int, now: datetime
    ) -> dict[DeadlineKey, datetime]:
        answer = row.answers[position]
        row.current_position = position
        answer.status = ItemStatus.ACTIVE.value
        answer.asked_at = now
        return await self._set_deadline(s, row.id, answer, now + timedelta(minutes=answer.minutes))

    async def _set_deadline(
        self, s: AsyncSession, session_id: int, answer: Answer, deadline: datetime
    ) -> dict[DeadlineKey, datetime]:
        answer.deadline_at = deadline
        now = self._clock.now()
        scheduled = self._deadlines.for_item(session_id, answer.position, deadline, now)
        await self._deadlines.schedule_in(s, scheduled)
        return scheduled

    async def _set_human_score(
        self, session_id: int, position: int, score: int, *, peer: bool
    ) -> Scorecard:
        if score not in (1, 2, 3, 4):
            raise InterviewError("A score is 1 (Strong No Hire) to 4 (Strong Hire).")
        async with self._locked_unit(session_id) as s:
            row = await rows.session_row(s, session_id)
            self._marking.human_score(row, position, score, peer=peer)
            return self._snap.scorecard(row)


def _check_stage(answer: Answer, on_follow_up: bool | None) -> None:
    """Refuse a click from the question's message once its follow-up was asked (a double
    click on Next, the second arriving after the first asked it), and one from a follow-up's
    message that is not the current follow-up."""
    if on_follow_up is None:
        return
    asked = answer.follow_up is not None
    if asked and not on_follow_up:
        raise InterviewError(
            "The interviewer asked a follow-up on this question: reply with **Answer** on it, "
            "or press **Skip follow-up**."
        )
    if on_follow_up and not asked:
        raise StaleAction("no follow-up is open")
