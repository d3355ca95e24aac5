"""Daily posts exactly once across crashes: claim, send, record, and reconcile on restart.

A crash is simulated by stopping after a step (the process is gone: nothing after it runs),
then starting a fresh service and scheduler on the same database, as a restarted bot does.
``ChannelsDouble`` plays Discord: posts per channel, nonces honoured within its own window
(measured on the test's clock), and a history to look posts up in.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.features.config.service import GuildSettingsService
from bot.features.daily.reconcile import NONCE_WINDOW, nonce_for
from bot.features.daily.scheduler import RECONCILE_EVERY, DailyScheduler
from bot.features.daily.service import DailyService
from bot.features.daily.types import Claim, Outcome, Schedule, SendFailed, Sent
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database
from bot.storage.models import AuditEntry, DailyDelivery
from tests.factories import question

GUILD_ID = 111
DAY = date(2026, 1, 5)
SLOT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
DAILY_AUDIT = AuditEntry.action.like("daily-%")


@dataclass
class Post:
    id: int
    channel: int
    delivery_id: int
    nonce: str
    at: datetime


class ChannelsDouble:
    """Discord as the daily sender sees it; ``window`` is Discord's nonce window."""

    def __init__(self, clock: FakeClock, window: timedelta = timedelta(minutes=5)) -> None:
        self.clock, self.window = clock, window
        self.posts: list[Post] = []
        self.unreadable = False  # history answers 403 (no Read Message History)
        self.sends = self.finds = 0

    async def __call__(self, claim: Claim) -> Outcome:
        self.sends += 1
        channel, nonce, now = _channel(claim), nonce_for(claim.delivery_id), self.clock.now()
        for post in self.posts:
            if post.channel == channel and post.nonce == nonce and now - post.at < self.window:
                return Sent(post.id)
        post = Post(len(self.posts) + 1, channel, claim.delivery_id, nonce, now)
        self.posts.append(post)
        return Sent(post.id)

    async def find(self, claim: Claim, since: datetime) -> Outcome | None:
        self.finds += 1
        if self.unreadable:
            return SendFailed("403 50001: Missing Access", permanent=False)
        for post in self.posts:
            here = post.channel == _channel(claim) and post.at > since
            if here and post.delivery_id == claim.delivery_id:
                return Sent(post.id)
        return None

    def of(self, delivery_id: int) -> list[Post]:
        return [p for p in self.posts if p.delivery_id == delivery_id]


def _channel(claim: Claim) -> int:
    return claim.schedule.channel_id or -int(claim.recipient or 0)


def _service(db: Database, clock: FakeClock) -> DailyService:
    bank = QuestionBank([question(f"q-{i}") for i in range(3)])
    settings = GuildSettingsService(db, clock)
    return DailyService(db, clock, BankRegistry(bank), settings, rng=random.Random(1))


async def _schedule(service: DailyService) -> Schedule:
    view = await service.configure_guild(
        GUILD_ID, None, channel_id=5, time_text="09:00", zone_name="Europe/Berlin"
    )
    assert view.active is not None
    return view.active.schedule


async def _restart(db: Database, clock: FakeClock, discord: ChannelsDouble) -> None:
    """A fresh process: start (which reconciles), let due work run, stop."""
    scheduler = DailyScheduler(_service(db, clock), clock, discord)
    await scheduler.start()
    await scheduler.settled()
    await scheduler.stop()


async def _row(db: Database, delivery_id: int) -> DailyDelivery:
    async with db.reading() as s:
        row = await s.get(DailyDelivery, delivery_id)
    assert row is not None
    return row


async def _crash_at(step: str, service: DailyService, discord: ChannelsDouble) -> Claim:
    """Run the delivery up to ``step`` and die there."""
    [claim] = (await service.claim([(await _schedule(service), DAY)])).claims
    if step in ("after send", "after record"):
        outcome = await discord(claim)
        if step == "after record":
            await service.finish([(claim, outcome)])
    return claim


