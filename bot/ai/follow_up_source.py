"""The AI implementation of the interview's follow-up seam (``bot.core.follow_ups``).

``AIFollowUps`` serves one session (one guild's budget): it asks ``AIInterviewer.follow_ups``
for a follow-up aimed at what the answer missed and returns the first one not asked before in
the interview, marked ``asked_by="ai"``. The candidate waits on it, so the whole call (retries
included) is bounded by ``timeout_s`` (``LLM_TIMEOUT_S``). When the model is off, fails, runs out
of time or has nothing new to ask, the ``fallback`` source's follow-up is asked instead, with
the reason the AI was unavailable (for the scorecard's "AI unavailable" line). It never raises
for the model's sake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import replace

from bot.ai.interviewer import AIInterviewer, FollowUps
from bot.core.follow_ups import FollowUp, FollowUpSource
from bot.core.questions import Question
from bot.core.scoring import RubricResult


class AIFollowUps:
    """Follow-ups by the model for one session; the ``fallback`` source's otherwise."""

    def __init__(
        self,
        interviewer: AIInterviewer,
        fallback: FollowUpSource,
        *,
        guild_id: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.interviewer = interviewer
        self.fallback = fallback
        self.guild_id = guild_id
        client = interviewer.client
        self.timeout_s = timeout_s or (client.settings.timeout_s if client is not None else 0.0)

    async def follow_up(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        *,
        asked: Collection[str] = (),
    ) -> FollowUp | None:
        if not self.interviewer.enabled:
            why = self.interviewer.off_reason
            return await self._fallback(question, phase, answer_text, result, asked, why, 0)
        try:
            async with asyncio.timeout(self.timeout_s):
                out: FollowUps = await self.interviewer.follow_ups(
                    question, phase, answer_text, result, guild_id=self.guild_id, asked=list(asked)
                )
        except TimeoutError:
            why = f"timeout after {self.timeout_s:g} s"
            return await self._fallback(question, phase, answer_text, result, asked, why, 0)
        if out.source == "ai" and out.questions:
            return FollowUp(out.questions[0], "ai", "", out.tokens)
        return await self._fallback(
            question, phase, answer_text, result, asked, out.unavailable, out.tokens
        )

    async def _fallback(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        asked: Collection[str],
        unavailable: str,
        tokens: int,
    ) -> FollowUp | None:
        picked = await self.fallback.follow_up(question, phase, answer_text, result, asked=asked)
        if picked is None:
            return None
        return replace(picked, unavailable=unavailable[:200], tokens=picked.tokens + tokens)
