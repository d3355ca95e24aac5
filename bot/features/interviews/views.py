"""Buttons, selects and the answer modal.

Buttons and selects are ``DynamicItem``s: their custom_id carries the session and item, and the
templates are registered at start-up, so they keep working after a restart. Each callback hands
over to the handler registered as ``HANDLERS`` (the interview flow); no logic lives here.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.core.scoring import Score
from bot.discord.components import PREFIX, Handlers

ANSWER_MODAL_RE = re.compile(rf"{PREFIX}:answer:(?P<sid>\d+):(?P<pos>\d+)")
ASK_MODAL_RE = re.compile(rf"{PREFIX}:ask:(?P<sid>\d+):(?P<pos>\d+)")
ASK_MAX_CHARS = 500
ANSWER_MAX_CHARS = 4000

_BUTTONS: dict[str, tuple[str, discord.ButtonStyle, str]] = {
    "answer": ("Answer", discord.ButtonStyle.primary, "✍️"),
    "hint": ("Hint", discord.ButtonStyle.secondary, "💡"),
    "skip": ("Skip", discord.ButtonStyle.secondary, "⏭️"),
    "next": ("Next", discord.ButtonStyle.success, "✅"),
    "end": ("End", discord.ButtonStyle.danger, "🛑"),
    # Only on a system-design clarify phase: a clarifying question for the interviewer.
    "ask": ("Ask the interviewer", discord.ButtonStyle.secondary, "❓"),
}
STAGED = ("next", "skip")  # the actions whose custom_id says which message they are on


class InterviewActions(Protocol):
    """What the buttons call; the interview flow registers itself as ``HANDLERS``."""

    async def on_button(
        self,
        interaction: discord.Interaction[Any],
        action: str,
        session_id: int,
        position: int,
        *,
        stage: str | None = None,
    ) -> None: ...

    async def on_rate_button(
        self, interaction: discord.Interaction[Any], session_id: int
    ) -> None: ...

    async def on_scenario(
        self, interaction: discord.Interaction[Any], session_id: int, position: int
    ) -> None: ...

    async def on_self_score(
        self, interaction: discord.Interaction[Any], session_id: int, position: int, score: int
    ) -> None: ...


HANDLERS: Handlers[InterviewActions] = Handlers("interviews")
flow_of = HANDLERS.of


class InterviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        rf"{PREFIX}:iv:(?P<action>answer|hint|skip|next|end|ask):(?P<sid>\d+):(?P<pos>\d+)"
        r"(?::(?P<stage>[qf]))?"
    ),
):
    """``stage`` (Next and Skip only): ``q`` on the question's message, ``f`` on its follow-up's,
    so a second click on the question's Next, arriving after the follow-up was asked, cannot
    submit the follow-up unseen. Messages sent before stages existed carry none."""

    def __init__(
        self,
        action: str,
        session_id: int,
        position: int,
        label: str = "",
        *,
        stage: str | None = None,
    ) -> None:
        default_label, style, emoji = _BUTTONS[action]
        label = label or default_label
        suffix = f":{stage}" if stage and action in STAGED else ""
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                emoji=emoji,
                custom_id=f"{PREFIX}:iv:{action}:{session_id}:{position}{suffix}",
            )
        )
        self.action, self.session_id, self.position = action, session_id, position
        self.stage = stage if suffix else None

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InterviewButton:
        return cls(match["action"], int(match["sid"]), int(match["pos"]), stage=match["stage"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_button(
            interaction, self.action, self.session_id, self.position, stage=self.stage
        )


class ScenarioButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:scenario:(?P<sid>\d+):(?P<pos>\d+)",
):
    """On a system-design phase: the question's full scenario, in a reply only the member sees.
    It reads and changes nothing, so it is not part of the interview's own buttons."""

    def __init__(self, session_id: int, position: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Scenario",
                style=discord.ButtonStyle.secondary,
                emoji="📋",
                custom_id=f"{PREFIX}:scenario:{session_id}:{position}",
            )
        )
        self.session_id, self.position = session_id, position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ScenarioButton:
        return cls(int(match["sid"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_scenario(interaction, self.session_id, self.position)


class RateYourselfButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PREFIX}:rate:(?P<sid>\d+)"
):
    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Rate yourself",
                style=discord.ButtonStyle.primary,
                emoji="📝",
                custom_id=f"{PREFIX}:rate:{session_id}",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RateYourselfButton:
        return cls(int(match["sid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await flow_of(interaction).on_rate_button(interaction, self.session_id)


class SelfScoreSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"{PREFIX}:self:(?P<sid>\d+):(?P<pos>\d+)",
):
    def __init__(
        self, session_id: int, position: int, label: str = "", current: int | None = None
    ) -> None:
        options = [
            discord.SelectOption(
                label=f"{s.value} · {s.label}", value=str(s.value), default=s.value == current
            )
            for s in Score
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"{PREFIX}:self:{session_id}:{position}",
                placeholder=(label or f"Item {position + 1}")[:150],
                options=options,
                min_values=1,
                max_values=1,
            )
        )
        self.session_id, self.position = session_id, position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SelfScoreSelect:
        return cls(int(match["sid"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        score = int(self.item.values[0])
        await flow_of(interaction).on_self_score(interaction, self.session_id, self.position, score)


DYNAMIC_ITEMS = (InterviewButton, ScenarioButton, RateYourselfButton, SelfScoreSelect)


def question_view(
    session_id: int,
    position: int,
    *,
    clarify: bool = False,
    follow_up: bool = False,
    scenario: bool = False,
) -> discord.ui.View:
    """The item's buttons; during a follow-up, Skip passes only the follow-up. A clarify phase
    also gets Ask (the interviewer); a system-design phase (``scenario``) gets a Scenario button,
    on a second row."""
    view = discord.ui.View(timeout=None)
    for action in _BUTTONS:
        if action == "ask" and not clarify:
            continue
        label = "Skip follow-up" if follow_up and action == "skip" else ""
        stage = "f" if follow_up else "q"
        view.add_item(InterviewButton(action, session_id, position, label, stage=stage))
    if scenario:
        view.add_item(ScenarioButton(session_id, position))
    return view


def scorecard_view(session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RateYourselfButton(session_id))
    return view


class AnswerModal(discord.ui.Modal):
    """The answer box. Submissions are handled by the flow's interaction listener (keyed by
    custom_id), so a modal opened before a restart is still accepted after it."""

    answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
        label="Your answer",
        style=discord.TextStyle.paragraph,
        max_length=ANSWER_MAX_CHARS,
        placeholder="Write as you would speak it. Submit several times to add more.",
    )

    def __init__(self, session_id: int, position: int, title: str) -> None:
        super().__init__(
            title=title[:45], timeout=None, custom_id=f"{PREFIX}:answer:{session_id}:{position}"
        )
        self.answer.custom_id = "answer"

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by InterviewFlow.on_interaction


class AskModal(discord.ui.Modal):
    """A clarifying question for the interviewer; handled, like the answer box, by custom_id."""

    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Your question to the interviewer",
        style=discord.TextStyle.paragraph,
        max_length=ASK_MAX_CHARS,
        placeholder="e.g. How many daily users? What latency is acceptable?",
    )

    def __init__(self, session_id: int, position: int) -> None:
        super().__init__(
            title="Ask the interviewer",
            timeout=None,
            custom_id=f"{PREFIX}:ask:{session_id}:{position}",
        )
        self.question.custom_id = "question"

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        return None  # handled by InterviewFlow.on_interaction
