"""Durable deadlines: stored in the database, fired by one dispatcher per process.

The dispatcher keeps an in-memory heap mirroring the ``deadlines`` rows of its scope. It sleeps
until the earliest one (through the injected clock), wakes early when an earlier one is added,
and on start re-reads the table, so deadlines that passed while the process was down fire at once.
A deadline row is deleted only after its handler ran, so a crash in between fires it again on the
next start: handlers must be idempotent (the interview service checks the item is still current).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.storage.database import Database
from bot.storage.models import Deadline

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True, slots=True)
class DeadlineKey:
    kind: str
    session_id: int
    position: int


@dataclass(frozen=True, slots=True)
class Fired:
    key: DeadlineKey
    due_at: datetime
    fired_at: datetime


Handler = Callable[[Fired], Awaitable[None]]


@dataclass(order=True)
class _Entry:
    due_at: datetime
    seq: int
    key: DeadlineKey = field(compare=False)


class DeadlineDispatcher:
    def __init__(self, db: Database, clock: Clock, scope: str, *, batch_size: int = 500) -> None:
        self._db = db
        self._clock = clock
        self._scope = scope
        self._batch_size = batch_size
        self._heap: list[_Entry] = []
        self._live: dict[DeadlineKey, _Entry] = {}  # the entry currently valid for each key
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._handlers: list[Handler] = []
        self._task: asyncio.Task[None] | None = None
        self._waiting = False

    @property
    def scope(self) -> str:
        return self._scope

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def pending(self) -> int:
        return len(self._live)

    async def start(self) -> None:
        async with self._db.transaction() as s:
            rows = (await s.scalars(select(Deadline).where(Deadline.scope == self._scope))).all()
        for row in rows:
            self._push(DeadlineKey(row.kind, row.session_id, row.position), row.due_at)
        self._task = asyncio.create_task(self._run(), name=f"deadlines:{self._scope}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    # -- writes happen in the caller's transaction, the heap is updated after commit ----------

    async def schedule_in(self, s: AsyncSession, deadlines: dict[DeadlineKey, datetime]) -> None:
        """Persist (insert or move) deadlines inside the caller's unit of work: one upsert."""
        if not deadlines:
            return
        rows = [
            {
                "scope": self._scope,
                "kind": k.kind,
                "session_id": k.session_id,
                "position": k.position,
                "due_at": due,
            }
            for k, due in deadlines.items()
        ]
        insert = pg_insert if self._db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(Deadline).values(rows)
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["session_id", "position", "kind"],
                set_={"due_at": stmt.excluded.due_at, "scope": stmt.excluded.scope},
            )
        )

    async def cancel_in(self, s: AsyncSession, keys: Iterable[DeadlineKey]) -> None:
        params = [{"k": k.kind, "s": k.session_id, "p": k.position} for k in keys]
        if params:  # executemany of an indexed equality delete: one round trip
            await (await s.connection()).execute(_DELETE_KEY, params)

    def committed(
        self, scheduled: dict[DeadlineKey, datetime], cancelled: Iterable[DeadlineKey]
    ) -> None:
        """Mirror a committed transaction in memory; wakes the loop if something is earlier."""
        for key in cancelled:
            self._live.pop(key, None)
        for key, due_at in scheduled.items():
            self._push(key, due_at)

    async def settled(self) -> None:
        """Return once every deadline due now has fired (tests: after advancing a fake clock)."""
        while True:
            await asyncio.sleep(0)
            head = self._peek()
            nothing_due = head is None or head.due_at > self._clock.now()
            if self._waiting and nothing_due and not self._wake.is_set():
                return
            if self._task is None or self._task.done():
                raise RuntimeError("deadline dispatcher is not running")
            await asyncio.sleep(0.001)

    # -- the loop ---------------------------------------------------------------------------

    def _push(self, key: DeadlineKey, due_at: datetime) -> None:
        entry = _Entry(due_at, next(self._seq), key)
        earliest = self._peek()
        self._live[key] = entry
        heapq.heappush(self._heap, entry)
        if earliest is None or due_at < earliest.due_at:
            self._wake.set()

    def _peek(self) -> _Entry | None:
        # Lazy deletion: entries replaced or cancelled stay in the heap until they surface.
        while self._heap and self._live.get(self._heap[0].key) is not self._heap[0]:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    async def _run(self) -> None:
        while True:
            head = self._peek()
            self._wake.clear()
            if head is None or head.due_at > self._clock.now():
                self._waiting = True
                try:
                    await self._clock.wait_until(head.due_at if head else None, self._wake)
                finally:
                    self._waiting = False
                continue
            due = self._take_due()
            await self._fire(due)

    def _take_due(self) -> list[_Entry]:
        now = self._clock.now()
        due: list[_Entry] = []
        while len(due) < self._batch_size:
            head = self._peek()
            if head is None or head.due_at > now:
                break
            heapq.heappop(self._heap)
            del self._live[head.key]
            due.append(head)
        return due

    async def _fire(self, entries: list[_Entry]) -> None:
        for entry in entries:
            fired = Fired(entry.key, entry.due_at, self._clock.now())
            for handler in self._handlers:
                try:
                    await handler(fired)
                except Exception:
                    log.exception("deadline handler failed for %s", entry.key)
        # Only rows still at the fired due time: a handler may have moved the same key.
        params = [
            {"k": e.key.kind, "s": e.key.session_id, "p": e.key.position, "d": e.due_at}
            for e in entries
        ]
        async with self._db.transaction() as s:
            await (await s.connection()).execute(_DELETE_FIRED, params)


_KEY_MATCH = (
    (Deadline.session_id == bindparam("s"))
    & (Deadline.position == bindparam("p"))
    & (Deadline.kind == bindparam("k"))
)
_TABLE: Table = Deadline.__table__  # type: ignore[assignment]
# Core statements (bulk ORM delete does not take executemany parameters).
_DELETE_KEY = delete(_TABLE).where(_KEY_MATCH)
_DELETE_FIRED = delete(_TABLE).where(_KEY_MATCH & (Deadline.due_at == bindparam("d")))
