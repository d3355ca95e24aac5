"""A member's spaced-repetition cards: one per question they met, reviewed with each answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.spaced_repetition import new_card
from bot.core.spaced_repetition import review as review_card
from bot.features.daily import rows
from bot.features.daily.models import DailyCard


class Cards:
    def __init__(self, insert: Callable[[Any], Any]) -> None:
        self._insert = insert  # the dialect's INSERT (ON CONFLICT differs per backend)

    async def card_id(self, s: AsyncSession, user_id: int, question_id: str, now: datetime) -> int:
        card = new_card(now)
        stmt = self._insert(DailyCard).values(
            user_id=user_id,
            question_id=question_id,
            state=card.state,
            step=card.step,
            due=card.due,
            reviews=0,
        )
        await s.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "question_id"]))
        card_id = await s.scalar(
            select(DailyCard.id).where(
                DailyCard.user_id == user_id, DailyCard.question_id == question_id
            )
        )
        assert card_id is not None
        return card_id

    async def review(
        self, s: AsyncSession, user_id: int, question_id: str, score: int, now: datetime
    ) -> None:
        await self.card_id(s, user_id, question_id, now)
        row = await s.scalar(
            select(DailyCard)
            .where(DailyCard.user_id == user_id, DailyCard.question_id == question_id)
            .with_for_update()
        )
        assert row is not None
        card = review_card(rows.card_state(row), score, now)
        row.state, row.step, row.due = card.state, card.step, card.due
        row.stability, row.difficulty = card.stability, card.difficulty
        row.last_review, row.reviews, row.last_score = card.last_review, card.reviews, score