@pytest.mark.parametrize("step", ["before send", "after send", "after record"])
@pytest.mark.parametrize(
    "down_for",
    [timedelta(seconds=30), timedelta(minutes=10), timedelta(hours=3)],
    ids=["within the nonce window", "past it", "hours later"],
)
async def test_a_crash_at_any_step_gives_exactly_one_post(
    db: Database, clock: FakeClock, step: str, down_for: timedelta
) -> None:
    clock.set(SLOT)
    discord = ChannelsDouble(clock)
    claim = await _crash_at(step, _service(db, clock), discord)
    clock.advance(seconds=down_for.total_seconds())
    await _restart(db, clock, discord)
    [post] = discord.of(claim.delivery_id)
    row = await _row(db, claim.delivery_id)
    assert row.confirmed_at is not None and row.delivered_at is not None
    assert row.message_id == post.id and row.channel_id == 5
    if step == "after record":
        assert discord.sends == 1 and discord.finds == 0  # confirmed: left alone
    elif down_for < NONCE_WINDOW:
        assert discord.finds == 0  # the nonce alone made it safe
    else:
        assert discord.finds == 1  # Discord's window is over: the channel was looked at
    await _restart(db, clock, discord)  # and a second restart changes nothing
    assert len(discord.of(claim.delivery_id)) == 1 and len(discord.posts) == 1


async def test_past_the_window_only_the_look_up_prevents_a_duplicate(
    db: Database, clock: FakeClock
) -> None:
    """Proof that the double's window is real: resending past it would post twice."""
    clock.set(SLOT)
    discord = ChannelsDouble(clock)
    claim = await _crash_at("after send", _service(db, clock), discord)
    clock.advance(minutes=10)
    await discord(claim)
    assert len(discord.of(claim.delivery_id)) == 2


async def test_a_claim_whose_day_passed_is_settled_not_sent(db: Database, clock: FakeClock) -> None:
    clock.set(SLOT)
    discord = ChannelsDouble(clock)
    claim = await _crash_at("before send", _service(db, clock), discord)
    clock.set(datetime(2026, 1, 6, 6, 0, tzinfo=UTC))  # 07:00 in Berlin, the next day
    await _restart(db, clock, discord)
    assert discord.of(claim.delivery_id) == []
    row = await _row(db, claim.delivery_id)
    assert row.confirmed_at is not None and row.delivered_at is None
    async with db.reading() as s:
        [audit] = (await s.scalars(select(AuditEntry).where(DAILY_AUDIT))).all()
    assert audit.action == "daily-not-sent" and "day passed" in audit.details["reason"]
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))  # the next day's post is not held up
    await _restart(db, clock, discord)
    assert len(discord.posts) == 1 and discord.posts[0].delivery_id != claim.delivery_id


async def test_a_claim_of_a_stopped_schedule_is_settled_without_a_post(
    db: Database, clock: FakeClock
) -> None:
    clock.set(SLOT)
    discord, service = ChannelsDouble(clock), _service(db, clock)
    claim = await _crash_at("before send", service, discord)
    await service.stop_guild(GUILD_ID, None)
    await _restart(db, clock, discord)
    assert discord.posts == [] and (await _row(db, claim.delivery_id)).confirmed_at is not None


async def test_an_unreadable_channel_is_recorded_as_a_failed_day(
    db: Database, clock: FakeClock
) -> None:
    clock.set(SLOT)
    discord = ChannelsDouble(clock)
    discord.unreadable = True
    claim = await _crash_at("before send", _service(db, clock), discord)
    clock.advance(minutes=10)
    await _restart(db, clock, discord)
    assert discord.posts == []  # cannot tell whether it was posted: no risk of a duplicate
    row = await _row(db, claim.delivery_id)
    assert row.confirmed_at is not None and row.delivered_at is None
    async with db.reading() as s:
        [audit] = (await s.scalars(select(AuditEntry).where(DAILY_AUDIT))).all()
    assert audit.action == "daily-failed" and "50001" in audit.details["error"]


