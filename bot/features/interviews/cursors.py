"""What the interview service keeps in memory per session: ownership, the next answer slot,
and a lock, so a click can be checked and an answer part appended without reading first."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.session import ItemStatus, SessionStatus, SessionView
from bot.features.interviews.types import NotYourInterview
from bot.storage.models import InterviewSession


@dataclass(slots=True)
class Cursor:
    """Where the next answer part of an active item goes; cached so appends need no read."""

    answer_id: int
    position: int
    next_part: int
    chars: int


class SessionCache:
    def __init__(self) -> None:
        self.cursors: dict[int, Cursor] = {}
        self.owners: dict[int, int] = {}  # session -> user; never changes once created
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def remember(self, row: InterviewSession) -> None:
        self.owners[row.id] = row.user_id
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

    def lock(self, session_id: int) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    async def position(
        self, session_id: int, user_id: int, load: Callable[[int], Awaitable[SessionView]]
    ) -> int | None:
        """The open item's position if ``user_id`` owns the session (``load`` reads the
        session when it is not cached); raises NotYourInterview otherwise."""
        owner = self.owners.get(session_id)
        cursor = self.cursors.get(session_id)
        if owner is None or cursor is None:
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
