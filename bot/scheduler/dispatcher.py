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

Several processes may fire the same scope over one PostgreSQL database (a sharded bot). A claim
is a lease: the claiming process writes its token in ``claimed_by`` and ``lease_until`` (now +
``lease``), renews the lease while the handler runs, and is the only one to delete or reschedule
the job. The others skip jobs under a live lease (on PostgreSQL the claim is one
``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``; SQLite's single writer
makes the same conditional UPDATE atomic), so a job runs once in the whole deployment, and a job
whose process died is taken over once its lease has run out.

Due jobs run concurrently, at most ``concurrency`` handlers at once: 200 interviews timing out in
the same second do not wait for each other's Discord calls. One process never runs two handlers
for the same job at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select, update
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
LEASE = timedelta(seconds=30)  # a claim holds this long unless renewed (every third of it)
CONCURRENCY = 32  # handlers running at once in one process
# However quiet, the loop reads the table this often: jobs another process wrote (and did not
# live to fire) or whose lease ran out are seen without a poke from this process.
LOOK_EVERY = timedelta(seconds=15)
RELEASE_ON_STOP_SECONDS = 2.0
KEYS_PER_STATEMENT = 1000  # keys in one IN list (PostgreSQL allows 32,767 parameters)
# On stop the loop is asked to end and given this long to finish the transaction it is in;
# cancelling it mid-statement would leave SQLite's write lock with a half-closed connection.
LOOP_STOP_SECONDS = 5.0


