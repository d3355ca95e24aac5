"""The Discord scorecard's follow-up lines and the ending-early note, as pure functions."""

from __future__ import annotations

import dataclasses

from bot.core.formats import Length
from bot.core.session import ItemStatus, Scorecard, SessionStatus
from bot.discord.render import ended_early_text, follow_up_lines
from tests.adapters.test_scorecard_evidence import QUESTION_V2, scored


def card(*statuses: ItemStatus, ended_early: bool = True) -> Scorecard:
    items = tuple(
        dataclasses.replace(
            scored("overfitting" if s is not ItemStatus.NOT_REACHED else "", 3),
            position=n,
            status=s,
            auto_score=None if s is ItemStatus.NOT_REACHED else 3,
        )
        for n, s in enumerate(statuses)
    )
    return Scorecard(1, QUESTION_V2.track, Length.SHORT, SessionStatus.FINISHED, ended_early, items)


def test_follow_up_lines_show_the_question_and_the_reply_or_skipped() -> None:
    asked = dataclasses.replace(
        scored("first. reply", 3), follow_up="How would you check it?", follow_up_reply="reply"
    )
    assert follow_up_lines(asked) == [
        "↪ Follow-up: *How would you check it?*",
        "↪ Your reply: “reply”",
    ]
    skipped = dataclasses.replace(asked, follow_up_reply="", follow_up_skipped=True)
    assert follow_up_lines(skipped)[1] == "↪ Your reply: skipped (scored on your first answer)"
    silent = dataclasses.replace(asked, follow_up_reply="  ")
    assert follow_up_lines(silent)[1] == "↪ Your reply: none written"
    assert follow_up_lines(scored("no follow-up", 3)) == []


def test_ended_early_text_counts_the_items_not_reached() -> None:
    text = ended_early_text(
        card(ItemStatus.SUBMITTED, ItemStatus.NOT_REACHED, ItemStatus.NOT_REACHED)
    )
    assert text.startswith("Interview ended early: 2 of 3 items not reached.")
    assert "lowest score (1/4 Strong No Hire) in the verdict" in text
    one = ended_early_text(card(ItemStatus.SUBMITTED, ItemStatus.NOT_REACHED))
    assert "1 of 2 items not reached" in one


def test_ended_early_text_without_answers_or_without_missing_items() -> None:
    nothing = ended_early_text(card(ItemStatus.NOT_REACHED, ItemStatus.NOT_REACHED))
    assert "before any answer: 2 of 2 items not reached" in nothing and "no verdict" in nothing
    assert "none counts as unanswered" in ended_early_text(card(ItemStatus.SUBMITTED))
