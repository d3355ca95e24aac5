"""Writing an imported file of questions into a guild's bank.

The cost is linear in the file (N questions), whatever the size of the guild's bank: only the
file's own ids are looked up, the comparisons and JSON work run in a worker thread, and rows are
written in batches, so the event loop is never held for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from bot.core.questions import Question
from bot.features.bank import rows
from bot.features.bank.form import body_of, changes, question_of
from bot.features.bank.types import ACTIVE, BankAdminError, ImportReport
from bot.storage.database import Database
from bot.storage.models import GuildQuestion

WRITE_BATCH = 100  # rows per INSERT/UPDATE batch (one short hold of the loop each)


@dataclass
class _Plan:
    """What the import does, worked out off the event loop."""

    new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _plan(questions: Sequence[Question], existing: list[tuple[int, str, str]]) -> _Plan:
    """New ids are added; this guild's active questions are updated when they differ."""
    stored = {qid: (row_id, rows.decode(body)) for row_id, qid, body in existing}
    plan = _Plan()
    for question in questions:
        body = body_of(question)
        found = stored.get(question.id)
        if found is None:
            plan.new.append((question.id, body))
        elif question_of(found[1]) == question:
            plan.unchanged.append(question.id)
        else:
            plan.changed.append((found[0], question.id, body, changes(found[1], body)))
    return plan


async def apply_import(
    db: Database,
    now: datetime,
    guild_id: int,
    actor_id: int | None,
    filename: str,
    questions: Sequence[Question],
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Write a checked import in one transaction: new ids added (in file order, which is the
    export order), this guild's active questions updated in place, and one audit entry listing
    both. ``progress("saving", done, total)`` after each batch."""
    total = len(questions)
    try:
        async with db.transaction() as s:
            existing = await rows.raw_bodies(s, guild_id, ACTIVE, [q.id for q in questions])
            plan = await asyncio.to_thread(_plan, questions, existing)
            done = len(plan.unchanged)
            for start in range(0, len(plan.changed), WRITE_BATCH):
                batch = plan.changed[start : start + WRITE_BATCH]
                await s.execute(
                    update(GuildQuestion),
                    [
                        {"id": row_id, "body": body, "updated_at": now}
                        for row_id, _, body, _ in batch
                    ],
                )
                done += len(batch)
                if progress is not None:
                    progress("saving", done, total)
            for start in range(0, len(plan.new), WRITE_BATCH):
                batch_new = plan.new[start : start + WRITE_BATCH]
                await s.execute(
                    insert(GuildQuestion),
                    [
                        {
                            "guild_id": guild_id,
                            "question_id": qid,
                            "status": ACTIVE,
                            "body": body,
                            "author_id": actor_id,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for qid, body in batch_new
                    ],
                )
                done += len(batch_new)
                if progress is not None:
                    progress("saving", done, total)
            if plan.new or plan.changed:
                details: dict[str, Any] = {"file": filename, "added": dict(plan.new)}
                details["updated"] = {qid: diff for _, qid, _, diff in plan.changed}
                details["unchanged"] = len(plan.unchanged)
                rows.audit(s, now, guild_id, actor_id, "bank.import", filename[:100], details)
    except IntegrityError as exc:
        raise BankAdminError(
            "An id in the file was taken a moment ago by someone else; nothing was "
            "imported. Please try again."
        ) from exc
    return ImportReport(
        tuple(qid for qid, _ in plan.new),
        tuple(qid for _, qid, _, _ in plan.changed),
        tuple(plan.unchanged),
    )
