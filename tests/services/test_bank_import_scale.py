"""Big imports into a big guild bank: all or nothing, file order kept, progress for big files."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from bot.core.bank import QuestionBank, dump_questions
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.features.bank import rows
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import ImportProgress, ImportRejected
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import AuditEntry, GuildQuestion
from tests.factories import question

GUILD, OTHER = 111, 222


@pytest.fixture
def registry() -> BankRegistry:
    return BankRegistry(QuestionBank([question("bundled-one")]))


@pytest.fixture
def service(db: Database, clock: FakeClock, registry: BankRegistry) -> BankAdminService:
    return BankAdminService(db, clock, registry, GuildSettingsService(db, clock))


def _file(ids: list[str], prompt: str = "") -> str:
    made = [question(i) for i in ids]
    if prompt:
        made = [dataclasses.replace(q, prompt=f"{prompt} {q.id}") for q in made]
    return dump_questions(made)


async def test_a_big_file_into_a_big_bank_adds_updates_and_reports_progress(
    db: Database, service: BankAdminService, registry: BankRegistry
) -> None:
    for part in range(2):  # 2,000 questions already, imported as two files of 1,000
        names = [f"seed-{part}-{i:04}" for i in range(1000)]
        await service.import_yaml(GUILD, None, f"seed-{part}.yaml", _file(names))
    await service.import_yaml(OTHER, None, "other.yaml", _file(["theirs"]))

    updated = [f"seed-1-{i:04}" for i in range(300)]
    unchanged = [f"seed-0-{i:04}" for i in range(100)]
    new = [f"new-{i:04}" for i in range(600)]
    text = dump_questions(
        [question(i) for i in new[:300]]
        + [dataclasses.replace(question(i), prompt=f"Reworded {i}") for i in updated]
        + [question(i) for i in unchanged]
        + [question(i) for i in new[300:]]
    )
    seen: list[ImportProgress] = []
    report = await service.import_yaml(GUILD, None, "big.yaml", text, progress=seen.append)

    assert report.added == tuple(new) and report.updated == tuple(updated)
    assert report.unchanged == tuple(unchanged)
    async with db.reading() as s:
        own = (
            await s.scalars(
                select(GuildQuestion.question_id)
                .where(GuildQuestion.guild_id == GUILD)
                .order_by(GuildQuestion.id)
            )
        ).all()
        entry = await s.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        body = await s.scalar(
            select(GuildQuestion.body).where(GuildQuestion.question_id == updated[0])
        )
    assert len(own) == 2600 and list(own[2000:]) == new  # new rows in file order, at the end
    assert body is not None and body["prompt"] == f"Reworded {updated[0]}"
    assert entry is not None and entry.action == "bank.import" and entry.target == "big.yaml"
    assert list(entry.details["added"]) == new and list(entry.details["updated"]) == updated
    assert entry.details["unchanged"] == 100

    bank = registry.for_guild(GUILD)
    assert len(bank) == 2600 + 1  # the guild's questions and the bundled one
    reworded = bank.get(updated[0])
    assert reworded is not None and reworded.prompt == f"Reworded {updated[0]}"
    assert "theirs" not in bank and registry.get("theirs") is not None
    merged = registry.guild(GUILD)  # updated in place, without reading the guild's rows again
    assert merged is not None and [q.id for q in merged] == list(own)
    await service.sync_guild(GUILD)  # the same as a full read of the rows
    reread = registry.guild(GUILD)
    assert reread is not None and list(reread) == list(merged)
    assert {q.origin for q in merged} == {f"server {GUILD}"}

    stages = [p.stage for p in seen]
    assert stages == sorted(stages, key=["checking", "saving", "loading"].index)
    checking = [(p.done, p.total) for p in seen if p.stage == "checking"]
    saving = [(p.done, p.total) for p in seen if p.stage == "saving"]
    assert checking[-1] == (1000, 1000) and 5 <= len(checking) <= 11
    assert [d for d, _ in checking] == sorted(d for d, _ in checking)
    assert saving[-1] == (1000, 1000) and [d for d, _ in saving] == sorted(d for d, _ in saving)
    assert [(p.done, p.total) for p in seen if p.stage == "loading"] == [(0, 900)]


async def test_a_small_file_reports_no_progress_and_a_refused_one_changes_nothing(
    db: Database, service: BankAdminService
) -> None:
    seen: list[ImportProgress] = []
    await service.import_yaml(GUILD, None, "small.yaml", _file(["a-1", "a-2"]), seen.append)
    assert seen == []
    clash = _file([f"fine-{i:03}" for i in range(600)] + ["bundled-one"])
    with pytest.raises(ImportRejected) as refused:
        await service.import_yaml(GUILD, None, "clash.yaml", clash, seen.append)
    [problem] = refused.value.problems
    assert "id 'bundled-one' is already used by the bundled bank" in problem
    assert {p.stage for p in seen} == {"checking"}  # checked, then refused: nothing saved
    async with db.reading() as s:
        count = await s.scalar(select(func.count()).select_from(GuildQuestion))
    assert count == 2


async def test_own_active_ids_are_free_to_update_others_are_not(
    service: BankAdminService,
) -> None:
    await service.import_yaml(GUILD, None, "mine.yaml", _file(["mine-1", "mine-2"]))
    await service.retire(GUILD, None, "mine-2")
    await service.import_yaml(OTHER, None, "theirs.yaml", _file(["theirs-1"]))
    again = await service.import_yaml(GUILD, None, "again.yaml", _file(["mine-1"], "New"))
    assert again.updated == ("mine-1",)
    with pytest.raises(ImportRejected) as refused:
        await service.import_yaml(GUILD, None, "bad.yaml", _file(["mine-2", "theirs-1"]))
    first, second = refused.value.problems
    assert "'mine-2' is already used by a retired question of this server" in first
    assert "'theirs-1' is already used by another server" in second


def test_ids_in_use_frees_many_ids_in_one_pass() -> None:
    found = [("a", GUILD, "active"), ("b", GUILD, "retired"), ("c", OTHER, "active")]
    registry_ids = {"a": "server", "b": "server", "c": "server", "x": "bundled"}
    ids = rows.ids_in_use(registry_ids, ["x"], found, GUILD, free=["a"])
    assert ids.owners == {
        "x": "the bundled bank",
        "b": rows.owner_text(True, "retired"),
        "c": "another server",
    }
    assert set(ids.known) == {"b", "c", "x"}
    assert set(ids.without("b", "c").known) == {"x"}
