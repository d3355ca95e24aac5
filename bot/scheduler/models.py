"""The one table of due jobs, shared by every feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class ScheduledJob(Base):
    """Something to do at ``due_at``: deleted once its handler succeeded, kept (with
    ``failed_at`` and ``last_error``) when it failed ``MAX_ATTEMPTS`` times. While a process
    runs it, ``claimed_by`` names that process and ``lease_until`` says until when the claim
    holds (renewed while the handler runs; after that, another process may take it over)."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_scheduled_jobs_pending", "scope", "failed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # which process fires it: discord|local
    kind: Mapped[str] = mapped_column(String(48))  # e.g. interview.answer, peer.invite
    key: Mapped[str] = mapped_column(String(64))  # what it is about, within its kind
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    payload: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
