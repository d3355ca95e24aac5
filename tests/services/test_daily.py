"""DailyService and DailyScheduler against a real database and a fake clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.daily_schedule import InvalidSchedule
from bot.core.questions import Track
from bot.features.config.service import GuildSettingsService
from bot.features.daily.models import DailyCard, DailySubscription
from bot.features.daily.scheduler import DailyScheduler
from bot.features.daily.service import DailyService
from bot.features.daily.types import (
    GUILD,
    USER,
    AnswerRef,
    Claim,
    DailyError,
    Outcome,
    Schedule,
    SendFailed,
    Sent,
    Target,
)
from bot.storage.database import Database
from bot.storage.models import AuditEntry, DailyAnswer, DailyDelivery, Streak, User
from tests.factories import question

GUILD_ID = 111
GOOD = "It is overfitting, a high variance problem; check it with k-fold cross-validation."
WEAK = "No idea."


def _bank() -> QuestionBank:
    return QuestionBank(
        [question(f"bv-{i}", topic="bias-variance") for i in range(3)]
        + [question(f"prob-{i}", topic="probability") for i in range(3)]
        + [question("sd-0", track=Track.SYSTEM_DESIGN, topic="ranking")]
    )


@pytest.fixture
def settings_service(db: Database, clock: FakeClock) -> GuildSettingsService:
    return GuildSettingsService(db, clock)


@pytest.fixture
def service(db: Database, clock: FakeClock, settings_service: GuildSettingsService) -> DailyService:
    return DailyService(db, clock, BankRegistry(_bank()), settings_service, rng=random.Random(4))


async def _user(db: Database, name: str = "ann") -> int:
    async with db.transaction() as s:
        user = User(
            platform="discord",
            external_id=str(abs(hash(name)) % 10**12),
            display_name=name,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        s.add(user)
        await s.flush()
        return user.id


async def claim_one(service: DailyService, schedule: Schedule, day: date) -> Claim | None:
    batch = await service.claim([(schedule, day)])
    return batch.claims[0] if batch.claims else None


async def finish_one(service: DailyService, claim: Claim, outcome: Outcome) -> bool:
    return bool(await service.finish([(claim, outcome)]))


def at(clock: FakeClock, *args: int) -> datetime:
    clock.set(datetime(*args, tzinfo=UTC))  # type: ignore[misc]
    return clock.now()


async def _guild_schedule(service: DailyService, **kw: object) -> Schedule:
    options = {"channel_id": 5, "time_text": "09:00", "zone_name": "Europe/Berlin", **kw}
    view = await service.configure_guild(GUILD_ID, None, **options)  # type: ignore[arg-type]
    assert view.active is not None
    return view.active.schedule


# -- configuration -------------------------------------------------------------------------


async def test_configure_validates_and_merges(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    with pytest.raises(DailyError, match="`channel`, `time`, `timezone`"):
        await service.configure_guild(GUILD_ID, None, track=Track.TECHNICAL)
    with pytest.raises(InvalidSchedule, match="HH:MM"):
        await service.configure_guild(GUILD_ID, None, channel_id=5, time_text="9pm")
    with pytest.raises(InvalidSchedule, match="Europe/Berlin"):
        await service.configure_guild(GUILD_ID, None, time_text="09:00", zone_name="Berlin")
    schedule = await _guild_schedule(service, track=Track.TECHNICAL)
    assert (schedule.zone_name, str(schedule.at), schedule.track) == (
        "Europe/Berlin",
        "09:00:00",
        Track.TECHNICAL,
    )
    changed = await service.configure_guild(GUILD_ID, None, time_text="7:30")  # only the time
    assert changed.active is not None and changed.active.schedule.channel_id == 5
    assert changed.config.daily_time == "07:30" and changed.config.daily_track == "technical"
    anyt = await service.configure_guild(GUILD_ID, None, any_track=True)
    assert anyt.active is not None and anyt.active.schedule.track is None
    async with db.reading() as s:
        audits = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "config"))).all()
    assert len(audits) == 3  # every change is in the audit log

    assert await service.stop_guild(GUILD_ID, None) is True
    off = await service.guild_daily(GUILD_ID)
    assert off.active is None and off.config.daily_time == "07:30"  # kept for a later setup
    assert await service.stop_guild(GUILD_ID, None) is False


async def test_schedule_changes_reach_listeners(service: DailyService, db: Database) -> None:
    seen: list[tuple[Target, Schedule | None]] = []
    service.on_schedule_change(lambda t, s: seen.append((t, s)))
    await _guild_schedule(service)
    uid = await _user(db)
    await service.subscribe(uid, GUILD_ID, "08:00", "Asia/Kathmandu")
    await service.unsubscribe(uid)
    await service.stop_guild(GUILD_ID, None)
    kinds = [(t.kind, s is not None) for t, s in seen]
    assert kinds == [(GUILD, True), (USER, True), (USER, False), (GUILD, False)]


# -- claims --------------------------------------------------------------------------------


async def test_claim_is_exactly_once_per_local_day(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    schedule = await _guild_schedule(service)
    day = date(2026, 1, 5)
    claims = await asyncio.gather(*(claim_one(service, schedule, day) for _ in range(5)))
    won = [c for c in claims if c is not None]
    assert len(won) == 1
    assert await claim_one(service, schedule, day) is None  # later too (e.g. after a restart)
    assert await finish_one(service, won[0], Sent(999)) is False
    async with db.reading() as s:
        rows = (await s.scalars(select(DailyDelivery))).all()
    assert [(r.target_kind, r.target_id, r.local_date, r.message_id) for r in rows] == [
        (GUILD, GUILD_ID, day, 999)
    ]
    assert rows[0].delivered_at == clock.now()
    assert await claim_one(service, schedule, day + timedelta(days=1)) is not None  # next day: new


async def test_claims_and_outcomes_in_batches(
    service: DailyService, db: Database, settings_service: GuildSettingsService
) -> None:
    schedules = []
    for guild_id in (1, 2, 3):
        view = await service.configure_guild(
            guild_id, None, channel_id=guild_id * 10, time_text="09:00", zone_name="UTC"
        )
        assert view.active is not None
        schedules.append(view.active.schedule)
    day = date(2026, 1, 5)
    first = await claim_one(service, schedules[0], day)
    assert first is not None
    batch = await service.claim([(s, day) for s in schedules])
    assert sorted(c.schedule.target.id for c in batch.claims) == [2, 3]  # 1 was claimed before
    outcomes = [(batch.claims[0], Sent(77)), (batch.claims[1], SendFailed("gone", True))]
    assert await service.finish(outcomes) == [batch.claims[1].schedule.target]
    async with db.reading() as s:
        rows = {r.target_id: r for r in (await s.scalars(select(DailyDelivery))).all()}
    assert rows[batch.claims[0].schedule.target.id].message_id == 77
    assert rows[batch.claims[0].schedule.target.id].delivered_at is not None
    assert rows[batch.claims[1].schedule.target.id].delivered_at is None
    gone = batch.claims[1].schedule.target.id
    assert (await settings_service.get(gone)).daily_channel_id is None


async def test_guild_question_follows_track_and_avoids_recent_posts(
    service: DailyService,
) -> None:
    schedule = await _guild_schedule(service, track=Track.TECHNICAL)
    day = date(2026, 1, 5)
    posted = []
    for n in range(6):  # six technical questions: six different ones
        claim = await claim_one(service, schedule, day + timedelta(days=n))
        assert claim is not None and claim.question.track is Track.TECHNICAL
        posted.append(claim.question.id)
    assert len(set(posted)) == 6
    claim = await claim_one(service, schedule, day + timedelta(days=6))
    assert claim is not None and claim.question.id == posted[0]  # the one posted longest ago


async def test_no_question_for_the_track_raises(
    db: Database, clock: FakeClock, settings_service: GuildSettingsService
) -> None:
    empty = DailyService(db, clock, BankRegistry(QuestionBank()), settings_service)
    view = await empty.configure_guild(
        GUILD_ID, None, channel_id=5, time_text="09:00", zone_name="UTC"
    )
    assert view.active is not None
    batch = await empty.claim([(view.active.schedule, date(2026, 1, 5))])
    assert batch.claims == [] and batch.no_question == [view.active.schedule]


async def test_failed_sends_are_recorded_and_stop_after_three_days(
    service: DailyService, db: Database, settings_service: GuildSettingsService
) -> None:
    schedule = await _guild_schedule(service)
    day = date(2026, 1, 5)
    results = []
    for n in range(3):
        claim = await claim_one(service, schedule, day + timedelta(days=n))
        assert claim is not None
        results.append(
            await finish_one(service, claim, SendFailed("403 50013: Missing Access", False))
        )
    assert results == [False, False, True]
    assert (await settings_service.get(GUILD_ID)).daily_channel_id is None
    async with db.reading() as s:
        failures = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "daily-failed"))
        ).all()
    assert len(failures) == 3 and "Missing Access" in failures[0].details["error"]
    assert failures[-1].details["switched_off"] is True


async def test_a_gone_channel_stops_at_once_and_a_success_resets_the_count(
    service: DailyService, settings_service: GuildSettingsService
) -> None:
    schedule = await _guild_schedule(service)
    day = date(2026, 1, 5)
    for n, outcome in enumerate([SendFailed("x", False), SendFailed("x", False), Sent(1)]):
        claim = await claim_one(service, schedule, day + timedelta(days=n))
        assert claim is not None and await finish_one(service, claim, outcome) is False
    claim = await claim_one(service, schedule, day + timedelta(days=3))
    assert claim is not None
    assert await finish_one(service, claim, SendFailed("404 10003: Unknown Channel", True)) is True
    assert (await settings_service.get(GUILD_ID)).daily_channel_id is None


async def test_subscriber_claim_carries_the_discord_id_and_closed_dms_unsubscribe(
    service: DailyService, db: Database
) -> None:
    uid = await _user(db)
    view = await service.subscribe(uid, GUILD_ID, "08:00", "Asia/Kathmandu")
    day = date(2026, 1, 5)
    for n in range(3):
        claim = await claim_one(service, view.schedule, day + timedelta(days=n))
        assert claim is not None and claim.recipient == str(abs(hash("ann")) % 10**12)
        await finish_one(service, claim, SendFailed("403 50007: Cannot send messages", False))
    async with db.reading() as s:
        assert await s.get(DailySubscription, uid) is None


# -- answers and streaks -------------------------------------------------------------------


async def _offer_and_answer(
    service: DailyService, uid: int, text: str = GOOD, guild_id: int | None = None
) -> object:
    offer = await service.offer(uid, guild_id)
    return await service.answer(uid, offer.ref, text, guild_id)


async def test_answer_scores_privately_stores_and_updates_card_and_streak(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    uid = await _user(db)
    offer = await service.offer(uid, None)
    result = await service.answer(uid, offer.ref, GOOD, None)
    assert result.recorded and int(result.score) == 4 and result.missed == ()
    assert result.streak.current == 1 and result.streak.zone_name == "UTC"
    weak = await service.answer(uid, offer.ref, WEAK, None)
    assert not weak.recorded and int(weak.score) == 4  # the first answer is kept
    async with db.reading() as s:
        answers = (await s.scalars(select(DailyAnswer))).all()
        card = await s.scalar(select(DailyCard))
    assert (
        len(answers) == 1 and answers[0].text == GOOD and answers[0].local_date == date(2026, 1, 5)
    )
    assert card is not None and card.reviews == 1 and card.last_score == 4
    assert card.due >= clock.now() + timedelta(days=2)
    existing = await service.recorded_today(uid, offer.ref, None)
    assert existing is not None and int(existing.score) == 4


async def test_answers_to_someone_elses_card_are_refused(
    service: DailyService, db: Database
) -> None:
    ann, bob = await _user(db, "ann"), await _user(db, "bob")
    offer = await service.offer(ann, None)
    with pytest.raises(DailyError, match="someone else"):
        await service.answer(bob, offer.ref, GOOD, None)
    with pytest.raises(DailyError, match="empty"):
        await service.answer(ann, offer.ref, "   ", None)


async def test_a_guild_post_is_answered_by_members_and_scores_the_whole_rubric(
    service: DailyService, db: Database
) -> None:
    schedule = await _guild_schedule(service)
    claim = await claim_one(service, schedule, date(2026, 1, 5))
    assert claim is not None
    ann, bob = await _user(db, "ann"), await _user(db, "bob")
    ref = AnswerRef("delivery", claim.delivery_id)
    good = await service.answer(ann, ref, GOOD, None)
    weak = await service.answer(bob, ref, WEAK, None)
    assert good.recorded and weak.recorded and (int(good.score), int(weak.score)) == (4, 1)
    assert weak.missed == ("Names overfitting", "Mentions cross-validation")
    assert good.streak.zone_name == "Europe/Berlin"  # the guild's zone (no subscription)
    async with db.reading() as s:
        linked = (await s.scalars(select(DailyAnswer.delivery_id))).all()
    assert linked == [claim.delivery_id] * 2


async def test_streak_counts_local_days_across_local_midnight(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    uid = await _user(db)
    await service.subscribe(uid, None, "08:00", "Europe/Berlin")
    at(clock, 2026, 1, 5, 22, 59)  # 23:59 in Berlin, Monday
    first = await _offer_and_answer(service, uid)
    at(clock, 2026, 1, 5, 23, 1)  # 00:01 in Berlin, Tuesday (still Monday in UTC)
    second = await _offer_and_answer(service, uid)
    assert (first.local_date, second.local_date) == (date(2026, 1, 5), date(2026, 1, 6))  # type: ignore[attr-defined]
    assert second.streak.current == 2  # type: ignore[attr-defined]


async def test_two_days_in_a_row_then_a_missed_day_resets(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    uid = await _user(db)
    at(clock, 2026, 1, 5, 10)
    await _offer_and_answer(service, uid)
    await _offer_and_answer(service, uid)  # a second question the same day: still 1
    assert (await service.streak(uid, None)).current == 1
    at(clock, 2026, 1, 6, 10)
    await _offer_and_answer(service, uid)
    assert ((s := await service.streak(uid, None)).current, s.best) == (2, 2)
    at(clock, 2026, 1, 8, 10)  # the 7th was missed
    broken = await service.streak(uid, None)
    assert (broken.current, broken.best, broken.answered_today) == (0, 2, False)
    await _offer_and_answer(service, uid)
    assert ((s := await service.streak(uid, None)).current, s.best) == (1, 2)
    async with db.reading() as s_:
        row = await s_.get(Streak, uid)
    assert row is not None and row.last_local_date == date(2026, 1, 8)


async def test_member_timezone_subscription_then_guild_then_utc(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    uid = await _user(db)
    at(clock, 2026, 1, 5, 20, 0)  # 01:45 on the 6th in Kathmandu; 21:00 on the 5th in Berlin
    assert (await service.streak(uid, None)).today == date(2026, 1, 5)  # UTC
    await _guild_schedule(service)
    in_guild = await service.streak(uid, GUILD_ID)
    assert (in_guild.zone_name, in_guild.today) == ("Europe/Berlin", date(2026, 1, 5))
    await service.subscribe(uid, GUILD_ID, "07:00", "Asia/Kathmandu")
    mine = await service.streak(uid, GUILD_ID)
    assert (mine.zone_name, mine.today) == ("Asia/Kathmandu", date(2026, 1, 6))
    result = await _offer_and_answer(service, uid, guild_id=GUILD_ID)
    assert result.local_date == date(2026, 1, 6)  # type: ignore[attr-defined]


async def test_personal_questions_prefer_unseen_then_weak_topics(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    uid = await _user(db)
    first = await service.offer(uid, None, Track.TECHNICAL)
    await service.answer(uid, first.ref, WEAK, None)  # a weak answer in that topic
    weak_topic = first.question.topic
    second = await service.offer(uid, None, Track.TECHNICAL)
    assert second.question.id != first.question.id and second.question.topic == weak_topic
    await service.answer(uid, second.ref, WEAK, None)
    # Again -> due a day later: the next day it comes back first
    at(clock, 2026, 1, 7, 10)
    due = await service.offer(uid, None, Track.TECHNICAL)
    assert due.question.id == first.question.id


async def test_concurrent_answers_keep_the_streak_consistent(
    service: DailyService, db: Database
) -> None:
    uid = await _user(db)
    offers = [await service.offer(uid, None) for _ in range(1)]
    offers.append(await service.offer(uid, None, Track.SYSTEM_DESIGN))
    results = await asyncio.gather(*(service.answer(uid, o.ref, GOOD, None) for o in offers))
    assert all(r.recorded for r in results)
    streak = await service.streak(uid, None)
    assert (streak.current, streak.best) == (1, 1)


# -- the scheduler -------------------------------------------------------------------------


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Claim] = []
        self.fail: SendFailed | None = None

    async def __call__(self, claim: Claim) -> Outcome:
        self.sent.append(claim)
        return self.fail or Sent(len(self.sent))

    async def find(self, claim: Claim, since: datetime) -> Outcome | None:
        return None


@pytest.fixture
async def running(
    service: DailyService, clock: FakeClock
) -> AsyncIterator[tuple[DailyScheduler, FakeSender]]:
    sender = FakeSender()
    scheduler = DailyScheduler(service, clock, sender)
    await scheduler.start()
    yield scheduler, sender
    await scheduler.stop()


async def test_scheduler_posts_at_local_time_once_a_day(
    service: DailyService,
    clock: FakeClock,
    running: tuple[DailyScheduler, FakeSender],
) -> None:
    scheduler, sender = running
    at(clock, 2026, 1, 5, 7, 0)  # 08:00 Berlin
    await _guild_schedule(service)
    await scheduler.settled()
    assert sender.sent == []
    clock.advance(minutes=59)
    await scheduler.settled()
    assert sender.sent == []
    clock.advance(minutes=1)  # 09:00 Berlin
    await scheduler.settled()
    assert [c.local_date for c in sender.sent] == [date(2026, 1, 5)]
    clock.advance(hours=12)
    await scheduler.settled()
    assert len(sender.sent) == 1
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    await scheduler.settled()
    assert [c.local_date for c in sender.sent] == [date(2026, 1, 5), date(2026, 1, 6)]


async def test_scheduler_restart_sends_todays_missed_post_late_once(
    service: DailyService, db: Database, clock: FakeClock
) -> None:
    at(clock, 2026, 1, 5, 6, 0)
    await _guild_schedule(service)
    uid = await _user(db)
    await service.subscribe(uid, None, "08:30", "Europe/Berlin")
    at(clock, 2026, 1, 7, 9, 0)  # down for two days: 5th and 6th are never sent
    for _ in range(2):  # two starts on the same day: one late post, then nothing
        sender = FakeSender()
        scheduler = DailyScheduler(service, clock, sender)
        await scheduler.start()
        await scheduler.settled()
        await scheduler.stop()
        if _ == 0:
            assert sorted((c.schedule.target.kind, c.local_date) for c in sender.sent) == [
                (GUILD, date(2026, 1, 7)),
                (USER, date(2026, 1, 7)),
            ]
        else:
            assert sender.sent == []


async def test_scheduler_follows_changes_and_dst(
    service: DailyService,
    clock: FakeClock,
    running: tuple[DailyScheduler, FakeSender],
) -> None:
    scheduler, sender = running
    at(clock, 2026, 3, 28, 12, 0)
    await _guild_schedule(service, time_text="02:30")  # 02:30 Berlin: a gap on the 29th
    await scheduler.settled()
    assert sender.sent == [] and scheduler.pending() == 1
    clock.set(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    await scheduler.settled()
    assert sender.sent == []
    clock.set(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST, the first valid instant
    await scheduler.settled()
    assert [c.local_date for c in sender.sent] == [date(2026, 3, 29)]
    await service.stop_guild(GUILD_ID, None)
    await scheduler.settled()
    assert scheduler.pending() == 0
    clock.advance(days=2)
    await scheduler.settled()
    assert len(sender.sent) == 1


async def test_scheduler_switches_off_after_a_permanent_failure(
    service: DailyService,
    clock: FakeClock,
    settings_service: GuildSettingsService,
    running: tuple[DailyScheduler, FakeSender],
) -> None:
    scheduler, sender = running
    sender.fail = SendFailed("404 10003: Unknown Channel", permanent=True)
    at(clock, 2026, 1, 5, 7, 0)
    await _guild_schedule(service)
    clock.advance(hours=1)
    await scheduler.settled()
    assert len(sender.sent) == 1 and scheduler.pending() == 0
    assert (await settings_service.get(GUILD_ID)).daily_channel_id is None
    clock.advance(days=1)
    await scheduler.settled()
    assert len(sender.sent) == 1  # not retried


async def test_a_send_discord_was_too_busy_for_goes_again_the_same_day(
    service: DailyService,
    db: Database,
    clock: FakeClock,
    running: tuple[DailyScheduler, FakeSender],
) -> None:
    """A 429 after discord.py's retries (or a 5xx) is not the day's failure: the claim stays
    unconfirmed and the slot is tried again shortly, with the same delivery (and nonce)."""
    scheduler, sender = running
    at(clock, 2026, 1, 5, 7, 0)
    await _guild_schedule(service)
    sender.fail = SendFailed("429 0: You are being rate limited.", False, transient=True)
    clock.advance(hours=1)
    await scheduler.settled()
    assert len(sender.sent) == 1
    async with db.reading() as s:
        (row,) = (await s.scalars(select(DailyDelivery))).all()
        assert row.confirmed_at is None and row.delivered_at is None
        failures = (await s.scalars(select(AuditEntry))).all()
        assert [a.action for a in failures if a.action.startswith("daily")] == []
    sender.fail = None
    clock.advance(seconds=29)
    await scheduler.settled()
    assert len(sender.sent) == 1  # not before its retry time
    clock.advance(seconds=1)
    await scheduler.settled()
    assert [c.delivery_id for c in sender.sent] == [row.id, row.id]  # the same claim again
    async with db.reading() as s:
        (row,) = (await s.scalars(select(DailyDelivery))).all()
        assert row.confirmed_at is not None and row.delivered_at is not None
    clock.advance(hours=12)
    await scheduler.settled()
    assert len(sender.sent) == 2  # and tomorrow's slot is the next
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    await scheduler.settled()
    assert [c.local_date for c in sender.sent][-1] == date(2026, 1, 6)
