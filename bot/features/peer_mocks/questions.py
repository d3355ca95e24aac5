"""The question of a peer round: new to both members, at the candidate's difficulty if possible.

"New" means not answered in either member's last sessions of the track (any mode), not held as
interviewer in their last rounds of the track, and never a question already used in this pair
(round 2's candidate saw round 1's material as its interviewer).
"""

from __future__ import annotations

import random
from collections.abc import Collection
from collections.abc import Set as AbstractSet

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.questions import Difficulty, Question, Track
from bot.core.selection import RECENT_SESSIONS, QuestionSource
from bot.core.session import ItemStatus
from bot.features.peer_mocks.models import PeerPair, PeerRound
from bot.storage.models import Answer, InterviewSession

RECENT_INTERVIEWER_ROUNDS = 5
_SEEN = (
    ItemStatus.SUBMITTED.value,
    ItemStatus.TIMED_OUT.value,
    ItemStatus.SKIPPED.value,
    ItemStatus.ACTIVE.value,
)


def choose_question(
    bank: QuestionSource,
    track: Track,
    difficulty: Difficulty | None,
    *,
    recent: AbstractSet[str],
    used: AbstractSet[str],
    rng: random.Random,
) -> Question | None:
    """Relax step by step: recent questions first, then the difficulty; never a used one."""
    levels: list[Difficulty | None] = [difficulty, None] if difficulty else [None]
    for level in levels:
        for exclude in (recent | used, used):
            pool = bank.select(
                track, difficulties=(level,) if level else None, exclude_ids=frozenset(exclude)
            )
            if pool:
                return rng.choice(list(pool))
    return None


async def recent_question_ids(s: AsyncSession, user_ids: Collection[int], track: Track) -> set[str]:
    seen: set[str] = set()
    for user_id in user_ids:
        sessions = (
            select(InterviewSession.id)
            .where(InterviewSession.user_id == user_id, InterviewSession.track == track.value)
            .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
            .limit(RECENT_SESSIONS)
            .scalar_subquery()
        )
        seen.update(
            await s.scalars(
                select(Answer.question_id).where(
                    Answer.session_id.in_(sessions), Answer.status.in_(_SEEN)
                )
            )
        )
        seen.update(
            await s.scalars(
                select(PeerRound.question_id)
                .join(PeerPair, PeerPair.id == PeerRound.pair_id)
                .where(PeerRound.interviewer_id == user_id, PeerPair.track == track.value)
                .order_by(PeerRound.id.desc())
                .limit(RECENT_INTERVIEWER_ROUNDS)
            )
        )
    return seen
