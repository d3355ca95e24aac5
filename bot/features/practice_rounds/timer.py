"""A small durable timer for practice rounds.

The state lives in the database (``practice_rounds.due_at`` plus unfinished announcements), so
the timer holds nothing worth losing: one task asks ``load`` which rounds are due and when the
next one is, runs ``handler`` for each due round, then sleeps on the injected clock until the
next one or until ``poke()`` (a round started, moved or ended). On start it simply loads again,
so whatever fell due while the process was down runs at once.

A handler that fails is retried after ``retry_after`` (not in a hot loop); handlers must be
idempotent because a crash between the work and its commit runs them again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.clock import Clock

log = logging.getLogger(__name__)

# (ids of rounds due now, when the next one falls due)
Loader = Callable[[datetime], Awaitable[tuple[list[int], datetime | None]]]
Handler = Callable[[int], Awaitable[None]]


class RoundTimer:
    def __init__(
        self,
        clock: Clock,
        load: Loader,
        handler: Handler,
        *,
        retry_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self._clock = clock
        self._load = load
        self._handler = handler
        self._retry_after = retry_after
        self._retry_at: dict[int, datetime] = {}  # rounds whose handler failed: not before then
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting_until: datetime | None = None
        self._waiting = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="practice-round-timer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def poke(self) -> None:
        """Something changed in the rounds table: look again."""
        self._wake.set()

    async def settled(self) -> None:
        """Return once nothing is due now and the loop is asleep (tests, after advancing a
        fake clock)."""
        while True:
            await asyncio.sleep(0)
            if self._task is None or self._task.done():
                raise RuntimeError("the practice round timer is not running")
            due = self._waiting_until
            if (
                self._waiting
                and not self._wake.is_set()
                and (due is None or due > self._clock.now())
            ):
                return
            await asyncio.sleep(0.001)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock.now()
            try:
                due, next_at = await self._load(now)
            except Exception:
                log.exception("could not read the practice rounds that are due")
                due, next_at = [], now + self._retry_after
            ran = False
            for round_id in due:
                retry_at = self._retry_at.get(round_id)
                if retry_at is not None and retry_at > now:
                    next_at = retry_at if next_at is None else min(next_at, retry_at)
                    continue
                ran = True
                try:
                    await self._handler(round_id)
                    self._retry_at.pop(round_id, None)
                except Exception:
                    log.exception("practice round %s: timed step failed; retrying later", round_id)
                    self._retry_at[round_id] = now + self._retry_after
            if ran:
                continue  # handlers moved due_at: load again before sleeping
            self._waiting_until, self._waiting = next_at, True
            try:
                await self._clock.wait_until(next_at, self._wake)
            finally:
                self._waiting = False
