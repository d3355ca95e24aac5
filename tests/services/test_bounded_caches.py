"""Caches outside interviews stay bounded: guild settings (LRU) and the bank's per-guild locks."""

from __future__ import annotations

import gc

from sqlalchemy import update

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.features.bank.service import BankAdminService
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import GuildSettings
from tests.factories import question


async def test_guild_settings_cache_is_a_bounded_lru_and_a_miss_reads_the_database(
    db: Database, clock: FakeClock
) -> None:
    settings = GuildSettingsService(db, clock, cache_size=3)
    for guild in range(1, 6):
        await settings.update(guild, None, bundled_questions=guild % 2 == 0)
    assert len(settings._cache) == 3 and list(settings._cache) == [3, 4, 5]
    await settings.get(3)  # used: now the most recent
    await settings.get(1)  # a miss: read from the database, the least recent (4) goes
    assert list(settings._cache) == [5, 3, 1]
    assert (await settings.get(1)).bundled_questions is False
    async with db.transaction() as s:  # changed behind the cache's back
        await s.execute(
            update(GuildSettings).where(GuildSettings.guild_id == 4).values(daily_time="08:30")
        )
    assert (await settings.get(4)).daily_time == "08:30"  # evicted earlier, so read afresh
    for guild in range(100, 200):
        await settings.get(guild)  # guilds without settings: defaults, still bounded
    assert len(settings._cache) == 3


async def test_bank_locks_go_away_when_no_one_holds_them(db: Database, clock: FakeClock) -> None:
    service = BankAdminService(
        db, clock, BankRegistry(QuestionBank([question("b-1")])), GuildSettingsService(db, clock)
    )
    for guild in range(50):
        await service.set_bundled(guild, None, enabled=True)
    gc.collect()
    assert len(service._locks) == 0
