"""Spaced repetition of daily questions: FSRS ratings from scores, and the choice order."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import State

from bot.core.questions import Question, Track
from bot.core.spaced_repetition import (
    CardState,
    choose_for_member,
    choose_guild_question,
    daily_rubric,
    new_card,
    review,
    topic_averages,
)
from tests.factories import question, rubric

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_each_score_maps_to_a_rating_and_better_scores_wait_longer() -> None:
    dues = [review(new_card(NOW), score, NOW).due for score in (1, 2, 3, 4)]
    assert dues == sorted(dues) and len(set(dues)) > 1
    assert dues[0] >= NOW + timedelta(days=1)  # no intra-day steps: at least a day later
    assert dues[3] - NOW >= timedelta(days=7)  # Easy waits much longer than Again


def test_review_counts_and_moves_to_review_state() -> None:
    card = review(new_card(NOW), 3, NOW)
    assert card.reviews == 1 and card.state == int(State.Review) and card.step is None
    assert card.last_review == NOW and card.stability and card.difficulty
    later = review(card, 4, card.due)
    assert later.reviews == 2 and later.due - card.due > card.due - NOW  # intervals grow


def test_a_failed_review_comes_back_sooner() -> None:
    card = review(review(new_card(NOW), 4, NOW), 4, NOW + timedelta(days=15))
    good = review(card, 4, card.due)
    again = review(card, 1, card.due)
    assert again.due < good.due
    assert again.due - card.due >= timedelta(days=1)


def test_review_refuses_bad_scores_and_naive_times() -> None:
    with pytest.raises(ValueError, match="1 to 4"):
        review(new_card(NOW), 5, NOW)
    with pytest.raises(ValueError, match="naive"):
        review(new_card(NOW), 3, NOW.replace(tzinfo=None))


def test_topic_averages() -> None:
    assert topic_averages([("a", 3, 2), ("b", 8, 2), ("a", 2, 1)]) == {"a": 5 / 3, "b": 4.0}


def _qs() -> list[Question]:
    return [
        question("prob-1", topic="probability"),
        question("prob-2", topic="probability"),
        question("bv-1", topic="bias-variance"),
        question("bv-2", topic="bias-variance"),
        question("sql-1", topic="sql"),
    ]


def _reviewed(due: datetime) -> CardState:
    return CardState(due=due, state=int(State.Review), step=None, reviews=1, last_review=NOW)


def test_due_cards_come_first_most_overdue_first() -> None:
    cards = {
        "bv-1": _reviewed(NOW - timedelta(days=1)),
        "sql-1": _reviewed(NOW - timedelta(days=3)),
        "prob-1": _reviewed(NOW + timedelta(days=2)),  # not due
    }
    chosen = choose_for_member(_qs(), cards, {}, NOW, rng=random.Random(1))
    assert chosen is not None and chosen.id == "sql-1"


def test_unseen_questions_from_the_weakest_topic_next() -> None:
    cards = {"bv-1": _reviewed(NOW + timedelta(days=2))}
    averages = {"bias-variance": 1.0, "probability": 3.5}  # sql: unknown, counts as 2.5
    for seed in range(10):
        chosen = choose_for_member(_qs(), cards, averages, NOW, rng=random.Random(seed))
        assert chosen is not None and chosen.id == "bv-2"  # the weakest topic's unseen one
    averages = {"bias-variance": 3.9, "probability": 3.5}
    chosen = choose_for_member(_qs(), cards, averages, NOW, rng=random.Random(1))
    assert chosen is not None and chosen.id == "sql-1"  # unknown topic beats strong ones


def test_offered_but_never_answered_counts_as_unseen() -> None:
    cards = {q.id: _reviewed(NOW + timedelta(days=5)) for q in _qs()}
    cards["prob-2"] = new_card(NOW)  # shown once, no answer
    chosen = choose_for_member(_qs(), cards, {}, NOW)
    assert chosen is not None and chosen.id == "prob-2"


def test_when_everything_was_seen_the_soonest_due_comes_next() -> None:
    cards = {q.id: _reviewed(NOW + timedelta(days=i + 1)) for i, q in enumerate(_qs())}
    cards["sql-1"] = _reviewed(NOW + timedelta(hours=3))
    chosen = choose_for_member(_qs(), cards, {}, NOW)
    assert chosen is not None and chosen.id == "sql-1"


def test_answered_today_is_left_out_while_others_remain() -> None:
    qs = _qs()[:2]
    cards = {"prob-1": _reviewed(NOW - timedelta(days=1))}
    chosen = choose_for_member(qs, cards, {}, NOW, answered_today={"prob-1"})
    assert chosen is not None and chosen.id == "prob-2"
    only = choose_for_member(qs[:1], cards, {}, NOW, answered_today={"prob-1"})
    assert only is not None and only.id == "prob-1"
    assert choose_for_member([], {}, {}, NOW) is None


def test_guild_question_avoids_the_last_30_days_while_others_remain() -> None:
    qs = _qs()
    today = date(2026, 1, 5)
    posted = {q.id: today - timedelta(days=i + 1) for i, q in enumerate(qs[:4])}
    for seed in range(10):
        chosen = choose_guild_question(qs, posted, today, rng=random.Random(seed))
        assert chosen is not None and chosen.id == "sql-1"
    posted["sql-1"] = today - timedelta(days=31)  # older than 30 days: fresh again
    chosen = choose_guild_question(qs, posted, today, rng=random.Random(2))
    assert chosen is not None and chosen.id == "sql-1"
    posted["sql-1"] = today - timedelta(days=2)  # all recent: the one posted longest ago
    chosen = choose_guild_question(qs, posted, today)
    assert chosen is not None and chosen.id == "bv-2"
    assert choose_guild_question([], {}, today) is None


def test_daily_rubric_of_system_design_uses_the_first_phase_when_no_whole_rubric() -> None:
    phased = question("sd-1", track=Track.SYSTEM_DESIGN)
    assert daily_rubric(phased) == phased.rubric  # the whole-question rubric when present
    bare = question(
        "sd-2",
        track=Track.SYSTEM_DESIGN,
        rubric_points=rubric(("Clarifies the goal", ("goal",))),
    )
    without_whole = replace(bare, rubric=())
    assert daily_rubric(without_whole) == bare.phases[0].rubric
