"""Engine benchmark on SQLite or PostgreSQL, through the service layer (not part of the tests).

1. Saturation: 1,000 sessions submit answer text all at once, as fast as the engine allows:
   answers persisted per second, against the raw driver (``sqlite3``, or ``asyncpg``)
   inserting the same rows into the same migrated schema with one commit per answer part, in
   the same run. Then the same for "Next" (score the answer, ask the next question).
2. Steady load: answers arrive at 1,000/s spread over the 1,000 sessions (open loop):
   p50/p99 latency of one answer submission; "Next" at 100/s offered.
3. 2,000 interviews timing out over 10 s through the real time-out handler (score what was
   written, ask the next item): p99 lateness from the due time to the TimedOut event.
4. Memory per active session (tracemalloc, engine objects only).

Run: .venv/bin/python benchmarks/engine_load.py [--sessions 1000] [--deadlines 2000]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.bank import QuestionBank
from bot.core.clock import SystemClock
from bot.core.formats import Length
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import TimedOut
from bot.scheduler import Due, Scheduler
from bot.storage.database import Database
from bot.storage.models import Answer, InterviewSession

ANSWER = (
    "The gap between training and validation error shows overfitting, a high variance problem. "
    "I would confirm it with k-fold cross-validation and learning curves, then regularise: "
    "lower the tree depth, add early stopping and subsample rows, and collect more data."
)


def synthetic_bank(n: int = 300) -> QuestionBank:
    rubric = (
        RubricPoint("overfit", ("overfitting|high variance", "gap")),
        RubricPoint("cv", ("cross-validation|k-fold", "learning curve")),
        RubricPoint("reg", ("tree depth", "early stopping", "subsample", "more data")),
    )
    levels = list(Difficulty)
    return QuestionBank(
        Question(
            id=f"bench-{i}",
            track=Track.TECHNICAL,
            topic=f"topic-{i % 12}",
            difficulty=levels[i % 3],
            minutes=5,
            prompt="p" * 400,
            reference_answer="r" * 1200,
            rubric=rubric,
            hints=("h",),
            follow_ups=("f",),
        )
        for i in range(n)
    )


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


async def fresh_database(url: str | None, path: Path) -> Database:
    """A migrated, empty database: a new SQLite file, or the PostgreSQL database at ``url``
    with its public schema dropped and recreated (use a database made for this)."""
    if url is None:
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await db.migrate()
    return db


async def make_service(url: str | None, path: Path) -> tuple[Database, InterviewService, Scheduler]:
    db = await fresh_database(url, path)
    clock = SystemClock()
    dispatcher = Scheduler(db, clock, "bench")
    service = InterviewService(db, synthetic_bank(), clock, dispatcher, rng=random.Random(1))
    await dispatcher.start()
    return db, service, dispatcher


async def start_sessions(service: InterviewService, n: int, prefix: str = "u") -> list[int]:
    ids = []
    for i in range(n):
        user = await service.ensure_user("bench", f"{prefix}{i}")
        view = await service.start(
            user, Track.TECHNICAL, Length.STANDARD, platform="bench", questions=8
        )
        ids.append(view.id)
    return ids


async def timed(op: Callable[[int], Awaitable[object]], sid: int) -> float:
    t0 = time.perf_counter()
    await op(sid)
    return time.perf_counter() - t0


async def saturation(
    op: Callable[[int], Awaitable[object]], ids: list[int], rounds: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def run(sid: int) -> None:
        for _ in range(rounds):
            latencies.append(await timed(op, sid))

    t0 = time.perf_counter()
    await asyncio.gather(*(run(sid) for sid in ids))
    return len(latencies) / (time.perf_counter() - t0), latencies


async def steady(
    op: Callable[[int], Awaitable[object]], ids: list[int], rate: float, seconds: float
) -> list[float]:
    """Open loop: requests arrive at ``rate`` per second regardless of how fast they finish."""
    latencies: list[float] = []
    tasks = []
    start = time.perf_counter()
    for k in range(int(rate * seconds)):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)

        async def one(sid: int = ids[k % len(ids)]) -> None:
            latencies.append(await timed(op, sid))

        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies


async def raw_baseline(url: str | None, path: Path, sessions: int, answers: int) -> float:
    """The floor under ``add_answer``: the same ``answer_parts`` rows on the same migrated schema
    (constraints, indexes, pragmas), inserted by the raw driver with one commit per answer part.
    Sessions are created through the service first, so the rows point at real answers."""
    db, service, dispatcher = await make_service(url, path)
    ids = await start_sessions(service, sessions, prefix="raw")
    async with db.reading() as s:
        answer_ids = list(
            await s.scalars(
                select(Answer.id)
                .join(InterviewSession, Answer.session_id == InterviewSession.id)
                .where(InterviewSession.id.in_(ids), Answer.position == 0)
            )
        )
    await dispatcher.stop()
    await db.dispose()
    rows = [(answer_ids[i % len(answer_ids)], 100 + i // len(answer_ids)) for i in range(answers)]
    now = datetime.now(UTC)
    if url is None:
        conn = sqlite3.connect(path)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        t0 = time.perf_counter()
        for answer_id, position in rows:
            conn.execute(
                "INSERT INTO answer_parts (answer_id, position, text, created_at) "
                "VALUES (?, ?, ?, ?)",
                (answer_id, position, ANSWER, now.isoformat(sep=" ")),
            )
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
        return answers / elapsed
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg = await asyncpg.connect(dsn)
    t0 = time.perf_counter()
    for answer_id, position in rows:  # autocommit: one transaction per statement
        await pg.execute(
            "INSERT INTO answer_parts (answer_id, position, text, created_at) "
            "VALUES ($1, $2, $3, $4)",
            answer_id,
            position,
            ANSWER,
            now,
        )
    elapsed = time.perf_counter() - t0
    await pg.close()
    return answers / elapsed


async def deadline_lateness(url: str | None, path: Path, count: int, spread: float) -> list[float]:
    """``count`` interviews whose current item times out within ``spread`` seconds: the real
    time-out handler (score what was written, ask the next item) runs for each; lateness is from
    the due time to the ``TimedOut`` event the Discord and terminal adapters render."""
    db, service, dispatcher = await make_service(url, path)
    ids = await start_sessions(service, count, prefix="late")
    clock = SystemClock()
    base = clock.now() + timedelta(seconds=5)  # after the set-up below: measures firing only
    rng = random.Random(3)
    due = {sid: base + timedelta(seconds=rng.uniform(0, spread)) for sid in ids}
    async with db.transaction() as s:
        for sid, at in due.items():
            await s.execute(
                update(Answer)
                .where(Answer.session_id == sid, Answer.position == 0)
                .values(deadline_at=at)
            )
        await dispatcher.cancel_in(s, "interview.reminder", [f"{sid}:0" for sid in ids])
        await dispatcher.schedule_in(
            s, [Due("interview.answer", f"{sid}:0", at) for sid, at in due.items()]
        )
    lateness: list[float] = []
    done = asyncio.Event()

    async def on_event(event: object) -> None:
        if isinstance(event, TimedOut) and event.session_id in due:
            lateness.append((clock.now() - due[event.session_id]).total_seconds())
            if len(lateness) == count:
                done.set()

    service.subscribe(on_event)
    dispatcher.poke()
    await asyncio.wait_for(done.wait(), timeout=spread + 120)
    await dispatcher.stop()
    await db.dispose()
    return lateness


async def memory_per_session(url: str | None, path: Path, n: int) -> float:
    db, service, dispatcher = await make_service(url, path)
    await start_sessions(service, 10, prefix="warm")  # warm caches first
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ids = await start_sessions(service, n)
    for sid in ids:
        await service.add_answer(sid, ANSWER)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    await dispatcher.stop()
    await db.dispose()
    return (after - before) / n


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="answer parts per session (saturation)"
    )
    parser.add_argument(
        "--deadlines", type=int, default=2_000, help="interviews timing out (real handler)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="run on this database instead of SQLite files (e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/bench); its public schema is dropped",
    )
    parser.add_argument(
        "--spread", type=float, default=10.0, help="seconds over which deadlines fall due"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = args.database_url
        db, service, dispatcher = await make_service(url, tmpdir / "engine.sqlite3")
        ids = await start_sessions(service, args.sessions)

        async def add(sid: int) -> None:
            await service.add_answer(sid, ANSWER)

        add_rate, add_lat = await saturation(add, ids, args.rounds)
        next_rate, next_lat = await saturation(service.submit, ids, 1)
        add_steady = await steady(add, ids, rate=1000.0, seconds=5)
        next_steady = await steady(service.submit, ids, rate=100.0, seconds=5)
        await dispatcher.stop()
        await db.dispose()
        baseline = await raw_baseline(url, tmpdir / "raw.sqlite3", args.sessions, len(add_lat))
        lateness = await deadline_lateness(
            url, tmpdir / "deadlines.sqlite3", args.deadlines, args.spread
        )
        per_session = await memory_per_session(url, tmpdir / "memory.sqlite3", 1000)

    ms = 1000
    engine = "SQLite" if url is None else make_url(url).get_backend_name()
    raw = "raw sqlite3" if url is None else "raw asyncpg"
    print(f"database: {engine}")
    print(f"sessions: {args.sessions}; answer submissions in the saturation run: {len(add_lat)}")
    print(
        f"answers persisted: {add_rate:,.0f}/s through the service vs {baseline:,.0f}/s {raw} "
        f"on the same schema (one commit per answer part); ratio {add_rate / baseline:.2f}"
    )
    print(
        f"  saturation latency (all {args.sessions} at once): p50 {pct(add_lat, 50) * ms:.1f} ms, "
        f"p99 {pct(add_lat, 99) * ms:.1f} ms"
    )
    print(
        f"  steady 1,000 answers/s offered: p50 {pct(add_steady, 50) * ms:.1f} ms, "
        f"p99 {pct(add_steady, 99) * ms:.1f} ms (target p99 <= 20 ms)"
    )
    print(
        f"next question (score + ask next): {next_rate:,.0f}/s at saturation, p99 "
        f"{pct(next_lat, 99) * ms:.0f} ms; steady 100/s offered: p50 {pct(next_steady, 50) * ms:.1f} ms, "
        f"p99 {pct(next_steady, 99) * ms:.1f} ms"
    )
    print(
        f"time-outs (real handler: score, ask the next item): {len(lateness)} of "
        f"{args.deadlines} fired over {args.spread:.0f} s; lateness "
        f"p50 {pct(lateness, 50) * ms:.1f} ms, p99 {pct(lateness, 99) * ms:.1f} ms, "
        f"max {max(lateness) * ms:.1f} ms (target p99 <= 50 ms)"
    )
    print(f"memory per active session: {per_session / 1024:.1f} KiB (Python heap, tracemalloc)")


if __name__ == "__main__":
    asyncio.run(main())
