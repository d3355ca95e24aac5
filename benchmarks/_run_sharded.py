"""`python -m bot run` as production runs it (settings from the environment: DATABASE_URL,
DISCORD_TOKEN, SHARD_COUNT, SHARD_IDS), pointed at the loopback fake.

argv: API base URL, gateway URL.

One test hook, for ``sharded_load.py`` only: with ``MLMOCK_BENCH_POLL_SECONDS`` set, the
scheduler also looks at the jobs table at least that often. The benchmark moves jobs' ``due_at``
from outside (the daily slots and the first answer deadlines, to "now"), which no process is
told about; in production only the bots write jobs and a process sleeps until the next one it
knows of. Claims, leases and handlers are the production ones.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import main
from bot.core.clock import SystemClock


def poll_at_least_every(seconds: float) -> None:
    waits = SystemClock.wait_until

    async def wait_until(
        self: SystemClock, when: datetime | None, interrupt: asyncio.Event
    ) -> None:
        try:
            async with asyncio.timeout(seconds):
                await waits(self, when, interrupt)
        except TimeoutError:
            pass

    SystemClock.wait_until = wait_until  # type: ignore[method-assign]


if __name__ == "__main__":
    Route.BASE = sys.argv[1]  # the two seams the loopback fake documents
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
    if poll := os.environ.get("MLMOCK_BENCH_POLL_SECONDS"):
        poll_at_least_every(float(poll))
    sys.exit(main(["run"]))
