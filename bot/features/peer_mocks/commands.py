"""`/mock queue join|leave|status` and `/mock invite`: peer mock interviews for study groups.

Thin: parse the options, hand over to the flows (``flow``, ``round_flow``), which call
the peer-mock service and render. See docs/study-groups-mock.md for the whole flow.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.questions import Difficulty, Track
from bot.features.peer_mocks.flow import MockFlow
from bot.features.peer_mocks.round_flow import RoundFlow
from bot.features.peer_mocks.service import PeerMockService, missing_tables
from bot.features.peer_mocks.views import DYNAMIC_ITEMS, MODAL_RE, PAIRS, ROUNDS

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)
TRACKS = [app_commands.Choice(name=t.value, value=t.value) for t in Track]
DIFFICULTIES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]
TRACK_HELP = "phone-screen, technical or system-design"
DIFFICULTY_HELP = "the difficulty of the questions you answer (any if left out)"


def _difficulty(choice: app_commands.Choice[str] | None) -> Difficulty | None:
    return Difficulty(choice.value) if choice else None


class MockCommands(commands.Cog):
    mock = app_commands.Group(
        name="mock",
        description="Peer mock interviews: pair up, interview each other, swap roles",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    queue = app_commands.Group(
        name="queue", description="Wait for a partner for a peer mock", parent=mock
    )

    def __init__(self, bot: MockInterviewBot, service: PeerMockService) -> None:
        self.bot = bot
        self.service = service
        self.rounds = RoundFlow(bot, service)
        self.flow = MockFlow(bot, service, self.rounds)

    @queue.command(
        name="join", description="Wait for a partner on a track; you're paired when someone joins"
    )
    @app_commands.describe(track=TRACK_HELP, difficulty=DIFFICULTY_HELP)
    @app_commands.choices(track=TRACKS, difficulty=DIFFICULTIES)
    async def join(
        self,
        interaction: discord.Interaction[Any],
        track: app_commands.Choice[str],
        difficulty: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.flow.join(interaction, Track(track.value), _difficulty(difficulty))

    @queue.command(name="leave", description="Stop waiting for a peer mock partner")
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.leave(interaction)

    @queue.command(
        name="status", description="Who is waiting for a partner, and your place or your mock"
    )
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await self.flow.status(interaction)

    @mock.command(
        name="invite", description="Invite a member to a peer mock (they have 5 minutes to accept)"
    )
    @app_commands.describe(
        member="the member to invite", track=TRACK_HELP, difficulty=DIFFICULTY_HELP
    )
    @app_commands.choices(track=TRACKS, difficulty=DIFFICULTIES)
    async def invite(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        track: app_commands.Choice[str],
        difficulty: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.flow.invite(interaction, member, Track(track.value), _difficulty(difficulty))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Modal submissions, matched by custom_id so they still work after a restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        match = MODAL_RE.fullmatch(str(data.get("custom_id", "")))
        if match:
            position = int(match["pos"]) if match["pos"] is not None else None
            await self.rounds.on_modal(interaction, match["kind"], int(match["id"]), position)


async def setup(bot: MockInterviewBot) -> None:
    app = bot.app
    missing = await missing_tables(app.db)
    if missing:  # the schema migration of this feature has not been applied yet
        log.warning(
            "peer mocks are off: the database lacks %s (run `mlmock db upgrade`)",
            ", ".join(missing),
        )
        return
    service = PeerMockService(app.db, app.banks, app.clock, app.interviews, rng=random.Random())
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    cog = MockCommands(bot, service)
    PAIRS.register(bot, cog.flow)
    ROUNDS.register(bot, cog.rounds)
    await bot.add_cog(cog)
    await service.start()  # timers resume from the database
    bot.on_close(service.stop)
