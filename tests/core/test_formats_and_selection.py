from __future__ import annotations

import random

import pytest

from bot.core.formats import DEFAULT_FORMATS, Length, build_format, scale_phases
from bot.core.questions import Difficulty, Track
from bot.core.selection import choose_questions
from bot.core.session import plan_items
from tests.factories import ListBank, question, technical_set


def test_default_lengths_follow_the_interview_guide() -> None:
    minutes = {(t.value, ln.value): f.minutes for (t, ln), f in DEFAULT_FORMATS.items()}
    assert minutes == {
        ("phone-screen", "standard"): 30,
        ("phone-screen", "short"): 15,
        ("technical", "standard"): 45,
        ("technical", "short"): 20,
        ("system-design", "standard"): 45,
        ("system-design", "short"): 25,
    }
    assert len(DEFAULT_FORMATS[(Track.TECHNICAL, Length.STANDARD)].slots) == 7


def test_build_format_overrides_question_count() -> None:
    fmt = build_format(Track.TECHNICAL, Length.SHORT, questions=6)
    assert len(fmt.slots) == 6 and fmt.slots[-1].difficulty is Difficulty.HARD
    with pytest.raises(ValueError, match="at least one"):
        build_format(Track.TECHNICAL, Length.SHORT, questions=0)


@pytest.mark.parametrize("total", [45, 25, 20, 7])
def test_scale_phases_keeps_the_sum_and_proportions(total: int) -> None:
    q = question("sd", track=Track.SYSTEM_DESIGN)
    scaled = scale_phases(q.phases, total)
    assert sum(scaled) == total and min(scaled) >= 1
    if total == 45:
        assert scaled == (6, 5, 10, 10, 9, 5)


def test_plan_expands_system_design_into_phases() -> None:
    q = question("sd", track=Track.SYSTEM_DESIGN)
    items = plan_items([q], build_format(Track.SYSTEM_DESIGN, Length.SHORT))
    assert [i.phase.name for i in items if i.phase] == [p.name for p in q.phases]
    assert sum(i.minutes for i in items) == 25


def test_selection_rises_in_difficulty_and_spreads_topics() -> None:
    bank = ListBank(technical_set(per_level=4, topics=("a", "b", "c", "d")))
    fmt = build_format(Track.TECHNICAL, Length.STANDARD)
    chosen = choose_questions(bank, fmt, rng=random.Random(1))
    assert [q.difficulty.rank for q in chosen] == [0, 0, 1, 1, 1, 2, 2]
    assert len({q.id for q in chosen}) == 7
    assert len({q.topic for q in chosen[:4]}) == 4  # the first four topics are all different


def test_recent_questions_are_avoided_while_others_remain() -> None:
    bank = ListBank(technical_set(per_level=2))
    fmt = build_format(Track.TECHNICAL, Length.SHORT, questions=2)
    recent = {"t-easy-0"}
    for seed in range(20):
        chosen = choose_questions(
            bank, fmt, difficulty=Difficulty.EASY, recent_ids=recent, rng=random.Random(seed)
        )
        # two easy questions exist; one is recent, so it may only come second
        assert chosen[0].id == "t-easy-1"


def test_user_filters_are_never_relaxed() -> None:
    bank = ListBank(technical_set(per_level=1, topics=("a",)))
    fmt = build_format(Track.TECHNICAL, Length.STANDARD)
    chosen = choose_questions(bank, fmt, difficulty=Difficulty.HARD)
    assert [q.difficulty for q in chosen] == [Difficulty.HARD]
    assert choose_questions(bank, fmt, topic="zzz") == []


def test_selection_through_the_bank_sampler_keeps_the_rules() -> None:
    from bot.core.bank import QuestionBank

    questions = technical_set(per_level=4, topics=("a", "b", "c", "d"))
    bank = QuestionBank(questions)
    fmt = build_format(Track.TECHNICAL, Length.STANDARD)
    for seed in range(30):
        chosen = choose_questions(bank, fmt, rng=random.Random(seed))
        assert [q.difficulty.rank for q in chosen] == [0, 0, 1, 1, 1, 2, 2]
        assert len({q.id for q in chosen}) == 7
        assert len({q.topic for q in chosen[:4]}) == 4
    small = QuestionBank(technical_set(per_level=2))
    two = build_format(Track.TECHNICAL, Length.SHORT, questions=2)
    for seed in range(20):
        chosen = choose_questions(
            small, two, difficulty=Difficulty.EASY, recent_ids={"t-easy-0"}, rng=random.Random(seed)
        )
        assert chosen[0].id == "t-easy-1"
