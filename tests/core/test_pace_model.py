"""The pace model: time limits for typed answers, checked over the whole bundled bank."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.formats import (
    DEFAULT_FORMATS,
    TYPED_WORDS_PER_MINUTE,
    Length,
    build_format,
    follow_up_seconds,
    reference_words,
    typed_minutes,
)
from bot.core.questions import Question, Track
from bot.core.session import plan_items
from tests.factories import question


@pytest.fixture(scope="module")
def bundled() -> list[Question]:
    result = load_bank([bundled_bank_path()])
    assert not result.errors
    return list(result.questions)


def test_typed_minutes_are_at_least_the_banks_and_fit_25_words_a_minute() -> None:
    assert typed_minutes(5, "word " * 100) == 5  # 100 words fit 5 minutes at 25 a minute
    assert typed_minutes(5, "word " * 126) == 6  # spoken minutes for 126 words: raised
    assert reference_words("**Bold.** two  words\nthree") == 4


def test_plan_items_applies_the_pace_model() -> None:
    long = replace(question("q", minutes=2), reference_answer="word " * 200)
    fmt = build_format(Track.TECHNICAL, Length.SHORT, questions=1)
    assert [i.minutes for i in plan_items([long], fmt)] == [8]
    sd = replace(question("sd", track=Track.SYSTEM_DESIGN), reference_answer="word " * 1000)
    items = plan_items([sd], build_format(Track.SYSTEM_DESIGN, Length.SHORT))
    assert sum(i.minutes for i in items) == 40  # 25 format minutes raised to 1000 / 25


def test_follow_up_time_is_remaining_plus_two_minutes_at_most_five() -> None:
    assert follow_up_seconds(30) == 150
    assert follow_up_seconds(-5) == 120
    assert follow_up_seconds(600) == 300


def test_every_bundled_question_fits_25_typed_words_a_minute(bundled: list[Question]) -> None:
    too_fast = []
    for q in bundled:
        words = reference_words(q.reference_answer)
        if q.phases:
            for length in Length:
                fmt = DEFAULT_FORMATS[(Track.SYSTEM_DESIGN, length)]
                minutes = sum(i.minutes for i in plan_items([q], fmt))
                if words / minutes > TYPED_WORDS_PER_MINUTE:
                    too_fast.append((q.id, length.value, words, minutes))
        else:
            (item,) = plan_items([q], build_format(q.track, Length.STANDARD, questions=1))
            if words / item.minutes > TYPED_WORDS_PER_MINUTE:
                too_fast.append((q.id, None, words, item.minutes))
    assert too_fast == []
    assert len(bundled) > 300  # the whole bank was checked
