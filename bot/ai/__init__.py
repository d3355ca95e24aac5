"""Optional AI interviewer on any OpenAI-compatible chat-completions server.

Off unless ``LLM_BASE_URL`` is set; needs the ``ai`` extra (``pip install ".[ai]"``). The
functions below are what the interview flows call. Each returns a usable answer whatever the
model does: when it is off or fails, the deterministic one (the scorer's result, the question's
best-targeted follow-up, a scorecard summary). The richer objects of ``AIInterviewer`` carry
``source`` ("ai" or "fallback") and ``flag`` ("AI unavailable: <reason>") for the scorecard.

    from bot import ai
    result = score_for(question, answer, phase=phase, hints_used=hints)
    graded = await ai.grade(question, phase, answer, result, guild_id=guild.id)
    graded.result      # RubricResult to show and store; graded.decisions says who decided
    graded.flag        # "" or "AI unavailable: timeout after 20 s"
    await ai.follow_ups(question, phase, answer, graded.result)         # list[str]
    await ai.answer_clarifying_question(question, history, "How many users?")  # str
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.ai.budget import TokenBudget
from bot.ai.client import AIUnavailable
from bot.ai.grounding import PointDecision
from bot.ai.interviewer import AIGrade, AIInterviewer, ClarifyReply, Feedback, FollowUps
from bot.core.questions import Question
from bot.core.scoring import RubricResult

__all__ = [
    "AIGrade",
    "AIInterviewer",
    "AIUnavailable",
    "ClarifyReply",
    "Feedback",
    "FollowUps",
    "PointDecision",
    "TokenBudget",
    "answer_clarifying_question",
    "configure",
    "feedback",
    "follow_ups",
    "grade",
    "interviewer",
    "session_feedback",
]

_current: AIInterviewer | None = None


def interviewer() -> AIInterviewer:
    """The process's interviewer, built from the environment on first use."""
    global _current
    if _current is None:
        _current = AIInterviewer.from_env()
    return _current


def configure(value: AIInterviewer | None) -> None:
    """Replace the process's interviewer (None: rebuild from the environment on next use)."""
    global _current
    _current = value


async def follow_ups(
    question: Question,
    phase: str | None,
    answer: str,
    result: RubricResult,
    *,
    guild_id: int | None = None,
    asked: Sequence[str] = (),
) -> list[str]:
    """One or two follow-ups aimed at the missed rubric points, none of ``asked`` (the
    question's own when off)."""
    out = await interviewer().follow_ups(
        question, phase, answer, result, guild_id=guild_id, asked=asked
    )
    return list(out.questions)


async def answer_clarifying_question(
    question: Question,
    history: Sequence[tuple[str, str]],
    candidate_question: str,
    *,
    guild_id: int | None = None,
) -> str:
    """The interviewer's reply to a clarifying question; "not specified" when off or silent."""
    reply = await interviewer().answer_clarifying_question(
        question, history, candidate_question, guild_id=guild_id
    )
    return reply.text


async def grade(
    question: Question,
    phase: str | None,
    answer: str,
    result: RubricResult,
    *,
    guild_id: int | None = None,
) -> AIGrade:
    """The scorer's ``result`` checked point by point by the model, by the rules of grounding."""
    return await interviewer().grade(question, phase, answer, result, guild_id=guild_id)


async def feedback(
    question: Question,
    phase: str | None,
    answer: str,
    result: RubricResult,
    *,
    guild_id: int | None = None,
) -> Feedback:
    return await interviewer().feedback(question, phase, answer, result, guild_id=guild_id)


async def session_feedback(
    items: Sequence[tuple[Question, RubricResult]], *, guild_id: int | None = None
) -> Feedback:
    return await interviewer().session_feedback(items, guild_id=guild_id)
