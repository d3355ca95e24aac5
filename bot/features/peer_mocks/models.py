"""Tables of the study-group peer mocks: queue, invitations, pairs, rounds, scores.

Everything a peer mock needs to survive a restart lives here; the candidate's timed round is an
ordinary ``interview_sessions`` row (mode "peer") that a round points at.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class PeerQueueEntry(Base):
    """A member waiting for a partner; one entry per member and guild."""

    __tablename__ = "peer_queue"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[str | None] = mapped_column(String(16))
    channel_id: Mapped[int | None] = mapped_column(BigInteger)  # where they joined
    joined_at: Mapped[datetime]


class PeerPair(Base):
    """Two members doing a peer mock together, in a private thread.

    state: ready (both must press Ready) -> round -> feedback -> swap -> round -> feedback ->
    finished; or closed (someone did not act for 10 minutes) / cancelled (no thread possible).
    """

    __tablename__ = "peer_pairs"
    __table_args__ = (
        Index("ix_peer_pairs_guild_state", "guild_id", "state"),
        Index("ix_peer_pairs_member_a", "member_a_id", "id"),
        Index("ix_peer_pairs_member_b", "member_b_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)  # parent of the thread
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    track: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))  # queue|invite
    member_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    member_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    difficulty_a: Mapped[str | None] = mapped_column(String(16))  # each one's wish as candidate
    difficulty_b: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    state_since: Mapped[datetime]
    a_ready_at: Mapped[datetime | None]
    b_ready_at: Mapped[datetime | None]
    a_acted_at: Mapped[datetime | None]  # last button, select or form of each member
    b_acted_at: Mapped[datetime | None]
    no_show_ids: Mapped[list[str]] = mapped_column(default=list)  # user ids, as text
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PeerInvite(Base):
    """``/mock invite``: pending until accepted, declined or expired (after 5 minutes)."""

    __tablename__ = "peer_invites"
    __table_args__ = (Index("ix_peer_invites_inviter_status", "inviter_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    track: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending|accepted|declined|expired|withdrawn
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("peer_pairs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]


class PeerRound(Base):
    """One round: the interviewer asks one question, the candidate answers it in a timed session."""

    __tablename__ = "peer_rounds"
    __table_args__ = (UniqueConstraint("pair_id", "number"), UniqueConstraint("session_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("peer_pairs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    interviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview_sessions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))  # active|feedback|complete|incomplete
    ended_by: Mapped[str | None] = mapped_column(String(16))  # time|interviewer
    score_slots: Mapped[int] = mapped_column(Integer, default=0)  # selects on the score sheet
    hints_revealed: Mapped[int] = mapped_column(Integer, default=0)
    follow_ups_revealed: Mapped[int] = mapped_column(Integer, default=0)
    strengths: Mapped[str | None] = mapped_column(Text)
    improvements: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)  # the candidate rates the interviewer 1-5
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PeerPointScore(Base):
    """The interviewer's 1-4 for one rubric point (or one system-design phase) of a round."""

    __tablename__ = "peer_point_scores"
    __table_args__ = (UniqueConstraint("round_id", "position", "point_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("peer_rounds.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the session item
    point_index: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    score: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime]
