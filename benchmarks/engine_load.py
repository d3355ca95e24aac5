"""Engine benchmark on SQLite, through the service layer (not part of the test run).

1. Saturation: 1,000 sessions submit answer text all at once, as fast as the engine allows:
   answers persisted per second, against raw ``sqlite3`` committing the same rows one by one in
   the same run. Then the same for "Next" (score the answer, ask the next question).
2. Steady load: answers arrive at 1,000/s spread over the 1,000 sessions (open loop):
   p50/p99 latency of one answer submission; "Next" at 100/s offered.
3. 10,000 pending deadlines in one dispatcher: p99 lateness of firing (real clock).
4. Memory per active session (tracemalloc, engine objects only).

Run: .venv/bin/python benchmarks/engine_load.py [--sessions 1000] [--deadlines 10000]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.bank import QuestionBank
from bot.core.clock import SystemClock
from bot.core.formats import Length
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.features.interviews.service import InterviewService
from bot.scheduler import Due, Job, Scheduler
from bot.storage.database import Database
from bot.storage.models import InterviewSession, User

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


async def make_service(path: Path) -> tuple[Database, InterviewService, Scheduler]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
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


def raw_sqlite_baseline(path: Path, answers: int) -> float:
    """The same writes per answer (one part row, one scored answer update, one commit)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE parts (id INTEGER PRIMARY KEY, answer_id INT, position INT, text TEXT, created_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, status TEXT, auto_score INT, covered TEXT, missed TEXT)"
    )
    conn.executemany(
        "INSERT INTO answers (id, status) VALUES (?, 'active')", [(i,) for i in range(answers)]
    )
    conn.commit()
    now = datetime.now(UTC).isoformat()
    t0 = time.perf_counter()
    for i in range(answers):
        conn.execute(
            "INSERT INTO parts (answer_id, position, text, created_at) VALUES (?, 0, ?, ?)",
            (i, ANSWER, now),
        )
        conn.commit()
        conn.execute(
            "UPDATE answers SET status='submitted', auto_score=4, covered='[]', missed='[]' WHERE id=?",
            (i,),
        )
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return answers / elapsed


async def deadline_lateness(path: Path, count: int, spread: float) -> list[float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    clock = SystemClock()
    async with db.transaction() as s:
        user = User(platform="bench", external_id="d", display_name="", created_at=clock.now())
        s.add(user)
        await s.flush()
        row = InterviewSession(
            user_id=user.id,
            platform="bench",
            track="technical",
            length="short",
            status="active",
            current_position=0,
            started_at=clock.now(),
        )
        s.add(row)
        await s.flush()
        session_id = row.id
    dispatcher = Scheduler(db, clock, "bench")
    lateness: list[float] = []
    done = asyncio.Event()

    async def on_fire(job: Job) -> None:
        lateness.append((clock.now() - job.due_at).total_seconds())
        if len(lateness) == count:
            done.set()

    dispatcher.handle("bench", on_fire)
    await dispatcher.start()
    # Due times start after scheduling has finished: this measures firing, not inserting.
    base = clock.now() + timedelta(seconds=5)
    rng = random.Random(3)
    # Schedule in batches of 500 per transaction, as many sessions would over time.
    for start in range(0, count, 500):
        async with db.transaction() as s:
            await dispatcher.schedule_in(
                s,
                [
                    Due(
                        "bench",
                        f"{session_id}:{i}",
                        base + timedelta(seconds=rng.uniform(0, spread)),
                    )
                    for i in range(start, min(count, start + 500))
                ],
            )
        dispatcher.poke()
    await asyncio.wait_for(done.wait(), timeout=spread + 60)
    await dispatcher.stop()
    await db.dispose()
    return lateness


async def memory_per_session(path: Path, n: int) -> float:
    db, service, dispatcher = await make_service(path)
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
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument(
        "--spread", type=float, default=10.0, help="seconds over which deadlines fall due"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        db, service, dispatcher = await make_service(tmpdir / "engine.sqlite3")
        ids = await start_sessions(service, args.sessions)

        async def add(sid: int) -> None:
            await service.add_answer(sid, ANSWER)

        add_rate, add_lat = await saturation(add, ids, args.rounds)
        next_rate, next_lat = await saturation(service.submit, ids, 1)
        add_steady = await steady(add, ids, rate=1000.0, seconds=5)
        next_steady = await steady(service.submit, ids, rate=100.0, seconds=5)
        await dispatcher.stop()
        await db.dispose()
        baseline = raw_sqlite_baseline(tmpdir / "raw.sqlite3", len(add_lat))
        lateness = await deadline_lateness(
            tmpdir / "deadlines.sqlite3", args.deadlines, args.spread
        )
        per_session = await memory_per_session(tmpdir / "memory.sqlite3", 1000)

    ms = 1000
    print(f"sessions: {args.sessions}; answer submissions in the saturation run: {len(add_lat)}")
    print(
        f"answers persisted: {add_rate:,.0f}/s through the service vs {baseline:,.0f}/s raw sqlite3 "
        f"(one commit per row); ratio {add_rate / baseline:.2f}"
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
        f"deadlines: {len(lateness)} of {args.deadlines} fired over {args.spread:.0f} s; lateness "
        f"p50 {pct(lateness, 50) * ms:.1f} ms, p99 {pct(lateness, 99) * ms:.1f} ms, "
        f"max {max(lateness) * ms:.1f} ms (target p99 <= 50 ms)"
    )
    print(f"memory per active session: {per_session / 1024:.1f} KiB (Python heap, tracemalloc)")


if __name__ == "__main__":
    asyncio.run(main())
