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
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank import dump_questions, parse_questions
from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.questions import Difficulty, Question, Track
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
from bot.features.bank.types import (
    ACTIVE,
    PAGE_SIZE,
    PENDING,
    REJECTED,
    RETIRED,
    SYSTEM_DESIGN_FORM,
    AuditView,
    BankAdminError,
    GuildBankSummary,
    ImportRejected,
    ImportReport,
    ListEntry,
    Page,
    Person,
    QuestionInfo,
    QuestionNotFound,
    ReviewOutcome,
    Saved,
    Suggestion,
    SuggestionClosed,
)
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import AuditEntry, GuildQuestion, User

log = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 1024 * 1024
AUDIT_MAX = 25
_TRACK_ORDER = {t.value: i for i, t in enumerate(Track)}
_LEVEL_ORDER = {d.value: d.rank for d in Difficulty}


@dataclass
class _Ids:
    """Ids in use: ``known`` feeds the validator, ``owners`` says who owns an id, in words."""

    known: dict[str, str]
    owners: dict[str, str]

    def without(self, question_id: str) -> _Ids:
        known = dict(self.known)
        known.pop(question_id, None)
        owners = dict(self.owners)
        owners.pop(question_id, None)
        return _Ids(known, owners)


def _owner_text(own: bool, status: str) -> str:
    if not own:
        return "another server"
    return {
        ACTIVE: "a question of this server",
        RETIRED: "a retired question of this server (ids are never reused)",
        PENDING: "a suggestion of this server waiting for review (/bank review)",
        REJECTED: "a rejected suggestion of this server",
    }.get(status, "this server")


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
        self._locks: dict[int, asyncio.Lock] = {}

    # -- registry ---------------------------------------------------------------------------

    async def load_all(self) -> int:
        """At start: every guild with questions of its own, or bundled questions off."""
        async with self._db.reading() as s:
            guilds = set(
                (
                    await s.scalars(
                        select(GuildQuestion.guild_id)
                        .where(GuildQuestion.status.in_((ACTIVE, RETIRED)))
                        .distinct()
                    )
                ).all()
            )
        guilds |= {c.guild_id for c in await self._settings.all() if not c.bundled_questions}
        for guild_id in sorted(guilds):
            await self.sync_guild(guild_id)
        return len(guilds)

    async def sync_guild(self, guild_id: int) -> None:
        async with self._locked(guild_id):
            await self._sync(guild_id)

    async def _sync(self, guild_id: int) -> None:
        """Refresh the registry from the database; call with the guild's lock held."""
        async with self._db.reading() as s:
            rows = (
                await s.scalars(
                    select(GuildQuestion)
                    .where(
                        GuildQuestion.guild_id == guild_id,
                        GuildQuestion.status.in_((ACTIVE, RETIRED)),
                    )
                    .order_by(GuildQuestion.id)
                )
            ).all()
        bundled = self._banks.bundled
        active: list[Question] = []
        retired: list[Question] = []
        for row in rows:
            if row.question_id in bundled:  # the bundled bank gained this id after an update
                log.warning(
                    "guild %s question %s clashes with a bundled id; it is not used",
                    guild_id,
                    row.question_id,
                )
                continue
            question = question_of(row.body, origin=f"server {guild_id}")
            (active if row.status == ACTIVE else retired).append(question)
        config = await self._settings.get(guild_id)
        self._banks.set_guild(guild_id, active, retired, use_bundled=config.bundled_questions)

    @asynccontextmanager
    async def _locked(self, guild_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            yield

    async def _ids(self, s: AsyncSession, guild_id: int) -> _Ids:
        known = dict(self._banks.known_ids())
        owners = {q.id: "the bundled bank" for q in self._banks.bundled}
        rows = await s.execute(
            select(GuildQuestion.question_id, GuildQuestion.guild_id, GuildQuestion.status)
        )
        for question_id, owner_guild, status in rows:
            owners[question_id] = _owner_text(owner_guild == guild_id, status)
        known.update(owners)  # the validator's "first defined at" then names the owner
        return _Ids(known, owners)

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
                    self._audit(s, guild_id, actor_id, action, question.id, {"question": row.body})
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
            row = await self._own_row(s, guild_id, question_id)
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
                row = await self._row_by_id(s, guild_id, row_id)
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
                row = await self._own_row(s, guild_id, question_id)
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

    async def show(self, guild_id: int, question_id: str) -> QuestionInfo:
        """This guild's question (any status) or a bundled one; other guilds' stay private."""
        async with self._db.reading() as s:
            row = await self._own_row(s, guild_id, question_id)
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
            rows = (await s.scalars(query)).all()
        entries = [
            ListEntry(
                r.question_id,
                r.body["track"],
                r.body["topic"],
                r.body["difficulty"],
                r.status,
                "server",
            )
            for r in rows
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
            rows = await s.execute(
                select(GuildQuestion.status, func.count())
                .where(GuildQuestion.guild_id == guild_id)
                .group_by(GuildQuestion.status)
            )
            counts = {status: int(n) for status, n in rows}
        return GuildBankSummary(await self._settings.get(guild_id), counts)

    # -- import and export ------------------------------------------------------------------

    async def import_yaml(
        self, guild_id: int, actor_id: int | None, filename: str, text: str
    ) -> ImportReport:
        """All or nothing. New ids are added; ids of this guild's active questions are updated
        in place (an upsert); ids owned by the bundled bank, another guild, or one of this
        guild's retired or pending questions are errors."""
        if len(text.encode()) > IMPORT_MAX_BYTES:
            raise BankAdminError("The file is larger than 1 MiB; split it into several files.")
        async with self._locked(guild_id):
            async with self._db.reading() as s:
                ids = await self._ids(s, guild_id)
                own = await self._guild_rows(s, guild_id, (ACTIVE,))
            for row in own:
                ids = ids.without(row.question_id)
            result = await asyncio.to_thread(parse_questions, text, filename, ids.known)
            if not result.ok:
                problems = [
                    _explain(str(p), p.question_id, p.message, ids) for p in result.problems
                ]
                raise ImportRejected(problems, result.questions_checked)
            report = await self._apply_import(guild_id, actor_id, filename, result.questions)
            if report.added or report.updated:
                await self._sync(guild_id)
        return report

    async def _apply_import(
        self, guild_id: int, actor_id: int | None, filename: str, questions: Iterable[Question]
    ) -> ImportReport:
        added: dict[str, Any] = {}
        updated: dict[str, Any] = {}
        unchanged: list[str] = []
        try:
            async with self._db.transaction() as s:
                rows = {r.question_id: r for r in await self._guild_rows(s, guild_id, (ACTIVE,))}
                now = self._clock.now()
                for question in questions:
                    body = body_of(question)
                    row = rows.get(question.id)
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
                    self._audit(s, guild_id, actor_id, "bank.import", filename[:100], details)
        except IntegrityError as exc:
            raise BankAdminError(
                "An id in the file was taken a moment ago by someone else; nothing was "
                "imported. Please try again."
            ) from exc
        return ImportReport(tuple(added), tuple(updated), tuple(unchanged))

    async def export_yaml(self, guild_id: int) -> tuple[str, int]:
        """YAML of this guild's active questions, in the bank format; it imports back as is."""
        async with self._db.reading() as s:
            rows = await self._guild_rows(s, guild_id, (ACTIVE,))
        questions = [question_of(r.body) for r in rows]
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
            author = await self._person(s, row.author_id)
        return Suggestion(row.id, question_of(row.body), author, row.created_at, int(pending))

    async def suggestion(self, guild_id: int, row_id: int) -> QuestionInfo:
        """A pending suggestion, for the reviewer's edit form."""
        async with self._db.reading() as s:
            row = await self._row_by_id(s, guild_id, row_id)
        _check_pending(row)
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
                row = await self._row_by_id(s, guild_id, row_id)
                _check_pending(row)
                status = {"status": {"before": PENDING, "after": ACTIVE}}
                if form is None:
                    form = form_of(question_of(row.body))
                saved = await self._rewrite(
                    s, guild_id, actor_id, row, form, "bank.approve", status
                )
                row.status = ACTIVE
                author = await self._person(s, row.author_id)
            await self._sync(guild_id)
        return ReviewOutcome(row.id, row.question_id, ACTIVE, author, changed=saved.changed)

    async def reject(
        self, guild_id: int, actor_id: int | None, row_id: int, reason: str
    ) -> ReviewOutcome:
        reason = reason.strip()
        if not reason:
            raise BankAdminError("Give a reason: the author is told why.")
        async with self._locked(guild_id), self._db.transaction() as s:
            row = await self._row_by_id(s, guild_id, row_id)
            _check_pending(row)
            row.status = REJECTED
            row.updated_at = self._clock.now()
            details = {"status": {"before": PENDING, "after": REJECTED}, "reason": reason}
            self._audit(s, guild_id, actor_id, "bank.reject", row.question_id, details)
            author = await self._person(s, row.author_id)
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
            rows = (await s.execute(query)).all()
        return [
            AuditView(e.created_at, _person(u), e.action, e.target, dict(e.details or {}))
            for e, u in rows
        ]

    # -- helpers ----------------------------------------------------------------------------

    def _audit(
        self,
        s: AsyncSession,
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
                created_at=self._clock.now(),
            )
        )

    async def _own_row(
        self, s: AsyncSession, guild_id: int, question_id: str
    ) -> GuildQuestion | None:
        return await s.scalar(
            select(GuildQuestion).where(
                GuildQuestion.guild_id == guild_id, GuildQuestion.question_id == question_id
            )
        )

    async def _row_by_id(self, s: AsyncSession, guild_id: int, row_id: int) -> GuildQuestion:
        row = await s.get(GuildQuestion, row_id)
        if row is None or row.guild_id != guild_id:
            raise QuestionNotFound("That question no longer exists in this server.")
        return row

    async def _guild_rows(
        self, s: AsyncSession, guild_id: int, statuses: Sequence[str]
    ) -> Sequence[GuildQuestion]:
        query = (
            select(GuildQuestion)
            .where(GuildQuestion.guild_id == guild_id, GuildQuestion.status.in_(statuses))
            .order_by(GuildQuestion.id)
        )
        return (await s.scalars(query)).all()

    async def _person(self, s: AsyncSession, user_id: int | None) -> Person | None:
        return _person(await s.get(User, user_id)) if user_id is not None else None


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(user.id, user.platform, user.external_id, user.display_name)


def _check_pending(row: GuildQuestion) -> None:
    if row.status != PENDING:
        outcome = "approved" if row.status in (ACTIVE, RETIRED) else row.status
        raise SuggestionClosed(f"That suggestion (`{row.question_id}`) was already {outcome}.")


def _explain(line: str, question_id: str | None, message: str, ids: _Ids) -> str:
    """Name the owner of a clashing id instead of the validator's "first defined at"."""
    owner = ids.owners.get(question_id or "")
    if owner and message.startswith(f"duplicate id '{question_id}' (first defined at {owner})"):
        prefix = line[: len(line) - len(message)]
        return f"{prefix}id '{question_id}' is already used by {owner}; choose another id"
    return line
