"""The server permissions the bot needs, in one place.

The README's invite instructions state the same list and integer (a test compares them), and the
loopback fake Discord gives the bot's role exactly these, so a feature that needs one more
permission shows up in tests instead of on a member's server.
"""

from __future__ import annotations

import discord

# Name as the Developer Portal shows it -> discord.py's flag. Why each is needed:
REQUIRED_PERMISSION_NAMES: dict[str, str] = {
    "View Channels": "view_channel",  # see the channel a command came from
    "Send Messages": "send_messages",  # questions, scorecards, daily questions
    "Send Messages in Threads": "send_messages_in_threads",  # interviews run in threads
    "Create Public Threads": "create_public_threads",  # practice rounds, panels, reveals
    "Create Private Threads": "create_private_threads",  # a private interview thread
    "Embed Links": "embed_links",  # questions and scorecards are embeds
    "Attach Files": "attach_files",  # the /stats chart, CSV exports in channels
    "Read Message History": "read_message_history",  # edit and reply to its own messages
}

REQUIRED_PERMISSIONS = discord.Permissions(
    **dict.fromkeys(REQUIRED_PERMISSION_NAMES.values(), True)
)
