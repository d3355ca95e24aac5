"""The bundled bank covers what ML-engineer loops ask, with depth in every technical topic."""

from __future__ import annotations

from collections import Counter, defaultdict

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import Track

QUESTIONS = load_bank([bundled_bank_path()]).questions


def test_every_technical_topic_has_four_questions_of_two_difficulties_or_more() -> None:
    topics: dict[str, list[str]] = defaultdict(list)
    for q in QUESTIONS:
        if q.track is Track.TECHNICAL:
            topics[q.topic].append(q.difficulty.value)
    thin = {t: d for t, d in topics.items() if len(d) < 4 or len(set(d)) < 2}
    assert not thin, thin


def test_the_second_edition_reaches_its_size() -> None:
    tracks = Counter(q.track for q in QUESTIONS)
    technical_topics = {q.topic for q in QUESTIONS if q.track is Track.TECHNICAL}
    assert len(QUESTIONS) >= 340
    assert tracks[Track.PHONE_SCREEN] >= 60
    assert tracks[Track.TECHNICAL] >= 230
    assert len(technical_topics) >= 35
    assert tracks[Track.SYSTEM_DESIGN] >= 50


def test_the_llm_era_is_covered() -> None:
    topics = {q.topic for q in QUESTIONS}
    for expected in ("rag", "llm-serving", "llm-evaluation", "llm-fine-tuning", "llm-safety"):
        assert expected in topics
