"""Shared by the bank admin and config features: refusals and the error wrapper of handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.discord.guard import explain_as_str, handler_guard
from bot.features.bank.types import BankAdminError
from bot.features.config.permissions import NOT_A_MODERATOR, is_moderator
from bot.features.config.service import GuildSettingsService

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot
    from bot.features.bank.service import BankAdminService


class Refused(Exception):
    """The user may not do this here; the message says what is allowed."""


guarded = handler_guard(
    explain=explain_as_str(Refused, BankAdminError),
    sorry="Something went wrong on our side; nothing was changed.",
)


def guild_of(interaction: discord.Interaction[Any]) -> discord.Guild:
    if interaction.guild is None:
        raise Refused("Use this command in a server.")
    return interaction.guild


async def require_moderator(
    interaction: discord.Interaction[Any], settings: GuildSettingsService
) -> discord.Guild:
    """The guild, if the user is a moderator there (Manage Server or the moderator role)."""
    guild = guild_of(interaction)
    if not await is_moderator(interaction, settings):
        raise Refused(NOT_A_MODERATOR)
    return guild


def require_manage_server(interaction: discord.Interaction[Any]) -> discord.Guild:
    guild = guild_of(interaction)
    member = interaction.user
    if not isinstance(member, discord.Member) or not member.guild_permissions.manage_guild:
        raise Refused(
            "Only members with the Manage Server permission can choose the moderator role."
        )
    return guild


class FlowBase:
    """What every part of the bank flow shares: the bot, the service, who is acting."""

    def __init__(self, bot: MockInterviewBot, service: BankAdminService) -> None:
        self.bot = bot
        self.service = service

    async def require_moderator(self, interaction: discord.Interaction[Any]) -> discord.Guild:
        return await require_moderator(interaction, self.bot.app.guild_settings)

    async def actor(self, interaction: discord.Interaction[Any]) -> int:
        """The users.id of whoever acts (for the audit log and suggestions)."""
        return await self.bot.flow.user_id(interaction.user)

    async def refuse_form(
        self,
        interaction: discord.Interaction[Any],
        custom_id: str,
        values: dict[str, str],
        problems: list[str],
    ) -> None:
        """Say what is wrong and hand the submitted text back (implemented by BankFlow)."""
        raise NotImplementedError
