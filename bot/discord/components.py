"""Shared pieces of every feature's Discord components.

- ``PREFIX``: the namespace of every custom_id the bot sends (live buttons keep their ids).
- ``PLATFORM``: how a Discord member is keyed in the users table.
- ``modal_value``: the text of a submitted modal's field.
- ``Handlers``: how a persistent button reaches the object that answers it. A ``DynamicItem``
  rebuilt from its custom_id after a restart knows only the interaction; the feature's ``setup``
  registers its flow under the feature's key, and the button looks it up through the client.
  A views module declares, as a ``Protocol``, what it calls: it never imports the flow.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import discord

PREFIX = "mlmock"
PLATFORM = "discord"

H = TypeVar("H")


class Handlers(Generic[H]):
    """One feature's handler slot on the client, typed by the Protocol its views call."""

    def __init__(self, key: str) -> None:
        self.key = key

    def register(self, client: discord.Client, handler: H) -> None:
        _table(client)[self.key] = handler

    def of(self, interaction: discord.Interaction[Any]) -> H:
        try:
            return cast(H, _table(interaction.client)[self.key])
        except KeyError:
            raise LookupError(f"no handler registered for {self.key!r}") from None


def _table(client: discord.Client) -> dict[str, object]:
    table: dict[str, object] | None = getattr(client, "feature_handlers", None)
    if table is None:
        table = {}
        client.feature_handlers = table  # type: ignore[attr-defined]
    return table


def modal_value(interaction: discord.Interaction[Any], custom_id: str = "answer") -> str:
    """One text field's value: rows of text inputs, or type 18 labels wrapping one."""
    data: dict[str, Any] = dict(interaction.data or {})
    for row in data.get("components", []):
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        for component in children:
            if component.get("custom_id") == custom_id:
                return str(component.get("value", ""))
    return ""
