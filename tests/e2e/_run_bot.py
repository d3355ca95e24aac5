"""`python -m bot run` exactly as a user runs it, pointed at the loopback fake.

argv: API base URL, gateway URL. Everything else (token, database) comes from the environment.
"""

from __future__ import annotations

import sys

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.cli import main

if __name__ == "__main__":
    Route.BASE = sys.argv[1]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
    sys.exit(main(["run"]))
