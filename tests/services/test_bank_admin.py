"""Bank admin service: guild questions, import/export, suggestions, audit (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.bank import QuestionBank, dump_questions
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.questions import Track
from bot.features.bank.form import FormInvalid, QuestionForm
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import (
    BankAdminError,
    ImportRejected,
    QuestionNotFound,
    SuggestionClosed,
)
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import AuditEntry, GuildQuestion, User
from tests.factories import question

GUILD, OTHER = 111, 222
FORM = QuestionForm(
    track="technical",
    topic="bias-variance",
    difficulty="medium",
    minutes=5,
    prompt="Your model scores 0.99 on training data and 0.81 on validation. What is going on?",
    reference_answer="High variance: the model overfits. Confirm with learning curves.",
    rubric=(
        "Identifies overfitting :: overfitting | high variance, gap :: weight 2\n"
        "Confirms before changing anything :: learning curve | cross-validation"
    ),
    hints="Compare the two numbers.\nWhich error dominates?",
    follow_ups="What if both were 0.80?",
)


def bundled() -> QuestionBank:
    return QuestionBank(
        [question("bundled-easy"), question("bundled-sd", track=Track.SYSTEM_DESIGN, topic="ads")]
    )


def make_service(db: Database, clock: FakeClock, registry: BankRegistry) -> BankAdminService:
    return BankAdminService(db, clock, registry, GuildSettingsService(db, clock))


@pytest.fixture
def registry() -> BankRegistry:
    return BankRegistry(bundled())


@pytest.fixture
def service(db: Database, clock: FakeClock, registry: BankRegistry) -> BankAdminService:
    return make_service(db, clock, registry)


async def user(db: Database, clock: FakeClock, external_id: str, name: str) -> int:
    async with db.transaction() as s:
        row = User(platform="discord", external_id=external_id, display_name=name)
        row.created_at = clock.now()
        s.add(row)
        await s.flush()
        return row.id


async def audit(db: Database, guild_id: int = GUILD) -> list[AuditEntry]:
    async with db.reading() as s:
        return list(
            (
                await s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.guild_id == guild_id)
                    .order_by(AuditEntry.id)
                )
            ).all()
        )


async def rows(db: Database) -> list[GuildQuestion]:
    async with db.reading() as s:
        return list((await s.scalars(select(GuildQuestion).order_by(GuildQuestion.id))).all())


def yaml_of(*ids: str, **overrides: Any) -> str:
    return dump_questions(dataclasses.replace(question(i), **overrides) for i in ids)


# -- add -------------------------------------------------------------------------------------


async def test_add_validates_stores_audits_and_updates_the_registry(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    mod = await user(db, clock, "1", "alice")
    saved = await service.add(GUILD, mod, FORM, guild_name="ML Interview Prep")
    q = saved.question
    assert q.id == "ml-interview-model-scores-0-99-training"
    assert q.rubric[0].cues == ("overfitting|high variance", "gap") and q.rubric[0].weight == 2
    assert q.hints == ("Compare the two numbers.", "Which error dominates?")
    assert q.follow_ups == ("What if both were 0.80?",)
    [row] = await rows(db)
    assert (row.guild_id, row.status, row.author_id, row.body["id"]) == (GUILD, "active", mod, q.id)
    [entry] = await audit(db)
    assert (entry.action, entry.target, entry.actor_id) == ("bank.add", q.id, mod)
    assert entry.details["question"]["prompt"] == FORM.prompt
    # Used beside the bundled questions in this guild only.
    assert registry.for_guild(GUILD).get(q.id) == q
    assert registry.for_guild(GUILD).get("bundled-easy") is not None
    assert registry.for_guild(OTHER).get(q.id) is None
    assert registry.get(q.id) == q


async def test_generated_ids_stay_unique(service: BankAdminService) -> None:
    first = await service.add(GUILD, None, FORM, guild_name="ML Interview Prep")
    second = await service.add(GUILD, None, FORM, guild_name="ML Interview Prep")
    assert second.question.id == first.question.id + "-2"
    unnamed = await service.add(OTHER, None, dataclasses.replace(FORM, prompt="Why? 🤔"))
    assert unnamed.question.id == "g66-question"  # 222 in base 36; no words to use


async def test_form_problems_name_the_fields_and_nothing_is_saved(
    db: Database, service: BankAdminService
) -> None:
    bad = dataclasses.replace(
        FORM,
        reference_answer="   ",
        rubric="Good point :: cue\nno separator\nPoint :: a :: 9",
        hints="one\ntwo\nthree\nfour",
    )
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, bad, question_id="my-question")
    problems = caught.value.problems
    assert "Rubric line 2: separate the point from its cues with '::'" in problems[0]
    assert problems[1].startswith("Rubric line 3: the weight after the second '::'")
    assert "Reference answer: 'reference_answer' must not be empty" in problems
    assert any(p.startswith("Hints: 'hints' must have 1-3") for p in problems)
    assert await rows(db) == [] and await audit(db) == []


async def test_validator_problems_point_at_the_rubric_line(service: BankAdminService) -> None:
    rubric = "First :: a\n\nSecond :: a, b, c, d, e, f\n"
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, dataclasses.replace(FORM, rubric=rubric))
    assert caught.value.problems == ["Rubric line 3: 'cues' must have 1-5 items, got 6"]
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, dataclasses.replace(FORM, rubric="Only :: one"))
    assert caught.value.problems == ["Rubric: 'rubric' must have 2-8 points, got 1"]
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, dataclasses.replace(FORM, topic="Bias Variance"))
    assert caught.value.problems == [
        "topic: topic 'Bias Variance' is not a slug (use only a-z, 0-9 and '-')"
    ]


async def test_ids_owned_elsewhere_are_refused_by_name(service: BankAdminService) -> None:
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, FORM, question_id="bundled-easy")
    assert caught.value.problems == ["id: 'bundled-easy' is already used by the bundled bank"]
    await service.add(OTHER, None, FORM, question_id="theirs")
    with pytest.raises(FormInvalid) as caught:
        await service.add(GUILD, None, FORM, question_id="theirs")
    assert caught.value.problems == ["id: 'theirs' is already used by another server"]


async def test_system_design_needs_an_import(service: BankAdminService) -> None:
    with pytest.raises(BankAdminError, match="/bank import"):
        await service.add(GUILD, None, dataclasses.replace(FORM, track="system-design"))


# -- edit and retire -------------------------------------------------------------------------


async def test_edit_changes_only_what_was_edited(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    mod = await user(db, clock, "1", "alice")
    # Imported with a trailing newline and spaced alternatives a form would normalise.
    await service.import_yaml(
        GUILD,
        mod,
        "mine.yaml",
        yaml_of("mine", prompt="Line one\nline two\n", reference_answer="Answer text\n"),
    )
    info = await service.editable(GUILD, "mine")
    assert info.row_id is not None
    form = dataclasses.replace(
        FORM,
        track=info.question.track.value,
        topic=info.question.topic,
        difficulty="hard",
        minutes=info.question.minutes,
        prompt="Line one\nline two",  # as a modal returns it: unchanged
        reference_answer="A better answer.",
        rubric="Names overfitting :: overfitting|high variance\n"
        "Mentions cross-validation :: cross-validation|k-fold",
        hints="Think about the gap.\nWhich error dominates?",
        follow_ups="Why?",
    )
    saved = await service.edit(GUILD, mod, info.row_id, form)
    assert set(saved.changed) == {"difficulty", "reference_answer"}
    assert saved.question.prompt == "Line one\nline two\n"  # stored value kept exactly
    assert registry.for_guild(GUILD).get("mine") == saved.question
    entry = (await audit(db))[-1]
    assert entry.action == "bank.edit" and set(entry.details["changes"]) == {
        "difficulty",
        "reference_answer",
    }
    assert entry.details["changes"]["difficulty"] == {"before": "easy", "after": "hard"}
    again = await service.edit(GUILD, mod, info.row_id, form)
    assert again.changed == () and len(await audit(db)) == 2  # no empty audit entries


async def test_edit_refusals(service: BankAdminService) -> None:
    sd = dump_questions([question("my-sd", track=Track.SYSTEM_DESIGN, topic="ads")])
    await service.import_yaml(GUILD, None, "sd.yaml", sd)
    await service.import_yaml(OTHER, None, "x.yaml", yaml_of("theirs"))
    with pytest.raises(BankAdminError, match="bundled question"):
        await service.editable(GUILD, "bundled-easy")
    with pytest.raises(BankAdminError, match="phases"):
        await service.editable(GUILD, "my-sd")
    with pytest.raises(QuestionNotFound):
        await service.editable(GUILD, "theirs")  # another guild's question stays invisible


async def test_retire_keeps_the_question_resolvable(
    db: Database, service: BankAdminService, registry: BankRegistry
) -> None:
    await service.import_yaml(GUILD, None, "a.yaml", yaml_of("keep", "old"))
    saved = await service.retire(GUILD, None, "old")
    assert saved.status == "retired"
    assert registry.for_guild(GUILD).get("old") is None  # not in new interviews
    assert registry.get("old") is not None  # past sessions still show it
    assert registry.for_guild(GUILD).get("keep") is not None
    entry = (await audit(db))[-1]
    assert (entry.action, entry.target) == ("bank.retire", "old")
    assert entry.details == {"status": {"before": "active", "after": "retired"}}
    with pytest.raises(BankAdminError, match="only active questions"):
        await service.retire(GUILD, None, "old")
    with pytest.raises(BankAdminError, match="bundled question"):
        await service.retire(GUILD, None, "bundled-easy")
    with pytest.raises(FormInvalid, match="retired question of this server"):
        await service.add(GUILD, None, FORM, question_id="old")


# -- import and export -----------------------------------------------------------------------


BAD_FILE = """\
questions:
  - id: fine-one
    track: technical
    topic: bias-variance
    difficulty: easy
    minutes: 5
    prompt: A fine question?
    reference_answer: A fine answer.
    rubric:
      - point: One
        cues: ["a"]
      - point: Two
        cues: ["b"]
  - id: bundled-easy
    track: technical
    topic: bias-variance
    difficulty: hardest
    minutes: 0
    prompt: Clashes with the bundled bank.
    reference_answer: x
    rubric:
      - point: One
        cues: ["a"]
      - point: Two
        cues: ["b"]
