"""The deterministic follow-up picker and the default FollowUpSource."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.follow_ups import (
    DeterministicFollowUps,
    FollowUp,
    FollowUpSource,
    already_asked,
    choose_follow_up,
)
from bot.core.questions import Track
from bot.core.scoring import score_for
from tests.factories import question, rubric

SPLIT = "How would you split the data so the validation score is honest?"
REG = "Which regularisation would you try first, and why?"
Q = replace(
    question("q"),
    rubric=rubric(
        ("Names overfitting", ("overfitting|high variance",)),
        ("Proposes regularisation", ("regularisation|dropout|weight decay",)),
        ("Checks the validation split", ("validation split|leakage",)),
    ),
    follow_ups=(SPLIT, REG),
)


def test_the_follow_up_sharing_most_stems_with_a_missed_point_wins() -> None:
    no_reg = score_for(Q, "It is overfitting; I would check the validation split for leakage.")
    assert no_reg.missed == ("Proposes regularisation",)
    assert choose_follow_up(Q, None, no_reg) == REG
    no_split = score_for(Q, "It is overfitting; add dropout.")
    assert no_split.missed == ("Checks the validation split",)
    assert choose_follow_up(Q, None, no_split) == SPLIT


def test_nothing_missed_or_nothing_shared_asks_the_first() -> None:
    full = score_for(Q, "Overfitting; dropout; check the validation split for leakage.")
    assert full.missed == ()
    assert choose_follow_up(Q, None, full) == SPLIT
    unrelated = replace(Q, follow_ups=("Tell me more?", "Anything else?"))
    assert choose_follow_up(unrelated, None, score_for(Q, "overfitting")) == "Tell me more?"


def test_ties_go_to_bank_order() -> None:
    same = replace(Q, follow_ups=("Regularisation one?", "Regularisation two?"))
    result = score_for(Q, "It is overfitting; check the validation split.")
    assert choose_follow_up(same, None, result) == "Regularisation one?"


def test_no_follow_ups_in_the_bank_means_none() -> None:
    bare = replace(Q, follow_ups=())
    assert choose_follow_up(bare, None, score_for(bare, "overfitting")) is None


def test_a_phase_asks_only_a_targeted_follow_up_not_asked_before() -> None:
    sd = replace(question("sd", track=Track.SYSTEM_DESIGN), follow_ups=(SPLIT, REG))
    phase = sd.phases[0]
    sd = replace(sd, phases=(replace(phase, rubric=Q.rubric), *sd.phases[1:]))
    no_reg = score_for(sd, "overfitting; validation split; leakage", phase=phase.name)
    assert choose_follow_up(sd, phase.name, no_reg) == REG
    assert choose_follow_up(sd, phase.name, no_reg, asked={REG}) is None  # SPLIT targets nothing
    full = score_for(sd, "overfitting; dropout; validation split; leakage", phase=phase.name)
    assert choose_follow_up(sd, phase.name, full) is None


def test_the_default_source_is_the_picker() -> None:
    source: FollowUpSource = DeterministicFollowUps()
    result = score_for(Q, "It is overfitting; add dropout.")
    picked = asyncio.run(source.follow_up(Q, None, "It is overfitting; add dropout.", result))
    assert picked == FollowUp(SPLIT, "bank")
    again = asyncio.run(source.follow_up(Q, None, "x", result, asked={SPLIT, REG}))
    assert again is None


def test_already_asked_ignores_case_and_spacing() -> None:
    assert already_asked("  which REGULARISATION would you try first,  and why? ", {REG})
    assert not already_asked("Which regularisation would you try last?", {REG})
