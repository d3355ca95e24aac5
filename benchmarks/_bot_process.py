"""The bot in its own process for benchmarks: production `serve()`, pointed at the loopback fake.

argv: API base URL, gateway URL, database URL.
With MLMOCK_PROFILE=<file> set, the bot runs under pyinstrument (a dev dependency) and writes
its text report to that file when it is terminated (SIGTERM) and has shut down.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli.run import serve
from bot.config import Settings


def run(api: str, gateway: str, database: str) -> None:
    Route.BASE = api  # the two seams the loopback fake documents
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    asyncio.run(
        serve(Settings(database_url=database, discord_token="token"), guild_ready_timeout=0.05)
    )


def profiled(report: Path, *args: str) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    try:
        run(*args)  # returns after SIGTERM, once serve() has shut down
    finally:
        profiler.stop()
        report.write_text(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    api, gateway, database = sys.argv[1:4]
    if os.environ.get("MLMOCK_PROFILE"):
        profiled(Path(os.environ["MLMOCK_PROFILE"]), api, gateway, database)
    else:
        run(api, gateway, database)
