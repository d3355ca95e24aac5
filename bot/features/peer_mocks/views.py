"""Buttons, selects and modals of the peer mocks.

Buttons and selects are ``DynamicItem``s whose custom_id (``mlmock:mock:...``) carries the pair,
round or invitation, registered at start-up, so they work after a restart. Modals are matched by
custom_id in the feature's interaction listener for the same reason. Callbacks only hand over to
the flows registered as ``PAIRS`` and ``ROUNDS``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.core.scoring import Score
from bot.discord.components import Handlers
from bot.features.peer_mocks.render import slot_placeholder
from bot.features.peer_mocks.service import RoundView, ScoreSheet

PREFIX = "mlmock:mock"
MODAL_RE = re.compile(rf"{PREFIX}:m-(?P<kind>answer|feedback|rate):(?P<id>\d+)(?::(?P<pos>\d+))?")
ANSWER_MAX_CHARS = 4000
FEEDBACK_MAX_CHARS = 1000
SELECTS_PER_MESSAGE = 5
Style = discord.ButtonStyle

_PAIR = {
    "ready": ("Ready", Style.success, "✅"),
    "swap": ("Swap roles", Style.primary, "🔁"),
    "finish": ("Finish", Style.secondary, "🏁"),
    "requeue": ("Join the queue again", Style.primary, "🔄"),
    "refs": ("Reference answers", Style.secondary, "📖"),
}
_ROUND = {
    "kit": ("Interviewer kit", Style.secondary, "🗂️"),
    "end": ("End round", Style.danger, "🛑"),
    "hint": ("Reveal next hint", Style.secondary, "💡"),
    "follow": ("Ask next follow-up", Style.secondary, "❓"),
    "score": ("Score the candidate", Style.primary, "📊"),
    "feedback": ("Write feedback", Style.primary, "📝"),
    "rate": ("Rate your interviewer", Style.primary, "⭐"),
}
_ITEM = {
    "answer": ("Answer", Style.primary, "✍️"),
    "next": ("Next phase", Style.success, "⏭️"),
}
_INVITE = {
    "accept": ("Accept", Style.success, "✅"),
    "decline": ("Decline", Style.secondary, "✖️"),
}


class PairActions(Protocol):
    """What pair and invitation buttons call (the mock flow, registered as ``PAIRS``)."""

    async def on_pair_button(
        self, interaction: discord.Interaction[Any], action: str, pair_id: int
    ) -> None: ...

    async def on_invite_button(
        self, interaction: discord.Interaction[Any], action: str, invite_id: int
    ) -> None: ...


class RoundActions(Protocol):
    """What round buttons and selects call (the round flow, registered as ``ROUNDS``)."""

    async def on_round_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int
    ) -> None: ...

    async def on_item_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int, position: int
    ) -> None: ...

    async def on_point(
        self,
        interaction: discord.Interaction[Any],
        round_id: int,
        position: int,
        index: int,
        score: int,
    ) -> None: ...


PAIRS: Handlers[PairActions] = Handlers("peer_mocks.pairs")
ROUNDS: Handlers[RoundActions] = Handlers("peer_mocks.rounds")


def _button(spec: tuple[str, Style, str], custom_id: str) -> discord.ui.Button[Any]:
    label, style, emoji = spec
    return discord.ui.Button(label=label, style=style, emoji=emoji, custom_id=custom_id)


class PairButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>{'|'.join(_PAIR)}):(?P<id>\d+)",
):
    def __init__(self, action: str, pair_id: int) -> None:
        super().__init__(_button(_PAIR[action], f"{PREFIX}:{action}:{pair_id}"))
        self.action, self.pair_id = action, pair_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PairButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await PAIRS.of(interaction).on_pair_button(interaction, self.action, self.pair_id)


class RoundButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>{'|'.join(_ROUND)}):(?P<id>\d+)",
):
    def __init__(self, action: str, round_id: int) -> None:
        super().__init__(_button(_ROUND[action], f"{PREFIX}:{action}:{round_id}"))
        self.action, self.round_id = action, round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RoundButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ROUNDS.of(interaction).on_round_button(interaction, self.action, self.round_id)


class ItemButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>{'|'.join(_ITEM)}):(?P<id>\d+):(?P<pos>\d+)",
):
    def __init__(self, action: str, round_id: int, position: int) -> None:
        super().__init__(_button(_ITEM[action], f"{PREFIX}:{action}:{round_id}:{position}"))
        self.action, self.round_id, self.position = action, round_id, position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ItemButton:
        return cls(match["action"], int(match["id"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ROUNDS.of(interaction).on_item_button(
            interaction, self.action, self.round_id, self.position
        )


class InviteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<action>accept|decline):(?P<id>\d+)",
):
    def __init__(self, action: str, invite_id: int) -> None:
        super().__init__(_button(_INVITE[action], f"{PREFIX}:{action}:{invite_id}"))
        self.action, self.invite_id = action, invite_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InviteButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await PAIRS.of(interaction).on_invite_button(interaction, self.action, self.invite_id)


class PointSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"{PREFIX}:pt:(?P<id>\d+):(?P<pos>\d+):(?P<idx>\d+)",
):
    def __init__(
        self,
        round_id: int,
        position: int,
        index: int,
        placeholder: str = "",
        current: int | None = None,
    ) -> None:
        options = [
            discord.SelectOption(
                label=f"{s.value} · {s.label}", value=str(s.value), default=s.value == current
            )
            for s in Score
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"{PREFIX}:pt:{round_id}:{position}:{index}",
                placeholder=placeholder or f"Point {index + 1}",
                options=options,
                min_values=1,
                max_values=1,
            )
        )
        self.round_id, self.position, self.index = round_id, position, index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PointSelect:
        return cls(int(match["id"]), int(match["pos"]), int(match["idx"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ROUNDS.of(interaction).on_point(
            interaction, self.round_id, self.position, self.index, int(self.item.values[0])
        )


DYNAMIC_ITEMS = (PairButton, RoundButton, ItemButton, InviteButton, PointSelect)


# -- views ------------------------------------------------------------------------------------


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def pair_view(pair_id: int, *actions: str) -> discord.ui.View:
    return _view(*(PairButton(a, pair_id) for a in actions))


def round_view(round_id: int, *actions: str) -> discord.ui.View:
    return _view(*(RoundButton(a, round_id) for a in actions))


def invite_view(invite_id: int) -> discord.ui.View:
    return _view(InviteButton("accept", invite_id), InviteButton("decline", invite_id))


def card_view(view: RoundView) -> discord.ui.View:
    """The round card's buttons: the candidate's Answer, then the interviewer's."""
    item = view.item
    buttons: list[discord.ui.Item[Any]] = []
    if item is not None:
        buttons.append(ItemButton("answer", view.id, item.position))
    buttons.append(RoundButton("kit", view.id))
    if item is not None and item.phase is not None and item.position + 1 < item.total_items:
        buttons.append(ItemButton("next", view.id, item.position))
    buttons.append(RoundButton("end", view.id))
    return _view(*buttons)


