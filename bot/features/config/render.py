"""The /config embed: a pure function of the guild's settings."""

from __future__ import annotations

import discord

from bot.features.config.service import GuildConfig


def config_embed(config: GuildConfig, counts: dict[str, int]) -> discord.Embed:
    embed = discord.Embed(title="Server settings", colour=discord.Colour.blurple())
    role = f"<@&{config.moderator_role_id}>"
    embed.add_field(
        name="Moderators",
        value=f"Manage Server, and the role {role}"
        if config.moderator_role_id
        else "Members with Manage Server (no moderator role set)",
        inline=False,
    )
    embed.add_field(
        name="Bundled questions",
        value="on: used beside this server's questions"
        if config.bundled_questions
        else "off: only this server's own questions are used",
        inline=False,
    )
    own = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none yet"
    embed.add_field(name="This server's questions", value=own, inline=False)
    daily = (
        f"<#{config.daily_channel_id}> at "
        f"{config.daily_time or '?'} ({config.daily_timezone or 'UTC'})"
        + (f", {config.daily_track}" if config.daily_track else "")
        if config.daily_channel_id
        else "not scheduled"
    )
    embed.add_field(name="Daily question", value=daily, inline=False)
    embed.add_field(
        name="AI interviewer",
        value="on: answers go to the bot's model server for grading checks and feedback"
        if config.ai_enabled
        else "off (/config ai on)",
        inline=False,
    )
    return embed
