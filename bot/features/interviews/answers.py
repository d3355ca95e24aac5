"""Appending answer text, with group commit: many sessions' inserts share one transaction.

SQLite has one writer; a transaction costs far more than a row. While one batch commits, new
answer parts queue up and go out together in the next transaction, so throughput grows with
load instead of collapsing into a queue of tiny transactions. Each caller still returns only
after its own row is committed (durable before it is acknowledged).

When several processes share the database (PostgreSQL), the cached cursor may be stale: each
append is then its own transaction that takes the session's lock and reads the slot there.
"""

from __future__ import annotations

import asyncio
import contextvars
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from bot.features.interviews import rows
from bot.features.interviews.cursors import SessionCache, read_cursor
from bot.features.interviews.types import AnswerSaved, InterviewError, StaleAction
from bot.storage.database import Database
from bot.storage.models import AnswerPart


class AnswerPartWriter:
    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self._db = db
        self._max_batch = max_batch
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def insert(self, answer_id: int, position: int, text: str, created_at: datetime) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        row = {"answer_id": answer_id, "position": position, "text": text, "created_at": created_at}
        self._pending.append((row, future))
        if self._flusher is None or self._flusher.done():
            # A fresh context: the flusher serves every session, it holds no caller's locks.
            self._flusher = asyncio.create_task(
                self._flush(), name="answer-part-writer", context=contextvars.Context()
            )
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                async with self._db.transaction() as s:
                    conn = await s.connection()
                    await conn.execute(insert(AnswerPart), [row for row, _ in batch])
            except Exception as exc:  # every waiter learns its row was not stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


class Appender:
    """Appends answer parts under the session's lock. The first append of a session in this
    process reads it once; after that the cached cursor says where the part goes."""

    def __init__(self, db: Database, cache: SessionCache, *, max_chars: int) -> None:
        self._db = db
        self._cache = cache
        self._writer = AnswerPartWriter(db)
        self._max_chars = max_chars  # one item's answer, all parts together

    async def append(
        self, session_id: int, text: str, position: int | None, now: datetime
    ) -> AnswerSaved:
        if self._cache.shared:
            return await self._append_shared(session_id, text, position, now)
        async with self._cache.lock(session_id):
            cursor = self._cache.cursors.get(session_id)
            if cursor is None:  # not cached in this process yet: read it once
                async with self._db.transaction() as s:
                    row = await rows.session_row(s, session_id)
                    rows.current_answer(row, position)
                    self._cache.remember(row)
                cursor = self._cache.cursors[session_id]
            if position is not None and position != cursor.position:
                raise StaleAction("That question is no longer the current one.")
            self._check_room(cursor.chars, text)
            try:
                await self._writer.insert(cursor.answer_id, cursor.next_part, text, now)
            except Exception:
                self._cache.cursors.pop(session_id, None)  # re-read the truth next time
                raise
            cursor.next_part += 1
            cursor.chars += len(text)
            return AnswerSaved(session_id, cursor.position, cursor.next_part, cursor.chars)

    def _check_room(self, chars: int, text: str) -> None:
        """One item's answer (parts and follow-up reply together) is capped: nothing is added
        past the cap, and the member is told how much room is left."""
        if chars + len(text) > self._max_chars:
            left = max(0, self._max_chars - chars)
            raise InterviewError(
                f"This answer would pass {self._max_chars:,} characters, the most one "
                f"question's answer can hold (parts and follow-up reply together); "
                f"{left:,} characters are left. Nothing was added: shorten this part, "
                "or submit the answer."
            )

    async def _append_shared(
        self, session_id: int, text: str, position: int | None, now: datetime
    ) -> AnswerSaved:
        """Another process may have changed the session: read the slot under its lock."""
        async with self._cache.unit(session_id) as s:
            cursor = await read_cursor(s, session_id)
            if cursor is None or (position is not None and position != cursor.position):
                rows.current_answer(await rows.session_row(s, session_id), position)
                raise StaleAction("That question is no longer the current one.")
            self._check_room(cursor.chars, text)
            s.add(
                AnswerPart(
                    answer_id=cursor.answer_id, position=cursor.next_part, text=text, created_at=now
                )
            )
        chars = cursor.chars + len(text)
        return AnswerSaved(session_id, cursor.position, cursor.next_part + 1, chars)
