"""A database that cannot be used at start, said in one line that names the fix.

Start-up (migrations, the write check) is where a wrong ``DATABASE_URL`` shows: PostgreSQL not
running or on another port, a wrong password or database name, a SQLite file or folder that
cannot be written. Those errors arrive wrapped in SQLAlchemy's, Alembic's and the drivers' own
exceptions, with tracebacks of a hundred lines; ``DatabaseUnavailable`` carries one sentence
instead. Messages name the host, port and database, never the password.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy is imported only when there is something to explain
    from sqlalchemy.engine import URL

REASON_LIMIT = 200  # characters of the driver's own reason quoted in the message


class DatabaseUnavailable(Exception):
    """The database cannot be reached or written; the message is one line naming the fix."""


@contextmanager
def explained(url: str | URL) -> Iterator[None]:
    """Turn a connection or write failure raised inside into ``DatabaseUnavailable``."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        from sqlalchemy.engine import make_url

        message = describe(exc, make_url(url))
        if message is None:
            raise
        raise DatabaseUnavailable(message) from exc


def describe(exc: BaseException, url: URL) -> str | None:
    """One line for a failure to reach or write the database, or None for anything else."""
    causes = list(_chain(exc))
    if url.get_backend_name() == "sqlite":
        for cause in causes:
            if isinstance(cause, sqlite3.Error) and _sqlite_unwritable(str(cause)):
                where = url.database or "(in memory)"
                return (
                    f"the SQLite database {where} cannot be opened for writing "
                    f"({_reason(cause)}); make the file and its folder writable, or point "
                    "DATABASE_URL (or DATA_DIR) at a folder you can write to"
                )
        return None
    for cause in causes:
        if _connection_failure(cause):
            where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
            return (
                f"cannot connect to the database at {where} ({_reason(cause)}); check that "
                "PostgreSQL is running there and that DATABASE_URL has the right host, port, "
                "user, password and database name"
            )
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "orig", None)]


def _sqlite_unwritable(message: str) -> bool:
    message = message.lower()
    return any(
        words in message
        for words in ("readonly", "read-only", "unable to open database", "disk i/o error")
    )


def _connection_failure(exc: BaseException) -> bool:
    if isinstance(exc, OSError):  # refused, unreachable host, unknown name, time-out
        return True
    module = type(exc).__module__ or ""
    if not module.startswith("asyncpg"):
        return False
    # Refused logins and unknown databases (asyncpg's error classes by name, so that
    # asyncpg stays optional).
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(
        names
        & {
            "PostgresConnectionError",
            "ConnectionDoesNotExistError",
            "CannotConnectNowError",
            "InvalidAuthorizationSpecificationError",
            "InvalidPasswordError",
            "InvalidCatalogNameError",
        }
    )


def _reason(exc: BaseException) -> str:
    text = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= REASON_LIMIT else first[: REASON_LIMIT - 1] + "…"
