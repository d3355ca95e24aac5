"""Who may act here: refusals and the moderator checks that every moderated feature uses."""

from __future__ import annotations

from typing import Any

import discord

from bot.features.config.permissions import NOT_A_MODERATOR, is_moderator
from bot.features.config.service import GuildSettingsService


class Refused(Exception):
    """The user may not do this here; the message says what is allowed."""


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
