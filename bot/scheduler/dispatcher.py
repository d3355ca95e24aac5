"""One durable dispatcher per process for every feature's timers.

Jobs live in the ``scheduled_jobs`` table, written in the caller's transaction (``schedule_in``,
``cancel_in``); after the commit the caller calls ``poke()``. One task claims the jobs that are
due (a write: their attempt count goes up), runs the handler registered for their kind, and
deletes a job only after its handler succeeded. A failing handler is retried later, with a
growing delay; after ``max_attempts`` the job is kept with ``failed_at`` and ``last_error`` set,
visible to ``failed()`` and to whoever reads the table, and never runs again by itself.

Nothing is held in memory that the table does not hold: on start the task simply reads it, so
what fell due while the process was down runs at once. A database error (SQLite's "database is
locked", a dropped PostgreSQL connection) does not end the task: it is logged once, the task
waits with backoff and tries again. Handlers must be idempotent, because a crash between a
handler's work and the job's deletion runs it again.

Each process fires only the jobs of its own ``scope`` (the terminal and the bot may share a
database) and only the kinds it has a handler for (a feature that is off leaves its jobs alone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.metrics import METRICS
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)  # then doubled at each failure, up to MAX_RETRY_DELAY
MAX_RETRY_DELAY = timedelta(hours=1)
DB_BACKOFF_FIRST = 0.2  # seconds of real time after a database error, doubled up to ...
DB_BACKOFF_MAX = 10.0


@dataclass(frozen=True, slots=True)
class Job:
    kind: str
    key: str
    due_at: datetime
    attempts: int  # including this one
    payload: dict[str, Any] | None = None
    last_error: str | None = None
    failed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """One job to (re)schedule: ``kind`` and ``key`` name it, ``due_at`` moves it."""

    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any] | None = None


Handler = Callable[[Job], Awaitable[None]]
BatchHandler = Callable[[list[Job]], Awaitable[None]]
_MOVED = ("scope", "due_at", "attempts", "payload", "last_error", "failed_at")  # on a new upsert


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scope: str,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        retry_after: timedelta = RETRY_AFTER,
        batch_size: int = 200,
    ) -> None:
        self._db = db
        self._clock = clock
        self._scope = scope
        self._max_attempts = max_attempts
        self._retry_after = retry_after
        self._batch_size = batch_size
        self._handlers: dict[str, Handler] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting = False
        self._waiting_until: datetime | None = None
        self._pending = 0
        self._db_failing = False
        self._stopping = False

    @property
    def scope(self) -> str:
        return self._scope

    def handle(self, kind: str, handler: Handler) -> None:
        """Run ``handler`` for every due job of ``kind`` (one handler per kind)."""
        if kind in self._handlers or kind in self._batch_handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._handlers[kind] = handler
        self.poke()

    def handle_batch(self, kind: str, handler: BatchHandler) -> None:
        """Run ``handler`` once for all the jobs of ``kind`` due together (a fan-out, such as
        every guild's daily post at 09:00); all of them succeed or fail together."""
        if kind in self._handlers or kind in self._batch_handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._batch_handlers[kind] = handler
        self.poke()

    def unhandle(self, kind: str) -> None:
        """Stop running jobs of ``kind`` in this process (they stay in the table)."""
        self._handlers.pop(kind, None)
        self._batch_handlers.pop(kind, None)

    async def clear_in(self, s: AsyncSession, kind: str) -> None:
        """Delete every job of ``kind`` of this scope (its owner is about to write them anew)."""
        await s.execute(
            delete(ScheduledJob).where(ScheduledJob.scope == self._scope, ScheduledJob.kind == kind)
        )

    def pending(self) -> int:
        """Jobs of this scope still to run, as of the dispatcher's last look at the table."""
        return self._pending

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=f"scheduler:{self._scope}")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True  # also ends the loop if a driver swallowed the cancellation
            self._wake.set()
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    # -- writes happen in the caller's transaction; poke() after the commit -----------------

    async def schedule_in(self, s: AsyncSession, jobs: Iterable[Due]) -> None:
        """Insert or move jobs inside the caller's unit of work (one upsert). A moved job
        starts afresh: no attempts, no error."""
        rows = [
            {
                "scope": self._scope,
                "kind": j.kind,
                "key": j.key,
                "due_at": j.due_at,
                "attempts": 0,
                "payload": j.payload,
                "last_error": None,
                "failed_at": None,
            }
            for j in jobs
        ]
        if not rows:
            return
        insert = pg_insert if self._db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ScheduledJob).values(rows)
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "key"],
                set_={
                    name: getattr(stmt.excluded, name)
                    for name in (
                        "scope",
                        "due_at",
                        "attempts",
                        "payload",
                        "last_error",
                        "failed_at",
                    )
                },
            )
        )

    async def cancel_in(self, s: AsyncSession, kind: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            await s.execute(
                delete(ScheduledJob).where(ScheduledJob.kind == kind, ScheduledJob.key.in_(keys))
            )

    def poke(self) -> None:
        """The table changed (after a commit): look again."""
        self._wake.set()

    async def failed(self) -> list[Job]:
        """The jobs that gave up, oldest first (kept for whoever looks into them)."""
        async with self._db.reading() as s:
            rows = await s.scalars(
                select(ScheduledJob)
                .where(ScheduledJob.scope == self._scope, ScheduledJob.failed_at.is_not(None))
                .order_by(ScheduledJob.failed_at)
            )
            return [_job(row) for row in rows]

    async def settled(self) -> None:
        """Return once nothing is due now and the task is asleep (tests: after moving a fake
        clock)."""
        while True:
            await asyncio.sleep(0)
            if self._task is None or self._task.done():
                raise RuntimeError(f"the {self._scope} scheduler is not running")
            until = self._waiting_until
            idle = self._waiting and not self._wake.is_set() and not self._db_failing
            if idle and (until is None or until > self._clock.now()):
                return
            await asyncio.sleep(0.001)

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = DB_BACKOFF_FIRST
        while not self._stopping:
            self._wake.clear()
            try:
                due, next_at = await self._claim()
                METRICS.jobs_claimed(due, self._clock.now())
                for job in due:
                    if job.kind not in self._batch_handlers:
                        await self._fire(job)
                for kind, batch_handler in list(self._batch_handlers.items()):
                    jobs = [job for job in due if job.kind == kind]
                    if jobs:
                        await self._fire_batch(batch_handler, jobs)
            except Exception as exc:  # the database, not a handler: those are caught in _fire
                if _cancelled():  # a driver may wrap the cancellation of its pending call
                    raise asyncio.CancelledError from exc
                if not self._db_failing:
                    log.warning("scheduler (%s): database error, retrying: %s", self._scope, exc)
                    self._db_failing = True
                await _sleep_or_wake(self._wake, backoff)
                backoff = min(backoff * 2, DB_BACKOFF_MAX)
                continue
            if self._db_failing:
                log.info("scheduler (%s): database reachable again", self._scope)
                self._db_failing = False
            backoff = DB_BACKOFF_FIRST
            if due or self._stopping:
                continue  # handlers may have scheduled more: look again before sleeping
            self._waiting_until, self._waiting = next_at, True
            try:
                await self._clock.wait_until(next_at, self._wake)
            finally:
                self._waiting = False

    async def _claim(self) -> tuple[list[Job], datetime | None]:
        """Take the due jobs (their attempt count goes up), and say when the next one is."""
        now = self._clock.now()
        kinds = [*self._handlers, *self._batch_handlers]
        pending = (
            (ScheduledJob.scope == self._scope)
            & ScheduledJob.failed_at.is_(None)
            & ScheduledJob.kind.in_(kinds)
        )
        async with self._db.transaction() as s:
            rows = list(
                await s.scalars(
                    select(ScheduledJob)
                    .where(pending, ScheduledJob.due_at <= now)
                    .order_by(ScheduledJob.due_at, ScheduledJob.id)
                    .limit(self._batch_size)
                )
            )
            if rows:
                await s.execute(
                    update(ScheduledJob)
                    .where(ScheduledJob.id.in_([r.id for r in rows]))
                    .values(attempts=ScheduledJob.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
            next_at = await s.scalar(
                select(func.min(ScheduledJob.due_at)).where(pending, ScheduledJob.due_at > now)
            )
            self._pending = await s.scalar(select(func.count()).where(pending)) or 0
        return [_job(row, attempts=row.attempts + 1) for row in rows], next_at

    async def _fire(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is not None:
                await handler(job)
        except Exception as exc:
            if _cancelled():
                raise asyncio.CancelledError from exc
            await self._failed(job, exc)
            return
        async with self._db.transaction() as s:  # only if not moved meanwhile by a handler
            await s.execute(delete(ScheduledJob).where(*_same(job)))

    async def _fire_batch(self, handler: BatchHandler, jobs: list[Job]) -> None:
        try:
            await handler(jobs)
        except Exception as exc:
            if _cancelled():
                raise asyncio.CancelledError from exc
            for job in jobs:
                await self._failed(job, exc)
            return
        async with self._db.transaction() as s:
            for job in jobs:
                await s.execute(delete(ScheduledJob).where(*_same(job)))

    async def _failed(self, job: Job, exc: Exception) -> None:
        METRICS.job_failed(job.kind)
        now = self._clock.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.attempts >= self._max_attempts:
            log.error("job %s %s failed %d times; giving up", job.kind, job.key, job.attempts)
            values: dict[str, Any] = {"failed_at": now, "last_error": error}
        else:
            delay = min(self._retry_after * 2 ** (job.attempts - 1), MAX_RETRY_DELAY)
            log.exception("job %s %s failed; retrying in %s", job.kind, job.key, delay)
            values = {"due_at": now + delay, "last_error": error}
        async with self._db.transaction() as s:
            await s.execute(update(ScheduledJob).where(*_same(job)).values(**values))


def _same(job: Job) -> tuple[Any, ...]:
    return (
        ScheduledJob.kind == job.kind,
        ScheduledJob.key == job.key,
        ScheduledJob.due_at == job.due_at,
    )


def _job(row: ScheduledJob, attempts: int | None = None) -> Job:
    return Job(
        row.kind,
        row.key,
        row.due_at,
        row.attempts if attempts is None else attempts,
        row.payload,
        row.last_error,
        row.failed_at,
    )


def _cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _sleep_or_wake(wake: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except TimeoutError:
        pass
