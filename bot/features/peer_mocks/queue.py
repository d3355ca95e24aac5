"""Peer mocks: the guild's queue (pairing on every join) and invitations to a member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.pairing import QueueEntry, pair_queue
from bot.core.questions import Difficulty, Track
from bot.features.peer_mocks import store
from bot.features.peer_mocks.base import (
    IDLE,
    INVITE,
    INVITE_TTL,
    NO_SHOW_AFTER,
    PeerCore,
)
from bot.features.peer_mocks.models import PeerInvite, PeerPair, PeerQueueEntry
from bot.features.peer_mocks.records import (
    InviteView,
    JoinResult,
    NotAllowed,
    PairState,
    PairView,
    PeerError,
    QueueStatus,
)
from bot.features.peer_mocks.timers import TimerKey


class QueueOps:
    def __init__(self, core: PeerCore) -> None:
        self._core = core

    async def join_queue(
        self,
        guild_id: int,
        user_id: int,
        track: Track,
        difficulty: Difficulty | None = None,
        *,
        channel_id: int | None = None,
    ) -> JoinResult:
        await self._core.refuse_open_interview(user_id)
        async with self._core.lock("guild", guild_id):
            now = self._core.clock.now()
            scheduled: dict[TimerKey, datetime] = {}
            async with self._core.db.transaction() as s:
                await self._core.refuse_busy(s, user_id)
                row = await s.scalar(
                    select(PeerQueueEntry).where(
                        PeerQueueEntry.guild_id == guild_id, PeerQueueEntry.user_id == user_id
                    )
                )
                updated = row is not None
                if row is None:
                    row = PeerQueueEntry(guild_id=guild_id, user_id=user_id, joined_at=now)
                    s.add(row)
                elif row.track != track.value:
                    row.joined_at = now  # a new track is a new place in the queue
                row.track = track.value
                row.difficulty = difficulty.value if difficulty else None
                row.channel_id = channel_id or row.channel_id
                await s.flush()
                created = await self._pair_waiting(s, guild_id, now, scheduled)
                pairs = tuple([await store.pair_view(s, p) for p in created])
                spot, ahead = None, 0
                if not any(p.has(user_id) for p in pairs):
                    waiting = await store.spots(s, await store.queue_entries(s, guild_id))
                    spot = next(w for w in waiting if w.member.user_id == user_id)
                    ahead = (
                        sum(
                            1
                            for w in waiting
                            if w.track is spot.track and w.joined_at <= spot.joined_at
                        )
                        - 1
                    )
            self._core.timers.committed(scheduled)
        return JoinResult(spot, updated, pairs, ahead)

    async def _pair_waiting(
        self, s: AsyncSession, guild_id: int, now: datetime, scheduled: dict[TimerKey, datetime]
    ) -> list[PeerPair]:
        entries = await store.queue_entries(s, guild_id)
        last = await store.last_partners(s, guild_id, (e.user_id for e in entries))
        by_user = {e.user_id: e for e in entries}
        pairing = pair_queue(
            QueueEntry(e.user_id, e.track, e.joined_at, last.get(e.user_id), e.difficulty)
            for e in entries
        )
        created: list[PeerPair] = []
        for pair in pairing.pairs:
            first, second = by_user[pair.first.member_id], by_user[pair.second.member_id]
            created.append(
                self._core.new_pair(
                    guild_id,
                    Track(first.track),
                    "queue",
                    (first.user_id, first.difficulty),
                    (second.user_id, second.difficulty),
                    second.channel_id or first.channel_id,
                    now,
                )
            )
        paired = [uid for p in created for uid in (p.member_a_id, p.member_b_id)]
        if paired:  # out of every queue: nobody does two mocks at once, in any server
            await s.execute(delete(PeerQueueEntry).where(PeerQueueEntry.user_id.in_(paired)))
        s.add_all(created)
        await s.flush()
        for new in created:
            await self._core.schedule(s, scheduled, TimerKey(IDLE, new.id), now + NO_SHOW_AFTER)
        return created

    async def leave_queue(self, guild_id: int, user_id: int) -> bool:
        async with self._core.lock("guild", guild_id), self._core.db.transaction() as s:
            result = await s.execute(
                delete(PeerQueueEntry).where(
                    PeerQueueEntry.guild_id == guild_id, PeerQueueEntry.user_id == user_id
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def queue_status(self, guild_id: int, user_id: int) -> QueueStatus:
        async with self._core.db.reading() as s:
            waiting = tuple(await store.spots(s, await store.queue_entries(s, guild_id)))
            pair_row = await store.active_pair(s, user_id)
            pair = await store.pair_view(s, pair_row) if pair_row else None
        spot = next((w for w in waiting if w.member.user_id == user_id), None)
        return QueueStatus(spot, waiting, pair)

    async def requeue(
        self, pair_id: int, user_id: int, channel_id: int | None = None
    ) -> JoinResult:
        """'Join the queue again' after a mock: same guild and track, the member's difficulty,
        and (unless given) the channel the mock's thread hangs off."""
        async with self._core.db.reading() as s:
            row = await self._core.member_pair(s, pair_id, user_id)
            if PairState(row.state).is_active:
                raise PeerError("This mock is still going; finish it first.")
            if str(user_id) in (row.no_show_ids or ()):
                raise NotAllowed(
                    "This mock was closed because you did not respond; use /mock queue join."
                )
            wish = row.difficulty_a if row.member_a_id == user_id else row.difficulty_b
        return await self.join_queue(
            row.guild_id,
            user_id,
            Track(row.track),
            Difficulty(wish) if wish else None,
            channel_id=channel_id or row.channel_id,
        )

    async def invite(
        self,
        guild_id: int,
        inviter_id: int,
        invitee_id: int,
        track: Track,
        difficulty: Difficulty | None = None,
        *,
        channel_id: int | None = None,
    ) -> InviteView:
        if inviter_id == invitee_id:
            raise PeerError("You can't invite yourself: invite another member of this server.")
        await self._core.refuse_open_interview(inviter_id)
        async with self._core.lock("guild", guild_id):
            now = self._core.clock.now()
            scheduled: dict[TimerKey, datetime] = {}
            async with self._core.db.transaction() as s:
                await self._core.refuse_busy(s, inviter_id)
                await self._core.refuse_busy(s, invitee_id, other=True)
                pending = await s.scalar(
                    select(PeerInvite).where(
                        PeerInvite.inviter_id == inviter_id,
                        PeerInvite.status == "pending",
                        PeerInvite.expires_at > now,
                    )
                )
                if pending is not None:
                    raise PeerError(
                        "You already have an invitation waiting for an answer; it expires "
                        "within 5 minutes."
                    )
                row = PeerInvite(
                    guild_id=guild_id,
                    channel_id=channel_id,
                    inviter_id=inviter_id,
                    invitee_id=invitee_id,
                    track=track.value,
                    difficulty=difficulty.value if difficulty else None,
                    status="pending",
                    created_at=now,
                    expires_at=now + INVITE_TTL,
                )
                s.add(row)
                await s.flush()
                await self._core.schedule(s, scheduled, TimerKey(INVITE, row.id), row.expires_at)
                view = await store.invite_view(s, row)
            self._core.timers.committed(scheduled)
        return view

    async def set_invite_message(self, invite_id: int, channel_id: int, message_id: int) -> None:
        async with self._core.db.transaction() as s:
            row = await s.get(PeerInvite, invite_id)
            if row is not None:
                row.channel_id, row.message_id = channel_id, message_id

    async def accept_invite(self, invite_id: int, user_id: int) -> tuple[InviteView, PairView]:
        guild_id = (await self._invite_row(invite_id, user_id)).guild_id
        await self._core.refuse_open_interview(user_id)
        async with self._core.lock("guild", guild_id):
            now = self._core.clock.now()
            scheduled: dict[TimerKey, datetime] = {}
            async with self._core.db.transaction() as s:
                row = await self._pending_invite(s, invite_id, user_id, now)
                await self._core.refuse_busy(s, row.invitee_id)
                await self._core.refuse_busy(s, row.inviter_id, other=True)
                pair = self._core.new_pair(
                    row.guild_id,
                    Track(row.track),
                    "invite",
                    (row.inviter_id, row.difficulty),
                    (row.invitee_id, row.difficulty),
                    row.channel_id,
                    now,
                )
                s.add(pair)
                await s.execute(  # out of every queue, as when the queue pairs them
                    delete(PeerQueueEntry).where(
                        PeerQueueEntry.user_id.in_([row.inviter_id, row.invitee_id])
                    )
                )
                await s.flush()
                row.status, row.responded_at, row.pair_id = "accepted", now, pair.id
                invite_key = TimerKey(INVITE, row.id)
                await self._core.timers.cancel_in(s, invite_key)
                await self._core.schedule(
                    s, scheduled, TimerKey(IDLE, pair.id), now + NO_SHOW_AFTER
                )
                invite, view = await store.invite_view(s, row), await store.pair_view(s, pair)
            self._core.timers.committed(scheduled, [invite_key])
        return invite, view

    async def decline_invite(self, invite_id: int, user_id: int) -> InviteView:
        await self._invite_row(invite_id, user_id)
        now = self._core.clock.now()
        async with self._core.db.transaction() as s:
            row = await self._pending_invite(s, invite_id, user_id, now)
            row.status, row.responded_at = "declined", now
            key = TimerKey(INVITE, row.id)
            await self._core.timers.cancel_in(s, key)
            view = await store.invite_view(s, row)
        self._core.timers.committed({}, [key])
        return view

    async def withdraw_invite(self, invite_id: int, user_id: int) -> None:
        """The inviter takes a pending invitation back (e.g. it could not be posted)."""
        key = TimerKey(INVITE, invite_id)
        async with self._core.db.transaction() as s:
            row = await s.get(PeerInvite, invite_id)
            if row is None or row.inviter_id != user_id or row.status != "pending":
                return
            row.status, row.responded_at = "withdrawn", self._core.clock.now()
            await self._core.timers.cancel_in(s, key)
        self._core.timers.committed({}, [key])

    async def _invite_row(self, invite_id: int, user_id: int) -> PeerInvite:
        async with self._core.db.reading() as s:
            row = await s.get(PeerInvite, invite_id)
            if row is None:
                raise PeerError("That invitation no longer exists.")
            if row.invitee_id != user_id:
                people = await store.members(s, [row.invitee_id])
                raise NotAllowed(
                    f"This invitation is for {people[row.invitee_id].name}; only they can answer "
                    "it. Use /mock invite to invite someone yourself."
                )
            return row

    async def _pending_invite(
        self, s: AsyncSession, invite_id: int, user_id: int, now: datetime
    ) -> PeerInvite:
        row = await s.get(PeerInvite, invite_id)
        if row is None or row.invitee_id != user_id:
            raise PeerError("That invitation no longer exists.")
        if row.status != "pending":
            raise PeerError(f"This invitation was already {row.status}.")
        if row.expires_at <= now:
            raise PeerError("This invitation has expired; ask for a new one.")
        return row
