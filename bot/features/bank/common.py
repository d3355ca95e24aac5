"""What every part of the bank flow shares: the error wrapper of handlers and the context."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.guard import explain_as_str, handler_guard
from bot.features.bank.types import BankAdminError
from bot.features.config.access import Refused, require_moderator

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot
    from bot.features.bank.service import BankAdminService

guarded = handler_guard(
    explain=explain_as_str(Refused, BankAdminError),
    sorry="Something went wrong on our side; nothing was changed.",
)


RefuseForm = Callable[
    [discord.Interaction[Any], str, dict[str, str], list[str]], Coroutine[Any, Any, None]
]


class BankContext:
    """What every part of the bank flow shares: the bot, the service, who is acting."""

    def __init__(self, bot: MockInterviewBot, service: BankAdminService) -> None:
        self.bot = bot
        self.service = service

    async def require_moderator(self, interaction: discord.Interaction[Any]) -> discord.Guild:
        return await require_moderator(interaction, self.bot.app.guild_settings)

    async def actor(self, interaction: discord.Interaction[Any]) -> int:
        """The users.id of whoever acts (for the audit log and suggestions)."""
        return await self.bot.flow.user_id(interaction.user)