def process_token() -> str:
    """Names this process in ``claimed_by``: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


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
# What a new upsert of an existing job overwrites: a moved job starts afresh, unclaimed.
_MOVED = (
    "scope",
    "due_at",
    "attempts",
    "payload",
    "last_error",
    "failed_at",
    "claimed_by",
    "lease_until",
)


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
        lease: timedelta = LEASE,
        concurrency: int = CONCURRENCY,
        owner: str | None = None,
        look_every: timedelta = LOOK_EVERY,
    ) -> None:
        if lease <= timedelta(0) or concurrency < 1 or batch_size < 1 or look_every <= timedelta(0):
            raise ValueError("lease, concurrency, batch_size and look_every must be positive")
        self._look_every = look_every
        self._look_at: datetime | None = None  # when the loop reads the table at the latest
        self._db = db
        self._clock = clock
        self._scope = scope
        self._max_attempts = max_attempts
        self._retry_after = retry_after
        self._batch_size = batch_size  # most jobs claimed and not yet finished, at once
        self._lease = lease
        self._owner = owner or process_token()
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: dict[int, asyncio.Task[None]] = {}  # job id -> the task running it
        self._renew_at: datetime | None = None
        self._handlers: dict[str, Handler] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._wake = asyncio.Event()
        # False while the loop knows when the next job of this process falls due without
        # reading the table: pokes that name their earliest due time (``poke(due_at)``) only
        # move ``_next_at``, so a commit that schedules a deadline minutes away costs no
        # transaction. Any other wake-up (a plain poke, a finished handler) reads the table.
        self._blind = True
        self._next_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting = False
        self._waiting_until: datetime | None = None
        self._pending = 0
        self._db_failing = False
        self._stopping = False
        self._claimed_on_stop = False

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def owner(self) -> str:
        """This dispatcher's token in ``claimed_by``."""
        return self._owner

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
            # Ask the loop to end and let it finish the transaction it may be in: a task
            # cancelled between statements leaves its connection closed with the transaction
            # open, and on SQLite that holds the write lock until the garbage collector runs.
            self._stopping = True
            self._wake.set()
            done, _ = await asyncio.wait({self._task}, timeout=LOOP_STOP_SECONDS)
            if not done:  # stuck (a database that does not answer): cancel after all
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        running = set(self._inflight.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if running or self._claimed_on_stop:  # a restarted process takes them at once
            with contextlib.suppress(Exception):
                async with asyncio.timeout(RELEASE_ON_STOP_SECONDS):
                    await self._release(ScheduledJob.claimed_by == self._owner)
        self._inflight.clear()
        self._claimed_on_stop = False

    async def release_stale_claims(self) -> int:
        """Release the claims other processes hold on this scope's jobs. Only for a process
        that knows it is the sole one firing its scope (the bot on SQLite, which refuses a
        second process): after a kill -9 its jobs run at once instead of after their lease."""
        return await self._release(
            ScheduledJob.claimed_by.is_not(None) & (ScheduledJob.claimed_by != self._owner)
        )

    async def _release(self, which: ColumnElement[bool]) -> int:
        async with self._db.transaction() as s:
            result = await s.execute(
                update(ScheduledJob)
                .where(ScheduledJob.scope == self._scope, which)
                .values(claimed_by=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # -- writes happen in the caller's transaction; poke() after the commit -----------------

    async def schedule_in(
        self, s: AsyncSession, jobs: Iterable[Due], *, keep_leased: bool = False
    ) -> None:
        """Insert or move jobs inside the caller's unit of work (one upsert). A moved job
        starts afresh: no attempts, no error. ``keep_leased``: leave a job alone while a
        process holds it under a live lease (its holder moves or deletes it when done)."""
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
                "claimed_by": None,
                "lease_until": None,
            }
            for j in jobs
        ]
        if not rows:
            return
        if not keep_leased:  # parameters apart from the statement: compiled once, then cached
            await s.execute(_upsert(self._db.engine.dialect.name), rows)
            return
        insert = pg_insert if self._db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ScheduledJob.__table__)  # type: ignore[arg-type]  # a Table, typed FromClause
        # The rows go as parameters (executemany, sent in batches), never as one VALUES list:
        # ten thousand daily schedules are 100,000 parameters, past PostgreSQL's 32,767.
        await s.execute(  # the lease condition holds "now": this one is built per call
            stmt.on_conflict_do_update(
                index_elements=["kind", "key"],
                set_={name: getattr(stmt.excluded, name) for name in _MOVED},
                where=self.unleased(),
            ),
            rows,
        )

    async def jobs_in(self, s: AsyncSession, kind: str) -> dict[str, tuple[Any, bool]]:
        """This scope's jobs of ``kind``: key -> (payload, held under a live lease)."""
        found = await s.execute(
            select(ScheduledJob.key, ScheduledJob.payload, ~self.unleased()).where(
                ScheduledJob.scope == self._scope, ScheduledJob.kind == kind
            )
        )
        return {key: (payload, bool(leased)) for key, payload, leased in found.all()}

    async def cancel_unleased_in(self, s: AsyncSession, kind: str, keep: Iterable[str]) -> None:
        """Delete this scope's jobs of ``kind`` not in ``keep`` that no live lease holds.

        The keys to delete are found here and deleted a page at a time: ``NOT IN`` over every
        key to keep would put one parameter per schedule in one statement (PostgreSQL takes
        at most 32,767)."""
        which = (ScheduledJob.scope == self._scope) & (ScheduledJob.kind == kind)
        found = await s.scalars(select(ScheduledJob.key).where(which, self.unleased()))
        stale = sorted(set(found.all()) - set(keep))
        for start in range(0, len(stale), KEYS_PER_STATEMENT):
            page = stale[start : start + KEYS_PER_STATEMENT]
            await s.execute(
                delete(ScheduledJob)
                .where(which, ScheduledJob.key.in_(page), self.unleased())
                .execution_options(synchronize_session=False)
            )

    def unleased(self) -> ColumnElement[bool]:
        """Jobs no process holds under a live lease (never claimed, released, or expired)."""
        now = self._clock.now()
        return ScheduledJob.lease_until.is_(None) | (ScheduledJob.lease_until <= now)

    async def cancel_in(self, s: AsyncSession, kind: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            await s.execute(
                delete(ScheduledJob)
                .where(ScheduledJob.kind == kind, ScheduledJob.key.in_(keys))
                .execution_options(synchronize_session=False)  # no ORM objects of jobs held
            )

    def poke(self, due_at: datetime | None = None) -> None:
        """The table changed (after a commit): look again. With ``due_at``, the change only
        added or moved jobs of this scope, the earliest due then: the loop reads the table when
        that time comes instead of now (nothing else it knows about became due sooner)."""
        if due_at is None:
            self._blind = True
        elif not self._blind and self._next_at is not None and due_at >= self._next_at:
            return  # the loop wakes earlier anyway
        else:
            self._next_at = due_at if self._next_at is None else min(self._next_at, due_at)
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
            idle = (
                self._waiting
                and not self._wake.is_set()
                and not self._db_failing
                and not self._inflight
            )
            if idle and (until is None or until > self._clock.now()):
                return
            await asyncio.sleep(0.001)

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = DB_BACKOFF_FIRST
        while not self._stopping:
            self._wake.clear()
            room = self._batch_size - len(self._inflight)
            if self._nothing_due():
                await self._wait(self._next_at if room > 0 else None)
                continue
            # Pokes during the claim land in ``_next_at`` (None now), seen after it.
            self._blind, self._next_at = False, None
            try:
                await self._renew_leases()
                due, next_at = await self._claim(room)
                self._look_at = self._clock.now() + self._look_every
                METRICS.jobs_claimed((job for _, job in due), self._clock.now())
            except Exception as exc:  # the database, not a handler: those are caught in _fire
                if _cancelled():  # a driver may wrap the cancellation of its pending call
                    raise asyncio.CancelledError from exc
                self._blind = True
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
            if self._stopping:  # claimed as stop was asked: released by stop, not started
                self._claimed_on_stop = bool(due)
                break
            self._launch(due)
            if due or self._stopping:
                self._blind = True  # more may be due than one claim takes: look again
                continue
            if self._next_at is not None:
                self._blind = True  # a hinted poke came in while the claim was reading
            self._next_at = next_at
            await self._wait(next_at if room > 0 else None)  # full: a finished handler wakes it

    def _nothing_due(self) -> bool:
        """True when the loop may sleep on without reading the table: only hinted pokes came
        since its last look, none due yet, and no lease to renew."""
        if self._blind or self._stopping:
            return False
        now = self._clock.now()
        if self._next_at is not None and self._next_at <= now:
            return False
        return not (self._inflight and self._renew_at is not None and self._renew_at <= now)

    async def _wait(self, wake_at: datetime | None) -> None:
        if self._inflight and self._renew_at is not None:
            wake_at = self._renew_at if wake_at is None else min(wake_at, self._renew_at)
        # Timed from the last read of the table, so hinted pokes cannot keep putting it off.
        look_at = self._look_at or self._clock.now() + self._look_every
        if wake_at is None or look_at < wake_at:
            wake_at = look_at
        self._waiting_until, self._waiting = wake_at, True
        try:
            await self._clock.wait_until(wake_at, self._wake)
        finally:
            self._waiting = False
        if self._clock.now() >= look_at:
            self._blind = True  # the periodic look: read the table whatever the hints say

    def _pending_filter(self) -> ColumnElement[bool]:
        kinds = [*self._handlers, *self._batch_handlers]
        return (
            (ScheduledJob.scope == self._scope)
            & ScheduledJob.failed_at.is_(None)
            & ScheduledJob.kind.in_(kinds)
        )

    async def _claim(self, limit: int) -> tuple[list[tuple[int, Job]], datetime | None]:
        """Take up to ``limit`` due jobs under a lease (their attempt count goes up), and say
        when the next one falls due or a lease held elsewhere runs out."""
        now = self._clock.now()
        pending = everything = self._pending_filter()
        mine = list(self._inflight)
        if mine:  # never a second handler for a job this process is still running
            pending = pending & ScheduledJob.id.not_in(mine)
        free = ScheduledJob.lease_until.is_(None) | (ScheduledJob.lease_until <= now)
        claimable = pending & (ScheduledJob.due_at <= now) & free
        async with self._db.transaction() as s:
            claimed: list[tuple[int, Job]] = []
            if limit > 0:
                pick = (
                    select(ScheduledJob.id)
                    .where(claimable)
                    .order_by(ScheduledJob.due_at, ScheduledJob.id)
                    .limit(limit)
                )
                if self._db.engine.dialect.name == "postgresql":
                    # Picked once, in a materialised CTE: as an ``IN (subquery)`` PostgreSQL
                    # may run the LIMIT ... SKIP LOCKED subquery again and again while
                    # updating, and took thousands of jobs in one claim (10,000 daily slots).
                    picked = (
                        pick.with_for_update(skip_locked=True)
                        .cte("picked")
                        .prefix_with("MATERIALIZED")
                    )
                    chosen = ScheduledJob.id == picked.c.id
                else:  # one writer: the subquery sees what it saw
                    chosen = ScheduledJob.id.in_(pick.scalar_subquery())
                result = await s.execute(
                    update(ScheduledJob)
                    .where(chosen, claimable)
                    .values(
                        attempts=ScheduledJob.attempts + 1,
                        claimed_by=self._owner,
                        lease_until=now + self._lease,
                    )
                    .returning(*_JOB_COLUMNS)
                    .execution_options(synchronize_session=False)
                )
                claimed = sorted(
                    ((row[0], Job(*row[1:])) for row in result.all()),
                    key=lambda claim: (claim[1].due_at, claim[0]),
                )
                if claimed:
                    self._renew_at = self._renew_at or now + self._lease / 3
            opens_at = case(
                (ScheduledJob.lease_until > ScheduledJob.due_at, ScheduledJob.lease_until),
                else_=ScheduledJob.due_at,
            )
            next_at = await s.scalar(select(func.min(opens_at)).where(pending, opens_at > now))
            self._pending = await s.scalar(select(func.count()).where(everything)) or 0
        return claimed, next_at

    async def _renew_leases(self) -> None:
        """Extend the leases of the jobs this process is still running (every third of the
        lease), so a slow handler is not taken over while its process is alive."""
        if not self._inflight:
            self._renew_at = None
            return
        now = self._clock.now()
        if self._renew_at is not None and now < self._renew_at:
            return
        async with self._db.transaction() as s:
            await s.execute(
                update(ScheduledJob)
                .where(
                    ScheduledJob.claimed_by == self._owner,
                    ScheduledJob.id.in_(list(self._inflight)),
                )
                .values(lease_until=now + self._lease)
                .execution_options(synchronize_session=False)
            )
        self._renew_at = now + self._lease / 3

    def _launch(self, claimed: list[tuple[int, Job]]) -> None:
        """Start the handlers of the claimed jobs: a task per job, one per batch kind."""
        batches: dict[str, list[tuple[int, Job]]] = {}
        for job_id, job in claimed:
            if job.kind in self._batch_handlers:
                batches.setdefault(job.kind, []).append((job_id, job))
            else:
                self._spawn([job_id], self._fire(job), f"{job.kind}:{job.key}")
        for kind, items in batches.items():
            ids = [job_id for job_id, _ in items]
            jobs = [job for _, job in items]
            self._spawn(ids, self._fire_batch(self._batch_handlers[kind], jobs), kind)

    def _spawn(self, ids: list[int], work: Awaitable[None], name: str) -> None:
        async def run() -> None:
            try:
                async with self._slots:
                    await work
            except Exception:  # _fire records handler failures; this is a bug or the database
                log.exception("scheduler (%s): job %s could not be settled", self._scope, name)
            finally:
                for job_id in ids:
                    self._inflight.pop(job_id, None)
                self.poke()  # room for more, and a handler may have scheduled more

        task = asyncio.create_task(run(), name=f"job:{name}")
        for job_id in ids:
            self._inflight[job_id] = task

    async def _fire(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is not None:
                await handler(job)
        except Exception as exc:
            if _cancelled():
                raise asyncio.CancelledError from exc
            await self._failed([job], exc)
            return
        await self._settle(self._done, [job])

    async def _fire_batch(self, handler: BatchHandler, jobs: list[Job]) -> None:
        try:
            await handler(jobs)
        except Exception as exc:
            if _cancelled():
                raise asyncio.CancelledError from exc
            await self._failed(jobs, exc)
            return
        await self._settle(self._done, jobs)

    async def _done(self, s: AsyncSession, jobs: list[Job]) -> None:
        """Delete the jobs, unless moved meanwhile (by a handler) or taken over elsewhere."""
        for job in jobs:
            await s.execute(delete(ScheduledJob).where(*self._still_mine(job)))

    async def _failed(self, jobs: list[Job], exc: Exception) -> None:
        for job in jobs:
            METRICS.job_failed(job.kind)
            if job.attempts >= self._max_attempts:
                log.error("job %s %s failed %d times; giving up", job.kind, job.key, job.attempts)
            else:
                delay = self._retry_delay(job)
                log.exception("job %s %s failed; retrying in %s", job.kind, job.key, delay)
        error = f"{type(exc).__name__}: {exc}"[:2000]

        async def record(s: AsyncSession, jobs: list[Job]) -> None:
            now = self._clock.now()
            for job in jobs:
                values: dict[str, Any] = {"last_error": error, "claimed_by": None}
                if job.attempts >= self._max_attempts:
                    values.update(failed_at=now, lease_until=None)
                else:
                    values.update(due_at=now + self._retry_delay(job), lease_until=None)
                await s.execute(update(ScheduledJob).where(*self._still_mine(job)).values(values))

        await self._settle(record, jobs)

    def _retry_delay(self, job: Job) -> timedelta:
        delay: timedelta = self._retry_after * 2 ** (job.attempts - 1)
        return min(delay, MAX_RETRY_DELAY)

    async def _settle(
        self, write: Callable[[AsyncSession, list[Job]], Awaitable[None]], jobs: list[Job]
    ) -> None:
        """Write a job's outcome, retrying through database errors (the job stays claimed
        meanwhile; if this process dies first, the job is taken over when its lease ends)."""
        backoff = DB_BACKOFF_FIRST
        while True:
            try:
                async with self._db.transaction() as s:
                    await write(s, jobs)
                return
            except Exception as exc:
                if _cancelled():
                    raise asyncio.CancelledError from exc
                if backoff == DB_BACKOFF_FIRST:  # once per outcome, not once per retry
                    log.warning("scheduler (%s): outcome not recorded yet: %s", self._scope, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, DB_BACKOFF_MAX)

    def _still_mine(self, job: Job) -> tuple[Any, ...]:
        return (*_same(job), ScheduledJob.claimed_by == self._owner)


@functools.cache
def _upsert(dialect: str) -> Any:
    """Insert jobs, or move the existing ones of the same kind and key (a Core statement on
    the table, executed with a list of rows: no ORM bulk path, no per-call compile)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ScheduledJob.__table__)  # type: ignore[arg-type]  # a Table, typed FromClause
    return stmt.on_conflict_do_update(
        index_elements=["kind", "key"],
        set_={name: getattr(stmt.excluded, name) for name in _MOVED},
    )


def _same(job: Job) -> tuple[Any, ...]:
    return (
        ScheduledJob.kind == job.kind,
        ScheduledJob.key == job.key,
        ScheduledJob.due_at == job.due_at,
    )


_JOB_COLUMNS = (
    ScheduledJob.id,
    ScheduledJob.kind,
    ScheduledJob.key,
    ScheduledJob.due_at,
    ScheduledJob.attempts,
    ScheduledJob.payload,
    ScheduledJob.last_error,
    ScheduledJob.failed_at,
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
