"""The interviewer's score sheet and the combined report: pure functions of stored results."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.core.questions import Question
from bot.core.scoring import verdict_for, weighted_mean
from bot.core.session import ItemStatus, Scorecard
from bot.features.peer_mocks.models import PeerPointScore, PeerRound
from bot.features.peer_mocks.records import ItemResult, Member, RoundReport, RoundStatus, ScoreSlot

LABEL_LIMIT = 300


def score_slots(card: Scorecard, scores: Sequence[PeerPointScore] = ()) -> tuple[ScoreSlot, ...]:
    """One select per rubric point of a question, or per phase (signal area) of a system-design
    question; items never reached are not scored."""
    given = {(p.position, p.point_index): p.score for p in scores}
    slots: list[ScoreSlot] = []
    for item in card.items:
        if item.status is ItemStatus.NOT_REACHED:
            continue
        if item.phase is not None:
            labels = [item.phase.name]
        else:
            labels = [p.point for p in item.question.rubric]
        for index, label in enumerate(labels):
            key = (item.position, index)
            slots.append(ScoreSlot(item.position, index, label[:LABEL_LIMIT], given.get(key)))
    return tuple(slots)


def rounded_mean(scores: Sequence[int]) -> int:
    """Half up (2.5 -> 3): Python's round() would send every other half down."""
    return math.floor(sum(scores) / len(scores) + 0.5)


def item_peer_score(slots: Sequence[ScoreSlot], position: int) -> int | None:
    """The item's peer score once every select of that item has a value."""
    values = [slot.score for slot in slots if slot.position == position]
    if not values or any(v is None for v in values):
        return None
    return rounded_mean([v for v in values if v is not None])


def round_report(
    row: PeerRound,
    question: Question,
    interviewer: Member,
    candidate: Member,
    card: Scorecard | None,
    scores: Sequence[PeerPointScore],
) -> RoundReport:
    items: list[ItemResult] = []
    peer_pairs: list[tuple[float, float]] = []
    auto_pairs: list[tuple[float, float]] = []
    for item in card.items if card else ():
        if item.status is ItemStatus.NOT_REACHED:
            continue
        points = tuple((p.label, p.score) for p in scores if p.position == item.position)
        label = item.phase.name if item.phase else item.question.topic
        items.append(ItemResult(item.position, label, item.auto_score, item.peer_score, points))
        if item.peer_score is not None:
            peer_pairs.append((float(item.peer_score), float(item.minutes)))
        if item.auto_score is not None:
            auto_pairs.append((float(item.auto_score), float(item.minutes)))
    peer_mean = weighted_mean(peer_pairs)
    return RoundReport(
        number=row.number,
        interviewer=interviewer,
        candidate=candidate,
        question=question,
        status=RoundStatus(row.status),
        ended_by=row.ended_by,
        items=tuple(items),
        peer_mean=peer_mean,
        peer_verdict=verdict_for(peer_mean),
        auto_mean=weighted_mean(auto_pairs),
        strengths=row.strengths,
        improvements=row.improvements,
        rating=row.rating,
        rating_comment=row.rating_comment,
        hints_revealed=row.hints_revealed,
        follow_ups_revealed=row.follow_ups_revealed,
    )
