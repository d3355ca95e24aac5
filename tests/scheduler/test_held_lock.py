"""Another process holds the SQLite file locked for 15 seconds while interview time limits and
peer-mock timers fall due: once it lets go, every one of them fires exactly once, and the
dispatcher is still running (it used to die on "database is locked" after about 12 seconds)."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.core.session import ItemStatus
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import Event, TimedOut
from bot.features.peer_mocks.service import (
    INVITE_TTL,
    NO_SHOW_AFTER,
    InviteExpired,
    PairClosed,
    PairState,
    PeerEvent,
    PeerMockService,
)
from bot.scheduler import Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database
from tests.factories import question, technical_set

LOCK_SECONDS = 15
GUILD, CHANNEL = 1001, 2002

# Run as a separate process: BEGIN EXCLUSIVE takes the write lock of the file (in WAL mode
# readers still read; every write waits, then fails with "database is locked").
_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
"""


def _banks() -> BankRegistry:
    design = [question(f"sd-{i}", track=Track.SYSTEM_DESIGN, topic="ranking") for i in range(3)]
    return BankRegistry(QuestionBank(technical_set() + design))


async def test_a_fifteen_second_lock_delays_every_timer_but_loses_none(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "held.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    banks = _banks()
    scheduler = Scheduler(db, clock, "discord")
    interviews = InterviewService(db, banks, clock, scheduler, rng=random.Random(7))
    peer = PeerMockService(db, banks, clock, interviews, rng=random.Random(3))
    interview_events: list[Event] = []
    peer_events: list[PeerEvent] = []

    async def on_interview(event: Event) -> None:
        interview_events.append(event)

    async def on_peer(event: PeerEvent) -> None:
        peer_events.append(event)

    interviews.subscribe(on_interview)
    peer.subscribe(on_peer)
    caplog.set_level(logging.INFO, logger="bot.scheduler.dispatcher")
    await scheduler.start()
    await peer.start()
    holder: asyncio.subprocess.Process | None = None
    try:
        users = [await interviews.ensure_user("discord", str(100 + n), f"u{n}") for n in range(7)]
        sessions = []
        due: list[datetime] = []
        for user in users[:3]:
            view = await interviews.start(user, Track.TECHNICAL, Length.SHORT, platform="discord")
            assert view.current is not None and view.current.deadline_at is not None
            sessions.append(view.id)
            due.append(view.current.deadline_at)
        await peer.join_queue(GUILD, users[3], Track.TECHNICAL, channel_id=CHANNEL)
        [pair] = (await peer.join_queue(GUILD, users[4], Track.TECHNICAL, channel_id=CHANNEL)).pairs
        invite = await peer.invite(GUILD, users[5], users[6], Track.TECHNICAL)
        due += [clock.now() + NO_SHOW_AFTER, clock.now() + INVITE_TTL]
        await scheduler.settled()
        assert interview_events == [] and peer_events == []

        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HOLDER, str(path), str(LOCK_SECONDS),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"locked\n"
        clock.set(max(due))  # every time limit and peer timer is due now, under the lock
        for _ in range(LOCK_SECONDS):
            await asyncio.sleep(1)
            if holder.returncode is None:
                assert scheduler.running
                assert interview_events == [] and peer_events == []
        assert await asyncio.wait_for(holder.wait(), 30) == 0

        await asyncio.wait_for(scheduler.settled(), timeout=60)
        assert scheduler.running
        timed_out = [e for e in interview_events if isinstance(e, TimedOut)]
        assert sorted(e.session_id for e in timed_out) == sorted(sessions)  # once each
        for session_id in sessions:
            card = await interviews.scorecard(session_id)
            assert card.items[0].status is ItemStatus.TIMED_OUT
            assert card.items[1].status is ItemStatus.ACTIVE  # the next one's clock is fresh
        closed = [e for e in peer_events if isinstance(e, PairClosed)]
        expired = [e for e in peer_events if isinstance(e, InviteExpired)]
        assert [e.pair.id for e in closed] == [pair.id] and len(peer_events) == 2
        assert [e.invite.id for e in expired] == [invite.id]
        assert (await peer.pair(pair.id)).state is PairState.CLOSED

        async with db.reading() as s:  # nothing left due, nothing given up
            jobs = list(await s.scalars(select(ScheduledJob)))
        assert [j for j in jobs if j.due_at <= clock.now() or j.failed_at is not None] == []
        assert await scheduler.failed() == []
        warnings = [r for r in caplog.records if "database error" in r.getMessage()]
        assert len(warnings) == 1 and "locked" in warnings[0].getMessage()

        # And the dispatcher still serves what falls due afterwards.
        clock.advance(hours=2)
        await asyncio.wait_for(scheduler.settled(), timeout=60)
        later = [e for e in interview_events if isinstance(e, TimedOut)]
        assert len(later) == 2 * len(sessions)
    finally:
        if holder is not None and holder.returncode is None:
            holder.kill()
            await holder.wait()
        await peer.stop()
        await scheduler.stop()
        await db.dispose()
