"""Serialising work on one thing (an interview session, a peer pair) across processes.

In one process an ``asyncio.Lock`` per thing is the fast path. Several bot processes may share
one PostgreSQL database, so the write transaction also takes a transaction-scoped advisory lock
(``pg_advisory_xact_lock``) on the same thing: a second process waits for the first one's commit
and then reads what it wrote. SQLite needs nothing more: one bot process per SQLite database
(see ``bot.storage.instance``), and a single writer.

Two ways to take it:

- ``lock_in(s, namespace, key)`` inside a transaction that is already open;
- ``across_processes(namespace, key)`` around code that opens its transactions itself: every
  ``Database.transaction()`` opened inside (by this task, not nested in another one of the
  same scope) takes the lock at its start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_key(namespace: str, key: int | str) -> int:
    """A signed 64-bit key for ``namespace`` and ``key`` (a collision only serialises more)."""
    digest = hashlib.blake2b(f"{namespace}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_in(s: AsyncSession, namespace: str, key: int | str) -> None:
    """Hold the lock of ``namespace``/``key`` until the transaction of ``s`` ends (PostgreSQL;
    nothing on SQLite)."""
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(_LOCK, {"key": lock_key(namespace, key)})


@dataclass
class _Scope:
    keys: tuple[int, ...]
    open_transactions: int = field(default=0)


_scope: ContextVar[_Scope | None] = ContextVar("locks_across_processes", default=None)


@contextmanager
def across_processes(namespace: str, key: int | str) -> Iterator[None]:
    """Every write transaction opened inside takes this lock at its start (PostgreSQL)."""
    outer = _scope.get()
    keys = (outer.keys if outer else ()) + (lock_key(namespace, key),)
    token = _scope.set(_Scope(tuple(sorted(set(keys)))))  # one order everywhere: no deadlock
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def scoped_transaction() -> Iterator[tuple[int, ...]]:
    """For ``Database.transaction``: the keys this new transaction must take. A transaction
    opened while another of the same scope is open takes none: the outer one holds them, and
    waiting for them on a second connection would wait for ourselves."""
    scope = _scope.get()
    if scope is None:
        yield ()
        return
    keys = scope.keys if scope.open_transactions == 0 else ()
    scope.open_transactions += 1
    try:
        yield keys
    finally:
        scope.open_transactions -= 1


async def take(s: AsyncSession, keys: tuple[int, ...]) -> None:
    if keys and s.get_bind().dialect.name == "postgresql":
        for key in keys:
            await s.execute(_LOCK, {"key": key})
