"""The interview's timers on the shared scheduler: answer deadlines and one-minute reminders.

A timer is named by its kind, session and item (``DeadlineKey``); on the scheduler it is the
job ``interview.<kind>`` with key ``<session>:<position>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import Due, Job, Scheduler
from bot.scheduler.models import ScheduledJob

JOB_PREFIX = "interview."
ANSWER_DEADLINE = "answer"
REMINDER = "reminder"
REMINDER_BEFORE = timedelta(minutes=1)


@dataclass(frozen=True, order=True, slots=True)
class DeadlineKey:
    kind: str
    session_id: int
    position: int


@dataclass(frozen=True, slots=True)
class Fired:
    key: DeadlineKey
    due_at: datetime


Handler = Callable[[Fired], Awaitable[None]]


class InterviewTimers:
    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._kinds = (ANSWER_DEADLINE, REMINDER)

    @property
    def scheduler(self) -> Scheduler:
        return self._scheduler

    def subscribe(self, handler: Handler) -> None:
        async def fire(job: Job) -> None:
            session_id, position = job.key.split(":")
            kind = job.kind.removeprefix(JOB_PREFIX)
            await handler(Fired(DeadlineKey(kind, int(session_id), int(position)), job.due_at))

        for kind in self._kinds:
            self._scheduler.handle(JOB_PREFIX + kind, fire)

    @staticmethod
    def keys(session_id: int, position: int) -> list[DeadlineKey]:
        return [
            DeadlineKey(ANSWER_DEADLINE, session_id, position),
            DeadlineKey(REMINDER, session_id, position),
        ]

    @staticmethod
    def for_item(
        session_id: int, position: int, deadline: datetime, now: datetime
    ) -> dict[DeadlineKey, datetime]:
        """The item's time limit, and its reminder a minute before (unless already past)."""
        scheduled = {DeadlineKey(ANSWER_DEADLINE, session_id, position): deadline}
        reminder_at = deadline - REMINDER_BEFORE
        if reminder_at > now:
            scheduled[DeadlineKey(REMINDER, session_id, position)] = reminder_at
        return scheduled

    async def schedule_in(self, s: AsyncSession, deadlines: dict[DeadlineKey, datetime]) -> None:
        await self._scheduler.schedule_in(
            s, [Due(JOB_PREFIX + k.kind, _key(k), due) for k, due in deadlines.items()]
        )

    async def cancel_in(self, s: AsyncSession, keys: Iterable[DeadlineKey]) -> None:
        by_kind: dict[str, list[str]] = {}
        for k in keys:
            by_kind.setdefault(k.kind, []).append(_key(k))
        for kind, job_keys in by_kind.items():
            await self._scheduler.cancel_in(s, JOB_PREFIX + kind, job_keys)

    def committed(
        self, scheduled: dict[DeadlineKey, datetime], cancelled: Iterable[DeadlineKey]
    ) -> None:
        """After the commit: the dispatcher learns the earliest new due time (it reads the
        table only when that comes). A cancelled timer needs nothing: the dispatcher, waking
        for it, finds it gone."""
        if scheduled:
            self._scheduler.poke(min(scheduled.values()))

    async def count_of_sessions(self, s: AsyncSession, session_ids: Iterable[int]) -> int:
        where = self._of_sessions(session_ids)
        if where is None:
            return 0
        return int(await s.scalar(select(func.count()).select_from(ScheduledJob).where(where)) or 0)

    async def cancel_sessions_in(self, s: AsyncSession, session_ids: Iterable[int]) -> None:
        where = self._of_sessions(session_ids)
        if where is not None:
            await s.execute(delete(ScheduledJob).where(where))

    def _of_sessions(self, session_ids: Iterable[int]) -> ColumnElement[bool] | None:
        keys = [ScheduledJob.key.like(f"{sid}:%") for sid in session_ids]
        if not keys:
            return None
        kinds = [JOB_PREFIX + kind for kind in self._kinds]
        return ScheduledJob.kind.in_(kinds) & or_(*keys)

    def pending(self) -> int:
        return self._scheduler.pending()

    async def settled(self) -> None:
        await self._scheduler.settled()


def _key(key: DeadlineKey) -> str:
    return f"{key.session_id}:{key.position}"
