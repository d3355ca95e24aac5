"""Slash commands `/practice start|panel|reveal|close`: study-group rounds and panels.

Parse the options, then hand over to ``PracticeFlow`` (buttons: ``PracticeButtons``); the rules
live in the feature's ``service``. ``setup`` builds the service on the app's database,
bank, clock and interview service, registers the persistent buttons and starts the round timer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.practice_rounds import MAX_ROUND_MINUTES
from bot.core.questions import Track
from bot.discord.guard import reply
from bot.discord.limits import fit_choices, quote
from bot.features.practice_rounds.announce import RoundAnnouncer
from bot.features.practice_rounds.buttons import PracticeButtons
from bot.features.practice_rounds.flow import PracticeFlow
from bot.features.practice_rounds.service import PracticeRoundService
from bot.features.practice_rounds.views import COG_NAME, DYNAMIC_ITEMS, HANDLERS

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)
TRACK_CHOICES = [app_commands.Choice(name=t.value, value=t.value) for t in Track]
Minutes = app_commands.Range[int, 1, MAX_ROUND_MINUTES]
TOPIC_HELP = "only questions of this topic (from this server's bank)"
MINUTES_HELP = f"answering time, 1-{MAX_ROUND_MINUTES} (default: the question's own time)"


class PracticeCommands(commands.Cog, name=COG_NAME):
    practice = app_commands.Group(
        name="practice",
        description="Study-group practice: a round for everyone, or a panel scoring one member",
        guild_only=True,
    )

    def __init__(self, bot: MockInterviewBot, flow: PracticeFlow, buttons: PracticeButtons) -> None:
        self.bot = bot
        self.flow = flow
        self.buttons = buttons

    @practice.command(
        name="start",
        description="Post one question for everyone here; answers stay hidden until the reveal",
    )
    @app_commands.describe(
        track="phone-screen, technical or system-design", topic=TOPIC_HELP, minutes=MINUTES_HELP
    )
    @app_commands.choices(track=TRACK_CHOICES)
    async def start(
        self,
        interaction: discord.Interaction[Any],
        track: app_commands.Choice[str],
        topic: str | None = None,
        minutes: Minutes | None = None,
    ) -> None:
        chosen = Track(track.value)
        if await self._topic_ok(interaction, chosen, topic):
            await self.flow.start(interaction, chosen, topic, minutes)

    @practice.command(
        name="panel",
        description="One member answers in a thread while the group scores it with the rubric",
    )
    @app_commands.describe(
        member="the member who answers (the candidate)",
        track="phone-screen, technical or system-design",
        topic=TOPIC_HELP,
        minutes=MINUTES_HELP,
    )
    @app_commands.choices(track=TRACK_CHOICES)
    async def panel(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        track: app_commands.Choice[str],
        topic: str | None = None,
        minutes: Minutes | None = None,
    ) -> None:
        chosen = Track(track.value)
        if await self._topic_ok(interaction, chosen, topic):
            await self.flow.panel(interaction, member, chosen, topic, minutes)

    @practice.command(
        name="reveal",
        description="End answering now: reveal the answers (panel: open scoring). Starter or mod",
    )
    async def reveal(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.reveal(interaction)

    @practice.command(
        name="close",
        description="End voting (panel: scoring) now and post the results. Starter or moderator",
    )
    async def close(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.close(interaction)

    @start.autocomplete("topic")
    @panel.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        track_value = getattr(interaction.namespace, "track", None)
        tracks = [Track(track_value)] if track_value in {t.value for t in Track} else list(Track)
        bank = self.bot.app.banks.for_guild(interaction.guild_id)
        needle = current.lower().strip()
        names = sorted({t for tr in tracks for t in bank.topics(tr)})
        return fit_choices(app_commands.Choice(name=t, value=t) for t in names if needle in t)

    async def _topic_ok(
        self, interaction: discord.Interaction[Any], track: Track, topic: str | None
    ) -> bool:
        topics = self.bot.app.banks.for_guild(interaction.guild_id).topics(track)
        if topic is None or topic in topics:
            return True
        await reply(
            interaction,
            f"Unknown topic `{quote(topic)}` for {track.value}. Choose one of: "
            + ", ".join(f"`{t}`" for t in topics),
        )
        return False

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.buttons.on_modal(interaction)


async def setup(bot: MockInterviewBot) -> None:
    app = bot.app
    service = PracticeRoundService(app.db, app.banks, app.clock, app.interviews)
    service.subscribe(RoundAnnouncer(bot, service))
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    buttons = PracticeButtons(bot, service)
    HANDLERS.register(bot, buttons)
    cog = PracticeCommands(bot, PracticeFlow(bot, service), buttons)
    await bot.add_cog(cog)
    if not await service.schema_ready():
        log.warning("practice rounds are off: the database lacks their tables (run the migrations)")
        return
    await service.start()
    bot.on_close(service.stop)
