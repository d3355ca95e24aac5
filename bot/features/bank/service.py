"""Moderators manage their server's own questions: add, edit, retire, import, export, review.

Guild questions live in ``guild_questions`` (``body`` holds the YAML fields); every write is one
transaction that also writes an ``audit_log`` entry, and is followed by a refresh of the guild's
view in the shared `BankRegistry`, so interviews and daily questions see the change at once.
Writes to one guild are serialised by an in-process lock: id generation, the registry refresh
and concurrent moderators cannot interleave. Every question, whatever its path in (form, import,
suggestion), is checked by the bank validator, so guild questions follow the bank's rules.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank import BankLoadResult, dump_questions, parse_questions
from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.questions import Track
from bot.features.bank import rows
from bot.features.bank.catalog import Catalog
from bot.features.bank.form import (
    QuestionForm,
    body_of,
    build_body,
    changes,
    check_body,
    form_of,
    id_prefix,
    new_question_id,
    question_of,
)
from bot.features.bank.importing import apply_import
from bot.features.bank.progress import ImportSteps, Listener
from bot.features.bank.registry_sync import RegistrySync
from bot.features.bank.types import (
    ACTIVE,
    PENDING,
    REJECTED,
    RETIRED,
    SYSTEM_DESIGN_FORM,
    AuditView,
    BankAdminError,
    GuildBankSummary,
    ImportRejected,
    ImportReport,
    Page,
    QuestionInfo,
    QuestionNotFound,
    ReviewOutcome,
    Saved,
    Suggestion,
)
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import GuildQuestion

log = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 1024 * 1024


class BankAdminService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        banks: BankRegistry,
        settings: GuildSettingsService,
    ) -> None:
        self._db = db
        self._clock = clock
        self._banks = banks
        self._settings = settings
        self.catalog = Catalog(db, banks, settings)
        self._registry = RegistrySync(db, banks, settings)
        # One lock per guild while someone holds it (weak values: idle guilds cost nothing).
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- registry ---------------------------------------------------------------------------

    async def load_all(self) -> int:
        """At start: every guild with questions of its own, or bundled questions off."""
        guilds = await self._registry.guilds_to_load()
        for guild_id in guilds:
            await self.sync_guild(guild_id)
        return len(guilds)

    async def sync_guild(self, guild_id: int) -> None:
        async with self._locked(guild_id):
            await self._sync(guild_id)

    async def _sync(self, guild_id: int) -> None:
        """Refresh the registry from the database; call with the guild's lock held."""
        await self._registry.refresh(guild_id)

    def _audit(self, s: AsyncSession, *entry: Any) -> None:
        """guild id, actor id, action, target, details: one audit_log row at the clock's now."""
        rows.audit(s, self._clock.now(), *entry)

    @asynccontextmanager
    async def _locked(self, guild_id: int) -> AsyncIterator[None]:
        lock = self._locks.get(guild_id)
        if lock is None:
            lock = self._locks[guild_id] = asyncio.Lock()
        async with lock:
            yield

    async def _ids(self, s: AsyncSession, guild_id: int) -> rows.Ids:
        found = await rows.id_owners(s)
        return rows.ids_in_use(self._banks.known_ids(), self._bundled_ids(), found, guild_id)

    def _bundled_ids(self) -> list[str]:
        return [q.id for q in self._banks.bundled]

    # -- adding and editing -----------------------------------------------------------------

    async def add(
        self,
        guild_id: int,
        actor_id: int | None,
        form: QuestionForm,
        *,
        guild_name: str = "",
        question_id: str | None = None,
    ) -> Saved:
        """A moderator's new question, active at once."""
        return await self._create(guild_id, actor_id, form, guild_name, question_id, ACTIVE)

    async def suggest(
        self, guild_id: int, author_id: int, form: QuestionForm, *, guild_name: str = ""
    ) -> Saved:
        """A member's proposal: waits in the review queue (status pending)."""
        return await self._create(guild_id, author_id, form, guild_name, None, PENDING)

    async def _create(
        self,
        guild_id: int,
        actor_id: int | None,
        form: QuestionForm,
        guild_name: str,
        question_id: str | None,
        status: str,
    ) -> Saved:
        if form.track == Track.SYSTEM_DESIGN.value:
            raise BankAdminError(SYSTEM_DESIGN_FORM)
        async with self._locked(guild_id):
            try:
                async with self._db.transaction() as s:
                    ids = await self._ids(s, guild_id)
                    qid = question_id or new_question_id(
                        id_prefix(guild_id, guild_name), form.prompt, ids.known.__contains__
                    )
                    body, rubric = build_body(form, qid)
                    question = check_body(body, rubric, ids.known, ids.owners.get)
                    now = self._clock.now()
                    row = GuildQuestion(
                        guild_id=guild_id,
                        question_id=question.id,
                        status=status,
                        body=body_of(question),
                        author_id=actor_id,
                        created_at=now,
                        updated_at=now,
                    )
                    s.add(row)
                    await s.flush()
                    action = "bank.add" if status == ACTIVE else "bank.suggest"
                    self._audit(
                        s,
                        guild_id,
                        actor_id,
                        action,
                        question.id,
                        {"question": row.body},
                    )
            except IntegrityError as exc:
                raise BankAdminError(
                    "That id was taken a moment ago by someone else; please submit again."
                ) from exc
            if status == ACTIVE:
                await self._sync(guild_id)
        return Saved(row.id, question, status)

    async def editable(self, guild_id: int, question_id: str) -> QuestionInfo:
        """This guild's active question, for an edit form (bundled and phased ones refused)."""
        async with self._db.reading() as s:
            row = await rows.own_row(s, guild_id, question_id)
        if row is None:
            if self._banks.bundled.get(question_id) is not None:
                raise BankAdminError(
                    f"`{question_id}` is a bundled question; only this server's own questions "
                    "can be edited."
                )
            raise QuestionNotFound(f"This server has no question `{question_id}`.")
        if row.status != ACTIVE:
            what = "a suggestion waiting for review (use /bank review)"
            if row.status != PENDING:
                what = f"{row.status}; only active questions can be edited"
            raise BankAdminError(f"`{question_id}` is {what}.")
        question = question_of(row.body)
        if question.is_phased:
            raise BankAdminError(
                "System-design questions have phases, which a form cannot hold: use /bank export, "
                "edit the YAML and /bank import it (an import updates this server's questions)."
            )
        return QuestionInfo(question, "server", row.status, row.id)

    async def edit(
        self, guild_id: int, actor_id: int | None, row_id: int, form: QuestionForm
    ) -> Saved:
        """Save an edit form; fields left as pre-filled keep their stored value exactly."""
        async with self._locked(guild_id):
            async with self._db.transaction() as s:
                row = await rows.row_by_id(s, guild_id, row_id)
                if row.status != ACTIVE:
                    raise BankAdminError(
                        f"`{row.question_id}` is {row.status}; it was not changed."
                    )
                saved = await self._rewrite(s, guild_id, actor_id, row, form, "bank.edit", {})
            if saved.changed:
                await self._sync(guild_id)
        return saved

    async def _rewrite(
        self,
        s: AsyncSession,
        guild_id: int,
        actor_id: int | None,
        row: GuildQuestion,
        form: QuestionForm,
        action: str,
        extra: dict[str, Any],
    ) -> Saved:
        ids = (await self._ids(s, guild_id)).without(row.question_id)
        old = question_of(row.body)
        body, rubric = build_body(form, row.question_id, base=old)
        question = check_body(body, rubric, ids.known, ids.owners.get)
        new_body = body_of(question)
        changed = changes(row.body, new_body)
        if changed or extra:
            row.body = new_body
            row.updated_at = self._clock.now()
            details = {"changes": changed, **extra}
            self._audit(s, guild_id, actor_id, action, row.question_id, details)
        return Saved(row.id, question, row.status, tuple(changed))

    async def retire(self, guild_id: int, actor_id: int | None, question_id: str) -> Saved:
        """Soft delete: out of new interviews, still shown in past sessions' scorecards."""
        async with self._locked(guild_id):
            async with self._db.transaction() as s:
                row = await rows.own_row(s, guild_id, question_id)
                if row is None:
                    if self._banks.bundled.get(question_id) is not None:
                        raise BankAdminError(
                            f"`{question_id}` is a bundled question; to stop using bundled "
                            "questions here, use /config bundled-questions enabled:off."
                        )
                    raise QuestionNotFound(f"This server has no question `{question_id}`.")
                if row.status != ACTIVE:
                    raise BankAdminError(
                        f"`{question_id}` is {row.status}; only active questions can be retired."
                    )
                row.status = RETIRED
                row.updated_at = self._clock.now()
                self._audit(
                    s,
                    guild_id,
                    actor_id,
                    "bank.retire",
                    question_id,
                    {"status": {"before": ACTIVE, "after": RETIRED}},
                )
            await self._sync(guild_id)
        return Saved(row.id, question_of(row.body), RETIRED)

    # -- reading ----------------------------------------------------------------------------

    # -- reading (the catalog) ---------------------------------------------------------------

    async def show(self, guild_id: int, question_id: str) -> QuestionInfo:
        """This guild's question (any status) or a bundled one; other guilds' stay private."""
        return await self.catalog.show(guild_id, question_id)

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
        return await self.catalog.list_page(
            guild_id, page, track=track, topic=topic, include_bundled=include_bundled
        )

    async def own_ids(
        self, guild_id: int, prefix: str = "", statuses: Sequence[str] = (ACTIVE,), limit: int = 25
    ) -> list[str]:
        """This guild's question ids containing ``prefix`` (for autocomplete)."""
        return await self.catalog.own_ids(guild_id, prefix, statuses, limit)

    async def summary(self, guild_id: int) -> GuildBankSummary:
        return await self.catalog.summary(guild_id)

    async def audit_log(self, guild_id: int, count: int = 10) -> list[AuditView]:
        return await self.catalog.audit_log(guild_id, count)

    # -- import and export ------------------------------------------------------------------

    async def import_yaml(
        self,
        guild_id: int,
        actor_id: int | None,
        filename: str,
        text: str,
        progress: Listener | None = None,
    ) -> ImportReport:
        """All or nothing. New ids are added; ids of this guild's active questions are updated
        in place (an upsert); ids owned by the bundled bank, another guild, or one of this
        guild's retired or pending questions are errors.

        Linear in the file and the banks, and the CPU work (checking the ids in use, validating,
        comparing, rebuilding the guild's bank) runs in worker threads, so the event loop stays
        free. For a big file, ``progress`` hears how far the checking and saving are."""
        if len(text.encode()) > IMPORT_MAX_BYTES:
            raise BankAdminError("The file is larger than 1 MiB; split it into several files.")
        steps = ImportSteps(progress)
        async with self._locked(guild_id):
            async with self._db.reading() as s:
                found = await rows.id_owners(s)
            registry_ids = self._banks.known_ids()
            bundled_ids = self._bundled_ids()
            checking = steps.in_thread("checking")

            def check() -> tuple[rows.Ids, BankLoadResult]:
                own = [
                    qid for qid, guild, status in found if guild == guild_id and status == ACTIVE
                ]
                ids = rows.ids_in_use(registry_ids, bundled_ids, found, guild_id, free=own)
                return ids, parse_questions(text, filename, ids.known, progress=checking)

            ids, result = await asyncio.to_thread(check)
            if not result.ok:
                problems = [
                    rows.explain_clash(str(p), p.question_id, p.message, ids)
                    for p in result.problems
                ]
                raise ImportRejected(problems, result.questions_checked)
            report = await apply_import(
                self._db,
                self._clock.now(),
                guild_id,
                actor_id,
                filename,
                result.questions,
                steps,
            )
            if report.added or report.updated:
                written = set(report.added) | set(report.updated)
                changed = [q for q in result.questions if q.id in written]
                steps.always("loading", 0, len(changed))
                await self._registry.merge(guild_id, changed)
        return report

    async def export_yaml(self, guild_id: int) -> tuple[str, int]:
        """YAML of this guild's active questions, in the bank format; it imports back as is."""
        async with self._db.reading() as s:
            found = await rows.guild_rows(s, guild_id, (ACTIVE,))
        questions = [question_of(r.body) for r in found]
        return (dump_questions(questions) if questions else ""), len(questions)

    # -- suggestions ------------------------------------------------------------------------

    async def next_suggestion(self, guild_id: int) -> Suggestion | None:
        """The oldest suggestion waiting for review."""
        async with self._db.reading() as s:
            pending = await s.scalar(
                select(func.count())
                .select_from(GuildQuestion)
                .where(GuildQuestion.guild_id == guild_id, GuildQuestion.status == PENDING)
            )
            if not pending:
                return None
            row = await s.scalar(
                select(GuildQuestion)
                .where(GuildQuestion.guild_id == guild_id, GuildQuestion.status == PENDING)
                .order_by(GuildQuestion.created_at, GuildQuestion.id)
                .limit(1)
            )
            assert row is not None
            author = await rows.person_of(s, row.author_id)
        return Suggestion(row.id, question_of(row.body), author, row.created_at, int(pending))

    async def suggestion(self, guild_id: int, row_id: int) -> QuestionInfo:
        """A pending suggestion, for the reviewer's edit form."""
        async with self._db.reading() as s:
            row = await rows.row_by_id(s, guild_id, row_id)
        rows.check_pending(row)
        return QuestionInfo(question_of(row.body), "server", row.status, row.id)

    async def approve(
        self,
        guild_id: int,
        actor_id: int | None,
        row_id: int,
        form: QuestionForm | None = None,
    ) -> ReviewOutcome:
        """Make a suggestion active, optionally with the reviewer's edits; checked again."""
        async with self._locked(guild_id):
            async with self._db.transaction() as s:
                row = await rows.row_by_id(s, guild_id, row_id)
                rows.check_pending(row)
                status = {"status": {"before": PENDING, "after": ACTIVE}}
                if form is None:
                    form = form_of(question_of(row.body))
                saved = await self._rewrite(
                    s, guild_id, actor_id, row, form, "bank.approve", status
                )
                row.status = ACTIVE
                author = await rows.person_of(s, row.author_id)
            await self._sync(guild_id)
        return ReviewOutcome(row.id, row.question_id, ACTIVE, author, changed=saved.changed)

    async def reject(
        self, guild_id: int, actor_id: int | None, row_id: int, reason: str
    ) -> ReviewOutcome:
        reason = reason.strip()
        if not reason:
            raise BankAdminError("Give a reason: the author is told why.")
        async with self._locked(guild_id), self._db.transaction() as s:
            row = await rows.row_by_id(s, guild_id, row_id)
            rows.check_pending(row)
            row.status = REJECTED
            row.updated_at = self._clock.now()
            details = {"status": {"before": PENDING, "after": REJECTED}, "reason": reason}
            self._audit(s, guild_id, actor_id, "bank.reject", row.question_id, details)
            author = await rows.person_of(s, row.author_id)
        return ReviewOutcome(row.id, row.question_id, REJECTED, author, reason=reason)

    # -- settings and audit -----------------------------------------------------------------

    async def set_bundled(
        self, guild_id: int, actor_id: int | None, enabled: bool
    ) -> GuildBankSummary:
        """Use the bundled bank beside this guild's questions, or only the guild's own."""
        async with self._locked(guild_id):
            await self._settings.update(guild_id, actor_id, bundled_questions=enabled)
            await self._sync(guild_id)
        return await self.summary(guild_id)

    # -- helpers ----------------------------------------------------------------------------
