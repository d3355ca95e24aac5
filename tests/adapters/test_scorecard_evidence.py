"""The Discord scorecard says why: evidence for each tick, what was expected for each cross."""

from __future__ import annotations

import dataclasses

from bot.core.questions import Misconception, RubricPoint
from bot.core.session import ItemStatus, ScorecardItem
from bot.discord.render import explanation_lines
from tests.core.test_session_verdict import QUESTION

RUBRIC = (
    RubricPoint("Names overfitting.", ("+overfitting", "gap"), explain="A wide gap is variance."),
    RubricPoint("Uses early stopping.", ("early stopping", "patience")),
)
QUESTION_V2 = dataclasses.replace(
    QUESTION,
    rubric=RUBRIC,
    misconceptions=(Misconception("Tunes on the test set.", ("tune", "test set")),),
)


def scored(answer: str, auto: int) -> ScorecardItem:
    return ScorecardItem(
        0, QUESTION_V2, None, 5, ItemStatus.SUBMITTED, answer, 0, auto, (), (), None, None
    )


def test_ticks_quote_the_answer_and_crosses_say_what_was_expected() -> None:
    lines = explanation_lines(scored("The model is overfitting because the gap is wide.", 3))
    assert lines[0] == "✓ Names overfitting. · “The model is overfitting because the gap is wide”"
    assert lines[1] == "✗ Uses early stopping. ||expected: early stopping, patience||"
    assert len(lines) == 2


def test_caps_are_named() -> None:
    answer = (
        "The model is overfitting since the gap is wide; I add early stopping with patience "
        "and then tune the depth on the test set."
    )
    lines = explanation_lines(scored(answer, 2))
    assert any(line.startswith("⚠ capped at 2 (No Hire): Tunes on the test set.") for line in lines)


def test_a_changed_rubric_is_admitted() -> None:
    lines = explanation_lines(scored("The model is overfitting because the gap is wide.", 4))
    assert lines[-1] == "(the rubric has changed since this answer was scored)"


def test_an_item_never_reached_has_no_explanation() -> None:
    item = dataclasses.replace(scored("", 1), status=ItemStatus.NOT_REACHED, auto_score=None)
    assert explanation_lines(item) == []
