"""Probe answers the bank is held to: the reference, its cues strung together, its prompt echoed.

A question whose cues alone, or whose prompt pasted back, earn Hire has a rubric anyone can game;
the bank-wide test and ``benchmarks/bank_scoring_check.py`` use these to find such questions.
"""

from __future__ import annotations

from bot.core.questions import REQUIRED_CUE_MARK, Question, RubricPoint


def _rubric(question: Question, phase: str | None) -> tuple[RubricPoint, ...]:
    if phase is None:
        return question.rubric
    return next(p.rubric for p in question.phases if p.name == phase)


def reference_for(question: Question, phase: str | None = None) -> str:
    """The reference answer (system design: the whole reference serves every phase)."""
    return question.reference_answer


def cue_stuffing_answer(question: Question, phase: str | None = None) -> str:
    """Every alternative of every cue, comma-separated: the keyword-stuffer's answer."""
    terms: list[str] = []
    for point in _rubric(question, phase):
        for cue in point.cues:
            terms += [alt.strip() for alt in cue.removeprefix(REQUIRED_CUE_MARK).split("|")]
    return ", ".join(dict.fromkeys(t for t in terms if t))


def prompt_echo_answer(question: Question, phase: str | None = None) -> str:
    """The question's prompt (and the phase's prompt) pasted back as the answer."""
    parts = [question.prompt]
    if phase is not None:
        parts.append(next(p.prompt for p in question.phases if p.name == phase))
    return "\n\n".join(parts)
