"""Interview rows: reading a session, a member's open one and recent questions; building new
sessions; the member's users row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.core.formats import Length
from bot.core.questions import Difficulty, Question, Track
from bot.core.scoring import Score
from bot.core.selection import RECENT_SESSIONS
from bot.core.session import ItemStatus, PlannedItem, SessionStatus
from bot.features.interviews.types import (
    InterviewError,
    SessionNotFound,
    SessionSummary,
    StaleAction,
)
from bot.storage.models import Answer, AnswerPart, InterviewSession, User


async def session_row(s: AsyncSession, session_id: int) -> InterviewSession:
    row = await s.get(
        InterviewSession,
        session_id,
        options=[joinedload(InterviewSession.answers).joinedload(Answer.parts)],
        populate_existing=True,
    )
    if row is None:
        raise SessionNotFound("That interview no longer exists.")
    return row


async def open_row(s: AsyncSession, user_id: int) -> InterviewSession | None:
    session_id = await s.scalar(
        select(InterviewSession.id)
        .where(
            InterviewSession.user_id == user_id,
            InterviewSession.status.in_([SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value]),
        )
        .order_by(InterviewSession.id.desc())
        .limit(1)
    )
    return None if session_id is None else await session_row(s, session_id)


def _has_answer_text() -> ColumnElement[bool]:
    """The session holds at least one answer part (a session ended before any word is empty)."""
    return exists(
        select(AnswerPart.id)
        .join(Answer, Answer.id == AnswerPart.answer_id)
        .where(Answer.session_id == InterviewSession.id)
    )


async def recent_question_ids(s: AsyncSession, user_id: int, track: Track) -> set[str]:
    """Questions of the member's last ``RECENT_SESSIONS`` sessions of this track that hold an
    answer: an empty session (ended or abandoned before any word) does not use up the window."""
    recent_sessions = (
        select(InterviewSession.id)
        .where(
            InterviewSession.user_id == user_id,
            InterviewSession.track == track.value,
            _has_answer_text(),
        )
        .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
        .limit(RECENT_SESSIONS)
        .scalar_subquery()
    )
    ids = await s.scalars(
        select(func.distinct(Answer.question_id)).where(
            Answer.session_id.in_(recent_sessions),
            Answer.status.in_(
                [
                    ItemStatus.SUBMITTED.value,
                    ItemStatus.TIMED_OUT.value,
                    ItemStatus.SKIPPED.value,
                    ItemStatus.ACTIVE.value,
                ]
            ),
        )
    )
    return set(ids)


def current_answer(row: InterviewSession, position: int | None) -> Answer:
    if row.status == SessionStatus.PAUSED:
        raise InterviewError("This interview is paused; resume it first.")
    if row.status != SessionStatus.ACTIVE:
        raise StaleAction("This interview has already ended.")
    answer = row.answers[row.current_position]
    if position is not None and position != answer.position:
        raise StaleAction("That question is no longer the current one.")
    if answer.status != ItemStatus.ACTIVE:
        raise StaleAction("That question is no longer open.")
    return answer


async def summaries(s: AsyncSession, user_id: int, limit: int) -> list[SessionSummary]:
    """The member's latest sessions, newest first."""
    found = (
        await s.scalars(
            select(InterviewSession)
            .where(InterviewSession.user_id == user_id)
            .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
            .limit(limit)
            .options(selectinload(InterviewSession.answers))
        )
    ).all()
    return [
        SessionSummary(
            r.id,
            Track(r.track),
            Length(r.length),
            SessionStatus(r.status),
            r.started_at,
            r.ended_at,
            len(r.answers),
            r.mean_score,
            Score(r.verdict) if r.verdict else None,
            ended_early=r.ended_early,
        )
        for r in found
    ]


def new_session(
    user_id: int,
    platform: str,
    mode: str,
    guild_id: int | None,
    channel_id: int | None,
    track: Track,
    length: Length,
    topic: str | None,
    difficulty: Difficulty | None,
    items: Sequence[PlannedItem],
    now: datetime,
    *,
    follow_ups: bool = False,
) -> InterviewSession:
    """A new active session with one pending answer per planned item."""
    row = InterviewSession(
        user_id=user_id,
        platform=platform,
        mode=mode,
        guild_id=guild_id,
        channel_id=channel_id,
        track=track.value,
        length=length.value,
        topic_filter=topic,
        difficulty_filter=difficulty.value if difficulty else None,
        status=SessionStatus.ACTIVE.value,
        current_position=0,
        started_at=now,
        follow_ups=follow_ups,
    )
    row.answers = [
        Answer(
            position=i,
            question_id=item.question.id,
            phase=item.phase.name if item.phase else None,
            minutes=item.minutes,
            status=ItemStatus.PENDING.value,
            hints_used=0,
            covered_points=[],
            missed_points=[],
            parts=[],
        )
        for i, item in enumerate(items)
    ]
    return row


def one_answer_session(
    user_id: int,
    question: Question,
    text: str,
    platform: str,
    mode: str,
    guild_id: int | None,
    channel_id: int | None,
    peer_score: int | None,
    started_at: datetime,
    now: datetime,
) -> InterviewSession:
    """A one-question session answered outside a timed interview (still open: the caller
    scores and closes it)."""
    row = InterviewSession(
        user_id=user_id,
        platform=platform,
        mode=mode,
        guild_id=guild_id,
        channel_id=channel_id,
        track=question.track.value,
        length=Length.SHORT.value,
        status=SessionStatus.ACTIVE.value,
        current_position=0,
        started_at=started_at,
    )
    row.answers = [
        Answer(
            position=0,
            question_id=question.id,
            phase=None,
            minutes=question.minutes,
            status=ItemStatus.ACTIVE.value,
            hints_used=0,
            covered_points=[],
            missed_points=[],
            asked_at=started_at,
            peer_score=peer_score,
            parts=[AnswerPart(position=0, text=text, created_at=now)] if text.strip() else [],
        )
    ]
    return row


async def known_user(
    s: AsyncSession, platform: str, external_id: str, display_name: str
) -> int | None:
    """The users.id of this member if known under this display name (nothing to write)."""
    found = (
        await s.execute(
            select(User.id, User.display_name).where(
                User.platform == platform, User.external_id == external_id
            )
        )
    ).first()
    if found is None or (display_name and found.display_name != display_name[:100]):
        return None
    return int(found.id)


async def ensure_user(
    s: AsyncSession, platform: str, external_id: str, display_name: str, now: datetime
) -> int:
    """The users.id of this member, created on first sight; the display name kept current."""
    user = await s.scalar(
        select(User).where(User.platform == platform, User.external_id == external_id)
    )
    if user is None:
        user = User(
            platform=platform,
            external_id=external_id,
            display_name=display_name[:100],
            created_at=now,
        )
        s.add(user)
        await s.flush()
    elif display_name and user.display_name != display_name[:100]:
        user.display_name = display_name[:100]
    return user.id


async def still_asking(
    s: AsyncSession, session_id: int, position: int
) -> tuple[InterviewSession, Answer] | None:
    """The session and its item at ``position`` if that item is still the open one."""
    row = await s.get(
        InterviewSession,
        session_id,
        options=[joinedload(InterviewSession.answers).joinedload(Answer.parts)],
    )
    if row is None or row.status != SessionStatus.ACTIVE or row.current_position != position:
        return None
    answer = row.answers[position]
    return None if answer.status != ItemStatus.ACTIVE else (row, answer)
