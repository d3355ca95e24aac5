"""Benchmark: /bank import into a guild that already has many questions, new code against old.

    .venv/bin/python benchmarks/bank_import.py [--sizes 1000 12000] [--file 1 1000]

For each guild bank size M (``--sizes``) and file size N (``--file``: questions in the upload),
a fresh SQLite database gets M questions in one guild (the bundled bank is loaded too, as in
the bot), then one import of N new questions runs through ``BankAdminService.import_yaml`` (the
current code) and, on an identical fresh database, through the previous algorithm kept below
(``old_import``: a copy of two id dicts per own question, every own row loaded with its JSON
body, a flush per question, the guild's bank rebuilt on the event loop). Printed per run: wall
time of the import and the longest time the event loop was held (a task that sleeps 1 ms
and measures how late it wakes), and the old/new ratios.

Targets (what the Discord flow needs): the event loop is never held longer than ~100 ms, and
the import costs O(N + M). No exit code on targets: this prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.core.bank import QuestionBank, bundled_bank_path, dump_questions, load_bank
from bot.core.bank import parse_questions as parse
from bot.core.bank_registry import BankRegistry
from bot.core.clock import SystemClock
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.features.bank import rows
from bot.features.bank.form import body_of, changes, question_of
from bot.features.bank.service import BankAdminService
from bot.features.bank.types import ACTIVE, RETIRED, ImportRejected
from bot.features.config.service import GuildSettingsService
from bot.storage.database import Database
from bot.storage.models import GuildQuestion

GUILD = 1


def _question(qid: str, n: int) -> Question:
    return Question(
        id=qid,
        track=Track.TECHNICAL,
        topic=("bias-variance", "probability", "ranking")[n % 3],
        difficulty=tuple(Difficulty)[n % 3],
        minutes=5,
        prompt=f"Question {n}: a model scores 0.99 on training and 0.81 on validation. Why?",
        reference_answer="High variance: the model overfits. Confirm with learning curves.",
        rubric=(
            RubricPoint("Names overfitting", ("overfitting|high variance",)),
            RubricPoint("Checks before acting", ("learning curve|cross-validation",)),
        ),
        hints=("Compare the two numbers.",),
    )


# -- the previous algorithm, kept as the baseline -------------------------------------------


@dataclass
class _OldIds:
    known: dict[str, str]
    owners: dict[str, str]

    def without(self, question_id: str) -> _OldIds:  # two dict copies per call
        known = dict(self.known)
        known.pop(question_id, None)
        owners = dict(self.owners)
        owners.pop(question_id, None)
        return _OldIds(known, owners)


async def old_import(
    db: Database, banks: BankRegistry, settings: GuildSettingsService, text: str
) -> tuple[int, int]:
    async with db.reading() as s:
        known = dict(banks.known_ids())
        owners = {q.id: "the bundled bank" for q in banks.bundled}
        found = await s.execute(
            select(GuildQuestion.question_id, GuildQuestion.guild_id, GuildQuestion.status)
        )
        for question_id, owner_guild, status in found:
            owners[question_id] = rows.owner_text(owner_guild == GUILD, status)
        known.update(owners)
        ids = _OldIds(known, owners)
        own = await rows.guild_rows(s, GUILD, (ACTIVE,))
    for row in own:
        ids = ids.without(row.question_id)
    result = await asyncio.to_thread(parse, text, "file.yaml", ids.known)
    if not result.ok:
        raise ImportRejected([str(p) for p in result.problems], result.questions_checked)
    now = datetime.now(UTC)
    added: dict[str, Any] = {}
    updated: dict[str, Any] = {}
    async with db.transaction() as s:
        existing = {r.question_id: r for r in await rows.guild_rows(s, GUILD, (ACTIVE,))}
        for question in result.questions:
            body = body_of(question)
            row = existing.get(question.id)
            if row is None:
                s.add(
                    GuildQuestion(
                        guild_id=GUILD,
                        question_id=question.id,
                        status=ACTIVE,
                        body=body,
                        author_id=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                added[question.id] = body
            elif question_of(row.body) != question:
                updated[question.id] = changes(row.body, body)
                row.body, row.updated_at = body, now
            await s.flush()
        rows.audit(s, now, GUILD, None, "bank.import", "file.yaml", {"added": added})
    async with db.reading() as s:  # the old registry refresh: ORM rows, rebuilt on the loop
        stored = (
            await s.scalars(
                select(GuildQuestion)
                .where(GuildQuestion.guild_id == GUILD, GuildQuestion.status.in_((ACTIVE, RETIRED)))
                .order_by(GuildQuestion.id)
            )
        ).all()
    active = [question_of(r.body, origin=f"server {GUILD}") for r in stored if r.status == ACTIVE]
    config = await settings.get(GUILD)
    banks.set_guild(GUILD, active, (), use_bundled=config.bundled_questions)
    return len(added), len(updated)


# -- measuring --------------------------------------------------------------------------------


@dataclass
class _GcPauses:
    """The longest full (generation 2) cyclic-GC collection while installed."""

    longest: float = 0.0
    _began: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._began)


async def _longest_block(work: Awaitable[Any]) -> tuple[float, float, float]:
    """(seconds of ``work``, longest seconds the loop was held meanwhile, longest full GC)."""
    longest = 0.0
    done = False
    pauses = _GcPauses()
    gc.callbacks.append(pauses)

    async def ticker() -> None:
        nonlocal longest
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            longest = max(longest, time.perf_counter() - before - 0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    try:
        await work
    finally:
        elapsed = time.perf_counter() - start
        done = True
        await task
        gc.callbacks.remove(pauses)
    return elapsed, longest, pauses.longest


async def _run(
    bundled: QuestionBank, size: int, file_size: int, old: bool, freeze: bool = False
) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/bench.sqlite3")
        await db.migrate()
        clock = SystemClock()
        banks = BankRegistry(bundled)
        settings = GuildSettingsService(db, clock)
        service = BankAdminService(db, clock, banks, settings)
        now = datetime.now(UTC)
        async with db.transaction() as s:
            for start in range(0, size, 1000):
                await s.execute(
                    insert(GuildQuestion),
                    [
                        {
                            "guild_id": GUILD,
                            "question_id": f"seed-{n:05}",
                            "status": ACTIVE,
                            "body": body_of(_question(f"seed-{n:05}", n)),
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in range(start, min(size, start + 1000))
                    ],
                )
        await service.sync_guild(GUILD)
        text = dump_questions(_question(f"new-{n:04}", n) for n in range(file_size))
        run: Callable[[], Awaitable[Any]]
        if old:
            run = lambda: old_import(db, banks, settings, text)  # noqa: E731
        else:
            run = lambda: service.import_yaml(GUILD, None, "file.yaml", text)  # noqa: E731
        if freeze:  # what the bot does once its start-up (banks loaded) is over
            gc.collect()
            gc.freeze()
        try:
            elapsed, longest, gc_pause = await _longest_block(run())
        finally:
            gc.unfreeze()
        total = len(banks.for_guild(GUILD)) - len(bundled)
        await db.dispose()
    return elapsed, longest, gc_pause, total


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 12000])
    parser.add_argument("--file", type=int, nargs="+", default=[1, 1000])
    parser.add_argument(
        "--freeze-runs",
        type=int,
        default=0,
        help="also compare the import with and without gc.freeze() after start-up, N runs each",
    )
    args = parser.parse_args()
    bundled = QuestionBank(load_bank([bundled_bank_path()]).questions)
    print(f"bundled bank: {len(bundled)} questions; SQLite; times in seconds")
    header = f"{'guild bank M':>12} {'file N':>7} {'old time':>9} {'new time':>9} {'ratio':>6}"
    print(f"{header} {'old block':>10} {'new block':>10} {'ratio':>6}")
    for size in args.sizes:
        for file_size in args.file:
            old_time, old_block, _, old_total = await _run(bundled, size, file_size, old=True)
            new_time, new_block, _, new_total = await _run(bundled, size, file_size, old=False)
            assert old_total == new_total == size + file_size, (old_total, new_total)
            print(
                f"{size:>12,} {file_size:>7,} {old_time:>9.2f} {new_time:>9.2f} "
                f"{old_time / new_time:>5.1f}x {old_block:>10.3f} {new_block:>10.3f} "
                f"{old_block / max(new_block, 1e-6):>5.1f}x",
                flush=True,
            )
    if args.freeze_runs:
        await _compare_freeze(bundled, args.sizes, args.file, args.freeze_runs)


async def _compare_freeze(
    bundled: QuestionBank, sizes: list[int], files: list[int], runs: int
) -> None:
    """The current import with and without ``gc.freeze()`` after start-up, alternating, ``runs``
    times each: the median and worst loop block and the longest full GC collection seen."""
    print(f"\ngc.freeze() after start-up: {runs} runs each, alternating; seconds")
    print(
        f"{'guild bank M':>12} {'file N':>7} {'freeze':>6} {'block median':>12} "
        f"{'block max':>9} {'full GC max':>11} {'time median':>11}"
    )
    for size in sizes:
        for file_size in files:
            seen: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
            for _ in range(runs):
                for freeze in (False, True):
                    took, block, pause, _ = await _run(bundled, size, file_size, False, freeze)
                    seen[freeze].append((took, block, pause))
            for freeze, results in seen.items():
                blocks = sorted(b for _, b, _ in results)
                times = sorted(t for t, _, _ in results)
                print(
                    f"{size:>12,} {file_size:>7,} {'yes' if freeze else 'no':>6} "
                    f"{blocks[len(blocks) // 2]:>12.3f} {blocks[-1]:>9.3f} "
                    f"{max(p for _, _, p in results):>11.3f} {times[len(times) // 2]:>11.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
