"""One error wrapper for every interaction handler of every feature.

A handler's known errors (user mistakes, refusals, stale clicks) become one ephemeral sentence;
anything else is a bug: logged with a traceback, and the user gets a short apology. Features
differ only in which errors they know and how they word them, so they pass an ``explain``
function instead of writing the wrapper again.

Replies fit Discord's limits: an explanation that repeats what the member typed quotes it
clipped (``limits.quote_typed``). The failure log names the interaction (command or custom_id),
never what the member typed: answers stay out of the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar, cast

import discord

from bot.discord.limits import fit_content, quote_typed

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Awaitable[None]])
Explain = Callable[[Exception], str | None]


async def reply(
    interaction: discord.Interaction[Any], content: str, *, ephemeral: bool = True
) -> None:
    """Answer an interaction whether or not it was already responded to or deferred; the
    content is fitted into Discord's 2,000 characters, quoting typed input clipped."""
    content = fit_content(quote_typed(content, interaction.data)) or "…"
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral)


def describe(interaction: discord.Interaction[Any]) -> str:
    """What a log line may say about an interaction: its kind, command or custom_id and id;
    never option values, modal text or the token."""
    data: dict[str, Any] = dict(interaction.data or {})
    if interaction.command is not None:
        name = f"/{interaction.command.qualified_name}"
    elif data.get("custom_id"):
        name = str(data["custom_id"])
    else:
        name = str(data.get("name", "?"))
    return f"{interaction.type.name} {name} (id {interaction.id})"


def explain_as_str(*known: type[Exception]) -> Explain:
    """The common case: these exceptions carry a message meant for the user."""
    return lambda exc: str(exc) if isinstance(exc, known) else None


def handler_guard(*, explain: Explain, sorry: str, what: str = "interaction") -> Callable[[F], F]:
    """Decorate ``async def handler(self, interaction, ...)`` methods."""

    def decorate(func: F) -> F:
        @wraps(func)
        async def wrapper(
            self: Any, interaction: discord.Interaction[Any], *a: Any, **kw: Any
        ) -> None:
            try:
                await func(self, interaction, *a, **kw)
            except Exception as exc:
                message = explain(exc)
                if message is not None:
                    await reply(interaction, message)
                    return
                log.exception("%s %s failed", what, describe(interaction))
                try:
                    await reply(interaction, sorry)
                except Exception:  # the connection may be gone (shutdown); the log has the cause
                    log.info("could not report the failure to the user", exc_info=True)

        return cast(F, wrapper)

    return decorate
