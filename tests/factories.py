"""Small builders for questions and banks used across the tests."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet

from bot.core.questions import PHASE_NAMES, Difficulty, Phase, Question, RubricPoint, Track


def rubric(*points: tuple[str, tuple[str, ...]]) -> tuple[RubricPoint, ...]:
    return tuple(RubricPoint(point=p, cues=c) for p, c in points)


DEFAULT_RUBRIC = rubric(
    ("Names overfitting", ("overfitting|high variance",)),
    ("Mentions cross-validation", ("cross-validation|k-fold",)),
)


def question(
    qid: str,
    *,
    track: Track = Track.TECHNICAL,
    topic: str = "bias-variance",
    difficulty: Difficulty = Difficulty.EASY,
    minutes: int = 5,
    hints: tuple[str, ...] = ("Think about the gap.", "Which error dominates?"),
    rubric_points: tuple[RubricPoint, ...] = DEFAULT_RUBRIC,
) -> Question:
    phases: tuple[Phase, ...] = ()
    if track is Track.SYSTEM_DESIGN:
        split = (6, 5, 10, 10, 9, 5)
        phases = tuple(
            Phase(name, m, f"{name} prompt for {qid}", rubric_points)
            for name, m in zip(PHASE_NAMES, split, strict=True)
        )
        minutes = 45
    return Question(
        id=qid,
        track=track,
        topic=topic,
        difficulty=difficulty,
        minutes=minutes,
        prompt=f"Prompt of {qid}",
        reference_answer=f"Reference for {qid}",
        rubric=rubric_points,
        hints=hints,
        follow_ups=("Why?",),
        phases=phases,
    )


def technical_set(
    per_level: int = 4, topics: Sequence[str] = ("bias-variance", "probability")
) -> list[Question]:
    qs = []
    for level in Difficulty:
        for i in range(per_level):
            topic = topics[i % len(topics)]
            qs.append(question(f"t-{level.value}-{i}", topic=topic, difficulty=level))
    return qs


class ListBank:
    """The selection/lookup surface of the real bank index, over a plain list."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self._questions = {q.id: q for q in questions}

    def get(self, question_id: str) -> Question | None:
        return self._questions.get(question_id)

    def select(
        self,
        track: Track,
        topics: Collection[str] | None = None,
        difficulties: Collection[Difficulty] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
    ) -> tuple[Question, ...]:
        return tuple(
            q
            for q in self._questions.values()
            if q.track is track
            and (not topics or q.topic in topics)
            and (not difficulties or q.difficulty in difficulties)
            and q.id not in exclude_ids
        )
