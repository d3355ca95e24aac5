"""Progress of a big import, for whoever waits on it (the deferred Discord reply)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.features.bank.types import ImportProgress

PROGRESS_FROM = 500  # files with more questions than this report their progress
STEPS = 10  # reports per stage, about

Listener = Callable[[ImportProgress], None]


class ImportSteps:
    """Turns "done of total" counts into a few ``ImportProgress`` reports per stage, and only for
    big files. ``listener`` runs on the event loop and must not block (it may start a task);
    ``in_thread`` gives a counter that a worker thread can call."""

    def __init__(self, listener: Listener | None, big_from: int | None = None) -> None:
        self._listener = listener
        self._from = PROGRESS_FROM if big_from is None else big_from
        self._loop = asyncio.get_running_loop()
        self.shown = False

    def _due(self, done: int, total: int) -> bool:
        if self._listener is None or total <= self._from:
            return False
        return done == total or done % max(1, total // STEPS) == 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Report from the event loop."""
        if self._listener is not None and self._due(done, total):
            self.shown = True
            self._listener(ImportProgress(stage, done, total))

    def always(self, stage: str, done: int, total: int) -> None:
        """Report a stage whatever its size, if this import already showed progress."""
        if self._listener is not None and self.shown:
            self._listener(ImportProgress(stage, done, total))

    def in_thread(self, stage: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` counter for a worker thread: reports hop onto the event loop."""

        def count(done: int, total: int) -> None:
            if self._due(done, total):
                self._loop.call_soon_threadsafe(self, stage, done, total)

        return count
