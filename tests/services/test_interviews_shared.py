"""Interviews when two processes share the database (PostgreSQL): answers and clicks arriving
at both are serialised per session, and neither process trusts a stale cached cursor.

Two ``Database`` objects on the same URL stand for two processes (two pools, two services,
two caches). The SQLite cases check the bounded cache; the cross-process cases need PostgreSQL
(SQLite is one bot process, enforced at start) and skip without TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.core.session import ItemStatus
from bot.features.interviews import rows
from bot.features.interviews.cursors import SessionCache
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import ActiveInterviewExists, StaleAction
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.models import Answer, AnswerPart, InterviewSession
from tests.conftest import POSTGRES_URL
from tests.factories import ListBank, technical_set

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL not set")


@pytest.fixture
async def pg(db: Database) -> AsyncIterator[tuple[Database, Database]]:
    if db.is_sqlite:
        pytest.skip("two bot processes share a database only on PostgreSQL")
    other = Database(db.url.render_as_string(hide_password=False))
    yield db, other
    await other.dispose()


def _service(db: Database, clock: FakeClock) -> InterviewService:
    bank = ListBank(technical_set())
    return InterviewService(db, bank, clock, Scheduler(db, clock, "discord"), rng=random.Random(3))


async def _parts(db: Database, session_id: int) -> dict[int, list[int]]:
    async with db.reading() as s:
        found = await s.execute(
            select(Answer.position, AnswerPart.position)
            .join(AnswerPart, AnswerPart.answer_id == Answer.id)
            .where(Answer.session_id == session_id)
            .order_by(Answer.position, AnswerPart.position)
        )
        parts: dict[int, list[int]] = {}
        for answer, part in found:
            parts.setdefault(answer, []).append(part)
        return parts


@needs_postgres
async def test_answers_to_one_session_from_two_processes_are_all_stored_in_order(
    pg: tuple[Database, Database], clock: FakeClock
) -> None:
    one, two = _service(pg[0], clock), _service(pg[1], clock)
    user = await one.ensure_user("discord", "42")
    sid = (await one.start(user, Track.TECHNICAL, Length.SHORT, platform="discord")).id
    await one.add_answer(sid, "warm the cache of process one")

    saved = await asyncio.gather(
        *((one if n % 2 else two).add_answer(sid, f"part {n}", position=0) for n in range(1, 41))
    )
    assert len(saved) == 40
    assert await _parts(pg[0], sid) == {0: list(range(41))}
    card = await two.scorecard(sid)
    assert all(f"part {n}" in card.items[0].answer_text for n in range(1, 41))


@needs_postgres
async def test_a_stale_cursor_in_one_process_does_not_write_into_a_finished_question(
    pg: tuple[Database, Database], clock: FakeClock
) -> None:
    """Process one cached where question 1's next part goes; process two submits question 1.
    An answer arriving at process one afterwards goes to question 2, or is refused when it
    named question 1, and is never appended to question 1 after it was scored."""
    one, two = _service(pg[0], clock), _service(pg[1], clock)
    user = await one.ensure_user("discord", "42")
    sid = (await one.start(user, Track.TECHNICAL, Length.SHORT, platform="discord")).id
    await one.add_answer(sid, "first thoughts")
    assert await one.current_position(sid, user) == 0

    await two.submit(sid, position=0)

    assert await one.current_position(sid, user) == 1
    with pytest.raises(StaleAction):
        await one.add_answer(sid, "meant for question 1", position=0)
    saved = await one.add_answer(sid, "about question 2")
    assert saved.position == 1
    assert await _parts(pg[0], sid) == {0: [0], 1: [0]}
    card = await one.scorecard(sid)
    assert card.items[0].answer_text == "first thoughts"
    assert card.items[0].status is ItemStatus.SUBMITTED


@needs_postgres
async def test_submits_racing_in_two_processes_advance_the_session_once(
    pg: tuple[Database, Database], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = _service(pg[0], clock), _service(pg[1], clock)
    read_row = rows.session_row

    async def slow_read(s: AsyncSession, session_id: int) -> InterviewSession:
        row = await read_row(s, session_id)
        await asyncio.sleep(0.05)  # a slow process: the other one runs meanwhile
        return row

    monkeypatch.setattr(rows, "session_row", slow_read)
    user = await one.ensure_user("discord", "42")
    sid = (await one.start(user, Track.TECHNICAL, Length.SHORT, platform="discord")).id
    results = await asyncio.gather(
        *(svc.submit(sid, position=0) for svc in (one, two, one, two)),
        return_exceptions=True,
    )
    advanced = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, StaleAction)]
    assert len(advanced) == 1 and len(refused) == 3, results
    view = await two.view(sid)
    assert view.current is not None and view.current.position == 1


async def test_the_session_cache_is_bounded_and_a_miss_reads_the_database(
    db: Database, clock: FakeClock
) -> None:
    svc = _service(db, clock)
    svc._cache = cache = SessionCache(db, limit=3)
    svc._appender._cache = cache
    sessions = []
    for n in range(5):
        user = await svc.ensure_user("discord", str(n))
        sessions.append((user, (await svc.start(user, Track.TECHNICAL, platform="x")).id))
    assert len(cache.owners) <= 3 and len(cache.cursors) <= 3
    first_user, first = sessions[0]
    assert first not in cache.owners  # evicted: the next look reads the database
    assert await svc.current_position(first, first_user) == 0
    saved = await svc.add_answer(first, "after eviction")
    assert saved.position == 0 and saved.parts == 1
    assert len(cache.owners) <= 3 and len(cache.cursors) <= 3


@needs_postgres
async def test_two_starts_from_one_member_at_two_processes_open_one_session(
    pg: tuple[Database, Database], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = _service(pg[0], clock), _service(pg[1], clock)
    read_open = rows.open_row

    async def slow_open_row(s: AsyncSession, user_id: int) -> InterviewSession | None:
        row = await read_open(s, user_id)
        await asyncio.sleep(0.05)  # both look before either inserts, unless serialised
        return row

    monkeypatch.setattr(rows, "open_row", slow_open_row)
    user = await one.ensure_user("discord", "42")
    results = await asyncio.gather(
        *(svc.start(user, Track.TECHNICAL, platform="discord") for svc in (one, two, one, two)),
        return_exceptions=True,
    )
    started = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ActiveInterviewExists)]
    assert len(started) == 1 and len(refused) == 3, results
    async with pg[0].reading() as s:
        sessions = (
            await s.scalars(select(InterviewSession.id).where(InterviewSession.user_id == user))
        ).all()
    assert sessions == [started[0].id]
