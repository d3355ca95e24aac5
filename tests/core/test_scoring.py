from __future__ import annotations

import pytest

from bot.core.questions import RubricPoint
from bot.core.scoring import (
    Score,
    cue_found,
    effective_score,
    hint_cap,
    score_answer,
    score_for_coverage,
    verdict_for,
)


@pytest.mark.parametrize(
    "answer",
    [
        "The model is overfitting.",
        "it overfits",
        "classic over-fitting",
        "over fitting again",
        "OVERFITTED",
        "overfitting here",
        "It overfitted badly",
    ],
)
def test_inflections_and_hyphenation_match(answer: str) -> None:
    assert cue_found(answer, "overfitting")


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("we use regularisation", "regularization"),
        ("k fold cross validation", "cross-validation|k-fold"),
        ("precison matters", "precision"),  # a typo in a long word
        ("the learning-rate schedule", "learning rate"),
    ],
)
def test_spelling_variants_match(answer: str, cue: str) -> None:
    assert cue_found(answer, cue)


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("we report the roc curve", "auc"),  # short terms need an exact match
        ("underfitting everywhere", "overfitting"),
        ("", "bias"),
    ],
)
def test_non_matches(answer: str, cue: str) -> None:
    assert not cue_found(answer, cue)


RUBRIC = (
    RubricPoint("Diagnoses overfitting", ("overfitting|high variance", "gap"), weight=2),
    RubricPoint("Uses cross-validation", ("cross-validation|k-fold",)),
    RubricPoint("Regularises", ("early stopping", "max depth", "learning rate", "subsample")),
)


def test_point_needs_half_its_cues_rounded_up() -> None:
    result = score_answer("overfitting; early stopping and max depth", RUBRIC)
    covered = {p.point: p.covered for p in result.points}
    # 1 of 2 cues covers the first point; 2 of 4 the third.
    assert covered == {
        "Diagnoses overfitting": True,
        "Uses cross-validation": False,
        "Regularises": True,
    }
    assert result.coverage == pytest.approx(3 / 4)
    assert result.score is Score.STRONG_HIRE
    assert result.missed == ("Uses cross-validation",)


def test_weights_drive_coverage() -> None:
    result = score_answer("use k-fold", RUBRIC)
    assert result.coverage == pytest.approx(1 / 4)
    assert result.score is Score.NO_HIRE


def test_empty_answer_is_strong_no_hire() -> None:
    assert score_answer("   ", RUBRIC).score is Score.STRONG_NO_HIRE


def test_scoring_is_deterministic() -> None:
    text = "overfitting with a big gap; k-fold; early stopping"
    assert score_answer(text, RUBRIC) == score_answer(text, RUBRIC)


@pytest.mark.parametrize(
    ("coverage", "score"),
    [(1.0, 4), (0.75, 4), (0.74, 3), (0.5, 3), (0.49, 2), (0.25, 2), (0.24, 1), (0.0, 1)],
)
def test_coverage_thresholds(coverage: float, score: int) -> None:
    assert score_for_coverage(coverage) == score


def test_hints_cap_the_score() -> None:
    assert [hint_cap(n) for n in range(5)] == [4, 3, 2, 1, 1]
    full = (
        "The model is overfitting: the gap between train and validation shows it. I would "
        "confirm with k-fold, then tune early stopping and the max depth of the trees."
    )
    assert score_answer(full, RUBRIC, hints_used=1).score == 3
    assert score_answer(full, RUBRIC, hints_used=1).raw_score == 4


def test_human_scores_take_precedence() -> None:
    assert effective_score(4, None, None) == 4
    assert effective_score(4, 2, None) == 2
    assert effective_score(4, 2, 3) == 3
    assert effective_score(None, None, None) is None


@pytest.mark.parametrize(
    ("mean", "verdict"),
    [
        (4.0, Score.STRONG_HIRE),
        (3.4, Score.STRONG_HIRE),
        (3.39, Score.HIRE),
        (2.8, Score.HIRE),
        (2.79, Score.NO_HIRE),
        (2.2, Score.NO_HIRE),
        (2.19, Score.STRONG_NO_HIRE),
        (None, None),
    ],
)
def test_verdict_thresholds(mean: float | None, verdict: Score | None) -> None:
    assert verdict_for(mean) == verdict


def test_preparation_fills_the_caches_and_leaves_scores_unchanged() -> None:
    from bot.core.bank import bundled_bank_path, load_bank
    from bot.core.scoring import preparation, score_for
    from bot.core.scoring.matching import compile_cue
    from bot.core.scoring.scorer import _live_patterns, _prompt

    def clear() -> None:
        for cached in (compile_cue, _live_patterns, _prompt):
            cached.cache_clear()

    questions = load_bank([bundled_bank_path()], lint=False).questions[:12]
    answer = "Overfitting shows as a train/validation gap; regularise and use cross-validation."
    stages = [(q, phase) for q in questions for phase in (None, *(p.name for p in q.phases))]
    clear()
    cold = [score_for(q, answer, phase=phase) for q, phase in stages]
    clear()
    for q in questions:
        for _ in preparation(q):
            pass
    compiled = compile_cue.cache_info().currsize
    live = _live_patterns.cache_info()
    assert compiled > len(questions) and live.currsize > 0
    warm = [score_for(q, answer, phase=phase) for q, phase in stages]
    assert warm == cold
    assert compile_cue.cache_info().currsize == compiled  # scoring needed nothing new
    assert _live_patterns.cache_info().misses == live.misses
