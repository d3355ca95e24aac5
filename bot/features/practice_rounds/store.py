"""Queries of the practice-round service: row locks, upserts and building views.

Kept apart from the use cases so the service reads as the rules it enforces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.practice_rounds import (
    RECENT_ROUNDS,
    PanelResults,
    RevealedAnswer,
    RoundKind,
    RoundResults,
    RoundReveal,
    RoundStatus,
    RoundView,
    aggregate_ballots,
    tally_votes,
)
from bot.core.questions import Question, Track, missing_question
from bot.features.practice_rounds.models import (
    PracticePanelBallot,
    PracticeRound,
    PracticeRoundAnswer,
    PracticeRoundVote,
)
from bot.storage.models import User

OPEN = [RoundStatus.ANSWERING.value, RoundStatus.VOTING.value, RoundStatus.SCORING.value]
JUDGED = [RoundStatus.VOTING.value, RoundStatus.SCORING.value, RoundStatus.CLOSED.value]

QuestionLookup = Callable[[str], Question | None]


def upsert(dialect: str) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def locked_round(
    s: AsyncSession, round_id: int, *, shared: bool = False
) -> PracticeRound | None:
    """The round row, locked for the rest of the transaction on PostgreSQL: shared by answers,
    votes and ballots (they run side by side), exclusive for stage changes (which wait for
    them, so nothing is accepted after a reveal or close has read the round). SQLite has a
    single writer, so it needs no row lock."""
    return await s.scalar(
        select(PracticeRound)
        .where(PracticeRound.id == round_id)
        .with_for_update(read=shared)
        .execution_options(populate_existing=True)
    )


async def running_in(s: AsyncSession, channel_id: int) -> PracticeRound | None:
    """The open round of a channel, or of the thread it runs in."""
    return await s.scalar(
        select(PracticeRound)
        .where(
            or_(
                PracticeRound.active_channel_id == channel_id,
                and_(PracticeRound.thread_id == channel_id, PracticeRound.status.in_(OPEN)),
            )
        )
        .order_by(PracticeRound.id.desc())
        .limit(1)
    )


async def recent_question_ids(s: AsyncSession, guild_id: int) -> set[str]:
    ids = await s.scalars(
        select(PracticeRound.question_id)
        .where(PracticeRound.guild_id == guild_id)
        .order_by(PracticeRound.started_at.desc(), PracticeRound.id.desc())
        .limit(RECENT_ROUNDS)
    )
    return set(ids)


async def display_names(s: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await s.execute(select(User.id, User.display_name).where(User.id.in_(set(user_ids))))
    return {uid: name or f"member {uid}" for uid, name in rows.all()}


async def answer_count(s: AsyncSession, round_id: int) -> int:
    return int(
        await s.scalar(
            select(func.count())
            .select_from(PracticeRoundAnswer)
            .where(PracticeRoundAnswer.round_id == round_id)
        )
        or 0
    )


async def round_view(s: AsyncSession, row: PracticeRound, lookup: QuestionLookup) -> RoundView:
    names = await display_names(s, [row.candidate_id] if row.candidate_id else [])
    return RoundView(
        id=row.id,
        kind=RoundKind(row.kind),
        status=RoundStatus(row.status),
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        message_id=row.message_id,
        question=lookup(row.question_id) or missing_question(row.question_id, Track(row.track)),
        topic=row.topic,
        minutes=row.minutes,
        starter_id=row.starter_id,
        candidate_id=row.candidate_id,
        candidate_name=names.get(row.candidate_id, "") if row.candidate_id else "",
        started_at=row.started_at,
        answer_due_at=row.answer_due_at,
        due_at=row.due_at,
    )


async def answers_with_parts(s: AsyncSession, round_id: int) -> list[PracticeRoundAnswer]:
    return list(
        (
            await s.scalars(
                select(PracticeRoundAnswer)
                .where(PracticeRoundAnswer.round_id == round_id)
                .order_by(PracticeRoundAnswer.id)
                .options(selectinload(PracticeRoundAnswer.parts))
                .execution_options(populate_existing=True)
            )
        ).all()
    )


def answer_text(answer: PracticeRoundAnswer) -> str:
    return "\n".join(p.text for p in answer.parts)


async def revealed_answers(s: AsyncSession, round_id: int) -> list[RevealedAnswer]:
    answers = await answers_with_parts(s, round_id)
    names = await display_names(s, [a.user_id for a in answers])
    return [
        RevealedAnswer(
            answer_id=a.id,
            user_id=a.user_id,
            author=names.get(a.user_id, f"member {a.user_id}"),
            text=answer_text(a),
            auto_score=a.auto_score,
            covered=a.covered_points or 0,
            votes=a.votes,
        )
        for a in answers
    ]


async def voted_answer_ids(s: AsyncSession, round_id: int) -> list[int]:
    return list(
        await s.scalars(
            select(PracticeRoundVote.answer_id).where(PracticeRoundVote.round_id == round_id)
        )
    )


async def ballots(s: AsyncSession, round_id: int) -> list[list[int | None]]:
    rows = await s.scalars(
        select(PracticePanelBallot.scores)
        .where(PracticePanelBallot.round_id == round_id)
        .order_by(PracticePanelBallot.id)
    )
    return [list(scores or []) for scores in rows]


async def rounds_waiting(s: AsyncSession) -> list[int]:
    """Rounds with a timed step ahead, or a stage not shown in Discord yet."""
    return list(
        await s.scalars(
            select(PracticeRound.id)
            .where(
                or_(
                    and_(PracticeRound.status.in_(OPEN), PracticeRound.due_at.is_not(None)),
                    and_(
                        PracticeRound.status.in_(JUDGED),
                        PracticeRound.announced != PracticeRound.status,
                    ),
                )
            )
            .order_by(PracticeRound.id)
        )
    )


async def next_step_at(s: AsyncSession, round_id: int, now: datetime) -> datetime | None:
    """When the round's next automatic step is due: its due time while open, now when a stage
    was not shown yet, else never."""
    row = await s.get(PracticeRound, round_id, populate_existing=True)
    if row is None:
        return None
    if row.status in OPEN and row.due_at is not None:
        return row.due_at
    if row.status in JUDGED and row.announced != row.status:
        return now
    return None


# -- what the adapters render ----------------------------------------------------------------


async def reveal_data(s: AsyncSession, row: PracticeRound, lookup: QuestionLookup) -> RoundReveal:
    return RoundReveal(await round_view(s, row, lookup), tuple(await revealed_answers(s, row.id)))


async def results(s: AsyncSession, row: PracticeRound, lookup: QuestionLookup) -> RoundResults:
    answers = await revealed_answers(s, row.id)
    votes = await voted_answer_ids(s, row.id)
    tally = tally_votes([a.answer_id for a in answers], votes)
    by_id = {a.answer_id: a for a in answers}
    return RoundResults(
        await round_view(s, row, lookup),
        tuple(by_id[c.answer_id] for c in tally.counts),
        tally,
        len(votes),
    )


async def panel_results(
    s: AsyncSession, row: PracticeRound, lookup: QuestionLookup
) -> PanelResults:
    view = await round_view(s, row, lookup)
    answers = await revealed_answers(s, row.id)
    aggregate = aggregate_ballots(view.rubric, await ballots(s, row.id))
    return PanelResults(view, answers[0] if answers else None, aggregate)


async def ballot_of(
    s: AsyncSession, round_id: int, scorer_id: int, points: int
) -> list[int | None]:
    scores = await s.scalar(
        select(PracticePanelBallot.scores).where(
            PracticePanelBallot.round_id == round_id, PracticePanelBallot.scorer_id == scorer_id
        )
    )
    return (list(scores or []) + [None] * points)[:points]


async def helpful_votes(s: AsyncSession, guild_id: int) -> dict[int, int]:
    rows = await s.execute(
        select(PracticeRoundAnswer.user_id, func.sum(PracticeRoundAnswer.votes))
        .join(PracticeRound, PracticeRound.id == PracticeRoundAnswer.round_id)
        .where(PracticeRound.guild_id == guild_id, PracticeRound.status == RoundStatus.CLOSED.value)
        .group_by(PracticeRoundAnswer.user_id)
    )
    return {uid: int(total or 0) for uid, total in rows.all()}
