"""The interview use cases: start, answer, hint, submit, skip, time out, pause, end, score.

Every operation is one database transaction, serialised per session by an in-process lock, so a
double click or a deadline firing during a submit cannot advance a session twice. Adapters
(terminal, Discord) call these methods and subscribe to events for what happens on its own
(a time-out moving to the next question, the one-minute reminder).
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.core.clock import Clock
from bot.core.formats import Length, build_format
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.core.scoring import Score, hint_cap, score_answer
from bot.core.selection import RECENT_SESSIONS, QuestionSource, choose_questions
from bot.core.session import (
    ItemStatus,
    ItemView,
    Scorecard,
    ScorecardItem,
    SessionStatus,
    SessionView,
    phase_for,
    plan_items,
)
from bot.features.interviews.answers import AnswerPartWriter
from bot.features.interviews.timers import DeadlineKey, Fired, InterviewTimers
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.models import Answer, AnswerPart, InterviewSession, User

ANSWER_DEADLINE = "answer"
REMINDER = "reminder"
REMINDER_BEFORE = timedelta(minutes=1)
MAX_PART_CHARS = 4000


class InterviewError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


class ActiveInterviewExists(InterviewError):
    def __init__(self, session: SessionView) -> None:
        super().__init__("You already have an interview in progress.")
        self.session = session


class NoQuestionsAvailable(InterviewError):
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


@dataclass(frozen=True, slots=True)
class AnswerSaved:
    session_id: int
    position: int
    parts: int
    characters: int


@dataclass(slots=True)
class _Cursor:
    """Where the next answer part of an active item goes; cached so appends need no read."""

    answer_id: int
    position: int
    next_part: int
    chars: int


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


Event = TimedOut | ReminderDue
Listener = Callable[[Event], Awaitable[None]]


class InterviewService:
    def __init__(
        self,
        db: Database,
        bank: QuestionSourceWithLookup,
        clock: Clock,
        scheduler: Scheduler,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._bank = bank
        self._clock = clock
        self._deadlines = InterviewTimers(scheduler, (ANSWER_DEADLINE, REMINDER))
        self._rng = rng or random.Random()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._listeners: list[Listener] = []
        # Every state change goes through this service under the session lock, so the cache
        # is refreshed (by _remember) whenever the current item changes.
        self._cursors: dict[int, _Cursor] = {}
        self._owners: dict[int, int] = {}  # session -> user; never changes once created
        self._writer = AnswerPartWriter(db)
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
            self._cursors.pop(session_id, None)
            self._owners.pop(session_id, None)

    # -- users ------------------------------------------------------------------------------

    async def ensure_user(self, platform: str, external_id: str, display_name: str = "") -> int:
        async with self._db.transaction() as s:
            user = await s.scalar(
                select(User).where(User.platform == platform, User.external_id == external_id)
            )
            if user is None:
                user = User(
                    platform=platform,
                    external_id=external_id,
                    display_name=display_name[:100],
                    created_at=self._clock.now(),
                )
                s.add(user)
                await s.flush()
            elif display_name and user.display_name != display_name[:100]:
                user.display_name = display_name[:100]
            return user.id

    # -- starting ---------------------------------------------------------------------------

    async def open_session(self, user_id: int) -> SessionView | None:
        async with self._db.reading() as s:
            row = await self._open_row(s, user_id)
            return None if row is None else self._view(row)

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
    ) -> SessionView:
        """Start a timed session; ``fixed_questions`` skips selection (peer mocks pick theirs)."""
        source = bank if bank is not None else self._bank
        fmt = build_format(track, length, questions=questions)
        async with self._db.transaction() as s:
            existing = await self._open_row(s, user_id)
            if existing is not None:
                raise ActiveInterviewExists(self._view(existing))
            if fixed_questions is not None:
                chosen = list(fixed_questions)
            else:
                recent = await self._recent_question_ids(s, user_id, track)
                chosen = choose_questions(
                    source,
                    fmt,
                    topic=topic,
                    difficulty=difficulty,
                    recent_ids=recent,
                    rng=self._rng,
                )
            if not chosen:
                raise NoQuestionsAvailable(_no_questions_message(track, topic, difficulty))
            now = self._clock.now()
            row = InterviewSession(
                user_id=user_id,
                platform=platform,
                mode=mode,
                guild_id=guild_id,
                channel_id=channel_id,
                track=track.value,
                length=length.value,
                topic_filter=topic,
                difficulty_filter=difficulty.value if difficulty else None,
                status=SessionStatus.ACTIVE.value,
                current_position=0,
                started_at=now,
            )
            row.answers = [
                Answer(
                    position=i,
                    question_id=item.question.id,
                    phase=item.phase.name if item.phase else None,
                    minutes=item.minutes,
                    status=ItemStatus.PENDING.value,
                    hints_used=0,
                    covered_points=[],
                    missed_points=[],
                    parts=[],
                )
                for i, item in enumerate(plan_items(chosen, fmt))
            ]
            s.add(row)
            await s.flush()
            scheduled = await self._ask(s, row, 0, now)
        self._remember(row)
        self._deadlines.committed(scheduled, ())
        return await self.view(row.id)

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
            row = InterviewSession(
                user_id=user_id,
                platform=platform,
                mode=mode,
                guild_id=guild_id,
                channel_id=channel_id,
                track=question.track.value,
                length=Length.SHORT.value,
                status=SessionStatus.ACTIVE.value,
                current_position=0,
                started_at=started_at or now,
            )
            answer = Answer(
                position=0,
                question_id=question.id,
                phase=None,
                minutes=question.minutes,
                status=ItemStatus.ACTIVE.value,
                hints_used=0,
                covered_points=[],
                missed_points=[],
                asked_at=started_at or now,
                peer_score=peer_score,
                parts=[AnswerPart(position=0, text=answer_text, created_at=now)]
                if answer_text.strip()
                else [],
            )
            row.answers = [answer]
            s.add(row)
            self._score(answer, ItemStatus.SUBMITTED, now)
            self._close(row, SessionStatus.FINISHED, now)
            await s.flush()
            return row.id

    async def set_channel(
        self, session_id: int, guild_id: int | None, channel_id: int | None
    ) -> None:
        async with self._db.transaction() as s:
            row = await self._row(s, session_id)
            row.guild_id, row.channel_id = guild_id, channel_id

    # -- reading ----------------------------------------------------------------------------

    async def view(self, session_id: int) -> SessionView:
        async with self._db.reading() as s:
            return self._view(await self._row(s, session_id))

    async def scorecard(self, session_id: int) -> Scorecard:
        async with self._db.reading() as s:
            return self._scorecard(await self._row(s, session_id))

    async def current_position(self, session_id: int, user_id: int) -> int | None:
        """The open item's position if ``user_id`` owns the session; cached, so a button click
        can be checked without touching the database. Raises NotYourInterview otherwise."""
        owner = self._owners.get(session_id)
        cursor = self._cursors.get(session_id)
        if owner is None or cursor is None:
            view = await self.view(session_id)
            owner = self._owners[session_id] = view.user_id
            position = (
                view.current.position
                if view.current and view.current.status is ItemStatus.ACTIVE
                else None
            )
        else:
            position = cursor.position
        if owner != user_id:
            raise NotYourInterview("Only the candidate can act on this interview.")
        return position

    async def history(self, user_id: int, limit: int = 20) -> list[SessionSummary]:
        async with self._db.reading() as s:
            rows = (
                await s.scalars(
                    select(InterviewSession)
                    .where(InterviewSession.user_id == user_id)
                    .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
                    .limit(limit)
                    .options(selectinload(InterviewSession.answers))
                )
            ).all()
            return [
                SessionSummary(
                    r.id,
                    Track(r.track),
                    Length(r.length),
                    SessionStatus(r.status),
                    r.started_at,
                    r.ended_at,
                    len(r.answers),
                    r.mean_score,
                    Score(r.verdict) if r.verdict else None,
                )
                for r in rows
            ]

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
        async with self._lock(session_id):
            cursor = self._cursors.get(session_id)
            if cursor is None:  # not cached in this process yet: read it once
                async with self._db.transaction() as s:
                    row = await self._row(s, session_id)
                    self._current_answer(row, position)
                    self._remember(row)
                cursor = self._cursors[session_id]
            if position is not None and position != cursor.position:
                raise StaleAction("That question is no longer the current one.")
            try:
                await self._writer.insert(
                    cursor.answer_id, cursor.next_part, text, self._clock.now()
                )
            except Exception:
                self._cursors.pop(session_id, None)  # re-read the truth next time
                raise
            cursor.next_part += 1
            cursor.chars += len(text)
            return AnswerSaved(session_id, cursor.position, cursor.next_part, cursor.chars)

    async def hint(self, session_id: int, *, position: int | None = None) -> HintResult:
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            answer = self._current_answer(row, position)
            question = self._question(answer.question_id)
            hints = question.hints
            if answer.hints_used >= len(hints):
                return HintResult(None, answer.hints_used, hint_cap(answer.hints_used), len(hints))
            text = hints[answer.hints_used]
            answer.hints_used += 1
            return HintResult(text, answer.hints_used, hint_cap(answer.hints_used), len(hints))

    async def submit(self, session_id: int, *, position: int | None = None) -> Advance:
        return await self._finish_current(session_id, ItemStatus.SUBMITTED, position)

    async def skip(self, session_id: int, *, position: int | None = None) -> Advance:
        return await self._finish_current(session_id, ItemStatus.SKIPPED, position)

    async def end(self, session_id: int) -> Scorecard:
        """End early: score what was written for the current item, the rest is not reached."""
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            if not SessionStatus(row.status).is_open:
                return self._scorecard(row)
            now = self._clock.now()
            cancelled = self._close_open_items(row, now)
            row.ended_early = True
            self._close(row, SessionStatus.FINISHED, now)
            await self._deadlines.cancel_in(s, cancelled)
            card = self._scorecard(row)
        self._deadlines.committed({}, cancelled)
        return card

    async def abandon(self, session_id: int) -> None:
        """Give up an unfinished session (the user chose to start afresh); answers are kept."""
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            if not SessionStatus(row.status).is_open:
                return
            now = self._clock.now()
            cancelled = self._close_open_items(row, now)
            self._close(row, SessionStatus.ABANDONED, now)
            await self._deadlines.cancel_in(s, cancelled)
        self._deadlines.committed({}, cancelled)

    async def pause(self, session_id: int) -> None:
        """Stop the clock (terminal Ctrl-C): the remaining time is kept for ``resume``."""
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            if row.status != SessionStatus.ACTIVE:
                return
            answer = row.answers[row.current_position]
            now = self._clock.now()
            cancelled = self._keys(row.id, answer.position)
            if answer.status == ItemStatus.ACTIVE and answer.deadline_at is not None:
                answer.remaining_seconds = max(0.0, (answer.deadline_at - now).total_seconds())
                answer.status = ItemStatus.PAUSED.value
                answer.deadline_at = None
            row.status = SessionStatus.PAUSED.value
            await self._deadlines.cancel_in(s, cancelled)
        self._deadlines.committed({}, cancelled)

    async def resume(self, session_id: int) -> SessionView:
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
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
            view = self._view(row)
        self._remember(row)
        self._deadlines.committed(scheduled, ())
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
            row = await s.get(
                InterviewSession,
                session_id,
                options=[joinedload(InterviewSession.answers).joinedload(Answer.parts)],
            )
            if (
                row is None
                or row.status != SessionStatus.ACTIVE
                or row.current_position != position
            ):
                return None
            answer = row.answers[position]
            if answer.status != ItemStatus.ACTIVE:
                return None
            return self._item_view(row, answer)

    async def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            await listener(event)

    # -- internals --------------------------------------------------------------------------

    def _remember(self, row: InterviewSession) -> None:
        self._owners[row.id] = row.user_id
        answer = row.answers[row.current_position] if row.answers else None
        if row.status == SessionStatus.ACTIVE and answer and answer.status == ItemStatus.ACTIVE:
            self._cursors[row.id] = _Cursor(
                answer.id,
                answer.position,
                len(answer.parts),
                sum(len(p.text) for p in answer.parts),
            )
        else:
            self._cursors.pop(row.id, None)

    @asynccontextmanager
    async def _locked_unit(self, session_id: int) -> AsyncIterator[AsyncSession]:
        """Serialise per session; drop the cached cursor until the change is committed."""
        async with self._lock(session_id):
            self._cursors.pop(session_id, None)
            async with self._db.transaction() as s:
                yield s

    def _lock(self, session_id: int) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    async def _finish_current(
        self,
        session_id: int,
        status: ItemStatus,
        position: int | None,
        *,
        only_if_due: bool = False,
    ) -> Advance:
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            answer = self._current_answer(row, position)
            now = self._clock.now()
            if only_if_due and (answer.deadline_at is None or answer.deadline_at > now):
                raise StaleAction("deadline moved")
            self._score(answer, status, now)
            cancelled = self._keys(row.id, answer.position)
            await self._deadlines.cancel_in(s, cancelled)
            finished = self._scorecard_item(answer)
            scheduled: dict[DeadlineKey, datetime] = {}
            nxt = answer.position + 1
            if nxt < len(row.answers):
                scheduled = await self._ask(s, row, nxt, now)
                result = Advance(finished, self._item_view(row, row.answers[nxt]), None)
            else:
                self._close(row, SessionStatus.FINISHED, now)
                result = Advance(finished, None, self._scorecard(row))
        self._remember(row)
        self._deadlines.committed(scheduled, cancelled)
        return result

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
        scheduled = {DeadlineKey(ANSWER_DEADLINE, session_id, answer.position): deadline}
        reminder_at = deadline - REMINDER_BEFORE
        if reminder_at > self._clock.now():
            scheduled[DeadlineKey(REMINDER, session_id, answer.position)] = reminder_at
        await self._deadlines.schedule_in(s, scheduled)
        return scheduled

    @staticmethod
    def _keys(session_id: int, position: int) -> list[DeadlineKey]:
        return [
            DeadlineKey(ANSWER_DEADLINE, session_id, position),
            DeadlineKey(REMINDER, session_id, position),
        ]

    def _score(self, answer: Answer, status: ItemStatus, now: datetime) -> None:
        text = _answer_text(answer)
        rubric = self._rubric(answer)
        result_score = Score.STRONG_NO_HIRE
        covered: tuple[str, ...] = ()
        missed: tuple[str, ...] = tuple(p.point for p in rubric)
        coverage = 0.0
        if text.strip():
            result = score_answer(text, rubric, answer.hints_used)
            result_score, coverage = result.score, result.coverage
            covered, missed = result.covered, result.missed
        answer.status = status.value
        answer.answered_at = now
        answer.auto_score = int(result_score)
        answer.coverage = coverage
        answer.covered_points = list(covered)
        answer.missed_points = list(missed)

    def _close_open_items(self, row: InterviewSession, now: datetime) -> list[DeadlineKey]:
        """Ending early: score what was written; an untouched current item counts as not reached."""
        cancelled: list[DeadlineKey] = []
        for answer in row.answers:
            if answer.status in (ItemStatus.ACTIVE, ItemStatus.PAUSED):
                cancelled += self._keys(row.id, answer.position)
                if answer.parts:
                    self._score(answer, ItemStatus.SUBMITTED, now)
                else:
                    answer.status = ItemStatus.NOT_REACHED.value
            elif answer.status == ItemStatus.PENDING:
                answer.status = ItemStatus.NOT_REACHED.value
        return cancelled

    def _close(self, row: InterviewSession, status: SessionStatus, now: datetime) -> None:
        row.status = status.value
        row.ended_at = now
        card = self._scorecard(row)
        row.mean_score = card.mean
        row.verdict = int(card.verdict) if card.verdict else None

    async def _set_human_score(
        self, session_id: int, position: int, score: int, *, peer: bool
    ) -> Scorecard:
        if score not in (1, 2, 3, 4):
            raise InterviewError("A score is 1 (Strong No Hire) to 4 (Strong Hire).")
        async with self._locked_unit(session_id) as s:
            row = await self._row(s, session_id)
            if not 0 <= position < len(row.answers):
                raise InterviewError("There is no such question in this interview.")
            answer = row.answers[position]
            if answer.status == ItemStatus.NOT_REACHED:
                raise InterviewError("That question was never asked, so it cannot be scored.")
            if peer:
                answer.peer_score = score
            else:
                answer.self_score = score
            if not SessionStatus(row.status).is_open:
                card = self._scorecard(row)
                row.mean_score = card.mean
                row.verdict = int(card.verdict) if card.verdict else None
            return self._scorecard(row)

    async def _row(self, s: AsyncSession, session_id: int) -> InterviewSession:
        row = await s.get(
            InterviewSession,
            session_id,
            options=[joinedload(InterviewSession.answers).joinedload(Answer.parts)],
            populate_existing=True,
        )
        if row is None:
            raise SessionNotFound("That interview no longer exists.")
        return row

    async def _open_row(self, s: AsyncSession, user_id: int) -> InterviewSession | None:
        session_id = await s.scalar(
            select(InterviewSession.id)
            .where(
                InterviewSession.user_id == user_id,
                InterviewSession.status.in_(
                    [SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value]
                ),
            )
            .order_by(InterviewSession.id.desc())
            .limit(1)
        )
        return None if session_id is None else await self._row(s, session_id)

    async def _recent_question_ids(self, s: AsyncSession, user_id: int, track: Track) -> set[str]:
        recent_sessions = (
            select(InterviewSession.id)
            .where(InterviewSession.user_id == user_id, InterviewSession.track == track.value)
            .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
            .limit(RECENT_SESSIONS)
            .scalar_subquery()
        )
        ids = await s.scalars(
            select(func.distinct(Answer.question_id)).where(
                Answer.session_id.in_(recent_sessions),
                Answer.status.in_(
                    [
                        ItemStatus.SUBMITTED.value,
                        ItemStatus.TIMED_OUT.value,
                        ItemStatus.SKIPPED.value,
                        ItemStatus.ACTIVE.value,
                    ]
                ),
            )
        )
        return set(ids)

    def _current_answer(self, row: InterviewSession, position: int | None) -> Answer:
        if row.status == SessionStatus.PAUSED:
            raise InterviewError("This interview is paused; resume it first.")
        if row.status != SessionStatus.ACTIVE:
            raise StaleAction("This interview has already ended.")
        answer = row.answers[row.current_position]
        if position is not None and position != answer.position:
            raise StaleAction("That question is no longer the current one.")
        if answer.status != ItemStatus.ACTIVE:
            raise StaleAction("That question is no longer open.")
        return answer

    def _question(self, question_id: str) -> Question:
        question = self._bank.get(question_id)
        if question is None:
            return _missing_question(question_id)
        return question

    def _rubric(self, answer: Answer) -> Sequence[RubricPoint]:
        question = self._question(answer.question_id)
        phase = phase_for(question, answer.phase)
        return phase.rubric if phase else question.rubric

    def _item_view(self, row: InterviewSession, answer: Answer) -> ItemView:
        question = self._question(answer.question_id)
        question_ids = list(dict.fromkeys(a.question_id for a in row.answers))
        return ItemView(
            session_id=row.id,
            position=answer.position,
            total_items=len(row.answers),
            question_number=question_ids.index(answer.question_id) + 1,
            question_count=len(question_ids),
            question=question,
            phase=phase_for(question, answer.phase),
            minutes=answer.minutes,
            status=ItemStatus(answer.status),
            asked_at=answer.asked_at,
            deadline_at=answer.deadline_at,
            remaining_seconds=answer.remaining_seconds,
            answer_text=_answer_text(answer),
            hints_used=answer.hints_used,
        )

    def _view(self, row: InterviewSession) -> SessionView:
        status = SessionStatus(row.status)
        current = (
            self._item_view(row, row.answers[row.current_position])
            if status.is_open and row.answers
            else None
        )
        return SessionView(
            id=row.id,
            user_id=row.user_id,
            platform=row.platform,
            track=Track(row.track),
            length=Length(row.length),
            status=status,
            started_at=row.started_at,
            ended_at=row.ended_at,
            mode=row.mode,
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            current=current,
            total_items=len(row.answers),
        )

    def _scorecard_item(self, answer: Answer) -> ScorecardItem:
        question = self._question(answer.question_id)
        return ScorecardItem(
            position=answer.position,
            question=question,
            phase=phase_for(question, answer.phase),
            minutes=answer.minutes,
            status=ItemStatus(answer.status),
            answer_text=_answer_text(answer),
            hints_used=answer.hints_used,
            auto_score=answer.auto_score,
            covered=tuple(answer.covered_points or ()),
            missed=tuple(answer.missed_points or ()),
            self_score=answer.self_score,
            peer_score=answer.peer_score,
        )

    def _scorecard(self, row: InterviewSession) -> Scorecard:
        return Scorecard(
            session_id=row.id,
            track=Track(row.track),
            length=Length(row.length),
            status=SessionStatus(row.status),
            ended_early=row.ended_early,
            items=tuple(self._scorecard_item(a) for a in row.answers),
        )


def _answer_text(answer: Answer) -> str:
    return "\n".join(p.text for p in answer.parts)


def _missing_question(question_id: str) -> Question:
    return Question(
        id=question_id,
        track=Track.TECHNICAL,
        topic="unknown",
        difficulty=Difficulty.MEDIUM,
        minutes=1,
        prompt="(This question is no longer in the bank.)",
        reference_answer="(not available)",
        rubric=(),
        origin="missing",
    )


def _no_questions_message(track: Track, topic: str | None, difficulty: Difficulty | None) -> str:
    filters = [f"track {track.value}"]
    if topic:
        filters.append(f"topic {topic}")
    if difficulty:
        filters.append(f"difficulty {difficulty.value}")
    return f"No questions match {', '.join(filters)}. Try fewer filters."
