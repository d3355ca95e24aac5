"""Ending early never scores better than answering."""

from __future__ import annotations

from bot.core.formats import Length
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.core.scoring import Score
from bot.core.session import ItemStatus, Scorecard, ScorecardItem, SessionStatus

QUESTION = Question(
    id="q",
    track=Track.TECHNICAL,
    topic="t",
    difficulty=Difficulty.EASY,
    minutes=5,
    prompt="p",
    reference_answer="r",
    rubric=(RubricPoint("a", ("x",)), RubricPoint("b", ("y",))),
)


def item(position: int, status: ItemStatus, auto: int | None) -> ScorecardItem:
    return ScorecardItem(
        position, QUESTION, None, 5, status, "text" if auto else "", 0, auto, (), (), None, None
    )


def card(*items: ScorecardItem, ended_early: bool = False) -> Scorecard:
    return Scorecard(
        1, Track.TECHNICAL, Length.STANDARD, SessionStatus.FINISHED, ended_early, items
    )


def test_items_never_reached_count_as_unanswered() -> None:
    stopped = card(
        item(0, ItemStatus.SUBMITTED, 4),
        item(1, ItemStatus.SUBMITTED, 3),
        item(2, ItemStatus.SUBMITTED, 3),
        item(3, ItemStatus.NOT_REACHED, None),
        item(4, ItemStatus.NOT_REACHED, None),
        item(5, ItemStatus.NOT_REACHED, None),
        ended_early=True,
    )
    answered_badly = card(
        *(item(i, ItemStatus.SUBMITTED, 2) if i >= 3 else s for i, s in enumerate(stopped.items))
    )
    assert stopped.mean == 13 / 6
    assert stopped.verdict == Score.STRONG_NO_HIRE  # Strong Hire when only reached items counted
    assert answered_badly.mean is not None and stopped.mean < answered_badly.mean
    assert len(stopped.unanswered_items) == 3


def test_a_session_ended_before_any_answer_has_no_verdict() -> None:
    empty = card(item(0, ItemStatus.NOT_REACHED, None), item(1, ItemStatus.NOT_REACHED, None))
    assert empty.mean is None
    assert empty.verdict is None
