"""Engine, sessions and migrations.

One ``Database`` per process, created in ``main()`` and passed down; no module-level engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import locks
from bot.storage.problems import explained

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
READERS = 4


def _in_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or "mode=memory" in database


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            ensure_sqlite_dir(url)
            # SQLite allows one writer at a time. A single pooled connection queues writers in
            # asyncio (cheap) instead of letting them spin on the file lock (busy_timeout).
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.read_engine = self.engine
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if not _in_memory(self.url.database):
                # WAL lets readers run beside the writer: reads get their own small pool so a
                # status check never queues behind a burst of writes.
                read_kwargs = dict(kwargs, pool_size=READERS, max_overflow=0)
                self.read_engine = create_async_engine(self.url, **read_kwargs)
                event.listen(self.read_engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writes_in_flight = 0
        self._no_writes = asyncio.Event()
        self._no_writes.set()
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error. Inside
        ``locks.across_processes`` it first takes that lock (PostgreSQL)."""
        self._writes_in_flight += 1
        self._no_writes.clear()
        try:
            with locks.scoped_transaction() as keys:
                async with self.sessions() as session, session.begin():
                    await locks.take(session, keys)
                    yield session
        finally:
            self._writes_in_flight -= 1
            if self._writes_in_flight == 0:
                self._no_writes.set()

    async def writes_finished(self) -> None:
        """Return once no write transaction is open (graceful shutdown; the caller bounds it)."""
        await self._no_writes.wait()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (on SQLite, a reader connection beside the writer)."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema; a database that cannot be reached or written raises
        ``DatabaseUnavailable`` (one line naming the fix)."""
        with explained(self.url):
            await asyncio.to_thread(
                upgrade_sync, self.url.render_as_string(hide_password=False), revision
            )

    async def check_writable(self) -> None:
        """Fail at start, not at the first answer, when the database cannot be written: on
        SQLite rewrite one header field with its own value (a real write: a read-only file or
        folder fails it, even for root); on PostgreSQL connect."""
        with explained(self.url):
            async with self.transaction() as s:
                if self.is_sqlite:
                    version = await s.scalar(text("PRAGMA user_version"))
                    await s.execute(text(f"PRAGMA user_version = {int(version or 0)}"))
                else:
                    await s.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; durable across app crashes
    cursor.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.attributes["from_code"] = True
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.query.get("uri") == "true":  # file:/path?mode=ro: the path is after "file:"
        database = database.removeprefix("file:")
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def upgrade_sync(url: str, revision: str = "head") -> None:
    from alembic import command

    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade_sync(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
