"""What both peer-mock flows share: error handling, user ids, channels and DMs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import discord

from bot.discord.flow import reply
from bot.services.interviews import InterviewError, NotYourInterview, StaleAction
from bot.services.peer_mocks import Member, PeerBusy, PeerError, PeerMockService

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger("bot.discord.features.mock")
P = ParamSpec("P")
S = TypeVar("S", bound="MockBase")
Handler = Callable[Concatenate[S, discord.Interaction[Any], P], Awaitable[None]]
SORRY = "Something went wrong on our side; nothing you wrote was lost. Try again in a moment."


def guarded(func: Handler[S, P]) -> Handler[S, P]:
    """User mistakes get one clear ephemeral sentence; bugs are logged with a traceback."""

    @wraps(func)
    async def wrapper(
        self: S, interaction: discord.Interaction[Any], *a: P.args, **kw: P.kwargs
    ) -> None:
        try:
            await func(self, interaction, *a, **kw)
        except PeerBusy as exc:
            where = f" It is in <#{exc.pair.thread_id}>." if exc.pair.thread_id else ""
            await reply(interaction, f"{exc}{where}")
        except StaleAction:
            await reply(interaction, "That phase has already moved on; use the newest round card.")
        except NotYourInterview:
            await reply(interaction, "Only the candidate answers in this round.")
        except (PeerError, InterviewError) as exc:
            await reply(interaction, str(exc))
        except Exception:
            log.exception("peer mock interaction %s failed", interaction.data)
            try:
                await reply(interaction, SORRY)
            except Exception:  # the connection may be gone (shutdown); the log has the cause
                log.info("could not report the failure to the user", exc_info=True)

    return wrapper  # type: ignore[return-value]


class MockBase:
    def __init__(self, bot: MockInterviewBot, service: PeerMockService) -> None:
        self.bot = bot
        self.service = service

    async def uid(self, user: discord.abc.User) -> int:
        """The member's user id in our database (cached by the interview flow)."""
        return await self.bot.flow.user_id(user)

    async def channel(self, channel_id: int | None) -> discord.abc.Messageable | None:
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException:
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

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
