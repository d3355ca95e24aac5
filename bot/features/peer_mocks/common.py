"""What both peer-mock flows share: error handling, user ids, channels and DMs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.guard import handler_guard
from bot.features.interviews.types import InterviewError, NotYourInterview, StaleAction
from bot.features.peer_mocks.service import Member, PeerBusy, PeerError, PeerMockService

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger("bot.features.peer_mocks.commands")
SORRY = "Something went wrong on our side; nothing you wrote was lost. Try again in a moment."


def _explain(exc: Exception) -> str | None:
    if isinstance(exc, PeerBusy):
        where = f" It is in <#{exc.pair.thread_id}>." if exc.pair.thread_id else ""
        return f"{exc}{where}"
    if isinstance(exc, StaleAction):
        return "That phase has already moved on; use the newest round card."
    if isinstance(exc, NotYourInterview):
        return "Only the candidate answers in this round."
    if isinstance(exc, PeerError | InterviewError):
        return str(exc)
    return None


guarded = handler_guard(explain=_explain, sorry=SORRY, what="peer mock interaction")


class MockBase:
    def __init__(self, bot: MockInterviewBot, service: PeerMockService) -> None:
        self.bot = bot
        self.service = service

    async def uid(self, user: discord.abc.User) -> int:
        """The member's user id in our database (cached by the interview flow)."""
        return await self.bot.flow.user_id(user)

    async def channel(self, channel_id: int | None) -> discord.abc.Messageable | None:
        return await self.bot.flow.channel(channel_id)

    async def dm(self, member: Member, **message: Any) -> bool:
        """Send a DM; False when the member's privacy settings refuse it."""
        try:
            user = self.bot.get_user(int(member.external_id)) or await self.bot.fetch_user(
                int(member.external_id)
            )
            await user.send(**message)
        except discord.HTTPException as exc:
            log.info("no DM to %s: %s", member.external_id, exc)
            return False
        return True


async def retire_buttons(interaction: discord.Interaction[Any]) -> None:
    """Take the buttons off the clicked message once its step is done (Ready, a card that moved
    on, Swap roles / Finish), so late clicks cannot confuse anyone."""
    if interaction.message is None:
        return
    try:
        await interaction.edit_original_response(view=None)
    except discord.HTTPException as exc:
        log.info("could not retire the buttons of %s: %s", interaction.message.id, exc)
