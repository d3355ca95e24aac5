"""Time as a dependency: every layer asks a Clock, so tests move time without sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""

    async def wait_until(self, when: datetime | None, interrupt: asyncio.Event) -> None:
        """Return once ``when`` has passed (never, if None) or ``interrupt`` is set."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait_until(self, when: datetime | None, interrupt: asyncio.Event) -> None:
        timeout = None if when is None else max(0.0, (when - self.now()).total_seconds())
        try:
            await asyncio.wait_for(interrupt.wait(), timeout)
        except TimeoutError:
            pass


class FakeClock:
    """A clock that only moves when told to; waiters wake as soon as their time is reached."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._changed = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when
        # Wake every waiter; each re-checks its own deadline.
        self._changed.set()
        self._changed = asyncio.Event()

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        self.set(self._now + timedelta(seconds=seconds, **delta))
        return self._now

    async def wait_until(self, when: datetime | None, interrupt: asyncio.Event) -> None:
        while not interrupt.is_set() and (when is None or self._now < when):
            changed = asyncio.ensure_future(self._changed.wait())
            interrupted = asyncio.ensure_future(interrupt.wait())
            try:
                await asyncio.wait({changed, interrupted}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()
                interrupted.cancel()
