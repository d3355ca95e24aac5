"""The one scheduler: retries, failures kept, a locked database, and the upgrade from 0001."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

import bot.storage.database as database_module
from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.core.session import ItemStatus
from bot.features.interviews.service import InterviewService
from bot.scheduler import Due, Job, Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database, downgrade_sync
from tests.factories import ListBank, technical_set


async def _rows(db: Database) -> list[ScheduledJob]:
    async with db.reading() as s:
        return list(await s.scalars(select(ScheduledJob).order_by(ScheduledJob.id)))


async def _schedule(scheduler: Scheduler, db: Database, *jobs: Due) -> None:
    async with db.transaction() as s:
        await scheduler.schedule_in(s, jobs)
    scheduler.poke()


async def test_a_job_runs_once_when_due_and_is_then_deleted(db: Database, clock: FakeClock) -> None:
    scheduler = Scheduler(db, clock, "discord")
    ran: list[Job] = []

    async def handler(job: Job) -> None:
        ran.append(job)

    scheduler.handle("test.ping", handler)
    await scheduler.start()
    try:
        await _schedule(scheduler, db, Due("test.ping", "1", clock.now() + timedelta(minutes=5)))
        await scheduler.settled()
        assert ran == [] and scheduler.pending() == 1
        clock.advance(minutes=5)
        await scheduler.settled()
        assert [(j.key, j.attempts) for j in ran] == [("1", 1)]
        assert await _rows(db) == [] and scheduler.pending() == 0
    finally:
        await scheduler.stop()


async def test_jobs_of_another_scope_or_an_unknown_kind_are_left_alone(
    db: Database, clock: FakeClock
) -> None:
    local = Scheduler(db, clock, "local")
    ran: list[str] = []

    async def handler(job: Job) -> None:
        ran.append(job.key)

    local.handle("test.ping", handler)
    discord = Scheduler(db, clock, "discord")  # writes only: its process is elsewhere
    await local.start()
    try:
        await _schedule(discord, db, Due("test.ping", "theirs", clock.now()))
        await _schedule(local, db, Due("test.other", "no-handler", clock.now()))
        await _schedule(local, db, Due("test.ping", "mine", clock.now()))
        await local.settled()
        assert ran == ["mine"]
        assert sorted(r.key for r in await _rows(db)) == ["no-handler", "theirs"]
    finally:
        await local.stop()


async def test_a_failing_job_is_retried_with_backoff_then_kept_as_failed(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = Scheduler(db, clock, "discord", max_attempts=3, retry_after=timedelta(minutes=1))
    calls: list[int] = []

    async def handler(job: Job) -> None:
        calls.append(job.attempts)
        raise RuntimeError(f"boom {job.attempts}")

    scheduler.handle("test.fail", handler)
    caplog.set_level(logging.CRITICAL)  # the failures are logged; not what is tested here
    await scheduler.start()
    try:
        start = clock.now()
        await _schedule(scheduler, db, Due("test.fail", "7", start))
        await scheduler.settled()
        (row,) = await _rows(db)
        assert calls == [1] and row.attempts == 1 and row.failed_at is None
        assert row.last_error == "RuntimeError: boom 1"
        assert row.due_at == start + timedelta(minutes=1)

        clock.advance(minutes=1)
        await scheduler.settled()
        (row,) = await _rows(db)
        assert calls == [1, 2] and row.due_at == clock.now() + timedelta(minutes=2)

        clock.advance(minutes=2)
        await scheduler.settled()
        (row,) = await _rows(db)  # kept, visible, and never run again by itself
        assert calls == [1, 2, 3] and row.attempts == 3
        assert row.failed_at == clock.now() and row.last_error == "RuntimeError: boom 3"
        assert [(j.kind, j.key, j.attempts) for j in await scheduler.failed()] == [
            ("test.fail", "7", 3)
        ]
        clock.advance(hours=5)
        await scheduler.settled()
        assert calls == [1, 2, 3] and scheduler.pending() == 0

        # Scheduling the same job again starts it afresh.
        await _schedule(scheduler, db, Due("test.fail", "7", clock.now() + timedelta(hours=1)))
        (row,) = await _rows(db)
        assert row.attempts == 0 and row.failed_at is None and row.last_error is None
    finally:
        await scheduler.stop()


async def test_a_batch_handler_gets_the_jobs_due_together_once(
    db: Database, clock: FakeClock
) -> None:
    scheduler = Scheduler(db, clock, "discord")
    batches: list[list[str]] = []
    fail = True

    async def handler(jobs: list[Job]) -> None:
        batches.append(sorted(j.key for j in jobs))
        if fail:
            raise RuntimeError("the send went wrong")

    scheduler.handle_batch("test.fanout", handler)
    await scheduler.start()
    try:
        due = clock.now() + timedelta(minutes=1)
        await _schedule(scheduler, db, *(Due("test.fanout", str(n), due) for n in range(3)))
        clock.advance(minutes=1)
        await scheduler.settled()
        assert batches == [["0", "1", "2"]]
        assert {r.attempts for r in await _rows(db)} == {1}  # all kept, to be retried together
        fail = False
        clock.advance(minutes=1)
        await scheduler.settled()
        assert batches == [["0", "1", "2"], ["0", "1", "2"]] and await _rows(db) == []
    finally:
        await scheduler.stop()


async def test_a_locked_database_does_not_end_the_dispatcher(
    tmp_path: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another connection holds the write lock for a few seconds while a job falls due: the
    dispatcher's writes fail with "database is locked", it waits and retries, logs that once,
    and the job fires once the lock is released."""
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_MS", 200)  # fail fast under lock
    path = tmp_path / "locked.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    scheduler = Scheduler(db, clock, "discord")
    fired: list[str] = []

    async def handler(job: Job) -> None:
        fired.append(job.key)

    scheduler.handle("test.ping", handler)
    caplog.set_level(logging.INFO, logger="bot.scheduler.dispatcher")
    await scheduler.start()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await _schedule(scheduler, db, Due("test.ping", "1", clock.now() + timedelta(minutes=1)))
        await scheduler.settled()

        other.execute("BEGIN IMMEDIATE")  # the write lock, held by someone else
        clock.advance(minutes=1)
        await asyncio.sleep(3)
        assert fired == [] and scheduler.running
        other.execute("COMMIT")

        await asyncio.wait_for(scheduler.settled(), timeout=20)
        assert fired == ["1"] and await _rows(db) == []
        warnings = [r for r in caplog.records if "database error" in r.getMessage()]
        assert len(warnings) == 1 and "locked" in warnings[0].getMessage()
        assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        other.close()
        await scheduler.stop()
        await db.dispose()


