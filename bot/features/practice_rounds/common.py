"""What the practice commands and buttons share: refusals, the error guard, who may steer.

Rules live in the service; the adapters check who may steer a round (its starter or a
moderator), pick the reply, and keep answers private (every reply about an answer is
ephemeral).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.core.practice_rounds import RoundView
from bot.discord.guard import explain_as_str, handler_guard
from bot.features.config.permissions import is_moderator
from bot.features.practice_rounds.service import PracticeRoundService, RoundError

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot


NOT_STEERING = (
    "Only the member who started this {kind} or a moderator (Manage Server, or the moderator "
    "role) can do that."
)


class Refused(RoundError):
    """A refusal decided in the adapter (not by the service); the message is shown as is."""


guarded = handler_guard(
    explain=explain_as_str(RoundError),
    sorry="Something went wrong on our side; everything already saved is kept. "
    "Try again in a moment.",
    what="practice interaction",
)


class PracticeBase:
    def __init__(self, bot: MockInterviewBot, service: PracticeRoundService) -> None:
        self.bot = bot
        self.service = service

    async def user_id(self, user: discord.abc.User) -> int:
        return await self.bot.flow.user_id(user)

    async def may_steer(self, interaction: discord.Interaction[Any], view: RoundView) -> bool:
        """The round's starter, or a moderator."""
        if await self.user_id(interaction.user) == view.starter_id:
            return True
        return await is_moderator(interaction, self.bot.app.guild_settings)
