"""Deleting a member's data: cascades, what stays unlinked, other members untouched."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, func, select

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import SessionNotFound
from bot.features.privacy.service import PrivacyService
from bot.scheduler import Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database
from bot.storage.models import AuditEntry, DailyDelivery, GuildQuestion, User
from bot.tables import Base
from tests.services import test_stats as data
from tests.services.test_stats import GOOD, GUILD, daily, interview, q, streak, user

# Fixtures shared with the stats tests (same data builders, same bank).
bank = data.bank
dispatcher = data.dispatcher
interviews = data.interviews

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def _rows_pointing_at_user(db: Database, user_id: int) -> dict[str, int]:
    """Every row of every table whose foreign key names ``user_id`` in users."""
    found: dict[str, int] = {}
    async with db.reading() as s:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name == "users":
                    n = await s.scalar(
                        select(func.count()).select_from(table).where(fk.parent == user_id)
                    )
                    if n:
                        found[f"{table.name}.{fk.parent.name}"] = int(n)
    return found


async def _orphans(db: Database) -> dict[str, int]:
    """Rows whose foreign key points at a row that does not exist (a broken cascade)."""
    found: dict[str, int] = {}
    async with db.reading() as s:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table
                assert isinstance(parent, Table)
                n = await s.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(fk.parent.is_not(None), fk.parent.not_in(select(fk.column)))
                )
                if n:
                    found[f"{table.name}.{fk.parent.name}"] = int(n)
    return found


async def _snapshot(db: Database, user_id: int) -> dict[str, int]:
    return await _rows_pointing_at_user(db, user_id)


async def _history(interviews: InterviewService, db: Database, name: str) -> int:
    uid = await user(interviews, name)
    await interview(interviews, uid, [("bv-1", GOOD), ("pr-1", "Some words.")])
    await interviews.record_result(uid, q("pr-2"), GOOD, mode="panel", guild_id=GUILD, peer_score=3)
    await daily(db, uid, "bv-2", 3, NOW, guild_id=GUILD if name == "alice" else GUILD + 1)
    await streak(db, uid, 1, 1, NOW.date())
    async with db.transaction() as s:
        s.add(
            GuildQuestion(
                guild_id=GUILD,
                question_id=f"{name}-q",
                status="active",
                body={"prompt": "..."},
                author_id=uid,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        s.add(
            AuditEntry(
                guild_id=GUILD,
                actor_id=uid,
                action="question.add",
                target=f"{name}-q",
                details={},
                created_at=NOW,
            )
        )
        s.add(
            DailyDelivery(
                target_kind="user",
                target_id=uid,
                local_date=NOW.date(),
                question_id="bv-1",
                claimed_at=NOW,
            )
        )
    return uid


async def _open_interview(interviews: InterviewService, uid: int) -> int:
    view = await interviews.start(
        uid,
        Track.TECHNICAL,
        Length.SHORT,
        platform="discord",
        guild_id=GUILD,
        fixed_questions=[q("bv-2"), q("pr-2")],
    )
    await interviews.add_answer(view.id, "Half written")
    return view.id


async def test_delete_cascades_and_reports_counts(
    interviews: InterviewService, db: Database, clock: FakeClock
) -> None:
    alice = await _history(interviews, db, "alice")
    bob = await _history(interviews, db, "bob")
    open_id = await _open_interview(interviews, alice)
    bob_before = await _snapshot(db, bob)
    privacy = PrivacyService(db, interviews)

    preview = await privacy.preview("discord", "id-alice")
    assert preview.found
    assert preview.deleted["interview_sessions"] == 3
    assert preview.deleted["answers"] == 5  # 2 + 1 + 2 of the open interview
    assert preview.deleted["answer_parts"] == 4  # one per answered item, one half-written
    assert preview.deleted["deadlines"] == 2  # the open item's time limit and reminder
    assert preview.deleted["daily_answers"] == 1
    assert preview.deleted["streaks"] == 1
    assert preview.deleted["daily_deliveries"] == 1
    assert preview.kept == {"guild_questions": 1, "audit_log": 1}

    report = await privacy.delete_user("discord", "id-alice")
    assert report.found and report.deleted["users"] == 1
    # The open interview was abandoned first: its timers were cancelled, not left behind.
    assert report.count("deadlines") == 0
    assert report.deleted == {k: v for k, v in preview.deleted.items() if k != "deadlines"}
    assert report.kept == preview.kept

    assert await _rows_pointing_at_user(db, alice) == {}
    assert await _orphans(db) == {}
    assert await _snapshot(db, bob) == bob_before
    async with db.reading() as s:
        assert await s.get(User, alice) is None
        kept_question = await s.scalar(
            select(GuildQuestion).where(GuildQuestion.question_id == "alice-q")
        )
        assert kept_question is not None and kept_question.author_id is None
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.target == "alice-q"))
        assert entry is not None and entry.actor_id is None
        assert await s.scalar(select(func.count()).select_from(ScheduledJob)) == 0
        dm = await s.scalar(
            select(func.count()).select_from(DailyDelivery).where(DailyDelivery.target_id == bob)
        )
        assert dm == 1  # bob's DM delivery stays (its id only matches bob's)
    with pytest.raises(SessionNotFound):
        await interviews.add_answer(open_id, "written after the deletion")

    again = await privacy.delete_user("discord", "id-alice")
    assert not again.found
    assert not (await privacy.preview("discord", "id-alice")).found


async def test_deadlines_of_a_vanished_session_are_ignored(
    interviews: InterviewService,
    dispatcher: Scheduler,
    db: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Safety net: rows deleted behind the service's back (another process, a cascade) leave
    timers in the scheduler's table; when they fire, nothing breaks."""
    uid = await user(interviews, "carol")
    await _open_interview(interviews, uid)
    async with db.transaction() as s:
        await s.delete(await s.get(User, uid))
    caplog.set_level(logging.ERROR)
    clock.advance(minutes=30)
    async with db.reading() as s:  # the item's time limit and reminder, still scheduled
        assert await s.scalar(select(func.count()).select_from(ScheduledJob)) == 2
    await dispatcher.settled()
    assert dispatcher.pending() == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_new_member_after_deletion_starts_fresh(
    interviews: InterviewService, db: Database, clock: FakeClock
) -> None:
    alice = await _history(interviews, db, "alice")
    await PrivacyService(db, interviews).delete_user("discord", "id-alice")
    clock.advance(timedelta(days=1).total_seconds())
    again = await user(interviews, "alice")
    assert await _rows_pointing_at_user(db, again) == {}
    assert again != alice or db.is_sqlite  # SQLite may reuse the highest rowid
