"""What the interviewer does without a model: deterministic, built from the scorer's result."""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection, Sequence

from bot.ai.parsing import bounded_text
from bot.core.follow_ups import choose_follow_up, stems
from bot.core.questions import Question
from bot.core.scoring import RubricResult, Score


def pick_follow_up(
    question: Question, phase: str | None, result: RubricResult, asked: Collection[str] = ()
) -> list[str]:
    """The deterministic follow-up (``bot.core.follow_ups.choose_follow_up``), as a list."""
    picked = choose_follow_up(question, phase, result, asked=asked)
    return [picked] if picked else []


def question_feedback(result: RubricResult, *, max_chars: int) -> str:
    """Score, what was covered, what was missed (with the expected idea), and any cap."""
    covered = [p.point.rstrip(".") for p in result.points if p.covered]
    missed = [p for p in result.points if not p.covered]
    parts = [f"{result.score.label} ({int(result.score)}/4)."]
    if covered:
        parts.append("Covered: " + "; ".join(covered) + ".")
    if missed:
        shown = []
        for p in missed:
            why = p.misconception or p.explain
            shown.append(p.point.rstrip(".") + (f" ({why.rstrip('.')})" if why else ""))
        parts.append("Missed: " + "; ".join(shown) + ".")
    for cap in result.caps:
        parts.append(f"Score {cap}.")
    return bounded_text(" ".join(parts), max_chars)


def session_feedback(items: Sequence[tuple[Question, RubricResult]], *, max_chars: int) -> str:
    """Mean score, the strongest and weakest questions, and the points missed most."""
    if not items:
        return "No question was scored."
    scores = [int(r.score) for _, r in items]
    mean = statistics.fmean(scores)
    parts = [f"Mean score {mean:.1f}/4 over {len(items)} question(s)."]
    ranked = sorted(items, key=lambda qr: int(qr[1].score))
    weakest, strongest = ranked[0], ranked[-1]
    if len(items) > 1 and strongest[1].score > weakest[1].score:
        parts.append(
            f"Strongest: {strongest[0].topic} ({int(strongest[1].score)}/4); "
            f"weakest: {weakest[0].topic} ({int(weakest[1].score)}/4)."
        )
    missed = [
        (p.weight, p.point.rstrip("."))
        for _, r in ranked
        for p in r.points
        if not p.covered and r.score < Score.STRONG_HIRE
    ]
    if missed:
        top = [text for _, text in sorted(missed, key=lambda m: -m[0])[:3]]
        parts.append("To work on: " + "; ".join(top) + ".")
    return bounded_text(" ".join(parts), max_chars)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d")
_QUANTITY = re.compile(
    r"\bhow (many|much|big|large|fast|often|long|quickly|soon)\b|\b(number|size|scale|volume"
    r"|traffic|qps|latency|budget|deadline|rate)\b",
    re.IGNORECASE,
)


def scenario_fact(question: Question, candidate_question: str) -> str:
    """The scenario's sentence that best answers a clarifying question, quoted; "" when none.

    The scenario is the question's prompt and its clarify phase's prompt: the facts the bank
    states. A sentence needs two content words in common with the question, or one when the
    sentence holds a number and the question asks for a quantity (how many, latency, scale...).
    """
    clarify = next((p.prompt for p in question.phases if p.name == "clarify"), "")
    asked = stems(candidate_question)
    if not asked:
        return ""
    wants_number = _QUANTITY.search(candidate_question) is not None
    best, best_score = "", 0
    for text in (question.prompt, clarify):
        for sentence in _SENTENCE.split(" ".join(text.split())):
            shared = len(asked & stems(sentence))
            needed = 1 if wants_number and _NUMBER.search(sentence) else 2
            if shared >= needed and shared > best_score:
                best, best_score = sentence.strip(), shared
    return f"From the scenario: {bounded_text(best, 400)}" if best else ""
