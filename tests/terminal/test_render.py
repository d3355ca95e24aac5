"""The terminal scorecard: table first, answers, evidence, expectations, caps, rubric changes."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from bot.core.bank import load_bank
from bot.core.formats import Length
from bot.core.questions import Question, Track
from bot.core.session import ItemStatus, Scorecard, ScorecardItem, SessionStatus
from bot.terminal.render import emit, make_console, markdown, render_scorecard

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"


def _question(question_id: str) -> Question:
    return next(q for q in load_bank([MINI_BANK]).questions if q.id == question_id)


def _item(question: Question, position: int, answer: str, **changes: object) -> ScorecardItem:
    from bot.core.scoring import score_for

    result = score_for(question, answer, hints_used=int(changes.get("hints_used", 0)))  # type: ignore[call-overload]
    item = ScorecardItem(
        position=position,
        question=question,
        phase=None,
        minutes=question.minutes,
        status=ItemStatus.SUBMITTED if answer else ItemStatus.NOT_REACHED,
        answer_text=answer,
        hints_used=0,
        auto_score=int(result.score) if answer else None,
        covered=result.covered,
        missed=result.missed,
        self_score=None,
        peer_score=None,
    )
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def _text(card: Scorecard, width: int = 80) -> str:
    out = io.StringIO()
    console = make_console(out, plain=True)
    console.width = width
    emit(console, render_scorecard(card))
    return out.getvalue()


def _card(*items: ScorecardItem, ended_early: bool = False) -> Scorecard:
    return Scorecard(1, Track.TECHNICAL, Length.SHORT, SessionStatus.FINISHED, ended_early, items)


def test_table_first_then_answer_evidence_expectation_and_reference() -> None:
    easy = _item(_question("mini-bv-easy"), 0, "It is overfitting, clearly.")
    text = _text(_card(easy))
    assert text.index("Verdict:") < text.index("Your answer:") < text.index("Reference answer:")
    assert '✓ Names overfitting / high variance.  — you wrote: "It is overfitting' in text
    assert "✗ Confirms with cross-validation or learning curves.  — expected words like:" in text
    assert "cross-validation or k-fold or learning curve" in text
    assert "It is overfitting, clearly." in text
    assert "changed since" not in text


def test_a_changed_rubric_is_said_and_caps_are_named() -> None:
    medium = _item(
        _question("mini-bv-medium"),
        0,
        "Bias goes up, variance goes down; tune lambda on validation data.",
        hints_used=1,
    )
    stale = dataclasses.replace(medium, auto_score=1)  # scored by an older rubric
    text = _text(_card(stale))
    assert "The rubric or the scorer changed since this answer was scored" in text
    assert "capped at 3 (Hire): 1 hint" in text


def test_ending_early_names_the_items_never_reached() -> None:
    easy = _item(_question("mini-bv-easy"), 0, "overfitting")
    never = _item(_question("mini-prob-medium"), 1, "")
    text = _text(_card(easy, never, ended_early=True))
    assert "ended early" in text
    assert "Ended early: 1 item never reached" in text
    assert "not reached" in text


def test_markdown_is_rendered_arithmetic_kept_and_lines_fit() -> None:
    out = io.StringIO()
    console = make_console(out, plain=True)
    long = "**Bold claim** and *stress*: 0.99*0.01 / (0.99*0.01 + 0.05*0.99). " * 6
    emit(console, markdown(long))
    text = out.getvalue()
    assert "**" not in text and "*stress*" not in text
    assert "0.99*0.01" in text
    assert max(len(line) for line in text.splitlines()) <= 80
