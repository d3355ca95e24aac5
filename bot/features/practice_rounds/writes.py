"""The writes of practice rounds, each inside the caller's transaction on a locked round row.

Answers, votes and ballots are upserts on their unique keys (round, member), so concurrent
submissions from many members, or a double click, never store anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.practice_rounds import (
    MAX_ANSWER_CHARS,
    RoundKind,
    RoundStatus,
    judging_status,
    may_vote_for,
    tally_votes,
)
from bot.features.practice_rounds import store
from bot.features.practice_rounds.models import (
    PracticePanelBallot,
    PracticeRound,
    PracticeRoundAnswer,
    PracticeRoundAnswerPart,
    PracticeRoundVote,
)
from bot.features.practice_rounds.types import (
    AnswerSaved,
    BallotProgress,
    NotAllowed,
    RoundError,
    RoundNotOpen,
    VoteSaved,
)


async def append_part(
    s: AsyncSession, dialect: str, row: PracticeRound, user_id: int, text: str, now: datetime
) -> AnswerSaved:
    if row.status != RoundStatus.ANSWERING or now >= row.answer_due_at:
        raise RoundNotOpen("Time is up for this round: answers are closed.")
    if row.kind == RoundKind.PANEL and user_id != row.candidate_id:
        raise NotAllowed("Only the panel's candidate answers; you score once they finish.")
    stmt = store.upsert(dialect)(PracticeRoundAnswer).values(
        round_id=row.id, user_id=user_id, created_at=now, updated_at=now
    )
    answer_id = (
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["round_id", "user_id"],
                set_={"updated_at": stmt.excluded.updated_at},
            ).returning(PracticeRoundAnswer.id)
        )
    ).scalar_one()
    parts, chars = (
        await s.execute(
            select(
                func.count(PracticeRoundAnswerPart.id),
                func.coalesce(func.sum(func.length(PracticeRoundAnswerPart.text)), 0),
            ).where(PracticeRoundAnswerPart.answer_id == answer_id)
        )
    ).one()
    if chars + len(text) > MAX_ANSWER_CHARS:
        raise RoundError(
            f"An answer can hold at most {MAX_ANSWER_CHARS} characters in all; "
            "this part was not added."
        )
    s.add(PracticeRoundAnswerPart(answer_id=answer_id, position=parts, text=text, created_at=now))
    await s.flush()  # the unique (answer, position) is checked here
    return AnswerSaved(row.id, parts + 1, chars + len(text))


async def cast_vote(
    s: AsyncSession, dialect: str, row: PracticeRound, voter_id: int, answer_id: int, now: datetime
) -> VoteSaved:
    if row.status != RoundStatus.VOTING:
        raise RoundNotOpen("Voting is closed for this round.")
    answer = await s.get(PracticeRoundAnswer, answer_id)
    if answer is None or answer.round_id != row.id:
        raise RoundError("That answer is not part of this round.")
    if not may_vote_for(voter_id, answer.user_id):
        raise NotAllowed(
            "You can't vote for your own answer: vote for the one that helped you most."
        )
    previous = await s.scalar(
        select(PracticeRoundVote.answer_id).where(
            PracticeRoundVote.round_id == row.id, PracticeRoundVote.voter_id == voter_id
        )
    )
    stmt = store.upsert(dialect)(PracticeRoundVote).values(
        round_id=row.id, voter_id=voter_id, answer_id=answer_id, created_at=now, updated_at=now
    )
    await s.execute(
        stmt.on_conflict_do_update(
            index_elements=["round_id", "voter_id"],
            set_={"answer_id": stmt.excluded.answer_id, "updated_at": stmt.excluded.updated_at},
        )
    )
    previous_user = None
    if previous is not None and previous != answer_id:
        previous_user = await s.scalar(
            select(PracticeRoundAnswer.user_id).where(PracticeRoundAnswer.id == previous)
        )
    authors = [answer.user_id] + ([previous_user] if previous_user is not None else [])
    names = await store.display_names(s, authors)
    return VoteSaved(
        names.get(answer.user_id, ""),
        names.get(previous_user) if previous_user is not None else None,
        row.due_at,
    )


async def set_point(
    s: AsyncSession,
    dialect: str,
    row: PracticeRound,
    points: int,
    scorer_id: int,
    index: int,
    score: int,
    now: datetime,
) -> BallotProgress:
    if row.status != RoundStatus.SCORING:
        raise RoundNotOpen(
            "Scoring is closed for this panel."
            if row.status == RoundStatus.CLOSED
            else "Scoring opens when the candidate has finished answering."
        )
    if scorer_id == row.candidate_id:
        raise NotAllowed("You're the candidate: the rest of the group scores your answer.")
    if not 0 <= index < points:
        raise RoundError("That rubric point is not part of this question.")
    await s.execute(
        store.upsert(dialect)(PracticePanelBallot)
        .values(
            round_id=row.id,
            scorer_id=scorer_id,
            scores=[None] * points,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["round_id", "scorer_id"])
    )
    ballot = await s.scalar(
        select(PracticePanelBallot)
        .where(PracticePanelBallot.round_id == row.id, PracticePanelBallot.scorer_id == scorer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert ballot is not None
    scores = (list(ballot.scores or []) + [None] * points)[:points]
    scores[index] = score
    ballot.scores = scores  # a new list, so the JSON column is written
    ballot.updated_at = now
    return BallotProgress(sum(1 for x in scores if x is not None), points)


async def end_answering(
    s: AsyncSession, row: PracticeRound, now: datetime, judging: timedelta
) -> None:
    """Answering is over: voting or scoring opens (a round nobody answered just closes)."""
    kind = RoundKind(row.kind)
    row.revealed_at = now
    if kind is RoundKind.ROUND and await store.answer_count(s, row.id) == 0:
        finish(row, RoundStatus.CLOSED, now)
        return
    row.status = judging_status(kind).value
    row.due_at = now + judging


async def close(s: AsyncSession, row: PracticeRound, now: datetime) -> None:
    """Voting or scoring is over; a round's vote counts are stored on its answers."""
    if row.kind == RoundKind.ROUND:
        answers = (
            await s.scalars(
                select(PracticeRoundAnswer)
                .where(PracticeRoundAnswer.round_id == row.id)
                .order_by(PracticeRoundAnswer.id)
            )
        ).all()
        tally = tally_votes([a.id for a in answers], await store.voted_answer_ids(s, row.id))
        for answer in answers:
            answer.votes = tally.votes_for(answer.id)
            answer.won = answer.id in tally.winners
    finish(row, RoundStatus.CLOSED, now)


def finish(row: PracticeRound, status: RoundStatus, now: datetime) -> None:
    row.status = status.value
    row.closed_at = now
    row.active_channel_id = None  # the channel is free for the next round
    row.due_at = None
