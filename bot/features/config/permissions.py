"""Who counts as a moderator: Manage Server, or the role set with /config moderator-role."""

from __future__ import annotations

from typing import Any

import discord

from bot.features.config.service import GuildSettingsService

NOT_A_MODERATOR = (
    "Only moderators can do that: members with the Manage Server permission or the moderator "
    "role set with /config moderator-role."
)


async def is_moderator(
    interaction: discord.Interaction[Any], settings: GuildSettingsService
) -> bool:
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    config = await settings.get(interaction.guild.id)
    return config.moderator_role_id is not None and any(
        role.id == config.moderator_role_id for role in member.roles
    )
