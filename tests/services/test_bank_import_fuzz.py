"""The import path under hostile files (hypothesis): every file gives a report or a refusal a
moderator can read, never another exception, and an import is all or nothing.

The files are the structured mutations and raw edits of real bank files that fuzz the
validator (``tests/core/test_bank_fuzz.py``), here sent through ``/bank import``'s service,
one after another into the same guild on SQLite and, when available, PostgreSQL. After a
refusal nothing changed; after a report the guild holds exactly what it says was added.

``BANK_FUZZ_EXAMPLES=2000 pytest tests/services/test_bank_import_fuzz.py`` searches longer.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import BankAdminError, ImportRejected
from bot.storage.database import Database
from bot.storage.models import GuildQuestion
from tests.core.test_bank_fuzz import mutated, text_edits
from tests.services.test_bank_admin import GUILD, bundled, make_service

EXAMPLES = max(20, int(os.environ.get("BANK_FUZZ_EXAMPLES", "300")) // 5)


async def _stored(db: Database) -> dict[str, str]:
    async with db.reading() as s:
        rows = await s.execute(
            select(GuildQuestion.question_id, GuildQuestion.status).where(
                GuildQuestion.guild_id == GUILD
            )
        )
        return {question_id: status for question_id, status in rows.all()}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(mutated(), text_edits()))
async def test_a_hostile_file_is_imported_whole_or_refused_with_nothing_changed(
    db: Database, clock: FakeClock, text: str
) -> None:
    registry = BankRegistry(bundled())
    service: BankAdminService = make_service(db, clock, registry)
    await service.load_all()  # the guild's bank as earlier examples stored it
    before = await _stored(db)
    async with db.reading() as s:
        total_before = await s.scalar(select(func.count()).select_from(GuildQuestion))
    refused: BankAdminError | None = None
    try:
        report = await service.import_yaml(GUILD, None, "fuzz.yaml", text)
    except BankAdminError as exc:  # a refusal a moderator reads (ImportRejected lists lines)
        refused = exc
    event("refused" if refused else "imported")
    if refused is not None:
        if isinstance(refused, ImportRejected):
            assert refused.problems and all("\n" not in p for p in refused.problems)
        assert str(refused)
        assert await _stored(db) == before  # nothing written
        return
    after = await _stored(db)
    assert set(after) == set(before) | set(report.added)
    assert not set(report.added) & set(before)
    assert set(report.updated) | set(report.unchanged) <= set(before)
    async with db.reading() as s:
        total_after = await s.scalar(select(func.count()).select_from(GuildQuestion))
    assert total_after == (total_before or 0) + len(report.added)
    for question_id in report.added:
        assert registry.for_guild(GUILD).get(question_id) is not None
