"""Stopping the dispatcher while its loop is inside a transaction.

The loop used to be cancelled wherever it was. Cancelled between two statements of its claim,
its connection was closed with the transaction still open, and on SQLite that connection kept
the write lock until the garbage collector reached it: the release of the claims on stop, and
every other write of the shutting-down process, then waited out the busy timeout and failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.util import await_only

from bot.core.clock import FakeClock
from bot.scheduler import Due, Job, Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database


def _write_lock_is_free(db: Database) -> bool:
    """Whether another connection can start a write transaction right now (no waiting)."""
    other = sqlite3.connect(str(db.url.database), timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_stop_during_a_claim_lets_it_commit_and_releases_the_claimed_jobs(
    db: Database, clock: FakeClock
) -> None:
    if not db.is_sqlite:
        pytest.skip("the write lock this checks is SQLite's")
    ran: list[str] = []
    in_claim, go_on = asyncio.Event(), asyncio.Event()

    async def pause() -> None:
        in_claim.set()
        await go_on.wait()

    def after_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Inside the claim's transaction, after the UPDATE that claimed the job.
        if statement.lstrip().startswith("SELECT min(") and not go_on.is_set():
            await_only(pause())

    async def handler(job: Job) -> None:
        ran.append(job.key)

    scheduler = Scheduler(db, clock, "discord", owner="process-1")
    scheduler.handle("test.deadline", handler)
    async with db.transaction() as s:
        await scheduler.schedule_in(s, [Due("test.deadline", "1", clock.now())])
    event.listen(db.engine.sync_engine, "after_cursor_execute", after_execute)
    try:
        await scheduler.start()
        await asyncio.wait_for(in_claim.wait(), 30)
        stopping = asyncio.create_task(scheduler.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # it waits for the loop to leave the transaction
        go_on.set()
        await asyncio.wait_for(stopping, 30)
    finally:
        event.remove(db.engine.sync_engine, "after_cursor_execute", after_execute)
        go_on.set()
    assert _write_lock_is_free(db)
    assert ran == []  # claimed as the stop came: not started
    async with db.reading() as s:
        [job] = (await s.scalars(select(ScheduledJob))).all()
    assert job.claimed_by is None and job.lease_until is None  # free for the next process
