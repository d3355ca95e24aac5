"""Modals and buttons of the bank admin feature.

Modal submissions are handled by the cog's interaction listener, keyed by custom_id (like the
interview answer modal), so a form left open across a restart is still accepted. Buttons are
``DynamicItem``s registered at start-up; each callback hands over to the
handler registered as ``HANDLERS`` (the bank flow).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from bot.core.bank.validator import ANSWER_LIMIT, PROMPT_LIMIT
from bot.core.rubric_lines import SYNTAX_EXAMPLE
from bot.discord.components import Handlers
from bot.features.bank import ids

TEXT_MAX = 4000  # Discord's limit for one text input
REASON_MAX = 1000


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    description: str
    max_length: int
    required: bool
    placeholder: str = ""


QUESTION_FIELDS: dict[str, Field] = {
    "prompt": Field(
        "Prompt",
        "What the candidate sees. Markdown, at most 1,500 characters.",
        PROMPT_LIMIT,
        True,
    ),
    "reference_answer": Field(
        "Reference answer",
        "What a strong answer contains, shown after the interview. At most 3,500 characters.",
        ANSWER_LIMIT,
        True,
    ),
    "rubric": Field(
        "Rubric: 2-8 points, one per line",
        "| separates alternatives, commas separate cues; optional ':: weight 2' at the end.",
        TEXT_MAX,
        True,
        f"{SYNTAX_EXAMPLE} :: weight 2",
    ),
    "hints": Field(
        "Hints (optional): 1-3, one per line",
        "Nudges that do not give the answer away.",
        TEXT_MAX,
        False,
    ),
    "follow_ups": Field(
        "Follow-ups (optional): 1-3, one per line",
        "What an interviewer asks next to probe depth.",
        TEXT_MAX,
        False,
    ),
}


def _text_input(custom_id: str, field: Field, value: str | None) -> discord.ui.Label[Any]:
    return discord.ui.Label(
        text=field.label,
        description=field.description,
        component=discord.ui.TextInput(
            custom_id=custom_id,
            style=discord.TextStyle.paragraph,
            max_length=field.max_length,
            required=field.required,
            default=value or None,
            placeholder=field.placeholder or None,
        ),
    )


class QuestionModal(discord.ui.Modal):
    """Prompt, reference answer, rubric, hints and follow-ups; options travel in the custom_id."""

    def __init__(self, custom_id: str, title: str, values: dict[str, str] | None = None) -> None:
        # A timeout only frees memory: submissions are matched by custom_id in the listener.
        super().__init__(title=title[:45], timeout=3600, custom_id=custom_id)
        values = values or {}
        for name, field in QUESTION_FIELDS.items():
            self.add_item(_text_input(name, field, values.get(name)))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by BankFlow.on_modal (survives restarts)


def too_long_to_edit(values: dict[str, str]) -> list[str]:
    """Fields whose current text does not fit the form's boxes."""
    return [
        QUESTION_FIELDS[name].label
        for name, value in values.items()
        if len(value) > QUESTION_FIELDS[name].max_length
    ]


class RejectModal(discord.ui.Modal):
    def __init__(self, row_id: int, question_id: str) -> None:
        super().__init__(
            title=f"Reject {question_id}"[:45], timeout=3600, custom_id=ids.reject_id(row_id)
        )
        self.add_item(
            _text_input(
                "reason",
                Field(
                    "Reason (sent to the author)",
                    "Say what would make it acceptable, if anything.",
                    REASON_MAX,
                    True,
                ),
                None,
            )
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by BankFlow.on_modal


def modal_values(interaction: discord.Interaction[Any]) -> dict[str, str]:
    """Submitted text inputs by custom_id: rows of inputs, or labels (type 18) wrapping one."""
    data: dict[str, Any] = dict(interaction.data or {})
    values: dict[str, str] = {}
    for row in data.get("components", []):
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        for component in children:
            if "custom_id" in component:
                values[str(component["custom_id"])] = str(component.get("value") or "")
    return values


# -- drafts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    custom_id: str  # the modal it came from
    title: str
    values: dict[str, str]


class Drafts:
    """Recently refused form submissions, so "Reopen the form" brings the text back.

    In memory only: after a restart the text is still in the file attached to the refusal.
    """

    def __init__(self, capacity: int = 200) -> None:
        self._items: OrderedDict[str, Draft] = OrderedDict()
        self._capacity = capacity

    def put(self, token: str, draft: Draft) -> None:
        self._items[token] = draft
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def get(self, token: str) -> Draft | None:
        return self._items.get(token)


# -- buttons ---------------------------------------------------------------------------------


class BankActions(Protocol):
    """What the buttons call; the bank flow registers itself as ``HANDLERS``."""

    async def on_page(
        self,
        interaction: discord.Interaction[Any],
        page: int,
        bundled: bool,
        track: str | None,
        topic: str | None,
    ) -> None: ...

    async def on_review(
        self, interaction: discord.Interaction[Any], action: str, row: int
    ) -> None: ...

    async def on_retry(self, interaction: discord.Interaction[Any], token: str) -> None: ...


HANDLERS: Handlers[BankActions] = Handlers("bank")
flow_of = HANDLERS.of


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.PAGE_TEMPLATE):
    def __init__(
        self,
        page: int,
        bundled: bool,
        track: str | None,
        topic: str | None,
        *,
        label: str = "",
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Page",
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=ids.page_id(page, bundled, track, topic),
            )
        )
        self.page, self.bundled, self.track, self.topic = page, bundled, track, topic

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        track = ids.TRACK_OF.get(match["track"])
        return cls(int(match["page"]), match["bundled"] == "1", track, match["topic"] or None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_page(
            interaction, self.page, self.bundled, self.track, self.topic
        )


def page_view(page: int, pages: int, bundled: bool, track: str | None, topic: str | None) -> Any:
    view = discord.ui.View(timeout=None)
    view.add_item(
        PageButton(max(page - 1, 0), bundled, track, topic, label="◀ Previous", disabled=page <= 0)
    )
    view.add_item(
        PageButton(page + 1, bundled, track, topic, label="Next ▶", disabled=page + 1 >= pages)
    )
    return view


_REVIEW_BUTTONS = {
    "approve": ("Approve", discord.ButtonStyle.success),
    "edit": ("Edit and approve", discord.ButtonStyle.primary),
    "reject": ("Reject", discord.ButtonStyle.danger),
}


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.REVIEW_TEMPLATE):
    def __init__(self, action: str, row_id: int) -> None:
        label, style = _REVIEW_BUTTONS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=ids.review_id(action, row_id))
        )
        self.action, self.row_id = action, row_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ReviewButton:
        return cls(match["action"], int(match["row"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_review(interaction, self.action, self.row_id)


def review_view(row_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in _REVIEW_BUTTONS:
        view.add_item(ReviewButton(action, row_id))
    return view


class RetryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.RETRY_TEMPLATE):
    def __init__(self, token: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reopen the form",
                style=discord.ButtonStyle.primary,
                emoji="✏️",
                custom_id=ids.retry_id(token),
            )
        )
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RetryButton:
        return cls(match["token"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_retry(interaction, self.token)


def retry_view(token: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RetryButton(token))
    return view


DYNAMIC_ITEMS = (PageButton, ReviewButton, RetryButton)