async def test_upgrade_from_0001_keeps_a_pending_deadline_that_then_fires(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A database of the previous release (schema 0001) holding an open interview with its
    time limit in ``deadlines`` upgrades to the one job table, and the time limit still fires."""
    url = f"sqlite+aiosqlite:///{tmp_path}/release.sqlite3"
    bank = ListBank(technical_set())
    db = Database(url)
    await db.migrate()
    scheduler = Scheduler(db, clock, "local")
    service = InterviewService(db, bank, clock, scheduler)
    user = await service.ensure_user("local", "me")
    view = await service.start(user, Track.TECHNICAL, Length.SHORT, platform="local")
    await service.add_answer(view.id, "written before the upgrade")
    assert view.current is not None and view.current.deadline_at is not None
    deadline = view.current.deadline_at
    await db.dispose()

    # Back to the release's schema: the timers are rows of its ``deadlines`` table.
    await asyncio.to_thread(downgrade_sync, url, "0001")
    old = sqlite3.connect(tmp_path / "release.sqlite3")
    try:
        kinds = old.execute(
            "select kind, session_id, position from deadlines order by kind"
        ).fetchall()
        tables = {r[0] for r in old.execute("select name from sqlite_master where type='table'")}
    finally:
        old.close()
    assert kinds == [("answer", view.id, 0), ("reminder", view.id, 0)]
    assert "scheduled_jobs" not in tables

    db = Database(url)
    try:
        await db.migrate()  # 0001 -> head
        async with db.engine.connect() as conn:
            names = await conn.run_sync(
                lambda c: {r[0] for r in c.execute(text("select name from sqlite_master"))}
            )
        assert "deadlines" not in names and "peer_timers" not in names
        rows = await _rows(db)
        assert sorted((r.scope, r.kind, r.key, r.attempts) for r in rows) == [
            ("local", "interview.answer", f"{view.id}:0", 0),
            ("local", "interview.reminder", f"{view.id}:0", 0),
        ]
        assert {r.kind: r.due_at for r in rows}["interview.answer"] == deadline

        scheduler = Scheduler(db, clock, "local")
        service = InterviewService(db, bank, clock, scheduler)
        await scheduler.start()
        clock.set(deadline)
        await scheduler.settled()
        card = await service.scorecard(view.id)
        assert card.items[0].status is ItemStatus.TIMED_OUT
        assert card.items[0].answer_text == "written before the upgrade"
        assert card.items[1].status is ItemStatus.ACTIVE
        await scheduler.stop()
    finally:
        await db.dispose()


async def test_a_poke_naming_a_later_due_time_opens_no_transaction_yet_the_job_fires(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = Scheduler(db, clock, "discord")
    ran: list[str] = []

    async def handler(job: Job) -> None:
        ran.append(job.key)

    scheduler.handle("test.ping", handler)
    await scheduler.start()
    await scheduler.settled()  # its first look at the (empty) table
    claims = 0
    claim = scheduler._claim

    async def counted(limit: int):  # type: ignore[no-untyped-def]
        nonlocal claims
        claims += 1
        return await claim(limit)

    monkeypatch.setattr(scheduler, "_claim", counted)
    try:
        later, sooner = clock.now() + timedelta(minutes=5), clock.now() + timedelta(minutes=2)
        async with db.transaction() as s:
            await scheduler.schedule_in(s, [Due("test.ping", "later", later)])
        scheduler.poke(later)
        await scheduler.settled()
        async with db.transaction() as s:
            await scheduler.schedule_in(s, [Due("test.ping", "sooner", sooner)])
        scheduler.poke(sooner)
        await scheduler.settled()
        assert claims == 0 and ran == []  # the table is read when the earliest comes, not now
        clock.advance(minutes=2)
        await scheduler.settled()
        assert ran == ["sooner"]
        clock.advance(minutes=3)
        await scheduler.settled()
        assert ran == ["sooner", "later"] and await _rows(db) == []
        plain = claims
        scheduler.poke()  # without a due time: someone changed the table, look now
        await scheduler.settled()
        assert claims == plain + 1
    finally:
        await scheduler.stop()


async def test_ten_thousand_schedules_are_written_and_pruned_within_the_drivers_limits(
    db: Database, clock: FakeClock
) -> None:
    """A start writes one job per daily schedule: 10,000 schedules used to be one statement
    of 100,000 parameters (PostgreSQL allows 32,767, and the bot did not start) and a
    ``NOT IN`` with one parameter per schedule to keep."""
    scheduler = Scheduler(db, clock, "discord")
    due = clock.now() + timedelta(hours=1)
    jobs = [Due("daily.slot", f"guild:{n}", due, {"day": "2026-01-05"}) for n in range(10_000)]
    async with db.transaction() as s:
        await scheduler.schedule_in(s, jobs, keep_leased=True)
    async with db.transaction() as s:  # a second start keeps 7,500 and drops 2,500
        await scheduler.schedule_in(s, jobs[:7_500], keep_leased=True)
        await scheduler.cancel_unleased_in(s, "daily.slot", [j.key for j in jobs[:7_500]])
    async with db.reading() as s:
        keys = set((await s.scalars(select(ScheduledJob.key))).all())
    assert keys == {j.key for j in jobs[:7_500]}


async def test_a_claim_takes_no_more_than_the_batch_allows(db: Database, clock: FakeClock) -> None:
    """Thousands of jobs due at once reach a batch handler a batch at a time (PostgreSQL used
    to re-run the claim's LIMIT subquery while updating and hand over nearly all of them)."""
    sizes: list[int] = []

    async def handler(jobs: list[Job]) -> None:
        sizes.append(len(jobs))

    scheduler = Scheduler(db, clock, "discord", batch_size=200)
    scheduler.handle_batch("daily.slot", handler)
    jobs = [Due("daily.slot", f"guild:{n}", clock.now()) for n in range(6_000)]
    async with db.transaction() as s:
        await scheduler.schedule_in(s, jobs)
    await scheduler.start()
    try:
        for _ in range(600):
            if sum(sizes) >= len(jobs):
                break
            await asyncio.sleep(0.05)
        await scheduler.settled()
    finally:
        await scheduler.stop()
    assert sum(sizes) == len(jobs) and max(sizes) <= 200, sizes
