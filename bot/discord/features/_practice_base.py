"""What the practice commands and buttons share: refusals, the error guard, who may steer.

Rules live in the service; the adapters check who may steer a round (its starter or a
moderator), pick the reply, and keep answers private (every reply about an answer is
ephemeral).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import discord

from bot.core.practice_rounds import RoundView
from bot.discord.flow import reply
from bot.discord.permissions import is_moderator
from bot.services.practice_rounds import PracticeRoundService, RoundError

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

log = logging.getLogger(__name__)
P = ParamSpec("P")
S = TypeVar("S", bound="PracticeBase")
Handler = Callable[Concatenate[S, discord.Interaction[Any], P], Awaitable[None]]

NOT_STEERING = (
    "Only the member who started this {kind} or a moderator (Manage Server, or the moderator "
    "role) can do that."
)


class Refused(RoundError):
    """A refusal decided in the adapter (not by the service); the message is shown as is."""


def guarded(func: Handler[S, P]) -> Handler[S, P]:
    """Refusals become one ephemeral sentence; bugs are logged and get a short apology."""

    @wraps(func)
    async def wrapper(
        self: S, interaction: discord.Interaction[Any], *a: P.args, **kw: P.kwargs
    ) -> None:
        try:
            await func(self, interaction, *a, **kw)
        except RoundError as exc:
            await reply(interaction, str(exc))
        except Exception:
            log.exception("practice interaction %s failed", interaction.data)
            try:
                await reply(
                    interaction,
                    "Something went wrong on our side; everything already saved is kept. "
                    "Try again in a moment.",
                )
            except Exception:
                log.info("could not report the failure to the member", exc_info=True)

    return wrapper  # type: ignore[return-value]


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