def score_messages(sheet: ScoreSheet) -> list[discord.ui.View]:
    """The score sheet: one 1-4 select per point (or phase), five per message."""
    selects = [
        PointSelect(
            sheet.round.id, slot.position, slot.point_index, slot_placeholder(n, slot), slot.score
        )
        for n, slot in enumerate(sheet.slots, 1)
    ]
    return [
        _view(*selects[start : start + SELECTS_PER_MESSAGE])
        for start in range(0, len(selects), SELECTS_PER_MESSAGE)
    ]


# -- modals (submissions are handled by the feature's interaction listener) -------------------


class _ListenerModal(discord.ui.Modal):
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by MockCommands.on_interaction, also after a restart


def answer_modal(round_id: int, position: int) -> discord.ui.Modal:
    modal = _ListenerModal(
        title="Your answer", timeout=None, custom_id=f"{PREFIX}:m-answer:{round_id}:{position}"
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Your answer",
            custom_id="answer",
            style=discord.TextStyle.paragraph,
            max_length=ANSWER_MAX_CHARS,
            placeholder="Optional: typed answers get an automatic score. Submit again to add more.",
        )
    )
    return modal


def feedback_modal(round_id: int) -> discord.ui.Modal:
    modal = _ListenerModal(
        title="Feedback for the candidate",
        timeout=None,
        custom_id=f"{PREFIX}:m-feedback:{round_id}",
    )
    for field, label, hint in (
        ("strengths", "Strengths", "What went well: be specific."),
        ("improvements", "Improvements", "What to work on next, and how."),
    ):
        modal.add_item(
            discord.ui.TextInput(
                label=label,
                custom_id=field,
                style=discord.TextStyle.paragraph,
                max_length=FEEDBACK_MAX_CHARS,
                placeholder=hint,
            )
        )
    return modal


RATING_LABELS = {
    5: "5 · Excellent interviewer",
    4: "4 · Good",
    3: "3 · OK",
    2: "2 · Not very helpful",
    1: "1 · Not helpful",
}


def rate_modal(round_id: int) -> discord.ui.Modal:
    modal = _ListenerModal(
        title="Rate your interviewer", timeout=None, custom_id=f"{PREFIX}:m-rate:{round_id}"
    )
    rating: discord.ui.Select[Any] = discord.ui.Select(
        custom_id="rating",
        options=[
            discord.SelectOption(label=text, value=str(v)) for v, text in RATING_LABELS.items()
        ],
        min_values=1,
        max_values=1,
    )
    modal.add_item(discord.ui.Label(text="Your rating (1-5)", component=rating))
    comment: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="comment",
        style=discord.TextStyle.paragraph,
        max_length=FEEDBACK_MAX_CHARS,
        placeholder="What helped, what could be better (questions, pacing, hints).",
    )
    modal.add_item(discord.ui.Label(text="Comment", component=comment))
    return modal


def modal_values(interaction: discord.Interaction[Any]) -> dict[str, str | list[str]]:
    """Field values of a submitted modal by custom_id: text inputs give a string, selects a
    list; rows of inputs and type 18 labels both work."""
    data: dict[str, Any] = dict(interaction.data or {})
    values: dict[str, str | list[str]] = {}
    for row in data.get("components", []):
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        for component in children:
            if "custom_id" not in component:
                continue
            if "values" in component:
                values[component["custom_id"]] = [str(v) for v in component["values"]]
            else:
                values[component["custom_id"]] = str(component.get("value", ""))
    return values
