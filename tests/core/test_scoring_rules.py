"""The scorer's matching rules, one case per way an answer used to fool it or be wronged by it."""

from __future__ import annotations

import pytest

from bot.core.questions import Misconception, RubricPoint
from bot.core.scoring import Score, cue_found, score_answer


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("I would go with no fine-tuning at all", "fine-tuning"),
        ("Boundary tests aren't needed here", "boundary tests"),
        ("Dropout is unnecessary for this model", "dropout"),
        ("we never freeze anything", "freeze"),
        ("train without a validation set", "validation set"),
        ("report accuracy instead of recall", "recall"),
        ("you don't need early stopping", "early stopping"),
        ("Scaling doesn't matter for trees", "scaling"),
    ],
)
def test_a_denied_cue_does_not_count(answer: str, cue: str) -> None:
    assert not cue_found(answer, cue)


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("we fine-tune the top layers", "fine-tuning"),
        ("not only dropout but also weight decay", "dropout"),
        ("we can't skip the test set", "test set"),  # two negations cancel
        ("report accuracy instead of recall", "accuracy"),
        ("No, I'd use early stopping", "early stopping"),  # the "no" ends before the clause
    ],
)
def test_an_asserted_cue_counts(answer: str, cue: str) -> None:
    assert cue_found(answer, cue)


def test_a_problem_the_point_avoids_may_be_negated() -> None:
    point = "Splits by time to avoid leakage."
    assert cue_found("split by time so that there is no leakage", "leakage", point)
    point = "Names a missing base case as the cause."
    assert cue_found("there is no base case", "base case", point)
    assert not cue_found("there is no base case", "base case", "Names the base case.")


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("31231 users", "31,231"),
        ("31,231 users", "31231"),
        ("about 31.2k users", "31,231"),
        ("a 4× speed-up", "4x"),
        ("recall of 80 %", "80%"),
        ("recall of 0.8", "80%"),
        ("precision 0.667", "0.67"),
        ("precision 0.67", "0.667"),
        ("93.33 % accuracy", "14/15"),
        ("budget 0.08 s", "80 ms"),
        ("10 µs per call", "10 us"),
        ("p99 under 80ms", "80 ms"),
    ],
)
def test_numbers_match_as_numbers(answer: str, cue: str) -> None:
    assert cue_found(answer, cue)


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("takes 15 ms", "185ms"),
        ("needs 16 GB", "1.6 GB"),
        ("about 1", "0.667"),  # too coarse a rounding to say the number
        ("about 0.7", "0.667"),
        ("stage two of the pipeline", "stage 5"),
        ("the stage", "stage 5"),
        ("budget 80 s", "80 ms"),
        ("30k users", "31,231"),
    ],
)
def test_a_number_never_matches_a_different_number(answer: str, cue: str) -> None:
    assert not cue_found(answer, cue)


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("using the model", "usefulness"),
        ("the value is large", "p-value"),
        ("grid search over both", "reach"),
        ("a larger model", "large"),
        ("L2 regularization", "l1 regularization"),
        ("in general it works", "generalization"),
        ("we report the roc curve", "auc"),
        ("turn on the logging", "O(n)"),
    ],
)
def test_no_sub_word_prefix_or_typo_accidents(answer: str, cue: str) -> None:
    assert not cue_found(answer, cue)


@pytest.mark.parametrize(
    ("answer", "cue"),
    [
        ("precison matters", "precision"),  # a typo in a long word
        ("we use regularisation", "regularization"),
        ("classic over-fitting", "overfitting"),
        ("large γ shrinks the radius", "large gamma"),
        ("attention costs n² in the length", "n^2"),
        ("it is O(n·log n)", "O(n log n)"),
        ("lookups are O(log n)", "log n"),
        ("lock the pretrained weights", "freeze"),  # curated equivalence
        ("deliver at least one pass over the data", "at least once"),
        ("calibrated probabilities", "calibration"),
    ],
)
def test_spellings_unicode_and_equivalents_match(answer: str, cue: str) -> None:
    assert cue_found(answer, cue)


POINT = RubricPoint(
    "Identifies overfitting from the gap.",
    ("+overfitting|high variance", "gap|generalization gap", "learning curve"),
    weight=2,
    explain="A near-perfect training score with a much lower validation score is variance.",
)
RUBRIC = (
    POINT,
    RubricPoint("Tunes early stopping.", ("early stopping", "patience")),
)


def test_a_required_cue_must_be_found() -> None:
    answer = "There is a big gap on the learning curve, and I'd add early stopping with patience."
    result = score_answer(answer, RUBRIC)
    assert not result.points[0].covered
    assert result.points[0].missing[0] == "overfitting|high variance"
    assert result.points[0].explain.startswith("A near-perfect")