"""


async def test_import_is_all_or_nothing_with_line_numbers(
    db: Database, service: BankAdminService, registry: BankRegistry
) -> None:
    with pytest.raises(ImportRejected) as caught:
        await service.import_yaml(GUILD, None, "mixed.yaml", BAD_FILE)
    assert caught.value.problems == [
        "mixed.yaml:14:9: bundled-easy: id 'bundled-easy' is already used by the bundled bank; "
        "choose another id",
        "mixed.yaml:17:17: bundled-easy: difficulty 'hardest' is not allowed (allowed: easy, "
        "medium, hard)",
        "mixed.yaml:18:14: bundled-easy: 'minutes' must be a positive integer, got 0",
    ]
    assert "3 problems" in str(caught.value) and "Nothing was changed" in str(caught.value)
    assert await rows(db) == [] and await audit(db) == []
    assert registry.for_guild(GUILD).get("fine-one") is None


async def test_import_upserts_own_questions_and_refuses_foreign_ids(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    mod = await user(db, clock, "1", "alice")
    report = await service.import_yaml(GUILD, mod, "first.yaml", yaml_of("q-one", "q-two"))
    assert (report.added, report.updated, report.unchanged) == (("q-one", "q-two"), (), ())
    entry = (await audit(db))[-1]
    assert entry.action == "bank.import" and set(entry.details["added"]) == {"q-one", "q-two"}

    changed = dump_questions(
        [dataclasses.replace(question("q-one"), prompt="New prompt"), question("q-three")]
    )
    report = await service.import_yaml(GUILD, mod, "second.yaml", changed)
    assert (report.added, report.updated) == (("q-three",), ("q-one",))
    assert registry.for_guild(GUILD).get("q-one").prompt == "New prompt"  # type: ignore[union-attr]
    entry = (await audit(db))[-1]
    assert entry.details["updated"]["q-one"] == {
        "prompt": {"before": "Prompt of q-one", "after": "New prompt"}
    }

    with pytest.raises(ImportRejected) as caught:
        await service.import_yaml(OTHER, None, "steal.yaml", yaml_of("q-one"))
    assert "id 'q-one' is already used by another server" in caught.value.problems[0]
    await service.retire(GUILD, mod, "q-two")
    with pytest.raises(ImportRejected) as caught:
        await service.import_yaml(GUILD, mod, "back.yaml", yaml_of("q-two"))
    assert "retired question of this server" in caught.value.problems[0]


async def test_import_refuses_files_over_one_mebibyte(service: BankAdminService) -> None:
    with pytest.raises(BankAdminError, match="1 MiB"):
        await service.import_yaml(GUILD, None, "big.yaml", "#" * (1024 * 1024 + 1))


async def test_export_imports_back_unchanged(
    db: Database, clock: FakeClock, service: BankAdminService, tmp_path: Any
) -> None:
    sd = question("my-sd", track=Track.SYSTEM_DESIGN, topic="ads")
    source = dump_questions([question("e-one"), sd, question("e-two")])
    await service.import_yaml(GUILD, None, "source.yaml", source)
    await service.add(GUILD, None, FORM, guild_name="ML Interview Prep")
    await service.retire(GUILD, None, "e-two")
    exported, count = await service.export_yaml(GUILD)
    assert count == 3 and "e-two" not in exported  # active questions only
    entries = len(await audit(db))

    report = await service.import_yaml(GUILD, None, "export.yaml", exported)
    assert len(report.unchanged) == 3 and not report.added and not report.updated
    assert len(await audit(db)) == entries  # nothing changed, nothing audited
    again, _ = await service.export_yaml(GUILD)
    assert again.encode() == exported.encode()

    # Into another database (a fresh install): the same bytes come out again.
    other_db = Database(f"sqlite+aiosqlite:///{tmp_path}/other.sqlite3")
    from bot.tables import Base

    async with other_db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        fresh = make_service(other_db, clock, BankRegistry(bundled()))
        await fresh.import_yaml(GUILD, None, "export.yaml", exported)
        assert (await fresh.export_yaml(GUILD))[0] == exported
    finally:
        await other_db.dispose()

    with pytest.raises(ImportRejected) as caught:
        await service.import_yaml(OTHER, None, "export.yaml", exported)
    assert len(caught.value.problems) == 3
    assert all("already used by another server" in p for p in caught.value.problems)


async def test_export_of_nothing(service: BankAdminService) -> None:
    assert await service.export_yaml(GUILD) == ("", 0)


# -- suggestions -----------------------------------------------------------------------------


async def test_suggest_then_approve(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    bob = await user(db, clock, "200", "bob")
    mod = await user(db, clock, "100", "alice")
    saved = await service.suggest(GUILD, bob, FORM, guild_name="ML Interview Prep")
    assert saved.status == "pending"
    assert registry.for_guild(GUILD).get(saved.question.id) is None  # not used before review
    clock.advance(minutes=1)
    later = await service.suggest(GUILD, bob, dataclasses.replace(FORM, prompt="Another one?"))

    pending = await service.next_suggestion(GUILD)
    assert pending is not None and pending.row_id == saved.row_id and pending.pending == 2
    assert pending.author is not None and pending.author.external_id == "200"

    outcome = await service.approve(GUILD, mod, saved.row_id)
    assert outcome.status == "active" and outcome.author is not None
    assert outcome.author.display_name == "bob" and outcome.changed == ()
    assert registry.for_guild(GUILD).get(saved.question.id) == saved.question
    nxt = await service.next_suggestion(GUILD)
    assert nxt is not None and nxt.row_id == later.row_id and nxt.pending == 1
    actions = [(e.action, e.actor_id) for e in await audit(db)]
    assert actions == [("bank.suggest", bob), ("bank.suggest", bob), ("bank.approve", mod)]
    assert (await audit(db))[-1].details["status"] == {"before": "pending", "after": "active"}
    with pytest.raises(SuggestionClosed, match="already approved"):
        await service.approve(GUILD, mod, saved.row_id)
    with pytest.raises(QuestionNotFound):
        await service.approve(OTHER, mod, later.row_id)  # another guild's queue


async def test_approve_with_edits_records_them(
    db: Database, clock: FakeClock, service: BankAdminService
) -> None:
    bob = await user(db, clock, "200", "bob")
    saved = await service.suggest(GUILD, bob, FORM)
    info = await service.suggestion(GUILD, saved.row_id)
    edited = dataclasses.replace(
        FORM, prompt="A clearer prompt?", difficulty=info.question.difficulty.value
    )
    outcome = await service.approve(GUILD, None, saved.row_id, edited)
    assert outcome.changed == ("prompt",)
    assert (await audit(db))[-1].details["changes"]["prompt"]["after"] == "A clearer prompt?"


async def test_reject_with_reason(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    bob = await user(db, clock, "200", "bob")
    saved = await service.suggest(GUILD, bob, FORM)
    with pytest.raises(BankAdminError, match="reason"):
        await service.reject(GUILD, None, saved.row_id, "  ")
    outcome = await service.reject(GUILD, None, saved.row_id, "Too close to an existing one.")
    assert outcome.status == "rejected" and outcome.reason == "Too close to an existing one."
    assert outcome.author is not None and outcome.author.external_id == "200"
    assert await service.next_suggestion(GUILD) is None
    assert registry.get(saved.question.id) is None
    entry = (await audit(db))[-1]
    assert entry.action == "bank.reject" and entry.details["reason"] == outcome.reason
    with pytest.raises(SuggestionClosed, match="already rejected"):
        await service.reject(GUILD, None, saved.row_id, "again")
    with pytest.raises(FormInvalid, match="rejected suggestion"):  # the id stays reserved
        await service.add(GUILD, None, FORM, question_id=saved.question.id)


# -- settings, start-up, listing, audit ------------------------------------------------------


async def test_bundled_off_uses_only_the_guilds_questions(
    db: Database, clock: FakeClock, service: BankAdminService, registry: BankRegistry
) -> None:
    mod = await user(db, clock, "1", "alice")
    await service.add(GUILD, mod, FORM, question_id="own-one")
    config = await service.set_bundled(GUILD, mod, False)
    assert config.bundled_questions is False
    assert [q.id for q in registry.for_guild(GUILD)] == ["own-one"]
    assert registry.for_guild(OTHER).get("bundled-easy") is not None
    entry = (await audit(db))[-1]
    assert (entry.action, entry.actor_id) == ("config", mod)
    assert entry.details == {
        "before": {"bundled_questions": True},
        "after": {"bundled_questions": False},
    }
    await service.set_bundled(GUILD, mod, True)
    assert registry.for_guild(GUILD).get("bundled-easy") is not None


async def test_load_all_rebuilds_the_registry_after_a_restart(
    db: Database, clock: FakeClock, service: BankAdminService
) -> None:
    await service.import_yaml(GUILD, None, "a.yaml", yaml_of("live", "gone"))
    await service.retire(GUILD, None, "gone")
    await service.suggest(GUILD, 0 or await user(db, clock, "2", "bob"), FORM)
    await service.set_bundled(OTHER, None, False)

    restarted = BankRegistry(bundled())
    assert await make_service(db, clock, restarted).load_all() == 2
    assert [q.id for q in restarted.for_guild(GUILD) if not q.id.startswith("bundled")] == ["live"]
    assert restarted.get("gone") is not None
    assert len(restarted.for_guild(OTHER)) == 0  # bundled off, no questions of its own


async def test_list_pages_filters_and_bundled(service: BankAdminService) -> None:
    qs = [question(f"l-{i:02}", topic="alpha" if i % 2 else "beta") for i in range(23)]
    await service.import_yaml(GUILD, None, "many.yaml", dump_questions(qs))
    await service.retire(GUILD, None, "l-00")
    first = await service.list_page(GUILD)
    assert (first.page, first.pages, first.total, len(first.entries)) == (0, 3, 23, 10)
    assert first.entries[0].topic == "alpha"
    last = await service.list_page(GUILD, 99)  # clamped to the last page
    assert (last.page, len(last.entries)) == (2, 3)
    statuses = [e.status for p in range(3) for e in (await service.list_page(GUILD, p)).entries]
    assert statuses.count("retired") == 1 and statuses.count("active") == 22
    beta = await service.list_page(GUILD, topic="beta")
    assert beta.total == 12 and {e.topic for e in beta.entries} == {"beta"}
    with_bundled = await service.list_page(GUILD, 2, include_bundled=True)
    assert with_bundled.total == 25 and with_bundled.entries[-1].owner == "bundled"
    sd_only = await service.list_page(GUILD, track="system-design", include_bundled=True)
    assert [e.question_id for e in sd_only.entries] == ["bundled-sd"]


async def test_show_own_bundled_and_foreign(service: BankAdminService) -> None:
    await service.import_yaml(OTHER, None, "x.yaml", yaml_of("theirs"))
    await service.add(GUILD, None, FORM, question_id="mine")
    own = await service.show(GUILD, "mine")
    assert (own.owner, own.status) == ("server", "active")
    assert (await service.show(GUILD, "bundled-easy")).owner == "bundled"
    with pytest.raises(QuestionNotFound):
        await service.show(GUILD, "theirs")


async def test_audit_log_newest_first_with_actor(
    db: Database, clock: FakeClock, service: BankAdminService
) -> None:
    mod = await user(db, clock, "1", "alice")
    await service.add(GUILD, mod, FORM, question_id="first")
    clock.advance(minutes=1)
    await service.retire(GUILD, mod, "first")
    clock.advance(minutes=1)
    await service.set_bundled(GUILD, None, False)
    entries = await service.audit_log(GUILD, 2)
    assert [(e.action, e.target) for e in entries] == [
        ("config", "guild_settings"),
        ("bank.retire", "first"),
    ]
    assert entries[0].actor is None and entries[1].actor is not None
    assert entries[1].actor.display_name == "alice"
    assert await service.audit_log(OTHER) == []


async def test_summary_counts_by_status(
    db: Database, clock: FakeClock, service: BankAdminService
) -> None:
    await service.import_yaml(GUILD, None, "a.yaml", yaml_of("s-one", "s-two"))
    await service.retire(GUILD, None, "s-two")
    await service.suggest(GUILD, await user(db, clock, "2", "bob"), FORM)
    summary = await service.summary(GUILD)
    assert summary.counts == {"active": 1, "retired": 1, "pending": 1}
    assert summary.bundled_questions is True
