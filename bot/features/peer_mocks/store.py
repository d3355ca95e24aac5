"""Queries of the peer-mock service, each inside the caller's unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.questions import Difficulty, Track
from bot.features.peer_mocks.models import (
    PeerInvite,
    PeerPair,
    PeerPointScore,
    PeerQueueEntry,
    PeerRound,
)
from bot.features.peer_mocks.records import (
    ACTIVE_STATES,
    InviteView,
    Member,
    PairState,
    PairView,
    QueueSpot,
)
from bot.storage.database import Database
from bot.storage.models import User

PEER_TABLES = tuple(
    m.__tablename__ for m in (PeerQueueEntry, PeerPair, PeerInvite, PeerRound, PeerPointScore)
)


async def missing_tables(db: Database) -> list[str]:
    """The peer tables the database lacks (their migration has not been applied yet)."""
    async with db.engine.connect() as conn:
        present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    return [name for name in PEER_TABLES if name not in present]


async def members(s: AsyncSession, user_ids: Iterable[int]) -> dict[int, Member]:
    ids = set(user_ids)
    rows = (await s.execute(select(User).where(User.id.in_(ids)))).scalars().all() if ids else []
    return {u.id: Member(u.id, u.external_id, u.display_name or u.external_id) for u in rows}


async def pair_view(s: AsyncSession, row: PeerPair) -> PairView:
    people = await members(s, (row.member_a_id, row.member_b_id))
    ready = {
        uid
        for uid, at in ((row.member_a_id, row.a_ready_at), (row.member_b_id, row.b_ready_at))
        if at is not None
    }
    return PairView(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        track=Track(row.track),
        source=row.source,
        state=PairState(row.state),
        members=(people[row.member_a_id], people[row.member_b_id]),
        ready_ids=frozenset(ready),
        no_show_ids=frozenset(int(i) for i in row.no_show_ids or ()),
        created_at=row.created_at,
    )


async def active_pair(s: AsyncSession, user_id: int) -> PeerPair | None:
    """The member's peer mock in progress (in any guild: nobody does two at once)."""
    return await s.scalar(
        select(PeerPair)
        .where(
            or_(PeerPair.member_a_id == user_id, PeerPair.member_b_id == user_id),
            PeerPair.state.in_(ACTIVE_STATES),
        )
        .order_by(PeerPair.id.desc())
        .limit(1)
    )


async def last_partners(s: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    """Each member's partner in their latest pair of this guild (cancelled pairs never met)."""
    found: dict[int, int] = {}
    for user_id in set(user_ids):
        row = (
            await s.execute(
                select(PeerPair.member_a_id, PeerPair.member_b_id)
                .where(
                    PeerPair.guild_id == guild_id,
                    PeerPair.state != PairState.CANCELLED.value,
                    or_(PeerPair.member_a_id == user_id, PeerPair.member_b_id == user_id),
                )
                .order_by(PeerPair.id.desc())
                .limit(1)
            )
        ).first()
        if row is not None:
            a, b = row
            found[user_id] = b if a == user_id else a
    return found


async def queue_entries(s: AsyncSession, guild_id: int) -> list[PeerQueueEntry]:
    return list(
        (
            await s.scalars(
                select(PeerQueueEntry)
                .where(PeerQueueEntry.guild_id == guild_id)
                .order_by(PeerQueueEntry.joined_at, PeerQueueEntry.id)
            )
        ).all()
    )


async def spots(s: AsyncSession, rows: Sequence[PeerQueueEntry]) -> list[QueueSpot]:
    people = await members(s, (r.user_id for r in rows))
    return [
        QueueSpot(
            people[r.user_id],
            Track(r.track),
            Difficulty(r.difficulty) if r.difficulty else None,
            r.joined_at,
            r.channel_id,
        )
        for r in rows
    ]


async def invite_view(s: AsyncSession, row: PeerInvite) -> InviteView:
    people = await members(s, (row.inviter_id, row.invitee_id))
    return InviteView(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        inviter=people[row.inviter_id],
        invitee=people[row.invitee_id],
        track=Track(row.track),
        difficulty=Difficulty(row.difficulty) if row.difficulty else None,
        status=row.status,
        expires_at=row.expires_at,
        pair_id=row.pair_id,
    )


async def rounds_of(s: AsyncSession, pair_id: int) -> list[PeerRound]:
    return list(
        (
            await s.scalars(
                select(PeerRound).where(PeerRound.pair_id == pair_id).order_by(PeerRound.number)
            )
        ).all()
    )


async def point_scores(s: AsyncSession, round_id: int) -> list[PeerPointScore]:
    return list(
        (
            await s.scalars(
                select(PeerPointScore)
                .where(PeerPointScore.round_id == round_id)
                .order_by(PeerPointScore.position, PeerPointScore.point_index)
            )
        ).all()
    )


async def scored_count(s: AsyncSession, round_id: int) -> int:
    count = await s.scalar(
        select(func.count()).select_from(PeerPointScore).where(PeerPointScore.round_id == round_id)
    )
    return int(count or 0)
