from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from bot.storage.database import Database, downgrade_sync, upgrade_sync
from bot.storage.models import Base, User

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
TABLES = {
    "users",
    "guild_settings",
    "guild_questions",
    "interview_sessions",
    "answers",
    "answer_parts",
    "scheduled_jobs",
    "daily_deliveries",
    "daily_answers",
    "streaks",
    "audit_log",
}


def _urls(tmp_path: Path) -> list[str]:
    return [f"sqlite+aiosqlite:///{tmp_path}/migrate.sqlite3"] + (
        [POSTGRES_URL] if POSTGRES_URL else []
    )


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def _schema_diff(db: Database) -> list[object]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
            )
        )


async def test_migrate_empty_database_to_head_and_back(tmp_path: Path) -> None:
    for url in _urls(tmp_path):
        db = Database(url)
        try:
            async with db.engine.begin() as conn:  # start from an empty database
                await conn.run_sync(Base.metadata.drop_all)
                await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            await db.migrate()
            assert TABLES <= await _tables(db)
            assert await _schema_diff(db) == [], f"models and migrations disagree on {url}"
            await db.engine.dispose()
            await asyncio.to_thread(downgrade_sync, url, "base")
            assert await _tables(db) <= {"alembic_version"}
            await asyncio.to_thread(
                upgrade_sync, url, "head"
            )  # and up again: the downgrade left nothing behind
            assert TABLES <= await _tables(db)
        finally:
            await db.dispose()


async def test_sqlite_connection_settings(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/sub/dir/app.sqlite3")  # directories created
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await db.dispose()


async def test_timestamps_come_back_utc_aware(db: Database) -> None:
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    written = datetime(2026, 3, 29, 7, 45, tzinfo=kathmandu)
    async with db.transaction() as s:
        s.add(User(platform="discord", external_id="1", display_name="a", created_at=written))
    async with db.transaction() as s:
        user = await s.scalar(select(User))
    assert user is not None
    assert user.created_at == written
    assert user.created_at.tzinfo is not None and user.created_at.utcoffset() == timedelta(0)
    assert user.created_at == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as s:
            s.add(User(platform="discord", external_id="2", created_at=datetime(2026, 1, 1)))
