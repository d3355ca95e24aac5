"""Keeps the shared BankRegistry in step with a guild's rows: what interviews and daily
questions can draw from."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Text, cast, select

from bot.core.bank import QuestionBank
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

    async def refresh(self, guild_id: int, on_rows: Callable[[int], None] | None = None) -> None:
        """Refresh the registry from the database (the caller holds the guild's lock).

        The rows come as JSON text and are decoded and rebuilt into questions in a worker
        thread: a guild with thousands of questions does not hold the event loop.
        ``on_rows(count)`` is told how many rows there are before the rebuild starts."""
        query = (
            select(GuildQuestion.question_id, GuildQuestion.status, cast(GuildQuestion.body, Text))
            .where(
                GuildQuestion.guild_id == guild_id,
                GuildQuestion.status.in_((ACTIVE, RETIRED)),
            )
            .order_by(GuildQuestion.id)
        )
        async with self._db.reading() as s:
            found = [(qid, status, body) for qid, status, body in await s.execute(query)]
        if on_rows is not None:
            on_rows(len(found))
        config = await self._settings.get(guild_id)
        bank, retired = await asyncio.to_thread(_rebuild, guild_id, found, self._banks.bundled)
        self._banks.set_guild(guild_id, bank, retired, use_bundled=config.bundled_questions)

    async def merge(self, guild_id: int, changed: Sequence[Question]) -> None:
        """Put a guild's new or updated active questions into the registry without reading
        the guild's other rows (the caller holds the guild's lock, and every write of a
        guild's questions goes through this feature, so the registry matches the rows). Costs
        the changed questions plus one re-index; a guild not loaded yet is read in full."""
        current = self._banks.guild(guild_id)
        if current is None:
            await self.refresh(guild_id)
            return
        origin = f"server {guild_id}"
        changed = [dataclasses.replace(q, origin=origin) for q in changed]
        config = await self._settings.get(guild_id)
        bank = await asyncio.to_thread(_merged, current, changed)
        if self._banks.guild(guild_id) is not current:  # refreshed meanwhile: read it again
            await self.refresh(guild_id)
            return
        self._banks.set_guild(guild_id, bank, use_bundled=config.bundled_questions)


def _merged(current: QuestionBank, changed: Sequence[Question]) -> QuestionBank:
    """``current`` with ``changed`` replacing the questions of the same id in place, and the
    others appended (the order of their rows: updates keep their row, new rows come last)."""
    by_id = {q.id: q for q in changed}
    kept = [by_id.pop(q.id, q) for q in current]
    return QuestionBank([*kept, *by_id.values()])


def _rebuild(
    guild_id: int, found: Sequence[tuple[str, str, str]], bundled: QuestionBank
) -> tuple[QuestionBank, list[Question]]:
    """The guild's active questions, indexed, and its retired ones (in a worker thread)."""
    active: list[Question] = []
    retired: list[Question] = []
    origin = f"server {guild_id}"
    for question_id, status, body in found:
        if question_id in bundled:  # the bundled bank gained this id after an update
            log.warning(
                "guild %s question %s clashes with a bundled id; it is not used",
                guild_id,
                question_id,
            )
            continue
        question = question_of(json.loads(body), origin=origin)
        (active if status == ACTIVE else retired).append(question)
    return QuestionBank(active), retired
