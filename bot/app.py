"""Build the application's resources once, in ``main()``, and close them in reverse order.

Both front ends (terminal practice and the Discord bot) use this, so they run the same engine
on the same database.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.bank import QuestionBank, bundled_bank_path
from bot.core.bank.compiled import load_bank_cached
from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock, SystemClock
from bot.core.follow_ups import FollowUpSources, OnlyDeterministic
from bot.features.config.service import GuildSettingsService
from bot.features.interviews.service import InterviewService
from bot.scheduler import Scheduler
from bot.storage.database import Database

if TYPE_CHECKING:
    # The AI interviewer's modules (and the openai client) are imported only when an LLM is
    # configured or asked for, or when something uses ``App.ai_marking``: a plain start does not
    # pay for them.
    from bot.features.interviews.ai_marking import AIMarking

BANK_CACHE_DIR = "cache"


class BankInvalid(Exception):
    """The configured bank has problems; the message lists them (file:line:column)."""


@dataclass
class App:
    settings: Settings
    db: Database
    banks: BankRegistry
    clock: Clock
    scheduler: Scheduler
    interviews: InterviewService
    guild_settings: GuildSettingsService
    # None until first used when no LLM is configured (see ``ai_marking``).
    _ai_marking: AIMarking | None = None
    scheduler_started: bool = False

    @property
    def ai_marking(self) -> AIMarking:
        """The AI marking service; with no LLM configured it is built, off, on first use."""
        if self._ai_marking is None:
            from bot.ai import AIInterviewer
            from bot.features.interviews.ai_marking import AIMarking

            self._ai_marking = AIMarking(self.db, self.banks, self.clock, AIInterviewer())
        return self._ai_marking

    async def close_ai(self) -> None:
        if self._ai_marking is not None:
            await self._ai_marking.interviewer.close()

    async def start_scheduler(self) -> None:
        if not self.scheduler_started:
            self.scheduler_started = True
            await self.scheduler.start()


def load_question_bank(settings: Settings) -> QuestionBank:
    path = settings.bank_path or bundled_bank_path()
    # Style warnings are for authors, not for start-up; an unchanged bank is read from the
    # compiled cache in the data folder instead of being parsed and validated again.
    result, _ = load_bank_cached([path], settings.effective_data_dir / BANK_CACHE_DIR)
    if not result.ok:
        errors = [p for p in result.problems if p.severity == "error"]
        shown = "\n".join(str(p) for p in errors[:20])
        more = len(errors) - 20
        raise BankInvalid(
            f"the question bank at {path} has {len(errors)} problem(s):\n{shown}"
            + (f"\n... and {more} more (run: mlmock bank validate {path})" if more > 0 else "")
        )
    return QuestionBank(result.questions)


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    scope: str,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    migrate: bool = True,
    start_scheduler: bool = True,
    local_ai: bool = False,
) -> AsyncIterator[App]:
    """Migrate the database, load the bank and start the scheduler of ``scope``.

    ``local_ai``: the terminal's ``--ai``: its sessions get the AI interviewer's follow-ups."""
    banks = BankRegistry(load_question_bank(settings))
    db = Database(settings.database_url)
    try:
        if migrate:
            await db.migrate()
        await db.check_writable()
        clock = clock or SystemClock()
        scheduler = Scheduler(db, clock, scope)
        guild_settings = GuildSettingsService(db, clock)
        ai_marking: AIMarking | None = None
        follow_ups: FollowUpSources = OnlyDeterministic()
        if local_ai or ai_configured():
            from bot.ai import AIInterviewer
            from bot.features.interviews.ai_follow_ups import InterviewerFollowUps
            from bot.features.interviews.ai_marking import AIMarking

            ai_marking = AIMarking(db, banks, clock, AIInterviewer.from_env())
            # Follow-ups by the AI interviewer only in sessions it is on for (ai_follow_ups).
            follow_ups = InterviewerFollowUps(ai_marking, guild_settings, local=local_ai)
        # Else the AI is off everywhere: InterviewerFollowUps would pick the bank's follow-ups
        # for every session, as OnlyDeterministic does, without importing the AI modules.
        interviews = InterviewService(db, banks, clock, scheduler, rng=rng, follow_ups=follow_ups)
        app = App(settings, db, banks, clock, scheduler, interviews, guild_settings, ai_marking)
        if start_scheduler:  # else the caller registers its handlers first, then starts it
            await app.start_scheduler()
        try:
            yield app
        finally:
            await scheduler.stop()
            await app.close_ai()
    finally:
        await db.dispose()


def ai_configured() -> bool:
    """Whether ``AIInterviewer.from_env`` would be anything but off: ``LLM_BASE_URL`` is set (it
    is then on, or says why it cannot be, e.g. the ``ai`` extra is missing)."""
    return bool(os.environ.get("LLM_BASE_URL", "").strip())
