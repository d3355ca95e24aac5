"""Results and errors of the bank admin service (plain data for the adapters to render)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.questions import Question
from bot.features.config.service import GuildConfig

ACTIVE, RETIRED, PENDING, REJECTED = "active", "retired", "pending", "rejected"
PAGE_SIZE = 10
SYSTEM_DESIGN_FORM = (
    "System-design questions need timed phases, which a form cannot hold: write the question "
    "in YAML (see the question bank README) and use /bank import."
)


class BankAdminError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


class QuestionNotFound(BankAdminError):
    pass


class SuggestionClosed(BankAdminError):
    """The suggestion was already approved or rejected (e.g. by another moderator)."""


class ImportRejected(BankAdminError):
    """The file has problems; nothing was imported. ``problems``: ``file:line:column: id: msg``."""

    def __init__(self, problems: list[str], questions_checked: int) -> None:
        count = len(problems)
        super().__init__(
            f"Import refused: {count} problem{'s' if count != 1 else ''} "
            f"({questions_checked} question{'s' if questions_checked != 1 else ''} checked). "
            "Nothing was changed; fix the file and import it again."
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Saved:
    row_id: int
    question: Question
    status: str
    changed: tuple[str, ...] = ()  # fields an edit changed; empty when nothing did


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far a big import is. ``stage``: "checking" (validating the file), "saving" (writing
    its rows) or "loading" (this server's whole bank, refreshed for interviews)."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    question: Question
    owner: str  # "server" (this guild's own) or "bundled"
    status: str
    row_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListEntry:
    question_id: str
    track: str
    topic: str
    difficulty: str
    status: str
    owner: str  # "server" or "bundled"


@dataclass(frozen=True, slots=True)
class Page:
    entries: tuple[ListEntry, ...]
    page: int  # 0-based, clamped to the pages that exist
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Person:
    """A user row as the adapters need it: who to mention or DM."""

    user_id: int
    platform: str
    external_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    row_id: int
    question: Question
    author: Person | None
    created_at: datetime
    pending: int  # suggestions waiting in this guild, this one included


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    row_id: int
    question_id: str
    status: str  # active (approved) or rejected
    author: Person | None
    reason: str | None = None
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditView:
    created_at: datetime
    actor: Person | None
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GuildBankSummary:
    """A guild's settings and how many questions of its own it has, by status."""

    config: GuildConfig
    counts: dict[str, int]

    @property
    def bundled_questions(self) -> bool:
        return self.config.bundled_questions
