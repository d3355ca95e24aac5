"""Shared fixtures: an empty database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator

import pytest

from bot.core.clock import FakeClock
from bot.storage.database import Database
from bot.tables import Base

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")

# The suite must not write into the user's own data folder (databases, the compiled-bank
# cache): every default data path, here and in the bot processes the tests start, lands in a
# folder of the run's own.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="mlmock-tests-data-")


def _backends() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL not set"),
        )
    )
    return params


@pytest.fixture(params=_backends())
async def db(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    """An empty database with the current schema, on each available backend."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3")  # type: ignore[str-bytes-safe]
    else:
        database = Database(POSTGRES_URL)
    async with database.engine.begin() as conn:
        if request.param == "postgres":
            # Start from an empty schema: tables a different checkout left behind (with foreign
            # keys into ours) would otherwise make drop_all fail.
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
        else:
            await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
