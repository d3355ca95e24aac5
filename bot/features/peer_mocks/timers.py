"""The peer mocks' timers on the shared scheduler: invitation expiry and the no-show check.

An invitation or a ready-check has no interview session yet, so its timer is named by its own
kind and row id (``TimerKey``); on the scheduler it is the job ``peer.<kind>`` with that id as
key. Writes happen in the caller's transaction; ``committed`` wakes the dispatcher after the
commit. Handlers must be idempotent: a job is deleted only after its handler succeeded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import Due, Job, Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database

JOB_PREFIX = "peer."


@dataclass(frozen=True, order=True, slots=True)
class TimerKey:
    kind: str
    ref_id: int


Handler = Callable[[TimerKey], Awaitable[None]]


class PeerTimers:
    def __init__(self, db: Database, scheduler: Scheduler, kinds: Iterable[str]) -> None:
        self._db = db
        self._scheduler = scheduler
        self._kinds = tuple(kinds)
        self._handler: Handler | None = None
        self._registered = False

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    async def due_at(self, key: TimerKey) -> datetime | None:
        async with self._db.reading() as s:
            return await s.scalar(
                select(ScheduledJob.due_at).where(
                    ScheduledJob.kind == JOB_PREFIX + key.kind,
                    ScheduledJob.key == str(key.ref_id),
                    ScheduledJob.failed_at.is_(None),
                )
            )

    async def start(self) -> None:
        """Take the peer jobs on (once the feature's tables are known to exist)."""
        if not self._registered:
            self._registered = True
            for kind in self._kinds:
                self._scheduler.handle(JOB_PREFIX + kind, self._fire)

    async def stop(self) -> None:
        """Nothing to stop: the process's scheduler stops with the app."""

    async def _fire(self, job: Job) -> None:
        if self._handler is not None:
            await self._handler(TimerKey(job.kind.removeprefix(JOB_PREFIX), int(job.key)))

    # -- writes in the caller's transaction; the dispatcher looks again after the commit ----

    async def schedule_in(self, s: AsyncSession, key: TimerKey, due_at: datetime) -> None:
        await self._scheduler.schedule_in(s, [Due(JOB_PREFIX + key.kind, str(key.ref_id), due_at)])

    async def cancel_in(self, s: AsyncSession, key: TimerKey) -> None:
        await self._scheduler.cancel_in(s, JOB_PREFIX + key.kind, [str(key.ref_id)])

    def committed(
        self, scheduled: dict[TimerKey, datetime], cancelled: Iterable[TimerKey] = ()
    ) -> None:
        """After the commit: the dispatcher learns the earliest new due time; a cancelled
        timer needs nothing (the dispatcher, waking for it, finds it gone)."""
        if scheduled:
            self._scheduler.poke(min(scheduled.values()))

    async def settled(self) -> None:
        await self._scheduler.settled()
