"""Study-group practice rounds and panels: the pure rules.

A *round* posts one question to a channel; members answer privately, the answers are revealed
together, and members vote for the most helpful one. A *panel* has one member answer in front of
the group while everyone else scores the answer against the rubric, point by point (1-4).

    round: answering -> voting  -> closed      (closed directly when nobody answered)
    panel: answering -> scoring -> closed
    either: answering -> cancelled             (the question could not be posted)

This module holds what needs no database or Discord: the stages, question choice, vote tallies,
ballot aggregation (mean and spread), and the views the adapters render.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.core.questions import Question, RubricPoint, Track

VOTING_MINUTES = 10
SCORING_MINUTES = 10
MAX_ROUND_MINUTES = 60
# A system-design prompt is a 45-minute interview; a study-group slot gives it 25 (see
# interview-formats: "short (study-group slot)").
SYSTEM_DESIGN_ROUND_MINUTES = 25
RECENT_ROUNDS = 20  # avoid repeating the questions of a guild's last rounds while others remain
MAX_PART_CHARS = 4000
MAX_ANSWER_CHARS = 12000

POINT_SCORES: tuple[int, ...] = (1, 2, 3, 4)
POINT_LABELS: dict[int, str] = {
    1: "missing",
    2: "mentioned, thin",
    3: "covered",
    4: "covered thoroughly",
}


class RoundKind(StrEnum):
    ROUND = "round"
    PANEL = "panel"


class RoundStatus(StrEnum):
    ANSWERING = "answering"
    VOTING = "voting"
    SCORING = "scoring"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (RoundStatus.ANSWERING, RoundStatus.VOTING, RoundStatus.SCORING)


_STAGES: dict[RoundKind, tuple[RoundStatus, ...]] = {
    RoundKind.ROUND: (RoundStatus.ANSWERING, RoundStatus.VOTING, RoundStatus.CLOSED),
    RoundKind.PANEL: (RoundStatus.ANSWERING, RoundStatus.SCORING, RoundStatus.CLOSED),
}


def judging_status(kind: RoundKind) -> RoundStatus:
    """What follows answering: voting (round) or scoring (panel)."""
    return _STAGES[kind][1]


def stages_to_announce(
    kind: RoundKind, announced: RoundStatus, status: RoundStatus
) -> tuple[RoundStatus, ...]:
    """The stages reached since the last one shown in Discord, in order.

    A round closed straight from answering (nobody answered) still announces its reveal first.
    """
    stages = _STAGES[kind]
    if status not in stages or announced not in stages:
        return ()
    return stages[stages.index(announced) + 1 : stages.index(status) + 1]


def default_minutes(question: Question) -> int:
    if question.track is Track.SYSTEM_DESIGN or question.is_phased:
        return SYSTEM_DESIGN_ROUND_MINUTES
    return max(1, min(question.minutes, MAX_ROUND_MINUTES))


def choose_question(
    candidates: Sequence[Question], recent_ids: Collection[str], rng: random.Random
) -> Question | None:
    """A random candidate, preferring questions the guild's recent rounds did not use."""
    fresh = [q for q in candidates if q.id not in recent_ids]
    pool = fresh or list(candidates)
    return rng.choice(pool) if pool else None


# -- votes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoteCount:
    answer_id: int
    votes: int


@dataclass(frozen=True, slots=True)
class VoteTally:
    counts: tuple[VoteCount, ...]  # most votes first; ties keep submission order
    winners: tuple[int, ...]  # answer ids with the most votes (none when nobody voted)
    total: int

    def votes_for(self, answer_id: int) -> int:
        return next((c.votes for c in self.counts if c.answer_id == answer_id), 0)


def tally_votes(answer_ids: Sequence[int], votes: Iterable[int]) -> VoteTally:
    """Count one vote per element of ``votes`` (the answer id each voter chose).

    ``answer_ids`` is in submission order; votes for unknown answers are ignored.
    """
    counts = dict.fromkeys(answer_ids, 0)
    for answer_id in votes:
        if answer_id in counts:
            counts[answer_id] += 1
    order = {a: i for i, a in enumerate(answer_ids)}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
    best = ranked[0][1] if ranked else 0
    winners = tuple(a for a, n in ranked if n == best and n > 0)
    return VoteTally(tuple(VoteCount(a, n) for a, n in ranked), winners, sum(counts.values()))


def may_vote_for(voter_id: int, author_id: int) -> bool:
    return voter_id != author_id


# -- panel ballots ---------------------------------------------------------------------------


