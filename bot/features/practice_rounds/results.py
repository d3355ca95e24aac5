"""Storing each revealed answer as a result that counts in stats (exactly once per answer).

A round's answers are stored at the reveal (mode ``round``), a panel's answer once scoring is
over (mode ``panel``, with the rounded mean of the complete ballots as its peer score). The
stored session id is kept on the answer, so a retry after a failure skips what was stored.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.core.practice_rounds import RoundKind, RoundStatus, RoundView, aggregate_ballots
from bot.features.interviews.service import InterviewService
from bot.features.practice_rounds import store
from bot.features.practice_rounds.models import PracticeRoundAnswer
from bot.storage.database import Database
from bot.storage.models import Answer


def results_due(view: RoundView) -> bool:
    if view.kind is RoundKind.ROUND:
        return view.status in (RoundStatus.VOTING, RoundStatus.CLOSED)
    return view.status is RoundStatus.CLOSED


async def record_results(
    db: Database, interviews: InterviewService, view: RoundView, *, platform: str
) -> None:
    async with db.reading() as s:
        pending = [
            a for a in await store.answers_with_parts(s, view.id) if a.result_session_id is None
        ]
        peer_score = None
        if view.kind is RoundKind.PANEL:
            ballots = await store.ballots(s, view.id)
            peer_score = aggregate_ballots(view.rubric, ballots).peer_score
    for answer in pending:
        # record_result commits on its own; a crash before the link below is written would
        # store this one answer again on retry (it cannot join our transaction).
        session_id = await interviews.record_result(
            answer.user_id,
            view.question,
            store.answer_text(answer),
            mode=view.kind.value,
            platform=platform,
            guild_id=view.guild_id,
            channel_id=view.channel_id,
            peer_score=peer_score,
            started_at=view.started_at,
        )
        async with db.transaction() as s:
            auto_score, covered = (
                await s.execute(
                    select(Answer.auto_score, Answer.covered_points).where(
                        Answer.session_id == session_id
                    )
                )
            ).one()
            await s.execute(
                update(PracticeRoundAnswer)
                .where(PracticeRoundAnswer.id == answer.id)
                .values(
                    result_session_id=session_id,
                    auto_score=auto_score,
                    covered_points=len(covered or []),
                )
            )
