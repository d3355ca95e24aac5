"""Slash commands `/stats`, `/leaderboard` and `/history export`: parse, call a service, render.

Replies are ephemeral unless the member asks for ``public``; the CSV export is always private.
Bugs raised here reach the tree's error handler (logged with a traceback, short apology).
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.stats import Metric, Period
from bot.discord.components import PLATFORM
from bot.discord.guard import reply
from bot.features.stats import render
from bot.features.stats.charts import render_score_chart
from bot.features.stats.export import HistoryExportService, fit_attachment
from bot.features.stats.service import StatsService

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

PERIOD_CHOICES = [
    app_commands.Choice(name="this week (from Monday 00:00 UTC)", value=Period.WEEK.value),
    app_commands.Choice(name="this month (from the 1st, 00:00 UTC)", value=Period.MONTH.value),
    app_commands.Choice(name="all time", value=Period.ALL.value),
]
METRIC_CHOICES = [
    app_commands.Choice(name="average score", value=Metric.AVERAGE.value),
    app_commands.Choice(name="sessions", value=Metric.SESSIONS.value),
    app_commands.Choice(name="streak", value=Metric.STREAK.value),
]
PUBLIC_HELP = "post the reply in the channel for everyone (default: only you see it)"


class StatsCommands(commands.Cog):
    history = app_commands.Group(name="history", description="Your own interview history")

    def __init__(
        self, bot: MockInterviewBot, stats: StatsService, exports: HistoryExportService
    ) -> None:
        self.bot = bot
        self.stats = stats
        self.exports = exports

    @app_commands.command(
        name="stats",
        description="Progress: scores per track and topic, weakest topics, streak and a chart",
    )
    @app_commands.describe(
        member="another member (shows only their practice in this server)", public=PUBLIC_HELP
    )
    async def stats_command(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | discord.User | None = None,
        public: bool = False,
    ) -> None:
        target = member or interaction.user
        own = target.id == interaction.user.id
        if target.bot:
            await reply(interaction, "Bots don't practise interviews, so they have no stats.")
            return
        if not own and interaction.guild_id is None:
            await reply(
                interaction,
                "Another member's stats can only be seen in a server, and show their practice "
                "there. Use /stats without a member for your own.",
            )
            return
        await interaction.response.defer(ephemeral=not public, thinking=True)
        user_id = await self.stats.find_user(PLATFORM, str(target.id))
        stats = await self.stats.member_stats(
            user_id, guild_id=None if own else interaction.guild_id
        )
        if stats.is_empty:
            who = "You have" if own else f"{target.display_name} has"
            where = "" if own else " in this server"
            await interaction.followup.send(
                f"{who} no practice recorded{where} yet. Start with /interview start.",
                ephemeral=not public,
            )
            return
        chart = (
            await asyncio.to_thread(render_score_chart, stats.timeline) if stats.timeline else None
        )
        scope = (
            "All your practice: every server, DMs included."
            if own
            else f"{target.display_name}'s practice in this server."
        )
        embed = render.stats_embed(
            stats, name=target.display_name, scope=scope, has_chart=chart is not None
        )
        extra: dict[str, Any] = {}
        if chart is not None:
            extra["file"] = discord.File(io.BytesIO(chart), filename=render.CHART_FILENAME)
        await interaction.followup.send(embed=embed, ephemeral=not public, **extra)

    @app_commands.command(
        name="leaderboard",
        description="This server's top 10 by average score, sessions or daily streak",
    )
    @app_commands.guild_only()
    @app_commands.describe(
        period="week (from Monday 00:00 UTC), month (from the 1st) or all time; default week",
        metric="average score, number of sessions, or current daily streak; default average",
        min_sessions="sessions needed to be ranked on average score (default 3)",
        public=PUBLIC_HELP,
    )
    @app_commands.choices(period=PERIOD_CHOICES, metric=METRIC_CHOICES)
    async def leaderboard(
        self,
        interaction: discord.Interaction[Any],
        period: app_commands.Choice[str] | None = None,
        metric: app_commands.Choice[str] | None = None,
        min_sessions: app_commands.Range[int, 1, 100] | None = None,
        public: bool = False,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=not public, thinking=True)
        caller = await self.stats.find_user(PLATFORM, str(interaction.user.id))
        board = await self.stats.leaderboard(
            interaction.guild_id,
            Period(period.value) if period else Period.WEEK,
            Metric(metric.value) if metric else Metric.AVERAGE,
            caller_user_id=caller,
            min_sessions=min_sessions,
        )
        guild_name = interaction.guild.name if interaction.guild else "This server"
        await interaction.followup.send(
            embed=render.leaderboard_embed(board, guild_name),
            ephemeral=not public,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @history.command(
        name="export", description="Download all your answers and scores as a CSV file (private)"
    )
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        export = await self.exports.export(PLATFORM, str(interaction.user.id))
        if export.rows == 0:
            await interaction.followup.send(
                "You have no answers stored yet, so there is nothing to export.", ephemeral=True
            )
            return
        fitted = fit_attachment(export.data, export.filename, interaction.filesize_limit)
        if fitted is None:
            await interaction.followup.send(
                "Your history is larger than Discord lets me upload here, even compressed, "
                "so I could not send it.",
                ephemeral=True,
            )
            return
        data, filename = fitted
        await interaction.followup.send(
            f"Your history: {export.sessions} sessions with {export.answers} answers, and "
            f"{export.daily_answers} daily answers. One row per answer; times are UTC.",
            file=discord.File(io.BytesIO(data), filename=filename),
            ephemeral=True,
        )


async def setup(bot: MockInterviewBot) -> None:
    app = bot.app
    await bot.add_cog(
        StatsCommands(
            bot,
            StatsService(app.db, app.banks, app.clock),
            HistoryExportService(app.db, app.banks),
        )
    )
