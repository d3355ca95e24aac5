"""The daily Answer button and answer modal.

The button is a ``DynamicItem`` whose custom_id names what it answers: ``d`` a delivery (a guild
post or a DM) or ``c`` a personal card (``/daily question``), so it keeps working after a
restart. Modal submissions are matched by custom_id in the cog's interaction listener, so a
modal opened before a restart is accepted after it.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.discord.components import PREFIX, Handlers
from bot.features.daily.types import AnswerRef, DailyError

ANSWER_MAX_CHARS = 4000
_KINDS = {"d": "delivery", "c": "card"}
_CODES = {kind: code for code, kind in _KINDS.items()}
DAILY_MODAL_RE = re.compile(rf"{PREFIX}:daily:modal:(?P<kind>[dc]):(?P<id>\d+)")


def ref_code(ref: AnswerRef) -> str:
    return f"{_CODES[ref.kind]}:{ref.id}"


def answer_custom_id(ref: AnswerRef) -> str:
    return f"{PREFIX}:daily:answer:{ref_code(ref)}"


def parse_ref(kind_code: str, ref_id: str) -> AnswerRef:
    return AnswerRef(_KINDS[kind_code], int(ref_id))


class DailyActions(Protocol):
    """What the Answer button calls; the daily flow registers itself as ``HANDLERS``."""

    async def on_answer_button(
        self, interaction: discord.Interaction[Any], ref: AnswerRef
    ) -> None: ...


HANDLERS: Handlers[DailyActions] = Handlers("daily")


def daily_flow(interaction: discord.Interaction[Any]) -> DailyActions:
    try:
        return HANDLERS.of(interaction)
    except LookupError:
        raise DailyError("Daily questions are not available right now.") from None


class DailyAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:daily:answer:(?P<kind>[dc]):(?P<id>\d+)",
):
    def __init__(self, ref: AnswerRef) -> None:
        super().__init__(
            discord.ui.Button(
                label="Answer",
                style=discord.ButtonStyle.primary,
                emoji="✍️",
                custom_id=answer_custom_id(ref),
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DailyAnswerButton:
        return cls(parse_ref(match["kind"], match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await daily_flow(interaction).on_answer_button(interaction, self.ref)


def answer_view(ref: AnswerRef) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DailyAnswerButton(ref))
    return view


class DailyAnswerModal(discord.ui.Modal):
    answer: discord.ui.TextInput[DailyAnswerModal] = discord.ui.TextInput(
        label="Your answer",
        style=discord.TextStyle.paragraph,
        max_length=ANSWER_MAX_CHARS,
        placeholder="Answer as you would in an interview. Only you will see it and its score.",
    )

    def __init__(self, ref: AnswerRef, title: str) -> None:
        super().__init__(
            title=title[:45], timeout=None, custom_id=f"{PREFIX}:daily:modal:{ref_code(ref)}"
        )
        self.answer.custom_id = "answer"

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by the cog's interaction listener (works across restarts)
