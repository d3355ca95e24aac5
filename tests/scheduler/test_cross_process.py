"""Several processes on one database: each due job runs once, a dead process's job is taken
over after its lease, and due jobs run concurrently (bounded).

Two ``Database`` objects on the same URL are two connection pools, as two processes would have;
their schedulers share the scope and the kinds. These run on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL (where the claim uses ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.scheduler import Due, Job, Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database


async def _rows(db: Database) -> list[ScheduledJob]:
    async with db.reading() as s:
        return list(await s.scalars(select(ScheduledJob).order_by(ScheduledJob.id)))


async def _until(
    predicate: Callable[[], Awaitable[bool]], what: str, seconds: float = 30.0
) -> None:
    """Poll a condition; the timeout is a liveness guard (a hang fails), not a timing target."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                if await predicate():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def test_two_processes_claiming_the_same_due_jobs_run_each_once(
    db: Database, clock: FakeClock
) -> None:
    other_db = Database(db.url.render_as_string(hide_password=False))
    ran: Counter[str] = Counter()
    by: Counter[str] = Counter()

    def handler_of(name: str) -> Callable[[Job], Awaitable[None]]:
        async def handler(job: Job) -> None:
            ran[job.key] += 1
            by[name] += 1
            await asyncio.sleep(0.001)  # a Discord call: the other process claims meanwhile

        return handler

    first = Scheduler(db, clock, "discord", batch_size=25, owner="process-1")
    second = Scheduler(other_db, clock, "discord", batch_size=25, owner="process-2")
    first.handle("test.deadline", handler_of("first"))
    second.handle("test.deadline", handler_of("second"))
    async with db.transaction() as s:
        await first.schedule_in(s, [Due("test.deadline", str(n), clock.now()) for n in range(300)])
    try:
        await asyncio.gather(first.start(), second.start())

        async def all_done() -> bool:
            return not await _rows(db)

        await _until(all_done, "every job deleted")
        await first.settled()
        await second.settled()
        assert sorted(ran) == sorted(str(n) for n in range(300))
        assert set(ran.values()) == {1}, [k for k, n in ran.items() if n > 1]
        assert by["first"] + by["second"] == 300
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()


async def test_a_job_of_a_dead_process_is_taken_over_after_its_lease(
    db: Database, clock: FakeClock
) -> None:
    """The claimer was killed (-9) mid-handler: its claim stays in the table until the lease
    runs out; then another process runs the job (a second attempt) and deletes it."""
    async with db.transaction() as s:
        s.add(
            ScheduledJob(
                scope="discord",
                kind="test.deadline",
                key="42",
                due_at=clock.now(),
                attempts=1,
                claimed_by="dead-process",
                lease_until=clock.now() + timedelta(seconds=30),
            )
        )
    survivor = Scheduler(db, clock, "discord", lease=timedelta(seconds=30))
    ran: list[tuple[str, int]] = []

    async def handler(job: Job) -> None:
        ran.append((job.key, job.attempts))

    survivor.handle("test.deadline", handler)
    await survivor.start()
    try:
        await survivor.settled()
        assert ran == [] and len(await _rows(db)) == 1  # the lease still holds
        clock.advance(seconds=29)
        await survivor.settled()
        assert ran == []
        clock.advance(seconds=1)
        await survivor.settled()
        assert ran == [("42", 2)] and await _rows(db) == []
    finally:
        await survivor.stop()


