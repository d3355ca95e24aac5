"""What the interviewer does without a model: deterministic, built from the scorer's result."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

from bot.ai.parsing import bounded_text
from bot.ai.prompts import phase_of
from bot.core.questions import Question, RubricPoint
from bot.core.scoring import RubricResult, Score

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_STOP = frozenset(
    """a an and are as at be by can could do does for from has have how i if in into is it its
    of on or so than that the their them then there these they this to was we what when where
    which while who why will with would you your about after before more most not no one only
    other over same some such use used using just also each both between any all""".split()  # noqa: SIM905
)


@lru_cache(maxsize=4096)
def stems(text: str) -> frozenset[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2]
    return frozenset(_STEMMER.stemWords(words))


def _point_terms(rp: RubricPoint | None, point: str, explain: str) -> frozenset[str]:
    cues = " ".join(c.removeprefix("+").replace("|", " ") for c in rp.cues) if rp else ""
    return stems(f"{point} {explain} {cues}")


def pick_follow_up(question: Question, phase: str | None, result: RubricResult) -> list[str]:
    """The question's follow-up that shares the most terms with the missed points (by weight).

    Ties go to the earlier follow-up; with nothing missed, or nothing in common, the first one.
    A question without follow-ups gets none.
    """
    if not question.follow_ups:
        return []
    _, rubric = phase_of(question, phase)
    by_text = {rp.point: rp for rp in rubric}
    missed = [p for p in result.points if not p.covered]
    best, best_score = question.follow_ups[0], 0
    for candidate in question.follow_ups:
        words = stems(candidate)
        score = sum(
            p.weight * len(words & _point_terms(by_text.get(p.point), p.point, p.explain))
            for p in missed
        )
        if score > best_score:
            best, best_score = candidate, score
    return [best]


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
