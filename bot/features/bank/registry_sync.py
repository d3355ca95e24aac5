"""Keeps the shared BankRegistry in step with a guild's rows: what interviews and daily
questions can draw from."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.core.bank_registry import BankRegistry
from bot.core.questions import Question
from bot.features.bank.form import question_of
from bot.features.bank.types import ACTIVE, RETIRED
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import GuildQuestion

log = logging.getLogger(__name__)


class RegistrySync:
    def __init__(self, db: Database, banks: BankRegistry, settings: GuildSettingsService) -> None:
        self._db = db
        self._banks = banks
        self._settings = settings

    async def guilds_to_load(self) -> list[int]:
        """Every guild with questions of its own, or with bundled questions off."""
        async with self._db.reading() as s:
            guilds = set(
                (
                    await s.scalars(
                        select(GuildQuestion.guild_id)
                        .where(GuildQuestion.status.in_((ACTIVE, RETIRED)))
                        .distinct()
                    )
                ).all()
            )
        guilds |= {c.guild_id for c in await self._settings.all() if not c.bundled_questions}
        return sorted(guilds)

    async def refresh(self, guild_id: int) -> None:
        """Refresh the registry from the database (the caller holds the guild's lock)."""
        async with self._db.reading() as s:
            found = (
                await s.scalars(
                    select(GuildQuestion)
                    .where(
                        GuildQuestion.guild_id == guild_id,
                        GuildQuestion.status.in_((ACTIVE, RETIRED)),
                    )
                    .order_by(GuildQuestion.id)
                )
            ).all()
        bundled = self._banks.bundled
        active: list[Question] = []
        retired: list[Question] = []
        for row in found:
            if row.question_id in bundled:  # the bundled bank gained this id after an update
                log.warning(
                    "guild %s question %s clashes with a bundled id; it is not used",
                    guild_id,
                    row.question_id,
                )
                continue
            question = question_of(row.body, origin=f"server {guild_id}")
            (active if row.status == ACTIVE else retired).append(question)
        config = await self._settings.get(guild_id)
        self._banks.set_guild(guild_id, active, retired, use_bundled=config.bundled_questions)
