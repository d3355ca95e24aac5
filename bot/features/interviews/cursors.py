"""What the interview service keeps in memory per session: ownership, the next answer slot,
and a lock, so a click can be checked and an answer part appended without reading first.

The memory is only a cache. It is bounded (least recently used sessions are dropped; a miss
reads the database), and it is trusted only where this process is the one bot on the database
(SQLite: a second bot process is refused at start). When the database is shared by several
processes (PostgreSQL), another process may have answered, advanced or ended a session, so:

- every change runs in one transaction that first takes the session's advisory lock
  (``unit``), after the in-process lock (the fast path for double clicks in one process);
- an answer part is appended inside such a locked transaction, at the slot read there, not
  from the cached cursor;
- the open position a click is checked against is read from the database.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.session import ItemStatus, SessionStatus, SessionView
from bot.features.interviews.types import NotYourInterview
from bot.storage.database import Database
from bot.storage.locks import lock_in
from bot.storage.models import Answer, AnswerPart, InterviewSession

MAX_CACHED_SESSIONS = 10_000
LOCK_NAMESPACE = "interview.session"

V = TypeVar("V")


@dataclass(slots=True)
class Cursor:
    """Where the next answer part of an active item goes; cached so appends need no read."""

    answer_id: int
    position: int
    next_part: int
    chars: int


class Bounded(OrderedDict[int, V], Generic[V]):
    """A dict that forgets its least recently used entries past ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: int, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)

    def get(self, key: int, default: V | None = None) -> V | None:  # type: ignore[override]
        if key in self:
            self.move_to_end(key)
            return super().__getitem__(key)
        return default


class SessionCache:
    def __init__(
        self, db: Database, *, shared: bool | None = None, limit: int = MAX_CACHED_SESSIONS
    ) -> None:
        """``shared``: other processes may change sessions (default: on PostgreSQL); the
        cursors are then never trusted for a write or a position check."""
        self._db = db
        self.shared = (not db.is_sqlite) if shared is None else shared
        self.cursors: Bounded[Cursor] = Bounded(limit)
        self.owners: Bounded[int] = Bounded(limit)  # session -> user; never changes
        # session -> whether it asks follow-ups; set at its start, never changed
        self.follow_ups: Bounded[bool] = Bounded(limit)
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def remember(self, row: InterviewSession) -> None:
        self.owners[row.id] = row.user_id
        self.follow_ups[row.id] = bool(row.follow_ups)
        answer = row.answers[row.current_position] if row.answers else None
        if row.status == SessionStatus.ACTIVE and answer and answer.status == ItemStatus.ACTIVE:
            self.cursors[row.id] = Cursor(
                answer.id,
                answer.position,
                len(answer.parts),
                sum(len(p.text) for p in answer.parts),
            )
        else:
            self.cursors.pop(row.id, None)

    def forget(self, session_id: int) -> None:
        self.cursors.pop(session_id, None)
        self.owners.pop(session_id, None)
        self.follow_ups.pop(session_id, None)

    def lock(self, session_id: int) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    @asynccontextmanager
    async def unit(self, session_id: int) -> AsyncIterator[AsyncSession]:
        """One transaction on the session, serialised in this process (asyncio lock) and
        across processes (advisory lock, PostgreSQL). The cached cursor is dropped until the
        caller ``remember``s the committed state."""
        async with self.lock(session_id):
            self.cursors.pop(session_id, None)
            async with self._db.transaction() as s:
                await lock_in(s, LOCK_NAMESPACE, session_id)
                yield s

    @asynccontextmanager
    async def transaction_under_lock(self, session_id: int) -> AsyncIterator[AsyncSession]:
        """A transaction holding the session's cross-process lock, for a caller that already
        holds ``lock(session_id)`` (work done before the transaction, such as choosing a
        follow-up, stays outside it)."""
        async with self._db.transaction() as s:
            await lock_in(s, LOCK_NAMESPACE, session_id)
            yield s

    async def position(
        self, session_id: int, user_id: int, load: Callable[[int], Awaitable[SessionView]]
    ) -> int | None:
        """The open item's position if ``user_id`` owns the session (``load`` reads the
        session when it is not cached); raises NotYourInterview otherwise."""
        owner = self.owners.get(session_id)
        cursor = self.cursors.get(session_id)
        if self.shared and owner is not None:  # the owner never changes; the position may
            async with self._db.reading() as s:
                cursor = await read_cursor(s, session_id)
            position = None if cursor is None else cursor.position
        elif owner is None or cursor is None:
            view = await load(session_id)
            owner = self.owners[session_id] = view.user_id
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


async def read_cursor(s: AsyncSession, session_id: int) -> Cursor | None:
    """The cursor of the session's open item as stored now (None when no item is open)."""
    of_answer = AnswerPart.answer_id == Answer.id
    next_part = select(func.coalesce(func.max(AnswerPart.position), -1) + 1).where(of_answer)
    chars = select(func.coalesce(func.sum(func.length(AnswerPart.text)), 0)).where(of_answer)
    found = (
        await s.execute(
            select(
                Answer.id,
                Answer.position,
                next_part.scalar_subquery(),
                chars.scalar_subquery(),
            )
            .join(InterviewSession, InterviewSession.id == Answer.session_id)
            .where(
                InterviewSession.id == session_id,
                Answer.position == InterviewSession.current_position,
                InterviewSession.status == SessionStatus.ACTIVE.value,
                Answer.status == ItemStatus.ACTIVE.value,
            )
        )
    ).first()
    return None if found is None else Cursor(*found)
