"""`QuestionBank`: lookups, topic lists and bucketed selection."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bot.core.bank import QuestionBank
from bot.core.questions import Difficulty, Question, RubricPoint, Track

E, M, H = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD
_RUBRIC = (RubricPoint("a", ("a",)), RubricPoint("b", ("b",)))


def q(qid: str, topic: str, difficulty: Difficulty, track: Track = Track.TECHNICAL) -> Question:
    return Question(qid, track, topic, difficulty, 5, "prompt", "answer", _RUBRIC)


QUESTIONS = (
    q("stats-2", "statistics", M),
    q("prob-1", "probability", E),
    q("stats-1", "statistics", E),
    q("prob-3", "probability", H),
    q("prob-2", "probability", E),
    q("ps-1", "background", E, Track.PHONE_SCREEN),
)


@pytest.fixture
def bank() -> QuestionBank:
    return QuestionBank(QUESTIONS)


def ids(questions: tuple[Question, ...]) -> list[str]:
    return [x.id for x in questions]


def test_lookup_len_iter_contains(bank: QuestionBank) -> None:
    assert len(bank) == 6
    assert tuple(bank) == QUESTIONS
    assert bank.get("prob-3") is QUESTIONS[3]
    assert bank.get("nope") is None
    assert "ps-1" in bank
    assert "nope" not in bank


def test_topics_per_track_sorted(bank: QuestionBank) -> None:
    assert bank.topics(Track.TECHNICAL) == ["probability", "statistics"]
    assert bank.topics("phone-screen") == ["background"]
    assert bank.topics(Track.SYSTEM_DESIGN) == []


def test_select_orders_by_topic_then_difficulty_then_bank_order(bank: QuestionBank) -> None:
    assert ids(bank.select(Track.TECHNICAL)) == ["prob-1", "prob-2", "prob-3", "stats-1", "stats-2"]


def test_select_filters(bank: QuestionBank) -> None:
    assert ids(bank.select(Track.TECHNICAL, topics=["statistics"])) == ["stats-1", "stats-2"]
    assert ids(bank.select(Track.TECHNICAL, difficulties=[E])) == ["prob-1", "prob-2", "stats-1"]
    assert ids(bank.select("technical", ["probability"], ["hard", M])) == ["prob-3"]
    assert ids(bank.select(Track.TECHNICAL, ["probability"], exclude_ids={"prob-1"})) == [
        "prob-2",
        "prob-3",
    ]
    assert bank.select(Track.TECHNICAL, topics=["unknown"]) == ()
    assert bank.select(Track.TECHNICAL, topics=[]) == ()
    assert bank.select(Track.SYSTEM_DESIGN) == ()
    assert ids(bank.select(Track.PHONE_SCREEN)) == ["ps-1"]


def test_with_questions_returns_a_new_bank(bank: QuestionBank) -> None:
    extra = q("guild-1", "probability", E)
    bigger = bank.with_questions([extra])
    assert len(bigger) == 7 and len(bank) == 6
    assert ids(bigger.select(Track.TECHNICAL, ["probability"], [E])) == [
        "prob-1",
        "prob-2",
        "guild-1",
    ]
    assert bank.get("guild-1") is None


def test_duplicate_ids_are_rejected(bank: QuestionBank) -> None:
    twin = replace(QUESTIONS[0], topic="other", origin="guild.yaml:3")
    with pytest.raises(ValueError, match="duplicate question id 'stats-2'"):
        bank.with_questions([twin])


def test_bank_is_immutable(bank: QuestionBank) -> None:
    with pytest.raises(AttributeError):
        bank._questions = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        bank.extra = 1  # type: ignore[attr-defined]


def test_select_scales_with_matches_not_bank_size() -> None:
    many = [q(f"t{i}", f"topic-{i % 50}", (E, M, H)[i % 3]) for i in range(30_000)]
    bank = QuestionBank(many)
    picked = bank.select(Track.TECHNICAL, topics=["topic-7"], difficulties=[H])
    assert len(picked) == 200
    assert all(x.topic == "topic-7" and x.difficulty is H for x in picked)


def test_sample_draws_only_from_the_selection(bank: QuestionBank) -> None:
    rng = random.Random(3)
    for _ in range(200):
        found = bank.sample(Track.TECHNICAL, topics=["probability"], difficulties=[E], rng=rng)
        assert found is not None and found.id in {"prob-1", "prob-2"}
    assert bank.sample(Track.TECHNICAL, topics=["nothing"], rng=rng) is None
    assert bank.sample(Track.SYSTEM_DESIGN, rng=rng) is None


def test_sample_honours_exclusions_even_when_they_cover_most_of_the_pool() -> None:
    many = QuestionBank(q(f"t{i}", "statistics", E) for i in range(1000))
    keep = "t517"
    excluded = frozenset(f"t{i}" for i in range(1000)) - {keep}
    rng = random.Random(0)
    for _ in range(20):
        found = many.sample(Track.TECHNICAL, exclude_ids=excluded, rng=rng)
        assert found is not None and found.id == keep
    assert many.sample(Track.TECHNICAL, exclude_ids=excluded | {keep}, rng=rng) is None


def test_sample_prefers_topics_not_used_yet_and_falls_back_to_them(bank: QuestionBank) -> None:
    rng = random.Random(5)
    drawn = {
        bank.sample(Track.TECHNICAL, avoid_topics={"probability"}, rng=rng).id  # type: ignore[union-attr]
        for _ in range(100)
    }
    assert drawn == {"stats-1", "stats-2"}
    only_probability_left = frozenset({"stats-1", "stats-2"})
    found = bank.sample(
        Track.TECHNICAL, exclude_ids=only_probability_left, avoid_topics={"probability"}, rng=rng
    )
    assert found is not None and found.topic == "probability"


def test_sample_is_uniform_over_the_pool() -> None:
    # buckets of very different sizes: a draw must not favour the questions of a small bucket
    questions = [q(f"a{i}", "a", E) for i in range(9)] + [q("b0", "b", H)]
    bank = QuestionBank(questions)
    rng = random.Random(11)
    draws = [bank.sample(Track.TECHNICAL, rng=rng).id for _ in range(10_000)]  # type: ignore[union-attr]
    share_of_b = draws.count("b0") / len(draws)
    assert 0.07 < share_of_b < 0.13  # 1 question in 10
