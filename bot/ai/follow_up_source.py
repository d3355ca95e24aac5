"""The AI implementation of the interview's follow-up seam (``FollowUpSource``).

The seam: ``async follow_up(question, phase, answer_text, result) -> str | None``, one follow-up
to ask after an answer, or None. This adapter asks ``AIInterviewer.follow_ups`` and returns its
first question; when the model is off or fails (the interviewer then answers with its own
deterministic pick), it returns what the deterministic source it wraps would ask, so the
interview behaves exactly as without the AI.
"""

from __future__ import annotations

from typing import Protocol

from bot.ai.interviewer import AIInterviewer
from bot.core.questions import Question
from bot.core.scoring import RubricResult


class FollowUpSource(Protocol):
    """Structural copy of the seam (the interview flow's deterministic source satisfies it)."""

    async def follow_up(
        self, question: Question, phase: str | None, answer_text: str, result: RubricResult
    ) -> str | None: ...


class AIFollowUps:
    """Follow-ups by the model, for one guild's budget; the ``fallback`` source otherwise."""

    def __init__(
        self,
        interviewer: AIInterviewer,
        fallback: FollowUpSource,
        *,
        guild_id: int | None = None,
    ) -> None:
        self.interviewer = interviewer
        self.fallback = fallback
        self.guild_id = guild_id
        self.last_flag = ""  # "AI unavailable: <reason>" of the latest call, for the scorecard

    async def follow_up(
        self, question: Question, phase: str | None, answer_text: str, result: RubricResult
    ) -> str | None:
        if not self.interviewer.enabled:
            self.last_flag = ""
            return await self.fallback.follow_up(question, phase, answer_text, result)
        out = await self.interviewer.follow_ups(
            question, phase, answer_text, result, guild_id=self.guild_id
        )
        self.last_flag = out.flag
        if out.source == "ai" and out.questions:
            return out.questions[0]
        return await self.fallback.follow_up(question, phase, answer_text, result)
