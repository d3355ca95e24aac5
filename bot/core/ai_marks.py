"""What the AI interviewer said about an interview, as the scorecards show it (pure data).

Per answered item: the deterministic scorer's score before the AI, one line per rubric point
saying who decided it (the scorer or the AI, with the verified quote), a feedback paragraph, and
why the AI part was unavailable when it was. Per session: one paragraph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Decider = Literal["scorer", "ai"]


@dataclass(frozen=True, slots=True)
class PointMark:
    point: str
    covered: bool
    decided_by: Decider
    scorer_covered: bool
    quote: str = ""  # the answer's words behind an AI decision (checked to be in the answer)
    note: str = ""  # why the model's verdict was not followed, when it was not


@dataclass(frozen=True, slots=True)
class ItemMark:
    position: int
    scorer_score: int | None
    points: tuple[PointMark, ...] = ()
    feedback: str = ""
    unavailable: str = ""
    tokens: int = 0

    @property
    def flag(self) -> str:
        return f"AI unavailable: {self.unavailable}" if self.unavailable else ""

    @property
    def changed_by_ai(self) -> tuple[PointMark, ...]:
        return tuple(p for p in self.points if p.decided_by == "ai")


@dataclass(frozen=True, slots=True)
class SessionMarks:
    items: Mapping[int, ItemMark] = field(default_factory=dict)  # by item position
    feedback: str = ""
    unavailable: str = ""
    tokens: int = 0
    follow_up_unavailable: str = ""  # why the AI did not ask a follow-up (the bank's was asked)

    @property
    def flag(self) -> str:
        """One line for the whole scorecard: the first reason the AI part was unavailable."""
        reasons = [self.follow_up_unavailable, self.unavailable]
        reasons += [m.unavailable for m in self.items.values()]
        first = next((r for r in reasons if r), "")
        return f"AI unavailable: {first}" if first else ""
