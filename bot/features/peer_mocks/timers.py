"""Durable timers of the peer mocks: invitation expiry and the no-show check.

The shared ``deadlines`` table is keyed by interview session, and an invitation or a ready-check
has none, so the peer mocks keep their own ``peer_timers`` rows and follow the same rules as the
deadline dispatcher: rows are written in the caller's transaction, mirrored in memory after the
commit, re-read on start (so what fell due while the process was down fires at once), and one
task sleeps on the injected clock until the earliest. A row is deleted only after its handler
ran, so handlers must be idempotent; a failing handler is retried after ``RETRY_AFTER``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.features.peer_mocks.models import PeerTimer
from bot.storage.database import Database

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=30)


@dataclass(frozen=True, order=True, slots=True)
class TimerKey:
    kind: str
    ref_id: int


Handler = Callable[[TimerKey], Awaitable[None]]


class PeerTimers:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._due: dict[TimerKey, datetime] = {}  # a handful at a time: a dict, no heap needed
        self._handler: Handler | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting = False

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    def due_at(self, key: TimerKey) -> datetime | None:
        return self._due.get(key)

    async def start(self) -> None:
        if self._task is not None:
            return
        async with self._db.reading() as s:
            rows = (await s.scalars(select(PeerTimer))).all()
        for row in rows:
            self._due[TimerKey(row.kind, row.ref_id)] = row.due_at
        self._task = asyncio.create_task(self._run(), name="peer-mock-timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    # -- writes in the caller's transaction, mirrored in memory after the commit ---------------

    async def schedule_in(self, s: AsyncSession, key: TimerKey, due_at: datetime) -> None:
        insert = pg_insert if self._db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(PeerTimer).values(kind=key.kind, ref_id=key.ref_id, due_at=due_at)
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "ref_id"], set_={"due_at": stmt.excluded.due_at}
            )
        )

    async def cancel_in(self, s: AsyncSession, key: TimerKey) -> None:
        await s.execute(
            delete(PeerTimer).where(PeerTimer.kind == key.kind, PeerTimer.ref_id == key.ref_id)
        )

    def committed(
        self, scheduled: dict[TimerKey, datetime], cancelled: Iterable[TimerKey] = ()
    ) -> None:
        for key in cancelled:
            self._due.pop(key, None)
        self._due.update(scheduled)
        if scheduled or cancelled:
            self._wake.set()

    async def settled(self) -> None:
        """Return once every timer due now has fired (tests: after advancing a fake clock)."""
        while True:
            await asyncio.sleep(0)
            now = self._clock.now()
            nothing_due = all(due > now for due in self._due.values())
            if self._waiting and nothing_due and not self._wake.is_set():
                return
            if self._task is None or self._task.done():
                raise RuntimeError("peer mock timers are not running")
            await asyncio.sleep(0.001)

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock.now()
            due_now = sorted((due, key) for key, due in self._due.items() if due <= now)
            if not due_now:
                self._waiting = True
                try:
                    await self._clock.wait_until(min(self._due.values(), default=None), self._wake)
                finally:
                    self._waiting = False
                continue
            for due, key in due_now:
                await self._fire(key, due)

    async def _fire(self, key: TimerKey, due: datetime) -> None:
        if self._due.get(key) != due:
            return  # moved or cancelled by an earlier handler of this batch
        del self._due[key]
        try:
            if self._handler is not None:
                await self._handler(key)
        except Exception:
            log.exception("peer mock timer %s failed; retrying in %s", key, RETRY_AFTER)
            self._due.setdefault(key, self._clock.now() + RETRY_AFTER)
            return
        async with self._db.transaction() as s:  # only the row that fired: it may have moved
            await s.execute(
                delete(PeerTimer).where(
                    PeerTimer.kind == key.kind,
                    PeerTimer.ref_id == key.ref_id,
                    PeerTimer.due_at == due,
                )
            )
