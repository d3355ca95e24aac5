"""The AI interviewer's bookkeeping in the database: tokens per guild and day, notices given.

The daily budget lives in ``ai_token_usage`` so it holds across restarts and across processes
(the terminal and the bot may share a database); the interviewer's in-memory budget is topped
up from it before each call, so its own check (with the call's real size) sees the stored total.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.ai.budget import guild_key
from bot.features.interviews.ai_models import AINotice, AITokenUsage
from bot.storage.database import Database


class AIUsage:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def used(self, guild_id: int | None, day: date) -> int:
        async with self._db.reading() as s:
            row = await s.get(AITokenUsage, (guild_key(guild_id), day))
            return 0 if row is None else int(row.tokens)

    async def add(self, guild_id: int | None, day: date, tokens: int) -> None:
        """Add ``tokens`` atomically (one upsert: concurrent writers both count)."""
        if tokens <= 0:
            return
        key = guild_key(guild_id)
        async with self._db.transaction() as s:
            dialect = s.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            stmt = insert(AITokenUsage).values(guild_key=key, day=day, tokens=tokens)
            stmt = stmt.on_conflict_do_update(
                index_elements=["guild_key", "day"],
                set_={"tokens": AITokenUsage.tokens + tokens},
            )
            await s.execute(stmt)

    async def notified(self, user_id: int, guild_id: int) -> bool:
        async with self._db.reading() as s:
            return await s.get(AINotice, (user_id, guild_id)) is not None

    async def record_notice(self, user_id: int, guild_id: int, now: datetime) -> bool:
        """Remember the notice; False when it had been given already (told once)."""
        async with self._db.transaction() as s:
            found = await s.scalar(
                select(AINotice.user_id).where(
                    AINotice.user_id == user_id, AINotice.guild_id == guild_id
                )
            )
            if found is not None:
                return False
            s.add(AINotice(user_id=user_id, guild_id=guild_id, notified_at=now))
            return True
