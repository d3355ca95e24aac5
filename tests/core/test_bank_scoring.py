"""The whole bundled bank against the scorer's three rules.

Every question (every phase of a system-design question) must give its own reference answer
Strong Hire, and neither its cues strung together nor its prompt pasted back may reach Hire:
a rubric that fails either can be gamed by anyone who reads the open-source bank.
"""

from __future__ import annotations

import pytest

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import Question
from bot.core.scoring import Score, score_for
from bot.core.scoring.probes import cue_stuffing_answer, prompt_echo_answer, reference_for

QUESTIONS = load_bank([bundled_bank_path()]).questions
ITEMS = [
    pytest.param(q, phase.name if phase else None, id=f"{q.id}[{phase.name}]" if phase else q.id)
    for q in QUESTIONS
    for phase in (q.phases or (None,))
]
# A system-design question with a whole-question rubric is also scored on it, against its
# whole reference answer: that is how the daily question scores a one-text answer.
WHOLE = [pytest.param(q, id=q.id) for q in QUESTIONS if q.phases and q.rubric]


def test_the_bank_is_not_empty() -> None:
    assert len(QUESTIONS) >= 198


@pytest.mark.parametrize(("question", "phase"), ITEMS)
def test_reference_answer_scores_strong_hire(question: Question, phase: str | None) -> None:
    result = score_for(question, reference_for(question, phase), phase=phase)
    assert result.score == Score.STRONG_HIRE, (result.missed, result.caps)


@pytest.mark.parametrize("question", WHOLE)
def test_a_whole_reference_answer_scores_strong_hire_on_the_whole_rubric(
    question: Question,
) -> None:
    result = score_for(question, question.reference_answer)
    assert result.score == Score.STRONG_HIRE, (result.missed, result.caps)


@pytest.mark.parametrize(("question", "phase"), ITEMS)
def test_its_cues_alone_score_at_most_no_hire(question: Question, phase: str | None) -> None:
    result = score_for(question, cue_stuffing_answer(question, phase), phase=phase)
    assert result.score <= Score.NO_HIRE, result.covered


@pytest.mark.parametrize(("question", "phase"), ITEMS)
def test_its_prompt_echoed_scores_at_most_no_hire(question: Question, phase: str | None) -> None:
    result = score_for(question, prompt_echo_answer(question, phase), phase=phase)
    assert result.score <= Score.NO_HIRE, result.covered
