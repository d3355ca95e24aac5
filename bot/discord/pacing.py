"""Keep this process under its share of Discord's global rate limit, before Discord says so.

Discord allows a bot (one token, every process together) 50 requests in any second, outside
interaction callbacks and webhooks. discord.py only reacts to that limit: it learns of it from
a 429, and each request already in flight sleeps and retries on its own, so a burst (a thousand
daily posts, two hundred interviews starting) keeps meeting 429s, and a request that meets five
in a row fails (a first question or a daily post lost). Two processes each bursting do it twice
as often, and neither sees the other's requests.

So every request attempt to the REST API waits here first (an aiohttp trace hook, which
discord.py accepts as ``http_trace``; retries pass through it too): at most ``limit`` in any
sliding ``window``, in arrival order. A process's share is its part of the shards, below
Discord's figure by a margin for clocks and network jitter (``share``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import aiohttp
import yarl

DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot token, every process together
MARGIN = 0.9  # what the processes use of it together
EXEMPT = ("/interactions/", "/webhooks/")  # not counted by Discord's global limit


def share(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> int:
    """This process's requests per second: its part of the shards of ``MARGIN`` x 50."""
    total = DISCORD_GLOBAL_LIMIT * MARGIN
    if shard_count and shard_ids:
        total = total * len(shard_ids) / shard_count
    return max(1, int(total))


class GlobalPacer:
    """At most ``limit`` requests arriving at Discord in any sliding ``window`` seconds;
    callers wait in order.

    Discord counts a request when it arrives, somewhere between our sending it and our reading
    the answer, so a request holds its place from its start until ``window`` after its answer
    (or failure). Then any ``window`` of arrivals holds at most ``limit``: the last request of
    such a window started while every other one in it was in flight or answered less than
    ``window`` before, all holding places.
    """

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a pace needs a limit of 1 or more and a window above 0, got {limit}")
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._in_flight = 0
        self._ended: deque[float] = deque()  # when answered, in that order
        self._answered = asyncio.Event()
        self._turn = asyncio.Lock()  # FIFO: the first to wait is the first to go
        self.waited = 0.0  # seconds spent waiting in all (how much the pace held back)

    async def wait(self) -> None:
        """Return when a request may start; call ``done`` once it is answered or failed."""
        async with self._turn:
            while True:
                now = self._clock()
                while self._ended and self._ended[0] <= now - self.window:
                    self._ended.popleft()
                if self._in_flight + len(self._ended) < self.limit:
                    self._in_flight += 1
                    return
                began = now
                if self._ended:  # the oldest answered place frees first
                    await self._sleep(self._ended[0] + self.window - now)
                else:  # every place is in flight: wait for an answer, then its window
                    self._answered.clear()
                    await self._answered.wait()
                self.waited += self._clock() - began

    def done(self) -> None:
        self._in_flight -= 1
        self._ended.append(self._clock())
        self._answered.set()

    def trace_config(self, api_base: Callable[[], str]) -> aiohttp.TraceConfig:
        """A hook pacing requests to URLs under ``api_base()`` (read at each request, so a
        test may point discord.py elsewhere), except those Discord does not count. aiohttp
        ends every started request with exactly one of the end or exception signals."""
        config = aiohttp.TraceConfig()

        async def on_request_start(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if counted(params.url, api_base()):
                await self.wait()
                context.paced = True

        async def on_request_done(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: object
        ) -> None:
            if getattr(context, "paced", False):
                context.paced = False
                self.done()

        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_done)
        config.on_request_exception.append(on_request_done)
        return config


def counted(url: yarl.URL, api_base: str) -> bool:
    """Whether Discord's global limit counts a request to ``url``."""
    text = str(url)
    if not text.startswith(api_base):
        return False  # the gateway's websocket, a CDN download
    path = text[len(api_base) :]
    return not any(path.startswith(prefix) for prefix in EXEMPT)
