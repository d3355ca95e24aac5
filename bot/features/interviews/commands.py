"""Slash commands `/interview start|status|end|history` and `/help`: parse, then call the flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.formats import Length
from bot.core.questions import Difficulty, Track
from bot.discord import render
from bot.discord.guard import reply
from bot.discord.limits import fit_choices, quote
from bot.features.interviews.ai_flow import AIFlow
from bot.features.interviews.flow import InterviewFlow
from bot.features.interviews.views import DYNAMIC_ITEMS, HANDLERS

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

TRACK_CHOICES = [app_commands.Choice(name=t.value, value=t.value) for t in Track]
LENGTH_CHOICES = [
    app_commands.Choice(name="standard (30-45 min)", value=Length.STANDARD.value),
    app_commands.Choice(name="short (15-25 min)", value=Length.SHORT.value),
]
DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]


class InterviewCommands(commands.Cog):
    interview = app_commands.Group(name="interview", description="Timed, scored mock interviews")

    def __init__(self, bot: MockInterviewBot) -> None:
        self.bot = bot

    @interview.command(name="start", description="Start a private, timed mock interview")
    @app_commands.describe(
        track="phone-screen, technical or system-design",
        length="standard or short (a study-group slot)",
        topic="only questions of this topic",
        difficulty="only questions of this difficulty",
        follow_ups="ask one follow-up after each submitted answer (default: on for standard)",
    )
    @app_commands.choices(track=TRACK_CHOICES, length=LENGTH_CHOICES, difficulty=DIFFICULTY_CHOICES)
    async def start(
        self,
        interaction: discord.Interaction[Any],
        track: app_commands.Choice[str],
        length: app_commands.Choice[str] | None = None,
        topic: str | None = None,
        difficulty: app_commands.Choice[str] | None = None,
        follow_ups: bool | None = None,
    ) -> None:
        chosen = Track(track.value)
        topics = self.bot.app.banks.for_guild(interaction.guild_id).topics(chosen)
        if topic is not None and topic not in topics:
            await reply(  # fitted into 2,000 characters, the typed topic quoted clipped
                interaction,
                f"Unknown topic `{quote(topic)}` for {chosen.value}. Choose one of: "
                + ", ".join(f"`{t}`" for t in topics),
            )
            return
        await self.bot.flow.start(
            interaction,
            chosen,
            Length(length.value) if length else Length.STANDARD,
            topic,
            Difficulty(difficulty.value) if difficulty else None,
            follow_ups,
        )

    @start.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        track_value = getattr(interaction.namespace, "track", None)
        tracks = [Track(track_value)] if track_value in {t.value for t in Track} else list(Track)
        needle = current.lower().strip()
        bank = self.bot.app.banks.for_guild(interaction.guild_id)
        names = sorted({t for tr in tracks for t in bank.topics(tr)})
        return fit_choices(app_commands.Choice(name=t, value=t) for t in names if needle in t)

    @interview.command(
        name="status", description="Where you are in your interview and the time left"
    )
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.flow.status(interaction)

    @interview.command(
        name="end",
        description="End your interview now and get the scorecard (items not reached score 1/4)",
    )
    async def end(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.flow.end(interaction)

    @interview.command(
        name="history",
        description="Your latest interviews and how each ended (ended early, finished)",
    )
    async def history(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.flow.history(interaction)

    @app_commands.command(name="help", description="List the bot's commands")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        commands_ = (
            self.bot.tree.get_commands(guild=interaction.guild) or self.bot.tree.get_commands()
        )
        await interaction.response.send_message(
            embed=render.help_embed(list(commands_)), ephemeral=True
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.flow.on_interaction(interaction)


async def setup(bot: MockInterviewBot) -> None:
    ai = AIFlow(bot.app.interviews, bot.app.ai_marking, bot.app.guild_settings)
    bot.flow = InterviewFlow(bot, bot.app.interviews, bot.app.banks, ai=ai)
    HANDLERS.register(bot, bot.flow)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)  # buttons keep working after a restart
    await bot.add_cog(InterviewCommands(bot))