def test_a_point_misconception_voids_the_point() -> None:
    point = RubricPoint(
        "Identifies overfitting.",
        ("overfitting|high variance", "gap"),
        misconceptions=(Misconception("Calls it underfitting.", ("underfitting|high bias",)),),
    )
    answer = "The large gap means high variance. So this is underfitting, I would add capacity."
    result = score_answer(answer, (point, RUBRIC[1]))
    assert not result.points[0].covered
    assert result.points[0].misconception == "Calls it underfitting."
    denied = "The large gap means high variance, not underfitting."
    assert score_answer(denied, (point, RUBRIC[1])).points[0].covered


def test_a_question_misconception_caps_the_score_and_says_so() -> None:
    wrong = Misconception("Tunes on the test set.", ("tune|pick the best", "test set"), cap=2)
    answer = (
        "The model is overfitting: the gap between the curves is wide and the learning curve "
        "shows it. I would use early stopping with some patience, and then tune the depth on "
        "the test set until it looks best."
    )
    result = score_answer(answer, RUBRIC, misconceptions=(wrong,))
    assert result.raw_score == Score.STRONG_HIRE
    assert result.score == Score.NO_HIRE
    assert [c.kind for c in result.caps] == ["misconception"]
    assert "Tunes on the test set." in str(result.caps[0])


def test_a_list_of_terms_is_capped_and_a_sentence_is_not() -> None:
    stuffed = "overfitting, high variance, gap, learning curve, early stopping, patience"
    result = score_answer(stuffed, RUBRIC)
    assert result.raw_score == Score.STRONG_HIRE
    assert result.score == Score.NO_HIRE
    assert [c.kind for c in result.caps] == ["stuffing"]
    prose = (
        "The wide gap between training and validation says the model is overfitting, and the "
        "learning curve would confirm it. I would add early stopping with a patience of a few "
        "epochs."
    )
    assert score_answer(prose, RUBRIC).score == Score.STRONG_HIRE


def test_the_prompt_echoed_back_earns_nothing() -> None:
    prompt = (
        "Your model shows overfitting with a large gap. What would you do about early stopping?"
    )
    result = score_answer(prompt, RUBRIC, prompt=prompt)
    assert result.score == Score.STRONG_NO_HIRE
    answer = (
        "It is overfitting, as the learning curve would show; I'd add early stopping with a "
        "patience of five epochs."
    )
    assert score_answer(answer, RUBRIC, prompt=prompt).score == Score.STRONG_HIRE


def test_each_tick_quotes_the_answer() -> None:
    answer = "Clearly overfitting: high variance. Early stopping with patience 5 fixes it."
    result = score_answer(answer, RUBRIC)
    assert result.points[1].covered
    assert "Early stopping with patience 5" in result.points[1].evidence


def test_an_empty_answer_is_named_unanswered() -> None:
    result = score_answer("  ", RUBRIC)
    assert result.score == Score.STRONG_NO_HIRE
    assert [c.kind for c in result.caps] == ["unanswered"]


def test_only_the_first_part_of_a_huge_answer_is_read() -> None:
    from bot.core.scoring import MAX_SCORED_CHARS

    filler = "I would think about it. " * (MAX_SCORED_CHARS // 20)
    tail = "It is overfitting with a wide gap, so I add early stopping with patience."
    assert score_answer(tail, RUBRIC).score == Score.STRONG_HIRE
    assert score_answer(filler + tail, RUBRIC).score == Score.STRONG_NO_HIRE


@pytest.mark.parametrize(
    ("answer", "cue", "found"),
    [
        ("We keep learning. Rate limits matter.", "learning rate", False),  # across a sentence
        ("Keep learning, rate limits matter.", "learning rate", False),  # across a clause
        ("The fused order is B, A, C.", "b, a, c", True),  # a cue written with commas
        ("The lookup is O(log n).", "O(n)", False),
        ("Sorting costs O(n log n).", "O(n)", False),
        ("We did not use a leaky ReLU.", "leaky relu", False),  # "leaky" is no leak
        ("Dropout is not only useful but essential.", "dropout", True),
        ("I dont use dropout.", "dropout", False),  # no apostrophe
        ("We no longer use dropout.", "dropout", False),
        ("Dropout is never wrong here.", "dropout", True),
    ],
)
def test_review_findings(answer: str, cue: str, found: bool) -> None:
    assert cue_found(answer, cue) is found


@pytest.mark.parametrize(
    "answer",
    ["1e" + "9" * 5000, "9" * 5000 + "/2", "2/" + "9" * 5000, "1" + "0" * 400 + "/3", "?." * 5999],
)
def test_hostile_numbers_and_punctuation_score_quietly(answer: str) -> None:
    assert score_answer(answer, RUBRIC).score == Score.STRONG_NO_HIRE


def test_a_prompt_word_one_typo_away_is_not_the_cue() -> None:
    point = RubricPoint("Partitions the data.", ("sharding", "consistent hashing"))
    answer = "Use sharding by user id, so each node owns a slice."
    prompt = "How would you handle data sharing across regions?"
    assert score_answer(answer, (point,), prompt=prompt).points[0].covered