async def test_a_live_claimer_renews_its_lease_so_a_slow_handler_is_not_taken_over(
    db: Database, clock: FakeClock
) -> None:
    other_db = Database(db.url.render_as_string(hide_password=False))
    lease = timedelta(seconds=30)
    slow = Scheduler(db, clock, "discord", lease=lease, owner="slow")
    other = Scheduler(other_db, clock, "discord", lease=lease, owner="other")
    release = asyncio.Event()
    ran: list[str] = []

    async def slow_handler(job: Job) -> None:
        ran.append("slow")
        await release.wait()

    async def other_handler(job: Job) -> None:
        ran.append("other")

    slow.handle("test.deadline", slow_handler)
    other.handle("test.deadline", other_handler)
    async with db.transaction() as s:
        await slow.schedule_in(s, [Due("test.deadline", "1", clock.now())])
    try:
        await slow.start()

        async def claimed() -> bool:
            rows = await _rows(db)
            return bool(rows) and rows[0].claimed_by == "slow"

        await _until(claimed, "claimed by the slow process")
        await other.start()
        for _ in range(4):  # two minutes, four times the lease
            before = (await _rows(db))[0].lease_until
            clock.advance(seconds=20)

            async def renewed(before: object = before) -> bool:
                return (await _rows(db))[0].lease_until != before

            await _until(renewed, "lease renewed")
            await other.settled()
        assert ran == ["slow"]
        release.set()

        async def gone() -> bool:
            return not await _rows(db)

        await _until(gone, "deleted after success")
        assert ran == ["slow"]
    finally:
        release.set()
        await slow.stop()
        await other.stop()
        await other_db.dispose()


async def test_due_jobs_run_concurrently_at_most_concurrency_at_once(
    db: Database, clock: FakeClock
) -> None:
    """50 time-outs due together: 8 handlers run at once (each waiting on Discord), none
    waits for a whole queue of others, and never more than 8 run."""
    scheduler = Scheduler(db, clock, "discord", concurrency=8)
    running, most = 0, 0
    go = asyncio.Event()
    done: list[str] = []

    async def handler(job: Job) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await go.wait()
        finally:
            running -= 1
        done.append(job.key)

    scheduler.handle("test.deadline", handler)
    async with db.transaction() as s:
        await scheduler.schedule_in(
            s, [Due("test.deadline", str(n), clock.now()) for n in range(50)]
        )
    await scheduler.start()
    try:

        async def eight_in_flight() -> bool:
            return running == 8

        await _until(eight_in_flight, "eight handlers waiting at once")
        await asyncio.sleep(0.05)
        assert most == 8 and done == []
        go.set()

        async def all_done() -> bool:
            return len(done) == 50

        await _until(all_done, "all done")
        await scheduler.settled()
        assert most == 8 and sorted(done) == sorted(str(n) for n in range(50))
        assert await _rows(db) == []
    finally:
        await scheduler.stop()


async def test_stop_releases_the_claims_of_running_handlers(db: Database, clock: FakeClock) -> None:
    """A graceful stop mid-handler: the job stays, unclaimed, for the next process at once."""
    scheduler = Scheduler(db, clock, "discord", owner="leaving")
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    scheduler.handle("test.deadline", handler)
    async with db.transaction() as s:
        await scheduler.schedule_in(s, [Due("test.deadline", "1", clock.now())])
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 30)
    assert (await _rows(db))[0].claimed_by == "leaving"
    await scheduler.stop()
    (row,) = await _rows(db)
    assert row.claimed_by is None and row.lease_until is None and row.attempts == 1


async def test_a_quiet_process_sees_a_job_another_process_wrote_within_its_look_interval(
    db: Database, clock: FakeClock
) -> None:
    """A job written by a process that died before firing it is run by another, idle process
    that was never poked: the loop reads the table at least every ``look_every``."""
    other_db = Database(db.url.render_as_string(hide_password=False))
    ran: list[str] = []

    async def handler(job: Job) -> None:
        ran.append(job.key)

    writer = Scheduler(other_db, clock, "discord", owner="dead-process")  # never started
    idle = Scheduler(db, clock, "discord", owner="idle-process", look_every=timedelta(seconds=15))
    idle.handle("test.deadline", handler)
    try:
        await idle.start()
        await idle.settled()
        async with other_db.transaction() as s:  # no poke reaches the idle process
            await writer.schedule_in(s, [Due("test.deadline", "orphan", clock.now())])
        clock.advance(5)
        await idle.settled()
        assert ran == []  # not looked yet: nothing told it
        clock.advance(11)

        async def fired() -> bool:
            return ran == ["orphan"]

        await _until(fired, "the orphan job fired after the periodic look")
    finally:
        await idle.stop()
        await other_db.dispose()
