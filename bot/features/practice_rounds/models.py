"""Tables of study-group practice rounds and panels.

Each round row carries its own durable timer (``due_at``) and the last stage shown in Discord
(``announced``), so a restart picks up reveals, closes and unfinished announcements. One open
round per channel is a unique constraint on ``active_channel_id`` (set while open, NULL after).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Base


class PracticeRound(Base):
    __tablename__ = "practice_rounds"
    __table_args__ = (
        UniqueConstraint("active_channel_id"),
        Index("ix_practice_rounds_guild_started", "guild_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # round|panel
    status: Mapped[str] = mapped_column(String(16))  # answering|voting|scoring|closed|cancelled
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    # The channel while the round is open, NULL once closed: NULLs never collide, so the unique
    # constraint means "one open round per channel" even with concurrent starts.
    active_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    question_id: Mapped[str] = mapped_column(String(100))
    track: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    minutes: Mapped[int] = mapped_column(Integer)
    starter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    answer_due_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # next automatic step
    revealed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    announced: Mapped[str] = mapped_column(String(16))  # last status rendered in Discord

    answers: Mapped[list[PracticeRoundAnswer]] = relationship(
        back_populates="round", order_by="PracticeRoundAnswer.id", cascade="all, delete-orphan"
    )


class PracticeRoundAnswer(Base):
    """One member's answer to a round (a panel has only the candidate's)."""

    __tablename__ = "practice_round_answers"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("practice_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The stored result (interview_sessions, mode round|panel) once revealed or scored.
    result_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview_sessions.id", ondelete="SET NULL")
    )
    auto_score: Mapped[int | None]
    covered_points: Mapped[int | None]
    votes: Mapped[int] = mapped_column(Integer, default=0)  # set when voting closes
    won: Mapped[bool] = mapped_column(default=False)

    round: Mapped[PracticeRound] = relationship(back_populates="answers")
    parts: Mapped[list[PracticeRoundAnswerPart]] = relationship(
        order_by="PracticeRoundAnswerPart.position", cascade="all, delete-orphan"
    )


class PracticeRoundAnswerPart(Base):
    """Each modal submission is appended as a part, kept as written."""

    __tablename__ = "practice_round_answer_parts"
    __table_args__ = (UniqueConstraint("answer_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("practice_round_answers.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class PracticeRoundVote(Base):
    """One vote per member per round; changing it updates the row."""

    __tablename__ = "practice_round_votes"
    __table_args__ = (UniqueConstraint("round_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("practice_rounds.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("practice_round_answers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PracticePanelBallot(Base):
    """One scorer's ballot on a panel: a 1-4 score per rubric point (None until scored)."""

    __tablename__ = "practice_panel_ballots"
    __table_args__ = (UniqueConstraint("round_id", "scorer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("practice_rounds.id", ondelete="CASCADE"))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scores: Mapped[list[int | None]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


PRACTICE_TABLES = (
    PracticeRound.__table__,
    PracticeRoundAnswer.__table__,
    PracticeRoundAnswerPart.__table__,
    PracticeRoundVote.__table__,
    PracticePanelBallot.__table__,
)
