"""Guild question rows: lookups, the people behind them, the audit entry every write adds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.bank.types import (
    ACTIVE,
    PENDING,
    REJECTED,
    RETIRED,
    Person,
    QuestionNotFound,
    SuggestionClosed,
)
from bot.storage.models import AuditEntry, GuildQuestion, User


def audit(
    s: AsyncSession,
    now: datetime,
    guild_id: int,
    actor_id: int | None,
    action: str,
    target: str,
    details: dict[str, Any],
) -> None:
    s.add(
        AuditEntry(
            guild_id=guild_id,
            actor_id=actor_id,
            action=action,
            target=target[:100],
            details=details,
            created_at=now,
        )
    )


async def own_row(s: AsyncSession, guild_id: int, question_id: str) -> GuildQuestion | None:
    return await s.scalar(
        select(GuildQuestion).where(
            GuildQuestion.guild_id == guild_id, GuildQuestion.question_id == question_id
        )
    )


async def row_by_id(s: AsyncSession, guild_id: int, row_id: int) -> GuildQuestion:
    row = await s.get(GuildQuestion, row_id)
    if row is None or row.guild_id != guild_id:
        raise QuestionNotFound("That question no longer exists in this server.")
    return row


async def guild_rows(
    s: AsyncSession, guild_id: int, statuses: Sequence[str]
) -> Sequence[GuildQuestion]:
    query = (
        select(GuildQuestion)
        .where(GuildQuestion.guild_id == guild_id, GuildQuestion.status.in_(statuses))
        .order_by(GuildQuestion.id)
    )
    return (await s.scalars(query)).all()


async def person_of(s: AsyncSession, user_id: int | None) -> Person | None:
    return person(await s.get(User, user_id)) if user_id is not None else None


def person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(user.id, user.platform, user.external_id, user.display_name)


def check_pending(row: GuildQuestion) -> None:
    if row.status != PENDING:
        outcome = "approved" if row.status in (ACTIVE, RETIRED) else row.status
        raise SuggestionClosed(f"That suggestion (`{row.question_id}`) was already {outcome}.")


@dataclass
class Ids:
    """Ids in use: ``known`` feeds the validator, ``owners`` says who owns an id, in words."""

    known: dict[str, str]
    owners: dict[str, str]

    def without(self, question_id: str) -> Ids:
        known = dict(self.known)
        known.pop(question_id, None)
        owners = dict(self.owners)
        owners.pop(question_id, None)
        return Ids(known, owners)


def owner_text(own: bool, status: str) -> str:
    if not own:
        return "another server"
    return {
        ACTIVE: "a question of this server",
        RETIRED: "a retired question of this server (ids are never reused)",
        PENDING: "a suggestion of this server waiting for review (/bank review)",
        REJECTED: "a rejected suggestion of this server",
    }.get(status, "this server")


def explain_clash(line: str, question_id: str | None, message: str, ids: Ids) -> str:
    """Name the owner of a clashing id instead of the validator's "first defined at"."""
    owner = ids.owners.get(question_id or "")
    if owner and message.startswith(f"duplicate id '{question_id}' (first defined at {owner})"):
        prefix = line[: len(line) - len(message)]
        return f"{prefix}id '{question_id}' is already used by {owner}; choose another id"
    return line
