"""Writing an imported file of questions into a guild's bank."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.core.questions import Question
from bot.features.bank import rows
from bot.features.bank.form import body_of, changes, question_of
from bot.features.bank.types import ACTIVE, BankAdminError, ImportReport
from bot.storage.database import Database
from bot.storage.models import GuildQuestion


async def apply_import(
    db: Database,
    now: datetime,
    guild_id: int,
    actor_id: int | None,
    filename: str,
    questions: Iterable[Question],
) -> ImportReport:
    """Write a checked import in one transaction: new ids added, this guild's active questions
    updated in place, and one audit entry listing both."""
    added: dict[str, Any] = {}
    updated: dict[str, Any] = {}
    unchanged: list[str] = []
    try:
        async with db.transaction() as s:
            existing = {r.question_id: r for r in await rows.guild_rows(s, guild_id, (ACTIVE,))}
            for question in questions:
                body = body_of(question)
                row = existing.get(question.id)
                if row is None:
                    s.add(
                        GuildQuestion(
                            guild_id=guild_id,
                            question_id=question.id,
                            status=ACTIVE,
                            body=body,
                            author_id=actor_id,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    added[question.id] = body
                elif question_of(row.body) == question:
                    unchanged.append(question.id)
                else:
                    updated[question.id] = changes(row.body, body)
                    row.body, row.updated_at = body, now
                await s.flush()  # keep insertion order = file order (export order)
            if added or updated:
                details: dict[str, Any] = {"file": filename, "added": added}
                details |= {"updated": updated, "unchanged": len(unchanged)}
                rows.audit(
                    s,
                    now,
                    guild_id,
                    actor_id,
                    "bank.import",
                    filename[:100],
                    details,
                )
    except IntegrityError as exc:
        raise BankAdminError(
            "An id in the file was taken a moment ago by someone else; nothing was "
            "imported. Please try again."
        ) from exc
    return ImportReport(tuple(added), tuple(updated), tuple(unchanged))
