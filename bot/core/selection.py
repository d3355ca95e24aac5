"""Choosing the questions of a session.

Rules: honour the user's filters; never repeat a question inside a session; avoid questions the
user answered in their recent sessions of the track while others remain; spread topics; and for
the technical track, order by difficulty so the session gets harder as it goes.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from collections.abc import Set as AbstractSet
from typing import Protocol, runtime_checkable

from bot.core.formats import InterviewFormat, Slot
from bot.core.questions import Difficulty, Question, Track

RECENT_SESSIONS = 3  # "not in the user's last 3 sessions of that track"


class QuestionSource(Protocol):
    def select(
        self,
        track: Track,
        topics: Collection[str] | None = None,
        difficulties: Collection[Difficulty] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
    ) -> Sequence[Question]: ...


@runtime_checkable
class QuestionSampler(Protocol):
    """A source that draws one question without listing the pool (cost independent of the
    bank's size); ``QuestionBank`` and ``BankRegistry`` are samplers."""

    def sample(
        self,
        track: Track,
        topics: Collection[str] | None = None,
        difficulties: Collection[Difficulty] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
        avoid_topics: AbstractSet[str] = frozenset(),
        rng: random.Random | None = None,
    ) -> Question | None: ...


def choose_questions(
    bank: QuestionSource,
    fmt: InterviewFormat,
    *,
    topic: str | None = None,
    difficulty: Difficulty | None = None,
    recent_ids: Collection[str] = frozenset(),
    rng: random.Random | None = None,
) -> list[Question]:
    rng = rng or random.Random()
    recent_ids = frozenset(recent_ids)
    chosen: list[Question] = []
    used_ids: set[str] = set()
    used_topics: set[str] = set()
    for slot in fmt.slots:
        question = _pick(
            bank, fmt.track, slot, topic, difficulty, recent_ids, used_ids, used_topics, rng
        )
        if question is None:
            continue
        chosen.append(question)
        used_ids.add(question.id)
        used_topics.add(question.topic)
    if fmt.track is Track.TECHNICAL:
        chosen.sort(key=lambda q: q.difficulty.rank)  # stable: keeps slot order within a level
    return chosen


def _pick(
    bank: QuestionSource,
    track: Track,
    slot: Slot,
    topic: str | None,
    difficulty: Difficulty | None,
    recent_ids: frozenset[str],
    used_ids: set[str],
    used_topics: set[str],
    rng: random.Random,
) -> Question | None:
    topics: tuple[str, ...] | None = (topic,) if topic else (slot.topics or None)
    wanted = difficulty or slot.difficulty
    # Relax step by step: first recent questions become allowed again, then any difficulty,
    # then (for a slot's topic group) any topic of the track.
    attempts: list[tuple[tuple[str, ...] | None, Difficulty | None, bool]] = [
        (topics, wanted, True),
        (topics, wanted, False),
    ]
    if difficulty is None:  # the user's own filters are never relaxed
        attempts.append((topics, None, False))
    if not topic and slot.topics:
        attempts.append((None, wanted, False))
    for topic_filter, level, avoid_recent in attempts:
        exclude = used_ids | recent_ids if avoid_recent else used_ids
        if isinstance(bank, QuestionSampler):
            found = bank.sample(
                track,
                topics=topic_filter,
                difficulties=(level,) if level else None,
                exclude_ids=exclude,
                avoid_topics=used_topics,
                rng=rng,
            )
            if found is not None:
                return found
            continue
        pool = bank.select(
            track,
            topics=topic_filter,
            difficulties=(level,) if level else None,
            exclude_ids=exclude,
        )
        if pool:
            fresh_topics = [q for q in pool if q.topic not in used_topics]
            return rng.choice(fresh_topics or list(pool))
    return None
