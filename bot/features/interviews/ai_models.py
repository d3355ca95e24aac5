"""Tables of the AI interviewer in interviews: its marks, its notice to members, its token usage.

Kept apart from ``answers`` so an interview without the AI has no empty columns, and so deleting
a member (``users`` cascade) or a session (``answers`` cascade) deletes what the AI said too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class AIMark(Base):
    """What the AI interviewer decided about one answered item, and who decided each point."""

    __tablename__ = "ai_marks"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    scorer_score: Mapped[int | None]  # the deterministic scorer's score, before the AI
    # [{"point", "covered", "decided_by": "scorer"|"ai", "scorer_covered", "verdict", "quote",
    #   "note"}], one per rubric point; empty when the model was not used
    decisions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    feedback: Mapped[str] = mapped_column(Text, default="")
    unavailable: Mapped[str] = mapped_column(String(200), default="")  # "" when the AI answered
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class AISessionNote(Base):
    """The AI interviewer's paragraph on a whole session."""

    __tablename__ = "ai_session_notes"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("interview_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    feedback: Mapped[str] = mapped_column(Text, default="")
    unavailable: Mapped[str] = mapped_column(String(200), default="")
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class AINotice(Base):
    """A member was told, in this guild, that their answers go to the model server."""

    __tablename__ = "ai_notices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    notified_at: Mapped[datetime]


class AITokenUsage(Base):
    """Tokens the model server reported per guild (or "local") and UTC day: the daily budget."""

    __tablename__ = "ai_token_usage"

    guild_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)
