"""`python -m bot run` as production runs it (settings from the environment: DATABASE_URL,
DISCORD_TOKEN, SHARD_COUNT, SHARD_IDS), pointed at the loopback fake.

argv: API base URL, gateway URL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import main

if __name__ == "__main__":
    Route.BASE = sys.argv[1]  # the two seams the loopback fake documents
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
    sys.exit(main(["run"]))
