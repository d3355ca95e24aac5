"""Buttons, selects and the answer modal of practice rounds and panels.

Buttons and selects are ``DynamicItem``s with custom_ids ``mlmock:pr:...`` carrying the round
(and answer or rubric point), registered at start-up so they keep working after a restart. The
modal is matched by custom_id in the cog's interaction listener for the same reason. Callbacks
hand over to ``PracticeButtons``; no logic lives here.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.core.practice_rounds import MAX_PART_CHARS, POINT_SCORES
from bot.discord.components import Handlers
from bot.discord.render import clip
from bot.features.practice_rounds.render import point_option_label

PREFIX = "mlmock:pr"
COG_NAME = "PracticeCommands"
ANSWER_MODAL_RE = re.compile(rf"{PREFIX}:modal:(?P<rid>\d+)")

_BUTTONS: dict[str, tuple[str, discord.ButtonStyle, str]] = {
    "answer": ("Answer", discord.ButtonStyle.primary, "✍️"),
    "done": ("Done", discord.ButtonStyle.success, "✅"),
    "score": ("Score", discord.ButtonStyle.primary, "🧮"),
}


class PracticeActions(Protocol):
    """What the buttons call; ``PracticeButtons`` registers itself as ``HANDLERS``."""

    async def on_round_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int
    ) -> None: ...

    async def on_vote(
        self, interaction: discord.Interaction[Any], round_id: int, answer_id: int
    ) -> None: ...

    async def on_point(
        self, interaction: discord.Interaction[Any], round_id: int, index: int, score: int
    ) -> None: ...


HANDLERS: Handlers[PracticeActions] = Handlers("practice_rounds")
practice_flow = HANDLERS.of


class RoundButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>answer|done|score):(?P<rid>\d+)",
):
    def __init__(self, action: str, round_id: int) -> None:
        label, style, emoji = _BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, emoji=emoji, custom_id=f"{PREFIX}:{action}:{round_id}"
            )
        )
        self.action, self.round_id = action, round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RoundButton:
        return cls(match["action"], int(match["rid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await practice_flow(interaction).on_round_button(interaction, self.action, self.round_id)


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:vote:(?P<rid>\d+):(?P<aid>\d+)",
):
    def __init__(self, round_id: int, answer_id: int, label: str = "Vote") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                style=discord.ButtonStyle.secondary,
                emoji="🗳️",
                custom_id=f"{PREFIX}:vote:{round_id}:{answer_id}",
            )
        )
        self.round_id, self.answer_id = round_id, answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(int(match["rid"]), int(match["aid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await practice_flow(interaction).on_vote(interaction, self.round_id, self.answer_id)


class PointSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"{PREFIX}:pt:(?P<rid>\d+):(?P<idx>\d+)",
):
    def __init__(
        self, round_id: int, index: int, point: str = "", current: int | None = None
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"{PREFIX}:pt:{round_id}:{index}",
                placeholder=clip(f"{index + 1}. {point}" if point else f"Point {index + 1}", 150),
                options=[
                    discord.SelectOption(
                        label=point_option_label(s), value=str(s), default=s == current
                    )
                    for s in POINT_SCORES
                ],
                min_values=1,
                max_values=1,
            )
        )
        self.round_id, self.index = round_id, index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PointSelect:
        return cls(int(match["rid"]), int(match["idx"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        score = int(self.item.values[0])
        await practice_flow(interaction).on_point(interaction, self.round_id, self.index, score)


DYNAMIC_ITEMS = (RoundButton, VoteButton, PointSelect)


def buttons(round_id: int, *actions: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(RoundButton(action, round_id))
    return view


def vote_buttons(round_id: int, labelled: list[tuple[int, str]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer_id, label in labelled:
        view.add_item(VoteButton(round_id, answer_id, label))
    return view


class PracticeAnswerModal(discord.ui.Modal):
    """The answer box; submissions are handled by the cog's interaction listener."""

    answer: discord.ui.TextInput[PracticeAnswerModal] = discord.ui.TextInput(
        label="Your answer",
        style=discord.TextStyle.paragraph,
        max_length=MAX_PART_CHARS,
        placeholder="Submit again to add more: each submission is appended as a new part.",
    )

    def __init__(self, round_id: int, title: str) -> None:
        super().__init__(
            title=clip(title, 45), timeout=None, custom_id=f"{PREFIX}:modal:{round_id}"
        )
        self.answer.custom_id = "answer"

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by PracticeButtons.on_modal
