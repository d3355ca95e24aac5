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
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar, cast

import discord

from bot.discord.limits import fit_content, quote_typed
from bot.metrics import METRICS, interaction_label

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


def record_interaction(interaction: discord.Interaction[Any], *, ok: bool) -> None:
    """Count the interaction and its latency once (the outermost handler that finishes it),
    from the moment the client received it (``extras["received_at"]``, set by the client)."""
    extras = interaction.extras
    if extras.get("metrics_recorded"):
        return
    extras["metrics_recorded"] = True
    started = extras.get("received_at", time.monotonic())
    command = interaction.command.qualified_name if interaction.command is not None else None
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    label = interaction_label(command, str(custom_id) if custom_id else None)
    METRICS.interaction_handled(label, time.monotonic() - started, ok=ok)


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
            ok = True
            try:
                await func(self, interaction, *a, **kw)
            except Exception as exc:
                message = explain(exc)
                if message is not None:  # a refusal explained to the member: handled
                    await reply(interaction, message)
                    return
                ok = False
                log.exception("%s %s failed", what, describe(interaction))
                try:
                    await reply(interaction, sorry)
                except Exception:  # the connection may be gone (shutdown); the log has the cause
                    log.info("could not report the failure to the user", exc_info=True)
            finally:
                record_interaction(interaction, ok=ok)

        return cast(F, wrapper)

    return decorate
