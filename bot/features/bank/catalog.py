"""Reading a guild's bank: one question, pages of the list, ids for autocomplete, counts, the
audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from bot.core.bank_registry import BankRegistry
from bot.core.questions import Difficulty, Track
from bot.features.bank import rows
from bot.features.bank.form import question_of
from bot.features.bank.types import (
    ACTIVE,
    PAGE_SIZE,
    RETIRED,
    AuditView,
    GuildBankSummary,
    ListEntry,
    Page,
    QuestionInfo,
    QuestionNotFound,
)
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import AuditEntry, GuildQuestion, User

AUDIT_MAX = 25
_TRACK_ORDER = {t.value: i for i, t in enumerate(Track)}
_LEVEL_ORDER = {d.value: d.rank for d in Difficulty}


class Catalog:
    def __init__(self, db: Database, banks: BankRegistry, settings: GuildSettingsService) -> None:
        self._db = db
        self._banks = banks
        self._settings = settings

    async def show(self, guild_id: int, question_id: str) -> QuestionInfo:
        """This guild's question (any status) or a bundled one; other guilds' stay private."""
        async with self._db.reading() as s:
            row = await rows.own_row(s, guild_id, question_id)
        if row is not None:
            return QuestionInfo(question_of(row.body), "server", row.status, row.id)
        bundled = self._banks.bundled.get(question_id)
        if bundled is not None:
            return QuestionInfo(bundled, "bundled", ACTIVE)
        raise QuestionNotFound(f"No question `{question_id}` in this server or the bundled bank.")

    async def list_page(
        self,
        guild_id: int,
        page: int = 0,
        *,
        track: str | None = None,
        topic: str | None = None,
        include_bundled: bool = False,
    ) -> Page:
        """This guild's active and retired questions (and optionally the bundled ones)."""
        query = select(GuildQuestion).where(
            GuildQuestion.guild_id == guild_id, GuildQuestion.status.in_((ACTIVE, RETIRED))
        )
        async with self._db.reading() as s:
            found = (await s.scalars(query)).all()
        entries = [
            ListEntry(
                r.question_id,
                r.body["track"],
                r.body["topic"],
                r.body["difficulty"],
                r.status,
                "server",
            )
            for r in found
        ]
        if include_bundled:
            entries += [
                ListEntry(q.id, q.track.value, q.topic, q.difficulty.value, ACTIVE, "bundled")
                for q in self._banks.bundled
            ]
        entries = [
            e
            for e in entries
            if (track is None or e.track == track) and (topic is None or e.topic == topic)
        ]
        entries.sort(
            key=lambda e: (
                e.owner != "server",
                _TRACK_ORDER.get(e.track, 9),
                e.topic,
                _LEVEL_ORDER.get(e.difficulty, 9),
                e.question_id,
            )
        )
        pages = max(1, -(-len(entries) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return Page(tuple(shown), page, pages, len(entries))

    async def own_ids(
        self, guild_id: int, prefix: str = "", statuses: Sequence[str] = (ACTIVE,), limit: int = 25
    ) -> list[str]:
        """This guild's question ids containing ``prefix`` (for autocomplete)."""
        query = (
            select(GuildQuestion.question_id)
            .where(GuildQuestion.guild_id == guild_id, GuildQuestion.status.in_(statuses))
            .order_by(GuildQuestion.question_id)
        )
        if prefix:
            query = query.where(GuildQuestion.question_id.contains(prefix.lower(), autoescape=True))
        async with self._db.reading() as s:
            return list((await s.scalars(query.limit(limit))).all())

    async def summary(self, guild_id: int) -> GuildBankSummary:
        async with self._db.reading() as s:
            counted = await s.execute(
                select(GuildQuestion.status, func.count())
                .where(GuildQuestion.guild_id == guild_id)
                .group_by(GuildQuestion.status)
            )
            counts = {status: int(n) for status, n in counted}
        return GuildBankSummary(await self._settings.get(guild_id), counts)

    async def audit_log(self, guild_id: int, count: int = 10) -> list[AuditView]:
        count = min(max(count, 1), AUDIT_MAX)
        query = (
            select(AuditEntry, User)
            .outerjoin(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.guild_id == guild_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(count)
        )
        async with self._db.reading() as s:
            entries = (await s.execute(query)).all()
        return [
            AuditView(e.created_at, rows.person(u), e.action, e.target, dict(e.details or {}))
            for e, u in entries
        ]
