"""Immutable question objects shared by every layer.

The YAML bank (bundled or guild-owned) is parsed into these; nothing downstream mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Track(StrEnum):
    PHONE_SCREEN = "phone-screen"
    TECHNICAL = "technical"
    SYSTEM_DESIGN = "system-design"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"

    @property
    def rank(self) -> int:
        return _DIFFICULTY_RANK[self]


_DIFFICULTY_RANK = {Difficulty.EASY: 0, Difficulty.MEDIUM: 1, Difficulty.HARD: 2}

# System-design phases, in interview order (see interview-formats: the phase table).
PHASE_NAMES: tuple[str, ...] = (
    "clarify",
    "metrics",
    "data-and-features",
    "model",
    "serving-and-monitoring",
    "wrap-up",
)


REQUIRED_CUE_MARK = "+"
DEFAULT_MISCONCEPTION_CAP = 2


@dataclass(frozen=True, slots=True)
class Misconception:
    """A wrong statement that shows the candidate has it backwards.

    All ``cues`` must occur, un-negated, in one sentence of the answer. On a rubric point a match
    voids that point; on a question (or a system-design phase) it caps the score at ``cap``.
    """

    text: str
    cues: tuple[str, ...]
    cap: int = DEFAULT_MISCONCEPTION_CAP


@dataclass(frozen=True, slots=True)
class RubricPoint:
    """One thing a strong answer contains.

    Each cue is a term or short phrase; ``|`` separates alternatives ("overfitting|high variance").
    A cue written with a leading ``+`` is required: the point is covered only when it matches.
    """

    point: str
    cues: tuple[str, ...]
    weight: int = 1
    explain: str = ""
    misconceptions: tuple[Misconception, ...] = ()

    @property
    def required_cues(self) -> tuple[str, ...]:
        return tuple(c for c in self.cues if c.startswith(REQUIRED_CUE_MARK))


@dataclass(frozen=True, slots=True)
class Phase:
    """A timed stage of a system-design question."""

    name: str
    minutes: int
    prompt: str
    rubric: tuple[RubricPoint, ...]
    misconceptions: tuple[Misconception, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    track: Track
    topic: str
    difficulty: Difficulty
    minutes: int
    prompt: str
    reference_answer: str
    rubric: tuple[RubricPoint, ...]
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = ()
    source: str = "original"
    misconceptions: tuple[Misconception, ...] = ()
    # Where the question was read from ("question_bank/technical/probability.yaml:12"); not part
    # of the YAML format, kept for error messages and moderators.
    origin: str = field(default="", compare=False)

    @property
    def is_phased(self) -> bool:
        return bool(self.phases)


def missing_question(question_id: str, track: Track = Track.TECHNICAL) -> Question:
    """Stand-in for a question removed from the bank since it was asked: stored answers, rounds
    and scorecards that name it still render."""
    return Question(
        id=question_id,
        track=track,
        topic="unknown",
        difficulty=Difficulty.MEDIUM,
        minutes=1,
        prompt="(This question is no longer in the bank.)",
        reference_answer="(not available)",
        rubric=(),
        origin="missing",
    )
