"""`QuestionBank`: an immutable, indexed set of questions for fast selection."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from itertools import accumulate
from typing import Any, NoReturn

from bot.core.questions import Difficulty, Question, Track

_ALL_DIFFICULTIES = tuple(sorted(Difficulty, key=lambda d: d.rank))
_Bucket = tuple[Track, str, Difficulty]
# Random draws before ``sample`` falls back to listing the pool: a draw only misses when it hits
# an excluded question, so this many misses in a row means the exclusions cover most of the pool.
_DRAWS = 24


class QuestionBank:
    """Questions indexed by id and by (track, topic, difficulty).

    Selection reads precomputed buckets, so it costs O(matching questions) instead of a scan of
    the whole bank on every interview. Results are ordered by topic (alphabetical), then
    difficulty (easy to hard), then the order the questions were given in.
    """

    __slots__ = ("_buckets", "_by_id", "_questions", "_topics")

    _questions: tuple[Question, ...]
    _by_id: dict[str, Question]
    _buckets: dict[_Bucket, tuple[Question, ...]]
    _topics: dict[Track, tuple[str, ...]]

    def __init__(self, questions: Iterable[Question] = ()) -> None:
        """Raises ValueError when two questions share an id."""
        ordered = tuple(questions)
        by_id: dict[str, Question] = {}
        buckets: dict[_Bucket, list[Question]] = {}
        for q in ordered:
            if q.id in by_id:
                first = by_id[q.id].origin or "an earlier question"
                raise ValueError(f"duplicate question id {q.id!r} ({q.origin or '?'}; {first})")
            by_id[q.id] = q
            buckets.setdefault((q.track, q.topic, q.difficulty), []).append(q)
        topics: dict[Track, set[str]] = {}
        for track, topic, _ in buckets:
            topics.setdefault(track, set()).add(topic)
        set_ = object.__setattr__  # bypass our own __setattr__ guard, once, here
        set_(self, "_questions", ordered)
        set_(self, "_by_id", by_id)
        set_(self, "_buckets", {key: tuple(qs) for key, qs in buckets.items()})
        set_(self, "_topics", {t: tuple(sorted(names)) for t, names in topics.items()})

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __len__(self) -> int:
        return len(self._questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def __repr__(self) -> str:
        return f"QuestionBank({len(self)} questions)"

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def topics(self, track: Track | str) -> list[str]:
        """Topics that have at least one question in ``track``, alphabetically."""
        return list(self._topics.get(Track(track), ()))

    def select(
        self,
        track: Track | str,
        topics: Iterable[str] | None = None,
        difficulties: Iterable[Difficulty | str] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
    ) -> tuple[Question, ...]:
        """Questions of ``track`` in the given topics and difficulties (None: all of them)."""
        track = Track(track)
        wanted_topics = self._topics.get(track, ()) if topics is None else sorted(set(topics))
        wanted_levels = (
            _ALL_DIFFICULTIES
            if difficulties is None
            else sorted({Difficulty(d) for d in difficulties}, key=lambda d: d.rank)
        )
        buckets = self._buckets
        found: list[Question] = []
        for topic in wanted_topics:
            for level in wanted_levels:
                bucket = buckets.get((track, topic, level))
                if bucket:
                    if exclude_ids:
                        found.extend(q for q in bucket if q.id not in exclude_ids)
                    else:
                        found.extend(bucket)
        return tuple(found)

    def sample(
        self,
        track: Track | str,
        topics: Iterable[str] | None = None,
        difficulties: Iterable[Difficulty | str] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
        avoid_topics: AbstractSet[str] = frozenset(),
        rng: random.Random | None = None,
    ) -> Question | None:
        """One question drawn uniformly from ``select(...)``, preferring topics not in
        ``avoid_topics``; None when nothing matches.

        Same distribution as ``rng.choice`` over the selected pool, but the cost depends on the
        number of (topic, difficulty) buckets, not on the number of questions in them.
        """
        rng = rng or random.Random()
        track = Track(track)
        wanted_topics = self._topics.get(track, ()) if topics is None else sorted(set(topics))
        wanted_levels = (
            _ALL_DIFFICULTIES
            if difficulties is None
            else sorted({Difficulty(d) for d in difficulties}, key=lambda d: d.rank)
        )
        found: list[tuple[Question, ...]] = []
        for topic in wanted_topics:
            for level in wanted_levels:
                bucket = self._buckets.get((track, topic, level))
                if bucket:
                    found.append(bucket)
        fresh = [b for b in found if b[0].topic not in avoid_topics]
        return _draw(fresh, exclude_ids, rng) or _draw(found, exclude_ids, rng)

    def with_questions(self, extra: Iterable[Question]) -> QuestionBank:
        """A new bank with ``extra`` added (e.g. a guild's own questions); ids must stay unique."""
        return QuestionBank((*self._questions, *extra))


def _draw(
    buckets: Sequence[tuple[Question, ...]], exclude_ids: AbstractSet[str], rng: random.Random
) -> Question | None:
    """A uniform draw over the questions of ``buckets`` that are not excluded."""
    if not buckets:
        return None
    ends = list(accumulate(len(b) for b in buckets))
    for _ in range(_DRAWS):
        index = rng.randrange(ends[-1])
        at = bisect_right(ends, index)
        question = buckets[at][index - (ends[at - 1] if at else 0)]
        if question.id not in exclude_ids:
            return question
    pool = [q for b in buckets for q in b if q.id not in exclude_ids]
    return rng.choice(pool) if pool else None