def round_half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ballot_complete(scores: Sequence[int | None], points: int) -> bool:
    return len(scores) == points and all(s in POINT_SCORES for s in scores)


def ballot_score(scores: Sequence[int], rubric: Sequence[RubricPoint]) -> float:
    """One scorer's overall score: the rubric-weighted mean of their point scores."""
    weights = [max(1, p.weight) for p in rubric] or [1] * len(scores)
    return sum(s * w for s, w in zip(scores, weights, strict=True)) / sum(weights)


@dataclass(frozen=True, slots=True)
class PointAggregate:
    index: int
    point: str
    mean: float | None
    low: int | None
    high: int | None

    @property
    def spread(self) -> int | None:
        return None if self.low is None or self.high is None else self.high - self.low


@dataclass(frozen=True, slots=True)
class PanelAggregate:
    points: tuple[PointAggregate, ...]
    ballots: int  # complete ballots counted
    incomplete: int  # ballots missing a point: not counted
    mean: float | None  # mean of the ballots' overall scores
    stdev: float | None  # population standard deviation of those scores
    low: float | None
    high: float | None

    @property
    def peer_score(self) -> int | None:
        """The stored peer score: the rounded mean, on the interview 1-4 scale."""
        if self.mean is None:
            return None
        return min(4, max(1, round_half_up(self.mean)))


def aggregate_ballots(
    rubric: Sequence[RubricPoint], ballots: Iterable[Sequence[int | None]]
) -> PanelAggregate:
    """Mean and spread per rubric point and overall; incomplete ballots are left out."""
    complete: list[list[int]] = []
    incomplete = 0
    for scores in ballots:
        if ballot_complete(scores, len(rubric)):
            complete.append([int(s) for s in scores if s is not None])
        else:
            incomplete += 1
    points = []
    for i, rp in enumerate(rubric):
        column = [b[i] for b in complete]
        points.append(
            PointAggregate(
                i,
                rp.point,
                sum(column) / len(column) if column else None,
                min(column) if column else None,
                max(column) if column else None,
            )
        )
    overall = [ballot_score(b, rubric) for b in complete]
    if not overall:
        return PanelAggregate(tuple(points), 0, incomplete, None, None, None, None)
    mean = sum(overall) / len(overall)
    stdev = math.sqrt(sum((x - mean) ** 2 for x in overall) / len(overall))
    return PanelAggregate(
        tuple(points), len(complete), incomplete, mean, stdev, min(overall), max(overall)
    )


# -- views the adapters render ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundView:
    id: int
    kind: RoundKind
    status: RoundStatus
    guild_id: int
    channel_id: int
    thread_id: int | None
    message_id: int | None  # the question message (in the channel, or in a panel's thread)
    question: Question
    topic: str | None
    minutes: int
    starter_id: int
    candidate_id: int | None
    candidate_name: str
    started_at: datetime
    answer_due_at: datetime
    due_at: datetime | None  # next automatic step: reveal, then the end of voting/scoring

    @property
    def rubric(self) -> tuple[RubricPoint, ...]:
        return self.question.rubric


@dataclass(frozen=True, slots=True)
class RevealedAnswer:
    answer_id: int
    user_id: int
    author: str
    text: str
    auto_score: int | None
    covered: int  # rubric points the automatic scorer found
    votes: int  # known once voting closed


@dataclass(frozen=True, slots=True)
class RoundReveal:
    round: RoundView
    answers: tuple[RevealedAnswer, ...]  # submission order


@dataclass(frozen=True, slots=True)
class RoundResults:
    round: RoundView
    answers: tuple[RevealedAnswer, ...]  # most votes first
    tally: VoteTally
    voters: int


@dataclass(frozen=True, slots=True)
class PanelResults:
    round: RoundView
    answer: RevealedAnswer | None  # None: the candidate wrote nothing
    aggregate: PanelAggregate


# -- splitting posts under Discord's limits (sizes only) --------------------------------------


def spoiler(text: str) -> str:
    """Hide ``text`` behind a spoiler; a ``||`` inside would end it early, so break those."""
    return "||" + text.replace("||", "|\u200b|") + "||"


def pack(sizes: Sequence[int], *, limit: int, max_items: int) -> list[list[int]]:
    """Group consecutive items (by index) so each group stays within ``limit`` and
    ``max_items``; an item larger than ``limit`` gets a group of its own."""
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        if current and (total + size > limit or len(current) >= max_items):
            groups.append(current)
            current, total = [], 0
        current.append(i)
        total += size
    if current:
        groups.append(current)
    return groups
