"""The interview session model: plan, item and session states, the scorecard.

Pure data and rules; the interview service persists them and drives the transitions:

    item:    pending -> active -> submitted | skipped | timed_out      (paused <-> active)
             pending -> not_reached                                    (session ended early)
    session: active -> finished | abandoned                            (paused <-> active)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.formats import InterviewFormat, Length, scale_phases, typed_minutes
from bot.core.questions import Phase, Question, RubricPoint, Track
from bot.core.scoring import (
    RubricResult,
    Score,
    effective_score,
    score_for,
    verdict_for,
    weighted_mean,
)

UNANSWERED = int(Score.STRONG_NO_HIRE)


class ItemStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    NOT_REACHED = "not_reached"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_ITEM


_FINAL_ITEM = frozenset(
    {ItemStatus.SUBMITTED, ItemStatus.SKIPPED, ItemStatus.TIMED_OUT, ItemStatus.NOT_REACHED}
)


class SessionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    ABANDONED = "abandoned"

    @property
    def is_open(self) -> bool:
        return self in (SessionStatus.ACTIVE, SessionStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """What one item of a session asks: a question, or one phase of a system-design question."""

    question: Question
    phase: Phase | None
    minutes: int

    @property
    def prompt(self) -> str:
        return self.phase.prompt if self.phase else self.question.prompt

    @property
    def rubric(self) -> tuple[RubricPoint, ...]:
        return self.phase.rubric if self.phase else self.question.rubric


def plan_items(questions: list[Question], fmt: InterviewFormat) -> list[PlannedItem]:
    """One item per question (per phase for system design), timed by the pace model
    (``bot.core.formats``: minutes for typed answers)."""
    items: list[PlannedItem] = []
    for q in questions:
        if q.phases:
            spoken = fmt.minutes if fmt.track is Track.SYSTEM_DESIGN else q.minutes
            minutes = scale_phases(q.phases, typed_minutes(spoken, q.reference_answer))
            items.extend(PlannedItem(q, p, m) for p, m in zip(q.phases, minutes, strict=True))
        else:
            items.append(PlannedItem(q, None, typed_minutes(q.minutes, q.reference_answer)))
    return items


def phase_for(question: Question, name: str | None) -> Phase | None:
    if name is None:
        return None
    return next((p for p in question.phases if p.name == name), None)


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item as adapters show it."""

    session_id: int
    position: int
    total_items: int
    question_number: int  # k of n counts questions, not system-design phases
    question_count: int
    question: Question
    phase: Phase | None
    minutes: int
    status: ItemStatus
    asked_at: datetime | None
    deadline_at: datetime | None
    remaining_seconds: float | None
    answer_text: str
    hints_used: int
    # Set once the answer was submitted and the interviewer asked this follow-up: the item
    # stays open, and what is written now extends the same answer.
    follow_up: str | None = None

    @property
    def prompt(self) -> str:
        return self.phase.prompt if self.phase else self.question.prompt

    @property
    def rubric(self) -> tuple[RubricPoint, ...]:
        return self.phase.rubric if self.phase else self.question.rubric

    @property
    def title(self) -> str:
        if self.phase is None:
            title = f"Question {self.question_number} of {self.question_count}"
        else:
            index = self.question.phases.index(self.phase) + 1
            title = f"Phase {index} of {len(self.question.phases)}: {self.phase.name}"
        return f"Follow-up on {title[0].lower()}{title[1:]}" if self.follow_up else title


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    user_id: int
    platform: str
    track: Track
    length: Length
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    guild_id: int | None
    channel_id: int | None
    current: ItemView | None
    total_items: int
    mode: str = "solo"
    follow_ups: bool = False
    questions: int = 0  # distinct questions (a system-design question has several items)
    total_minutes: int = 0  # every item's time limit, summed


@dataclass(frozen=True, slots=True)
class ScorecardItem:
    position: int
    question: Question
    phase: Phase | None
    minutes: int
    status: ItemStatus
    answer_text: str
    hints_used: int
    auto_score: int | None
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    self_score: int | None
    peer_score: int | None
    # A follow-up asked after the answer: ``answer_text`` is what was scored (the first answer
    # and the reply together, or the first answer alone when the follow-up was skipped).
    follow_up: str | None = None
    first_answer: str = ""
    follow_up_reply: str = ""
    follow_up_skipped: bool = False
    follow_up_by: str | None = None  # "ai": asked by the AI interviewer; "bank" or None: not
    follow_up_unavailable: str = ""  # why the AI interviewer, on, did not ask it

    @property
    def follow_up_by_ai(self) -> bool:
        return self.follow_up_by == "ai"

    @property
    def score(self) -> int | None:
        return effective_score(self.auto_score, self.self_score, self.peer_score)

    @property
    def label(self) -> str:
        return f"{self.question.id} / {self.phase.name}" if self.phase else self.question.id

    def explanation(self) -> RubricResult | None:
        """Why the automatic score is what it is: evidence per point, caps by name.

        Recomputed from the stored answer (scoring is deterministic); ``None`` for an item never
        reached. When a moderator has edited the rubric since, ``explanation().score`` differs
        from ``auto_score``, and adapters say so.
        """
        if self.status is ItemStatus.NOT_REACHED:
            return None
        phase = self.phase.name if self.phase else None
        return score_for(self.question, self.answer_text, phase=phase, hints_used=self.hints_used)


@dataclass(frozen=True, slots=True)
class Scorecard:
    session_id: int
    track: Track
    length: Length
    status: SessionStatus
    ended_early: bool
    items: tuple[ScorecardItem, ...]

    @property
    def scored_items(self) -> tuple[ScorecardItem, ...]:
        return tuple(i for i in self.items if i.status is not ItemStatus.NOT_REACHED)

    @property
    def unanswered_items(self) -> tuple[ScorecardItem, ...]:
        """Items the interview never reached because it was ended early."""
        return tuple(i for i in self.items if i.status is ItemStatus.NOT_REACHED)

    @property
    def mean(self) -> float | None:
        """Weighted by minutes: a 10-minute phase counts more than a 2-minute intro.

        An item never reached counts as unanswered (Strong No Hire): stopping early can never
        score better than answering. A session ended before any answer has no score at all.
        """
        if not any(i.score is not None for i in self.scored_items):
            return None
        pairs: list[tuple[float, float]] = []
        for item in self.items:
            if item.status is ItemStatus.NOT_REACHED:
                pairs.append((float(UNANSWERED), float(item.minutes)))
            elif item.score is not None:
                pairs.append((float(item.score), float(item.minutes)))
        return weighted_mean(pairs)

    @property
    def verdict(self) -> Score | None:
        return verdict_for(self.mean)
