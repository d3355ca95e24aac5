"""Guild question rows: lookups, the people behind them, the audit entry every write adds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
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


async def id_owners(s: AsyncSession) -> list[tuple[str, int, str]]:
    """(question id, guild, status) of every guild question: plain tuples, cheap to fetch."""
    found = await s.execute(
        select(GuildQuestion.question_id, GuildQuestion.guild_id, GuildQuestion.status)
    )
    return [(qid, guild, status) for qid, guild, status in found]


IN_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


async def raw_bodies(
    s: AsyncSession, guild_id: int, status: str, question_ids: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(row id, question id, body as JSON text) of these of the guild's questions. The text is
    decoded by the caller, off the event loop (``decode``)."""
    found: list[tuple[int, str, str]] = []
    for start in range(0, len(question_ids), IN_CHUNK):
        chunk = question_ids[start : start + IN_CHUNK]
        result = await s.execute(
            select(GuildQuestion.id, GuildQuestion.question_id, cast(GuildQuestion.body, Text))
            .where(
                GuildQuestion.guild_id == guild_id,
                GuildQuestion.status == status,
                GuildQuestion.question_id.in_(chunk),
            )
            .order_by(GuildQuestion.id)
        )
        found.extend((row_id, qid, body) for row_id, qid, body in result)
    return found


def decode(body: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(body)
    return decoded


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

    def without(self, *question_ids: str) -> Ids:
        """These ids free (e.g. the questions being rewritten): one pass over the ids, however
        many are freed."""
        freed = set(question_ids)
        return Ids(
            {k: v for k, v in self.known.items() if k not in freed},
            {k: v for k, v in self.owners.items() if k not in freed},
        )


def ids_in_use(
    registry_ids: Mapping[str, str],
    bundled_ids: Iterable[str],
    found: Iterable[tuple[str, int, str]],
    guild_id: int,
    *,
    free: Iterable[str] = (),
) -> Ids:
    """Every id in use, each named by its owner (``found`` from ``id_owners``), except the ids
    in ``free`` (questions being rewritten). One pass over each input: no per-id copies."""
    freed = set(free)
    owners = {qid: "the bundled bank" for qid in bundled_ids}
    for question_id, owner_guild, status in found:
        if question_id not in freed:
            owners[question_id] = owner_text(owner_guild == guild_id, status)
    known = {k: v for k, v in registry_ids.items() if k not in freed}
    known.update(owners)  # the validator's "first defined at" then names the owner
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
