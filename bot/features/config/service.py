"""Per-guild settings: moderator role, bundled questions on/off, daily-question schedule."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.core.clock import Clock
from bot.storage.database import Database
from bot.storage.models import AuditEntry, GuildSettings

_FIELDS = (
    "moderator_role_id",
    "bundled_questions",
    "daily_channel_id",
    "daily_time",
    "daily_timezone",
    "daily_track",
    "ai_enabled",
)


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    moderator_role_id: int | None = None
    bundled_questions: bool = True
    daily_channel_id: int | None = None
    daily_time: str | None = None  # local "HH:MM"
    daily_timezone: str | None = None  # IANA name
    daily_track: str | None = None
    ai_enabled: bool = False  # the AI interviewer grades and comments this server's interviews


CACHE_SIZE = 1024  # guilds whose settings are kept in memory; a miss reads the database


class GuildSettingsService:
    def __init__(self, db: Database, clock: Clock, *, cache_size: int = CACHE_SIZE) -> None:
        self._db = db
        self._clock = clock
        # Least recently used first: bounded, so a bot in many guilds does not grow forever.
        self._cache: OrderedDict[int, GuildConfig] = OrderedDict()
        self._cache_size = cache_size

    async def get(self, guild_id: int) -> GuildConfig:
        cached = self._cache.get(guild_id)
        if cached is not None:
            self._cache.move_to_end(guild_id)
            return cached
        async with self._db.reading() as s:
            row = await s.get(GuildSettings, guild_id)
        config = _config(row) if row else GuildConfig(guild_id)
        self._remember(config)
        return config

    def _remember(self, config: GuildConfig) -> None:
        self._cache[config.guild_id] = config
        self._cache.move_to_end(config.guild_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def all(self) -> list[GuildConfig]:
        from sqlalchemy import select

        async with self._db.reading() as s:
            rows = (await s.scalars(select(GuildSettings))).all()
        return [_config(r) for r in rows]

    async def update(self, guild_id: int, actor_user_id: int | None, **changes: Any) -> GuildConfig:
        """Change settings and record who changed what in the audit log (one transaction)."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        now = self._clock.now()
        async with self._db.transaction() as s:
            row = await s.get(GuildSettings, guild_id)
            if row is None:
                row = GuildSettings(
                    guild_id=guild_id, bundled_questions=True, created_at=now, updated_at=now
                )
                s.add(row)
            before = {k: getattr(row, k) for k in changes}
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = now
            s.add(
                AuditEntry(
                    guild_id=guild_id,
                    actor_id=actor_user_id,
                    action="config",
                    target="guild_settings",
                    details={"before": before, "after": dict(changes)},
                    created_at=now,
                )
            )
            await s.flush()
            config = _config(row)
        self._remember(config)
        return config


def _config(row: GuildSettings) -> GuildConfig:
    return GuildConfig(row.guild_id, *(getattr(row, f) for f in _FIELDS))
