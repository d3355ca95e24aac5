"""The bot in its own process for benchmarks: production `serve()`, pointed at the loopback fake.

argv: API base URL, gateway URL, database URL.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli.run import serve
from bot.config import Settings

if __name__ == "__main__":
    api, gateway, database = sys.argv[1:4]
    Route.BASE = api  # the two seams the loopback fake documents
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    asyncio.run(
        serve(Settings(database_url=database, discord_token="token"), guild_ready_timeout=0.05)
    )
