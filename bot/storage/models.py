"""ORM models. One module: the schema is small enough to read in one sitting.

Alembic migrations in ``migrations/`` are the source of truth for the database; these classes
must stay in step with them (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.types import UTCDateTime

# Stable constraint names make batch migrations on SQLite and drops on PostgreSQL predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class User(Base):
    """A person, per platform: a Discord member or the terminal's local user."""

    __tablename__ = "users"
    # AUTOINCREMENT on SQLite: a deleted user's id is never handed to someone else (ids are
    # cached by adapters and appear in button custom_ids).
    __table_args__ = (UniqueConstraint("platform", "external_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class GuildSettings(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    moderator_role_id: Mapped[int | None] = mapped_column(BigInteger)
    bundled_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    daily_time: Mapped[str | None] = mapped_column(String(5))  # local "HH:MM"
    daily_timezone: Mapped[str | None] = mapped_column(String(64))
    daily_track: Mapped[str | None] = mapped_column(String(16))
    # The AI interviewer (needs LLM_BASE_URL): off until a moderator turns it on.
    ai_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class GuildQuestion(Base):
    """A moderator-owned question; ``body`` holds the fields of the YAML format."""

    __tablename__ = "guild_questions"
    __table_args__ = (UniqueConstraint("question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    question_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # active|retired|pending|rejected
    body: Mapped[dict[str, Any]]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InterviewSession(Base):
    __tablename__ = "interview_sessions"
    __table_args__ = (
        Index("ix_interview_sessions_user_status", "user_id", "status"),
        Index("ix_interview_sessions_guild_started", "guild_id", "started_at"),
        {"sqlite_autoincrement": True},  # session ids live on in buttons: never reuse one
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    # solo (a timed interview), peer (a study-group mock, scored by a peer), round (a channel
    # practice round), panel (answered in front of the group); stats keep them apart.
    mode: Mapped[str] = mapped_column(String(16), default="solo", server_default="solo")
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    track: Mapped[str] = mapped_column(String(16))
    length: Mapped[str] = mapped_column(String(16))
    topic_filter: Mapped[str | None] = mapped_column(String(64))
    difficulty_filter: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # active|paused|finished|abandoned
    current_position: Mapped[int] = mapped_column(Integer, default=0)
    ended_early: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ask a follow-up after each submitted answer (on by default for standard length).
    follow_ups: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    mean_score: Mapped[float | None]
    verdict: Mapped[int | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    answers: Mapped[list[Answer]] = relationship(
        back_populates="session", order_by="Answer.position", cascade="all, delete-orphan"
    )


class Answer(Base):
    """One item of a session: a question, or one phase of a system-design question."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_sessions.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[str] = mapped_column(String(100), index=True)
    phase: Mapped[str | None] = mapped_column(String(32))
    minutes: Mapped[int]
    # pending|active|paused|submitted|skipped|timed_out|not_reached
    status: Mapped[str] = mapped_column(String(16), default="pending")
    asked_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    remaining_seconds: Mapped[float | None]  # set while paused
    answered_at: Mapped[datetime | None]
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    auto_score: Mapped[int | None]
    coverage: Mapped[float | None]
    covered_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    missed_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    self_score: Mapped[int | None]
    peer_score: Mapped[int | None]
    # The follow-up asked after this answer was submitted; the reply's parts start at part
    # ``follow_up_from`` and are scored with the answer, unless the follow-up was skipped.
    follow_up: Mapped[str | None] = mapped_column(Text)
    follow_up_from: Mapped[int | None]
    follow_up_skipped: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    # Who asked it: "ai" (the AI interviewer) or "bank" (the question's own, picked by rule);
    # and why the AI interviewer, on for this session, did not ask it.
    follow_up_by: Mapped[str | None] = mapped_column(String(8))
    follow_up_unavailable: Mapped[str | None] = mapped_column(String(200))

    session: Mapped[InterviewSession] = relationship(back_populates="answers")
    parts: Mapped[list[AnswerPart]] = relationship(
        back_populates="answer", order_by="AnswerPart.position", cascade="all, delete-orphan"
    )


class AnswerPart(Base):
    """Answers arrive in pieces (modal submissions, terminal lines); each is kept as written."""

    __tablename__ = "answer_parts"
    __table_args__ = (UniqueConstraint("answer_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    answer: Mapped[Answer] = relationship(back_populates="parts")


class DailyDelivery(Base):
    """Claimed before sending, with a unique key, so a daily post happens once per local day;
    confirmed once the send's outcome is recorded (a claim left unconfirmed by a crash is
    reconciled on start: see docs/daily.md)."""

    __tablename__ = "daily_deliveries"
    __table_args__ = (
        UniqueConstraint("target_kind", "target_id", "local_date"),
        Index("ix_daily_deliveries_unconfirmed", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(8))  # guild|user
    target_id: Mapped[int] = mapped_column(BigInteger)
    local_date: Mapped[date] = mapped_column(Date)
    question_id: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)  # guild posts: where it was sent
    confirmed_at: Mapped[datetime | None]  # the outcome (sent or failed) was recorded


class DailyAnswer(Base):
    __tablename__ = "daily_answers"
    __table_args__ = (UniqueConstraint("user_id", "question_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("daily_deliveries.id", ondelete="SET NULL"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    auto_score: Mapped[int]
    local_date: Mapped[date] = mapped_column(Date)
    answered_at: Mapped[datetime]


class Streak(Base):
    __tablename__ = "streaks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    current: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[int] = mapped_column(Integer, default=0)
    last_local_date: Mapped[date | None] = mapped_column(Date)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
