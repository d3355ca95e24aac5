"""Which daily question to give: per member (spaced repetition) and per guild (freshness).

Per member, each question answered gets an FSRS card (the ``fsrs`` package). The automatic
score of an answer is the review rating: 1 Again, 2 Hard, 3 Good, 4 Easy. Daily practice has a
granularity of days, so the scheduler has no intra-day learning steps: every review schedules
the next one at least a day later. The order of choice:

1. due cards (answered before, due now), the most overdue first;
2. questions never answered, from the member's weakest topic (lowest average score; a topic
   with no score yet counts as ``UNKNOWN_TOPIC_SCORE``, between weak and strong);
3. the rest, the card due soonest first.

Questions answered today are left out while anything else remains.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fsrs import Card, Rating, Scheduler, State

from bot.core.questions import Question, RubricPoint

UNKNOWN_TOPIC_SCORE = 2.5  # the middle of the 1-4 scale
RECENT_GUILD_DAYS = 30

_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
RATING_FOR_SCORE: Mapping[int, Rating] = {
    1: Rating.Again,
    2: Rating.Hard,
    3: Rating.Good,
    4: Rating.Easy,
}


@dataclass(frozen=True, slots=True)
class CardState:
    """The stored part of an FSRS card; ``reviews == 0`` means offered but never answered."""

    due: datetime
    state: int = int(State.Learning)
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    last_review: datetime | None = None
    reviews: int = 0


def new_card(now: datetime) -> CardState:
    return CardState(due=_utc(now))


def review(card: CardState, score: int, now: datetime) -> CardState:
    """The card after an answer scored ``score`` (1-4) at ``now``."""
    rating = RATING_FOR_SCORE.get(score)
    if rating is None:
        raise ValueError(f"a score is 1 to 4, got {score}")
    fsrs_card = Card(
        card_id=0,  # unused; given so fsrs does not derive one from the wall clock
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=_utc(card.last_review) if card.last_review else None,
    )
    reviewed, _ = _SCHEDULER.review_card(fsrs_card, rating, review_datetime=_utc(now))
    return CardState(
        due=reviewed.due,
        state=int(reviewed.state),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        last_review=reviewed.last_review,
        reviews=card.reviews + 1,
    )


def daily_rubric(question: Question) -> tuple[RubricPoint, ...]:
    """A daily answer is one text: the whole-question rubric, else the first phase's."""
    if question.rubric or not question.phases:
        return question.rubric
    return question.phases[0].rubric


def topic_averages(sums: Iterable[tuple[str, float, int]]) -> dict[str, float]:
    """Mean score per topic from (topic, sum of scores, number of scores) rows."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for topic, total, count in sums:
        totals[topic][0] += total
        totals[topic][1] += count
    return {topic: total / count for topic, (total, count) in totals.items() if count}


def choose_for_member(
    candidates: Sequence[Question],
    cards: Mapping[str, CardState],
    averages: Mapping[str, float],
    now: datetime,
    *,
    answered_today: Collection[str] = frozenset(),
    rng: random.Random | None = None,
) -> Question | None:
    rng = rng or random.Random()
    pool = [q for q in candidates if q.id not in answered_today] or list(candidates)
    if not pool:
        return None
    seen = [q for q in pool if (c := cards.get(q.id)) is not None and c.reviews > 0]
    due = [q for q in seen if cards[q.id].due <= now]
    if due:
        return min(due, key=lambda q: (cards[q.id].due, _weakness(q, averages), q.id))
    seen_ids = {q.id for q in seen}
    unseen = [q for q in pool if q.id not in seen_ids]
    if unseen:
        weakest = min(_weakness(q, averages) for q in unseen)
        return rng.choice([q for q in unseen if _weakness(q, averages) == weakest])
    return min(seen, key=lambda q: (cards[q.id].due, q.id))


def choose_guild_question(
    candidates: Sequence[Question],
    last_posted: Mapping[str, date],
    today: date,
    *,
    rng: random.Random | None = None,
) -> Question | None:
    """A question not posted in the guild in the last ``RECENT_GUILD_DAYS`` days, at random;
    when every one was, the one posted longest ago."""
    rng = rng or random.Random()
    fresh = [
        q
        for q in candidates
        if q.id not in last_posted or (today - last_posted[q.id]).days > RECENT_GUILD_DAYS
    ]
    if fresh:
        return rng.choice(fresh)
    if not candidates:
        return None
    return min(candidates, key=lambda q: (last_posted[q.id], q.id))


def _weakness(question: Question, averages: Mapping[str, float]) -> float:
    return averages.get(question.topic, UNKNOWN_TOPIC_SCORE)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass UTC-aware instants")
    return when.astimezone(UTC)
