"""The AI interviewer in the terminal: `mlmock practice --ai`, `:ask`, and the scorecard's AI parts.

With ``--ai`` the model writes the follow-ups (``bot.features.interviews.ai_follow_ups``) and
marks the finished interview before the scorecard is shown (``ai_marking`` there). ``:ask
<question>`` works in the clarify phase of a system-design question with or without ``--ai``:
without it the reply is the scenario's own sentence on the subject, or "not specified".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from bot.core.ai_marks import ItemMark, SessionMarks
from bot.core.questions import Track
from bot.core.session import ItemView

if TYPE_CHECKING:  # the AI modules are imported by the runs that use them, not by every start
    from bot.ai import AIInterviewer

CLARIFY = "clarify"
MAX_QUESTION_CHARS = 500
MAX_HISTORY = 20  # exchanges kept per phase: bounds what each request carries


def ai_setup_error(command: str) -> str:
    """Why ``--ai`` cannot run, in one line, or "" when it can."""
    if not os.environ.get("LLM_BASE_URL", "").strip():
        return (
            "--ai needs a model server: set LLM_BASE_URL to its /v1 root, e.g. "
            f"LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5:3b-instruct {command} "
            "practice --ai"
        )
    return ""


def describe(interviewer: AIInterviewer) -> str:
    """The line printed at the start: where the answers go."""
    client = interviewer.client
    if client is None:
        return f"AI interviewer unavailable ({interviewer.off_reason}): the rubric scorer only."
    model = client.settings.model or "the server's default model"
    return (
        f"AI interviewer on: your answers go to {client.settings.base_url} ({model}) for "
        "its follow-ups (when follow-ups are on) and, when the interview ends, for grading "
        "checks and feedback."
    )


class ClarifyChat:
    """The clarify-phase conversation of one session, kept in memory per item.

    ``interviewer`` None: the AI interviewer is off (no ``--ai``); one that is off is built at
    the first ``:ask``, so a run that never asks does not import the AI modules."""

    def __init__(self, interviewer: AIInterviewer | None = None) -> None:
        self._interviewer = interviewer
        self._history: dict[int, list[tuple[str, str]]] = {}

    @staticmethod
    def applies(item: ItemView) -> bool:
        return (
            item.question.track is Track.SYSTEM_DESIGN
            and item.phase is not None
            and item.phase.name == CLARIFY
        )

    async def ask(self, item: ItemView, question: str) -> tuple[str, str]:
        """The interviewer's reply and the "AI unavailable" flag ("" when none)."""
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        history = self._history.setdefault(item.position, [])
        if self._interviewer is None:
            from bot.ai import AIInterviewer

            self._interviewer = AIInterviewer()  # off: replies from the scenario's sentences
        reply = await self._interviewer.answer_clarifying_question(
            item.question, history[-MAX_HISTORY:], question
        )
        history.append((question, reply.text))
        return reply.text, reply.flag


# -- the scorecard's AI parts -----------------------------------------------------------------


def point_rows(mark: ItemMark) -> Iterable[tuple[Text, Text]]:
    """✓/✗ per rubric point with who decided it; the AI's decisions carry their quote."""
    for p in mark.points:
        style = "green" if p.covered else "red"
        line = Text(p.point, style=style)
        if p.decided_by == "ai":
            verb = "credited" if p.covered else "withdrawn"
            line.append(f"  — {verb} by the AI interviewer", style="magenta")
            if p.quote:
                line.append(f': "{p.quote}"', style="default")
        else:
            line.append("  (rubric scorer)", style="dim")
        yield Text("✓" if p.covered else "✗", style=style), line


def item_feedback(mark: ItemMark | None) -> list[RenderableType]:
    if mark is None:
        return []
    parts: list[RenderableType] = []
    if mark.feedback:
        parts.append(Text("Interviewer's feedback:", style="bold"))
        parts.append(Padding(Text(mark.feedback), (0, 0, 0, 2)))
    return parts


def session_feedback(marks: SessionMarks | None) -> RenderableType | None:
    if marks is None:
        return None
    parts: list[RenderableType] = []
    if marks.flag:
        parts.append(Text(marks.flag, style="yellow"))
    if marks.feedback:
        parts.append(Text("Interviewer's feedback on the session:", style="bold"))
        parts.append(Padding(Text(marks.feedback), (0, 0, 0, 2)))
    return Group(*parts) if parts else None
