"""Tables of the daily-question feature: members' DM subscriptions and spaced-repetition cards.

The guild schedule lives in ``guild_settings``; deliveries, answers and streaks in the shared
``daily_deliveries``, ``daily_answers`` and ``streaks`` tables (bot/storage/models.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.database import Database
from bot.storage.models import Base


class DailySubscription(Base):
    """A member's personal daily question by DM, at a local time in their zone."""

    __tablename__ = "daily_subscriptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    guild_id: Mapped[int | None] = mapped_column(BigInteger)  # whose bank; None: bundled only
    time: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    track: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DailyCard(Base):
    """One FSRS card per (member, question); ``reviews == 0`` means offered, never answered."""

    __tablename__ = "daily_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        Index("ix_daily_cards_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[int] = mapped_column(Integer)  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime]
    last_review: Mapped[datetime | None]
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    last_score: Mapped[int | None] = mapped_column(Integer)


DAILY_TABLES = (DailySubscription.__tablename__, DailyCard.__tablename__)


async def missing_daily_tables(db: Database) -> list[str]:
    """Tables of this module the database lacks (its migration has not been applied)."""
    async with db.engine.connect() as conn:
        existing = await conn.run_sync(lambda c: set(sa_inspect(c).get_table_names()))
    return [name for name in DAILY_TABLES if name not in existing]
