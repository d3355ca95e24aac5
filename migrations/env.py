"""Alembic environment: async engines, batch mode for SQLite's limited ALTER TABLE."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    # An explicit URL set from code (the app, the tests) wins over the environment.
    configured = config.get_main_option("sqlalchemy.url") or ""
    if config.attributes.get("from_code") or not os.environ.get("DATABASE_URL"):
        return configured
    return os.environ["DATABASE_URL"]


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # shared connection from the caller (cookbook recipe)
        _run_sync(connection)
        return
    engine = create_async_engine(_url())
    async with engine.connect() as conn:
        await conn.run_sync(_run_sync)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
