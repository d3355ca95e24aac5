"""A database that cannot be reached or written says so in one line naming the fix."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import pytest

from bot.storage.database import Database
from bot.storage.problems import DatabaseUnavailable


async def test_a_read_only_sqlite_database_fails_the_write_check(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).close()
    db = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")  # read-only even for root
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await db.check_writable()
    finally:
        await db.dispose()
    message = str(caught.value)
    assert "\n" not in message and f"{path} cannot be opened for writing" in message
    assert "readonly database" in message and "DATABASE_URL" in message
    assert "file:" not in os.listdir()  # no stray folder named after the URI


async def test_a_writable_database_passes_the_write_check(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/ok.sqlite3")
    try:
        await db.migrate()
        await db.check_writable()
    finally:
        await db.dispose()


async def test_a_closed_postgresql_port_names_host_and_port_not_the_password() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = Database(f"postgresql+asyncpg://me:hunter2@127.0.0.1:{port}/mlmock")
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await db.migrate()
    finally:
        await db.dispose()
    message = str(caught.value)
    assert f"cannot connect to the database at 127.0.0.1:{port}/mlmock" in message
    assert "hunter2" not in message and "\n" not in message
