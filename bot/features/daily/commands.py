"""`/daily question|subscribe|unsubscribe|streak` for members and `/daily-admin setup|stop` for
moderators: parse, then call the flow.

Discord shows /daily-admin only to members with Manage Server (``default_member_permissions``;
a server admin can allow the moderator role in Server Settings > Integrations); the flow checks
for a moderator again.

Also starts the daily scheduler (guild posts and subscribers' DMs) and stops it on close.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.daily_schedule import matching_zones
from bot.core.questions import Track
from bot.discord.components import modal_value
from bot.discord.limits import fit_choices
from bot.features.daily.flow import DailyFlow, DailySender
from bot.features.daily.models import missing_daily_tables
from bot.features.daily.scheduler import DailyScheduler
from bot.features.daily.service import DailyService
from bot.features.daily.views import (
    DAILY_MODAL_RE,
    HANDLERS,
    DailyAnswerButton,
    parse_ref,
)

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)

TRACK_CHOICES = [app_commands.Choice(name=t.value, value=t.value) for t in Track]
SETUP_TRACK_CHOICES = [*TRACK_CHOICES, app_commands.Choice(name="any track", value="any")]
TIME_HELP = "local time, 24-hour HH:MM (e.g. 09:00)"
ZONE_HELP = "IANA time zone, e.g. Europe/Berlin (start typing to search)"


async def zone_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return fit_choices(app_commands.Choice(name=n, value=n) for n in matching_zones(current, 25))


class DailyCommands(commands.Cog):
    daily = app_commands.Group(
        name="daily", description="A question a day: server post, personal questions, streaks"
    )

    # Discord hides whole top-level commands only: the moderators' part is a group of its own.
    daily_admin = app_commands.Group(
        name="daily-admin",
        description="Moderators: the server's question of the day",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, flow: DailyFlow, scheduler: DailyScheduler) -> None:
        self.flow = flow
        self.scheduler = scheduler

    @daily_admin.command(
        name="setup",
        description="Post a question every day in a channel (no options: show the setting)",
    )
    @app_commands.describe(
        channel="the channel for the question of the day",
        time=TIME_HELP,
        timezone=ZONE_HELP,
        track="only questions of this track (default: any track)",
    )
    @app_commands.choices(track=SETUP_TRACK_CHOICES)
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def setup_daily(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None = None,
        time: str | None = None,
        timezone: str | None = None,
        track: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.flow.setup(
            interaction,
            channel.id if channel else None,
            time,
            timezone,
            track.value if track else None,
        )

    @daily_admin.command(name="stop", description="Stop posting the question of the day")
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.stop(interaction)

    @daily.command(
        name="question", description="Get a question now, picked for you (only you see it)"
    )
    @app_commands.describe(track="only questions of this track (default: any track)")
    @app_commands.choices(track=TRACK_CHOICES)
    async def question(
        self,
        interaction: discord.Interaction[Any],
        track: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.flow.question(interaction, track.value if track else None)

    @daily.command(
        name="subscribe", description="Get a question by DM every day at your local time"
    )
    @app_commands.describe(
        time=TIME_HELP,
        timezone=ZONE_HELP,
        track="only questions of this track (default: any track)",
    )
    @app_commands.choices(track=TRACK_CHOICES)
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        time: str,
        timezone: str,
        track: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.flow.subscribe(interaction, time, timezone, track.value if track else None)

    @daily.command(name="unsubscribe", description="Stop your daily DM question")
    async def unsubscribe(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.unsubscribe(interaction)

    @daily.command(name="streak", description="Your daily-answer streak: current and best")
    async def streak(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.streak(interaction)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer-modal submissions, matched by custom_id so they survive restarts."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        match = DAILY_MODAL_RE.fullmatch(str(data.get("custom_id", "")))
        if match:
            ref = parse_ref(match["kind"], match["id"])
            await self.flow.on_answer(interaction, ref, modal_value(interaction))


async def setup(bot: MockInterviewBot) -> None:
    missing = await missing_daily_tables(bot.app.db)
    if missing:  # the schema migration for this feature has not been applied yet
        log.warning(
            "daily questions are off: the database lacks %s (run `mlmock db upgrade`)",
            ", ".join(missing),
        )
        return
    app = bot.app
    service = DailyService(app.db, app.clock, app.banks, app.guild_settings)
    scheduler = DailyScheduler(service, app.clock, DailySender(bot), scheduler=app.scheduler)
    bot.add_dynamic_items(DailyAnswerButton)
    flow = DailyFlow(bot, service)
    HANDLERS.register(bot, flow)
    await bot.add_cog(DailyCommands(flow, scheduler))
    await scheduler.start()
    bot.on_close(scheduler.stop)
