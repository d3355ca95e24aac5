"""A question written in the Discord form keeps every rubric v2 field through storage."""

from __future__ import annotations

from bot.core.bank import parse_questions
from bot.core.bank.dump import dump_questions
from bot.features.bank.form import QuestionForm, body_of, build_body, form_of, question_of

RUBRIC = """Identifies overfitting from the gap :: +overfitting | high variance, gap :: weight 2
> A near-perfect training score with a much lower validation score is variance.
! Calls the gap underfitting :: underfitting | high bias
Confirms with learning curves :: learning curve, k-fold
!! Reports the best of many test-set runs :: best test score :: cap 1
"""


def form() -> QuestionForm:
    return QuestionForm(
        prompt="Train AUC 0.99, validation 0.81. What is going on and what do you do?",
        reference_answer="It is overfitting (high variance): the gap is wide. Confirm with a "
        "learning curve or k-fold, then regularise.",
        rubric=RUBRIC,
        track="technical",
        topic="bias-variance",
        difficulty="medium",
        minutes=5,
    )


def test_the_form_keeps_required_cues_explain_and_misconceptions() -> None:
    body, parsed = build_body(form(), "guild-bv-gap")
    assert not parsed.problems
    question = question_of(body)
    first = question.rubric[0]
    assert first.required_cues == ("+overfitting|high variance",)
    assert first.explain.startswith("A near-perfect")
    assert [m.text for m in first.misconceptions] == ["Calls the gap underfitting"]
    assert [(m.text, m.cap) for m in question.misconceptions] == [
        ("Reports the best of many test-set runs", 1)
    ]
    # Stored and read back, exported and validated again: nothing is lost.
    assert question_of(body_of(question)) == question
    again = parse_questions(dump_questions([question]), "export.yaml")
    assert not [p for p in again.problems if p.severity == "error"], again.problems
    assert again.questions[0].rubric == question.rubric
    assert again.questions[0].misconceptions == question.misconceptions


def test_editing_prefills_every_line() -> None:
    body, _ = build_body(form(), "guild-bv-gap")
    prefilled = form_of(question_of(body)).rubric
    assert "!! Reports the best of many test-set runs" in prefilled
    assert "> A near-perfect" in prefilled