async def test_the_periodic_pass_records_a_post_whose_record_failed(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No crash: the database refused the record after the send; the running process's next
    reconcile pass finds the post in the channel and records it, without a second post."""
    clock.set(SLOT - timedelta(hours=1))
    discord, service = ChannelsDouble(clock), _service(db, clock)
    await _schedule(service)
    scheduler = DailyScheduler(service, clock, discord)
    await scheduler.start()
    await scheduler.settled()
    real_finish, calls = service.finish, []

    async def finish_fails_once(results: list[tuple[Claim, Outcome]]) -> object:
        calls.append(results)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return await real_finish(results)

    monkeypatch.setattr(service, "finish", finish_fails_once)
    try:
        clock.set(SLOT)
        await scheduler.settled()
        [post] = discord.posts
        assert (await _row(db, post.delivery_id)).confirmed_at is None
        clock.advance(seconds=RECONCILE_EVERY.total_seconds())
        await scheduler.settled()
    finally:
        await scheduler.stop()
    assert len(discord.posts) == 1
    row = await _row(db, post.delivery_id)
    assert row.confirmed_at is not None and row.message_id == post.id


async def test_dm_claims_are_reconciled_the_same_way(db: Database, clock: FakeClock) -> None:
    from bot.storage.models import User

    clock.set(SLOT - timedelta(hours=2))
    service, discord = _service(db, clock), ChannelsDouble(clock)
    async with db.transaction() as s:
        user = User(platform="discord", external_id="4242", display_name="ann", created_at=SLOT)
        s.add(user)
        await s.flush()
        user_id = user.id
    view = await service.subscribe(user_id, None, "09:00", "Europe/Berlin")
    clock.set(SLOT)
    [claim] = (await service.claim([(view.schedule, DAY)])).claims
    await discord(claim)  # sent, then the process died
    clock.advance(minutes=30)
    await _restart(db, clock, discord)
    [post] = discord.of(claim.delivery_id)
    assert (await _row(db, claim.delivery_id)).message_id == post.id


# -- two processes on one database: the holder of a slot's job owns its claim ------------------


class BlockingChannels(ChannelsDouble):
    """A Discord whose sends wait until ``release`` is set (a batch in flight)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.release, self.sending = asyncio.Event(), asyncio.Event()
        self.waiting = 0

    async def __call__(self, claim: Claim) -> Outcome:
        self.waiting += 1
        self.sending.set()
        await self.release.wait()
        return await super().__call__(claim)


async def test_a_second_process_leaves_a_live_batch_claims_alone(
    db: Database, clock: FakeClock
) -> None:
    clock.set(SLOT - timedelta(hours=1))
    discord = BlockingChannels(clock)
    await _schedule(_service(db, clock))
    one = DailyScheduler(_service(db, clock), clock, discord)
    await one.start()
    clock.set(SLOT)
    await asyncio.wait_for(discord.sending.wait(), 10)  # process one is sending the day
    two = DailyScheduler(_service(db, clock), clock, discord)
    await two.start()  # its start reconciles at once: it must not touch the claim in flight
    try:
        for _ in range(72):  # six minutes, past the nonce window, process one renewing its lease
            clock.advance(seconds=5)
            await asyncio.wait_for(two.settled(), 10)  # blocked: it is sending the claim too
            await asyncio.sleep(0.01)
        assert discord.waiting == 1 and discord.posts == [] and discord.finds == 0
        discord.release.set()
        await one.settled()
        await two.settled()
    finally:
        await two.stop()
        await one.stop()
    [post] = discord.posts
    row = await _row(db, post.delivery_id)
    assert row.confirmed_at is not None and row.message_id == post.id


async def test_a_dead_process_claim_is_reconciled_by_another_once_its_lease_ends(
    db: Database, clock: FakeClock
) -> None:
    clock.set(SLOT - timedelta(hours=1))
    discord = ChannelsDouble(clock)
    service = _service(db, clock)
    await _schedule(service)
    dead = DailyScheduler(service, clock, discord)
    await dead.start()
    await dead.stop()
    clock.set(SLOT)
    [claim] = (await service.claim([(await _schedule(service), DAY)])).claims
    async with db.transaction() as s:  # the dead process held the slot's job under a lease
        await s.execute(
            update(ScheduledJob)
            .where(ScheduledJob.kind == "daily.slot")
            .values(claimed_by="dead:1:x", lease_until=SLOT + timedelta(seconds=30))
        )
    other = DailyScheduler(_service(db, clock), clock, discord)
    await other.start()
    try:
        await other.settled()
        assert discord.posts == [] and discord.sends == 0  # the lease still holds it
        clock.advance(seconds=31)
        await other.settled()
    finally:
        await other.stop()
    [post] = discord.of(claim.delivery_id)
    assert (await _row(db, claim.delivery_id)).message_id == post.id and len(discord.posts) == 1
