"""Deleting a member's data: their ``users`` row, and with it everything that hangs off it.

The database does the deleting: every table that points at a user (directly, or through a
session or an answer) does so with ``ON DELETE CASCADE`` (the row goes) or ``ON DELETE SET
NULL`` (the row stays, unlinked: questions they authored, audit entries). The counts shown to
the member are read from the same foreign keys, so a table another feature adds later is
counted too, without this module knowing about it.

Open interviews are abandoned through the InterviewService first, under its per-session lock:
that cancels their timers in the dispatcher's memory and drops the service's cached answer
cursor, so nothing in this process keeps writing to rows that are about to disappear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Table,
    and_,
    delete,
    func,
    inspect,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

import bot.tables  # every feature's tables, so their foreign keys are known
from bot.core.session import SessionStatus
from bot.features.interviews.service import InterviewService
from bot.features.stats.service import lookup_user_id
from bot.storage.database import Database
from bot.storage.models import DailyDelivery, InterviewSession, User

log = logging.getLogger(__name__)
METADATA = bot.tables.Base.metadata
USERS: Table = User.__table__  # type: ignore[assignment]
DELIVERIES: Table = DailyDelivery.__table__  # type: ignore[assignment]
TIMERS = "deadlines"  # how the report names an interview's pending timers


@dataclass(frozen=True, slots=True)
class DeletionReport:
    """Rows per table: ``deleted`` went with the member, ``kept`` stay without their name."""

    found: bool
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return self.deleted.get(table, 0)


@dataclass(frozen=True, slots=True)
class _Effects:
    cascades: dict[Table, list[ForeignKey]]  # parents before children
    unlinks: list[tuple[Table, ForeignKey]]


def _effects_of_deleting(root: Table, existing: set[str]) -> _Effects:
    """Which tables lose rows and which get a column set to NULL when ``root`` rows go.

    Only tables the database has: a feature's model may be ahead of the migrations (they are
    generated before a release), and a table that does not exist holds nothing to delete.
    """
    reached = {root}
    cascades: dict[Table, list[ForeignKey]] = {}
    unlinks: list[tuple[Table, ForeignKey]] = []
    for table in METADATA.sorted_tables:  # dependency order: a parent comes before its children
        if table.name not in existing:
            continue
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            if fk.column.table not in reached:
                continue
            action = (fk.ondelete or "").upper()
            if action == "CASCADE":
                cascades.setdefault(table, []).append(fk)
            elif action == "SET NULL":
                unlinks.append((table, fk))
        if table in cascades:
            reached.add(table)
    return _Effects(cascades, unlinks)


class PrivacyService:
    def __init__(self, db: Database, interviews: InterviewService) -> None:
        self._db = db
        self._interviews = interviews
        self._known_effects: _Effects | None = None

    async def _effects(self) -> _Effects:
        if self._known_effects is None:
            async with self._db.engine.connect() as conn:
                existing = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            self._known_effects = _effects_of_deleting(USERS, existing)
        return self._known_effects

    async def preview(self, platform: str, external_id: str) -> DeletionReport:
        """What ``delete_user`` would remove now, without removing anything."""
        async with self._db.reading() as s:
            user_id = await lookup_user_id(s, platform, external_id)
            if user_id is None:
                return DeletionReport(found=False)
            return await self._count(s, user_id)

    async def delete_user(self, platform: str, external_id: str) -> DeletionReport:
        """Delete the member and everything that cascades from them; returns the counts."""
        async with self._db.reading() as s:
            user_id = await lookup_user_id(s, platform, external_id)
            open_ids = (
                []
                if user_id is None
                else list(
                    await s.scalars(
                        select(InterviewSession.id).where(
                            InterviewSession.user_id == user_id,
                            InterviewSession.status.in_(
                                [SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value]
                            ),
                        )
                    )
                )
            )
        if user_id is None:
            return DeletionReport(found=False)
        for session_id in open_ids:
            await self._interviews.abandon(session_id)
        async with self._db.transaction() as s:
            report = await self._count(s, user_id)
            session_ids = list(
                await s.scalars(
                    select(InterviewSession.id).where(InterviewSession.user_id == user_id)
                )
            )
            await s.execute(delete(DELIVERIES).where(*_dm_deliveries(user_id)))
            await self._interviews.drop_timers_of_sessions_in(s, session_ids)
            await s.execute(delete(USERS).where(USERS.c.id == user_id))
        self._interviews.forget_sessions(session_ids)
        log.info("deleted user %s and %s", user_id, report.deleted)
        return report

    async def _count(self, s: AsyncSession, user_id: int) -> DeletionReport:
        """Rows per table (zeros left out); a row both unlinked and deleted counts as deleted."""
        effects = await self._effects()
        matches: dict[Table, ColumnElement[bool]] = {USERS: USERS.c.id == user_id}
        deleted = {USERS.name: 1}
        for table, fks in effects.cascades.items():
            matches[table] = or_(*(_points_into(fk, matches) for fk in fks))
            deleted[table.name] = await _rows(s, table, matches[table])
        deleted[DELIVERIES.name] = await _rows(s, DELIVERIES, and_(*_dm_deliveries(user_id)))
        # Timers live in the scheduler's table, named by session: the interview service counts.
        sessions = list(
            await s.scalars(select(InterviewSession.id).where(InterviewSession.user_id == user_id))
        )
        deleted[TIMERS] = await self._interviews.timers_of_sessions_in(s, sessions)
        kept: dict[str, int] = {}
        for table, fk in effects.unlinks:
            unlinked = _points_into(fk, matches)
            if table in matches:
                unlinked = and_(unlinked, not_(matches[table]))
            kept[table.name] = kept.get(table.name, 0) + await _rows(s, table, unlinked)
        return DeletionReport(
            found=True,
            deleted={name: n for name, n in deleted.items() if n},
            kept={name: n for name, n in kept.items() if n},
        )


def _dm_deliveries(user_id: int) -> tuple[ColumnElement[bool], ...]:
    """Daily questions sent to the member by DM: the table names its recipient by users.id
    without a foreign key (guild deliveries hold a guild id there), so they go explicitly."""
    return (DailyDelivery.target_kind == "user", DailyDelivery.target_id == user_id)


def _points_into(fk: ForeignKey, matches: dict[Table, ColumnElement[bool]]) -> ColumnElement[bool]:
    parent = fk.column.table
    assert isinstance(parent, Table)
    return fk.parent.in_(select(fk.column).where(matches[parent]))


async def _rows(s: AsyncSession, table: Table, where: ColumnElement[bool]) -> int:
    return int(await s.scalar(select(func.count()).select_from(table).where(where)) or 0)
