"""The AI interviewer's bookkeeping in the database: the daily token budget and the notice."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.ai import AIInterviewer
from bot.ai.budget import TokenBudget
from bot.core.clock import FakeClock
from bot.core.questions import Track
from bot.features.interviews.ai_marking import AIMarking
from bot.features.interviews.ai_usage import AIUsage
from bot.storage.database import Database
from bot.storage.models import User

DAY = date(2026, 1, 5)


async def test_usage_adds_up_per_guild_and_day_and_survives_a_restart(db: Database) -> None:
    usage = AIUsage(db)
    await asyncio.gather(*(usage.add(7, DAY, 100) for _ in range(5)))  # concurrent writers
    await usage.add(None, DAY, 40)
    await usage.add(7, date(2026, 1, 6), 1)
    await usage.add(7, DAY, 0)  # nothing to count
    restarted = AIUsage(db)
    assert await restarted.used(7, DAY) == 500
    assert await restarted.used(None, DAY) == 40  # the terminal's "local" key
    assert await restarted.used(8, DAY) == 0


async def test_the_interviewers_budget_is_topped_up_from_the_database(
    db: Database, clock: FakeClock
) -> None:
    """A fresh process sees what another one used: its first call is refused."""
    interviewer = AIInterviewer(today=lambda: DAY)
    interviewer.budget = TokenBudget(1_000)
    marking = AIMarking(db, _NoBank(), clock, interviewer)
    await marking.usage.add(7, DAY, 990)
    await marking.top_up_budget(7)
    assert interviewer.budget.used(7, DAY) == 990
    assert not interviewer.budget.allows(7, DAY, 20)
    assert interviewer.budget.allows(8, DAY, 20)  # another server's budget is its own
    await marking.top_up_budget(7)  # idempotent: nothing counted twice
    assert interviewer.budget.used(7, DAY) == 990


async def test_members_are_told_once_per_guild(db: Database, clock: FakeClock) -> None:
    async with db.transaction() as s:
        user = User(platform="discord", external_id="42", display_name="b", created_at=clock.now())
        s.add(user)
        await s.flush()
        uid = user.id
    usage = AIUsage(db)
    assert not await usage.notified(uid, 1)
    assert await usage.record_notice(uid, 1, clock.now())
    assert not await usage.record_notice(uid, 1, clock.now())
    assert await usage.notified(uid, 1) and not await usage.notified(uid, 2)


class _NoBank:
    def get(self, question_id: str) -> None:
        return None

    def select(
        self, track: Track, topics: object = None, difficulties: object = None
    ) -> list[object]:
        return []

    def topics(self, track: Track) -> list[str]:
        return []
