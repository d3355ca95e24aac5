"""Pure rules of practice rounds and panels: stages, votes, ballots, splitting posts."""

from __future__ import annotations

import random

import pytest

from bot.core.practice_rounds import (
    SYSTEM_DESIGN_ROUND_MINUTES,
    RoundKind,
    RoundStatus,
    aggregate_ballots,
    ballot_complete,
    choose_question,
    default_minutes,
    judging_status,
    may_vote_for,
    pack,
    round_half_up,
    spoiler,
    stages_to_announce,
    tally_votes,
)
from bot.core.questions import RubricPoint, Track
from tests.factories import question

RUBRIC = (
    RubricPoint("Names the problem", ("overfitting",)),
    RubricPoint("Proposes a check", ("cross-validation",)),
    RubricPoint("Explains the trade-off", ("bias",), weight=2),
)


def test_stages_follow_the_kind() -> None:
    assert judging_status(RoundKind.ROUND) is RoundStatus.VOTING
    assert judging_status(RoundKind.PANEL) is RoundStatus.SCORING
    a, v, c, s = (
        RoundStatus.ANSWERING,
        RoundStatus.VOTING,
        RoundStatus.CLOSED,
        RoundStatus.SCORING,
    )
    assert stages_to_announce(RoundKind.ROUND, a, v) == (v,)
    assert stages_to_announce(RoundKind.ROUND, a, c) == (v, c)  # nobody answered: both shown
    assert stages_to_announce(RoundKind.ROUND, v, c) == (c,)
    assert stages_to_announce(RoundKind.ROUND, c, c) == ()
    assert stages_to_announce(RoundKind.PANEL, a, c) == (s, c)
    assert stages_to_announce(RoundKind.ROUND, a, RoundStatus.CANCELLED) == ()
    assert RoundStatus.SCORING.is_open and not RoundStatus.CLOSED.is_open


def test_default_minutes() -> None:
    assert default_minutes(question("q", minutes=6)) == 6
    assert default_minutes(question("sd", track=Track.SYSTEM_DESIGN)) == (
        SYSTEM_DESIGN_ROUND_MINUTES
    )


def test_choose_question_prefers_questions_not_used_recently() -> None:
    qs = [question(f"q{i}") for i in range(4)]
    rng = random.Random(1)
    picks = {choose_question(qs, {"q0", "q1", "q2"}, rng).id for _ in range(20)}  # type: ignore[union-attr]
    assert picks == {"q3"}
    # All used recently: any of them rather than nothing.
    assert choose_question(qs[:1], {"q0"}, rng) is qs[0]
    assert choose_question([], set(), rng) is None


def test_tally_orders_by_votes_then_submission() -> None:
    tally = tally_votes([10, 11, 12], [12, 11, 12, 99])  # 99: not an answer of the round
    assert [(c.answer_id, c.votes) for c in tally.counts] == [(12, 2), (11, 1), (10, 0)]
    assert tally.winners == (12,) and tally.total == 3
    assert tally.votes_for(10) == 0 and tally.votes_for(12) == 2


def test_tally_ties_and_no_votes() -> None:
    tie = tally_votes([1, 2, 3], [2, 1])
    assert [c.answer_id for c in tie.counts] == [1, 2, 3]
    assert tie.winners == (1, 2)
    nobody = tally_votes([1, 2], [])
    assert nobody.winners == () and nobody.total == 0
    assert tally_votes([], []).counts == ()


def test_no_vote_for_yourself() -> None:
    assert not may_vote_for(5, 5)
    assert may_vote_for(5, 6)


def test_round_half_up() -> None:
    assert [round_half_up(x) for x in (2.5, 3.5, 2.49, 1.0, 3.75)] == [3, 4, 2, 1, 4]


def test_aggregate_mean_spread_and_weights() -> None:
    ballots = [[4, 4, 4], [2, 3, 1], [3, 3, 3]]
    agg = aggregate_ballots(RUBRIC, ballots)
    assert agg.ballots == 3 and agg.incomplete == 0
    assert [p.mean for p in agg.points] == [3.0, pytest.approx(10 / 3), pytest.approx(8 / 3)]
    assert [(p.low, p.high, p.spread) for p in agg.points] == [(2, 4, 2), (3, 4, 1), (1, 4, 3)]
    # Overall per ballot is rubric-weighted: (2 + 3 + 2*1) / 4 = 1.75.
    assert (agg.low, agg.high) == (1.75, 4.0)
    assert agg.mean == pytest.approx((4 + 1.75 + 3) / 3)
    assert agg.stdev == pytest.approx(0.9204, abs=1e-4)
    assert agg.peer_score == 3


def test_aggregate_leaves_out_incomplete_ballots() -> None:
    agg = aggregate_ballots(RUBRIC, [[1, 1, 1], [4, None, 4], [4, 4]])
    assert agg.ballots == 1 and agg.incomplete == 2
    assert agg.mean == 1.0 and agg.stdev == 0.0 and agg.peer_score == 1
    assert not ballot_complete([4, None, 4], 3) and not ballot_complete([4, 4, 4, 4], 3)
    assert not ballot_complete([0, 4, 4], 3) and ballot_complete([1, 2, 3], 3)


def test_aggregate_with_no_ballots() -> None:
    agg = aggregate_ballots(RUBRIC, [])
    assert agg.mean is None and agg.peer_score is None and agg.stdev is None
    assert all(p.mean is None and p.spread is None for p in agg.points)


def test_peer_score_rounds_half_up_and_stays_on_scale() -> None:
    one = (RubricPoint("p", ("x",)),)
    assert aggregate_ballots(one, [[2], [3]]).peer_score == 3  # 2.5 -> 3
    assert aggregate_ballots(one, [[4], [4]]).peer_score == 4


def test_spoiler_cannot_be_closed_early() -> None:
    hidden = spoiler("a || b")
    assert hidden.startswith("||") and hidden.endswith("||")
    assert hidden[2:-2].count("||") == 0


def test_pack_respects_size_and_count() -> None:
    assert pack([10, 10, 10], limit=25, max_items=10) == [[0, 1], [2]]
    assert pack([1] * 12, limit=100, max_items=5) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    assert pack([50, 5], limit=20, max_items=3) == [[0], [1]]  # oversize item alone
    assert pack([], limit=10, max_items=2) == []
