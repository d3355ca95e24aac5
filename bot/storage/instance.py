"""One bot process per SQLite database.

SQLite is the embedded default for ONE bot process: its locks and caches live in that process.
A second ``mlmock run`` on the same file is refused at start. The guard is an OS file lock
(``flock``) on ``<database>.lock``, held for the life of the process: the kernel drops it when
the process ends in any way (kill -9 included), so a stale lock never blocks a restart. The
terminal practice mode does not take it (its scheduler has its own scope). PostgreSQL takes no
such lock: several processes over one PostgreSQL database are the sharded deployment.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

try:
    import fcntl
except ImportError:  # Windows: no flock; the guard is off there
    fcntl = None  # type: ignore[assignment]


class AnotherBotProcess(Exception):
    """A bot process already runs on this SQLite database (the message is one line)."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a file-backed SQLite URL, else None."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if "mode=memory" in database or database.startswith("file:"):
        return None
    return Path(database)


@asynccontextmanager
async def sole_bot_process(url: str) -> AsyncIterator[bool]:
    """Hold the one-bot-process lock of a SQLite database for the ``async with`` block; yields
    whether a lock is held (False on PostgreSQL and in-memory databases). Raises
    AnotherBotProcess when another live process holds it."""
    path = sqlite_file(url)
    if path is None or fcntl is None:
        yield False
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 20, 0).decode(errors="replace").strip()
            holder = f" (pid {pid})" if pid.isdigit() else ""
            raise AnotherBotProcess(
                f"another bot process{holder} already runs on the SQLite database {path}; "
                "SQLite allows one bot process: stop it first, or set DATABASE_URL to PostgreSQL "
                "to run several"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
