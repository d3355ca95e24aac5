"""Sharded load through the loopback fake: bot processes over one PostgreSQL database.

Layouts (both by default): 2 processes x 2 shards (SHARD_COUNT=4, SHARD_IDS=0,1 and 2,3), and
1 process running the 4 shards. Each layout, on a fresh database:

1. the fake Discord (in this process) has ``--guilds`` guilds spread evenly over 4 shards, each
   with a #daily channel set to post the question of the day at the same minute (half an hour
   ahead), and Discord's rate limits (50 requests in any sliding second; 5 posts per channel
   per 5 s);
2. the bot processes start exactly as ``python -m bot run`` (``benchmarks/_run_sharded.py``,
   whose one test hook makes the schedulers look at the jobs table every second);
3. ``--interviews`` members in as many guilds start ``/interview start`` at once; we time each
   from the INTERACTION_CREATE frame to the acknowledgement and to the first question in the
   member's thread (the message the member waits for);
4. instead of waiting for the daily minute, every daily slot and the first answer deadline of
   every interview are brought forward to the same instant 2 s ahead (their ``scheduled_jobs``
   rows, and ``answers.deadline_at`` that the time-out handler checks): the bots' clocks are
   not moved, and their schedulers see the moved jobs within a second (the runner's hook);
5. at that instant the fan-out and the time-outs start; 2 s later one process (the one with
   shards 2,3, or the only one) is killed with SIGKILL and restarted 3 s later;
6. once every channel has its post (or the time limit passed) and things settled, we count:
   daily posts missed / duplicated, deadline messages ("Time is up for item 1") missed /
   duplicated, and the bots' peak requests per sliding second.

Needs PostgreSQL: ``--database-url`` or TEST_DATABASE_URL (a server where this user may create
databases; one is created per layout and dropped afterwards).

Run: .venv/bin/python benchmarks/sharded_load.py --quick     (1,000 guilds, 200 interviews)
     .venv/bin/python benchmarks/sharded_load.py             (10,000 guilds, 1,000 interviews)
To look into a run: ``--keep-db`` keeps each layout's database (scheduled_jobs,
daily_deliveries, audit_log), ``--logs DIR`` keeps the bot processes' warnings, a file per
process start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from bot.core.clock import SystemClock
from bot.features.config.service import GuildSettingsService
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database
from bot.storage.models import Answer
from tests.loopback import FakeChannel, FakeDiscord, FakeMember

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).with_name("_run_sharded.py")
SHARDS = 4
POST_ROUTE = "POST /channels/{channel_id}/messages"
TIME_UP = "Time is up for item 1"


@dataclass
class Guild:
    daily: FakeChannel
    interviews: FakeChannel | None = None
    member: FakeMember | None = None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def create_database(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"mlmock_load_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def prepare(url: str, guilds: dict[int, Guild], daily_at: datetime) -> None:
    db = Database(url)
    try:
        await db.migrate()
        settings = GuildSettingsService(db, SystemClock())
        hhmm = daily_at.strftime("%H:%M")
        for guild_id, guild in guilds.items():
            await settings.update(
                guild_id,
                None,
                daily_channel_id=guild.daily.id,
                daily_time=hhmm,
                daily_timezone="UTC",
            )
    finally:
        await db.dispose()


async def bring_forward(url: str, due: datetime) -> tuple[int, int]:
    """Every daily slot and every interview's first answer deadline become ``due``: their jobs,
    and the answer row the time-out handler checks (a job whose answer is not due yet is a stale
    timer and is ignored). Returns (slots, deadlines) moved."""
    db = Database(url)
    try:
        async with db.transaction() as s:
            slots = await s.execute(
                update(ScheduledJob)
                .where(ScheduledJob.kind == "daily.slot")
                .values(due_at=due)
                .execution_options(synchronize_session=False)
            )
            result = await s.execute(
                update(ScheduledJob)
                .where(ScheduledJob.kind == "interview.answer", ScheduledJob.key.like("%:0"))
                .values(due_at=due)
                .execution_options(synchronize_session=False)
            )
            await s.execute(
                update(Answer)
                .where(Answer.position == 0, Answer.status == "active")
                .values(deadline_at=due)
                .execution_options(synchronize_session=False)
            )
            moved = (slots.rowcount or 0, result.rowcount or 0)  # type: ignore[attr-defined]
            return int(moved[0]), int(moved[1])
    finally:
        await db.dispose()


class Processes:
    def __init__(
        self, fake: FakeDiscord, url: str, layout: list[str], logs: Path | None = None
    ) -> None:
        self.fake, self.url, self.layout, self.logs = fake, url, layout, logs
        self.procs: list[asyncio.subprocess.Process | None] = [None] * len(layout)
        self.starts = 0

    def env(self, shard_ids: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.url,
            DISCORD_TOKEN=self.fake.token,
            SHARD_COUNT=str(SHARDS),
            SHARD_IDS=shard_ids,
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
            MLMOCK_BENCH_POLL_SECONDS="1",
        )
        env.pop("METRICS_PORT", None)
        return env

    async def start(self, index: int) -> None:
        self.starts += 1
        stderr: Any = asyncio.subprocess.DEVNULL
        if self.logs is not None:  # one file per process start: shards and start number
            name = f"bot-{self.layout[index].replace(',', '')}-{self.starts}.log"
            stderr = open(self.logs / name, "w")  # noqa: ASYNC230, SIM115 (the child writes it)
        try:
            self.procs[index] = await asyncio.create_subprocess_exec(
                sys.executable,
                str(RUNNER),
                self.fake.api_base,
                self.fake.gateway_url,
                env=self.env(self.layout[index]),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        finally:
            if not isinstance(stderr, int):
                stderr.close()

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGKILL)

    async def stop_all(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()


async def connected(fake: FakeDiscord, since: int, count: int, timeout: float) -> None:  # noqa: ASYNC109
    await fake.wait_until(
        lambda: fake.stats["identifies"] - since >= count, timeout, f"{count} shard IDENTIFYs"
    )


async def run_layout(args: argparse.Namespace, layout: list[str]) -> dict[str, object]:
    began = time.perf_counter()
    name, url = await create_database(args.database_url)
    try:
        async with FakeDiscord() as fake:
            fake.shard_count, fake.max_concurrency = SHARDS, SHARDS
            guilds: dict[int, Guild] = {}
            for i in range(args.guilds):
                g = fake.add_guild(f"guild-{i}", shard=(i % SHARDS, SHARDS))
                guilds[g.id] = Guild(fake.add_text_channel(g, "daily"))
                if i < args.interviews:
                    guilds[g.id].interviews = fake.add_text_channel(g, "interviews")
                    guilds[g.id].member = fake.add_member(g, f"member-{i}")
            daily_at = datetime.now(UTC) + timedelta(minutes=30)  # brought forward below
            await prepare(url, guilds, daily_at)
            fake.enable_rate_limits(
                route_limit=5,
                route_window=1.0,
                global_limit=50,
                global_window=1.0,
                overrides={POST_ROUTE: (5, 5.0)},
            )
            logs = None
            if args.logs:
                logs = Path(args.logs) / "-".join(x.replace(",", "") for x in layout)
                logs.mkdir(parents=True, exist_ok=True)
            procs = Processes(fake, url, layout, logs)
            started = time.perf_counter()
            for index in range(len(layout)):
                await procs.start(index)
            try:
                await connected(fake, 0, SHARDS, 300)
                await fake.wait_until(lambda: fake.synced_commands(), 120, "command sync")
                await asyncio.sleep(3.0)  # guild_ready_timeout (2 s) after the last GUILD_CREATE
                startup = time.perf_counter() - started
                results = await start_interviews(fake, guilds, time.monotonic() + args.wait)
                due = datetime.now(UTC) + timedelta(seconds=2)
                slots, moved = await bring_forward(url, due)
                await asyncio.sleep(max((due - datetime.now(UTC)).total_seconds(), 0))
                fanout_mono = time.monotonic()
                await asyncio.sleep(2.0)
                victim = len(layout) - 1
                procs.kill(victim)
                identifies = fake.stats["identifies"]
                await asyncio.sleep(3.0)
                await procs.start(victim)
                shards_back = len(layout[victim].split(","))
                await connected(fake, identifies, shards_back, 300)
                restarted_after = time.monotonic() - fanout_mono
                limit = args.guilds / 50 * 2 + 120
                posted_all = await wait_posts(fake, guilds, limit)
                await asyncio.sleep(args.settle)
                fanout_seconds = posted_all - fanout_mono if posted_all else float("nan")
                peak_sent = fake.peak_requests_per_second(since=fanout_mono)
                peak_ok = fake.peak_requests_per_second(since=fanout_mono, accepted_only=True)
            finally:
                await procs.stop_all()
            posts = Counter(len(fake.messages_in(g.daily)) for g in guilds.values())
            deadline_counts = Counter(time_up_count(fake, g) for g in guilds.values() if g.member)
            figures: dict[str, object] = {
                "startup_s": startup,
                "restart_to_connected_s": restarted_after,
                "deadlines_moved": moved,
                "slots_moved": slots,
                "fanout_s": fanout_seconds,
                "posts_missed": posts.get(0, 0),
                "posts_duplicated": sum(n for c, n in posts.items() if c > 1),
                "deadlines_once": deadline_counts.get(1, 0),
                "deadlines_missed": deadline_counts.get(0, 0),
                "deadlines_duplicated": sum(n for c, n in deadline_counts.items() if c > 1),
                "peak_sent": peak_sent,
                "peak_accepted": peak_ok,
                "rate_limited": fake.stats["rate_limited"],
                "problems": len(fake.take_problems()),
                **results,
            }
    finally:
        if args.keep_db:
            print(f"kept the database: {url}")
        else:
            await drop_database(args.database_url, name)
    figures["layout_s"] = time.perf_counter() - began
    return figures


async def start_interviews(
    fake: FakeDiscord, guilds: dict[int, Guild], until: float
) -> dict[str, object]:
    """All at once; wait for every first question, until ``until`` (monotonic) at the latest."""
    members = [(g.member, g.interviews) for g in guilds.values() if g.member and g.interviews]
    sent = [
        await fake.slash(m, ch, "interview", subcommand="start", options={"track": "technical"})
        for m, ch in members
    ]
    deadline = until
    firsts: dict[int, float] = {}
    while time.monotonic() < deadline and len(firsts) < len(sent):
        await asyncio.sleep(0.25)
        for ir, (_, channel) in zip(sent, members, strict=True):
            if ir.id in firsts or channel is None:
                continue
            for thread in fake.threads(channel):
                first = next((m for m in thread.messages if m.embeds), None)
                if first is not None and ir.sent_at is not None:
                    firsts[ir.id] = first.created_mono - ir.sent_at
    acks = [ir.handling_time for ir in sent if ir.handling_time is not None]
    waits = list(firsts.values())
    return {
        "interviews": len(sent),
        "acked": len(acks),
        "ack_p50": statistics.median(acks) if acks else float("nan"),
        "ack_p99": percentile(acks, 0.99),
        "first_question": len(waits),
        "first_p50": statistics.median(waits) if waits else float("nan"),
        "first_p99": percentile(waits, 0.99),
    }


async def wait_posts(fake: FakeDiscord, guilds: dict[int, Guild], limit: float) -> float | None:
    deadline = time.monotonic() + limit
    channels = [g.daily for g in guilds.values()]
    while time.monotonic() < deadline:
        if all(fake.messages_in(c) for c in channels):
            return time.monotonic()
        await asyncio.sleep(0.5)
    return None


def time_up_count(fake: FakeDiscord, guild: Guild) -> int:
    assert guild.interviews is not None
    return sum(
        TIME_UP in m.text()
        for thread in fake.threads(guild.interviews)
        for m in fake.messages_in(thread)
    )


def report(title: str, f: dict[str, object]) -> None:
    print(f"\n== {title}")
    print(
        f"start-up to ready {f['startup_s']:.1f} s; killed process back on the gateway "
        f"{f['restart_to_connected_s']:.1f} s after the fan-out began"
    )
    print(
        f"interviews started {f['interviews']}: acknowledged {f['acked']}, ack p50 "
        f"{f['ack_p50']:.3f} s p99 {f['ack_p99']:.3f} s; first question {f['first_question']}, "
        f"p50 {f['first_p50']:.3f} s p99 {f['first_p99']:.3f} s"
    )
    print(
        f"daily posts ({f['slots_moved']} slots brought forward): missed {f['posts_missed']}, "
        f"duplicated {f['posts_duplicated']}; time to post all {f['fanout_s']:.1f} s"
    )
    print(
        f"deadlines (first answer, {f['deadlines_moved']} brought forward): fired once "
        f"{f['deadlines_once']}, missed {f['deadlines_missed']}, duplicated "
        f"{f['deadlines_duplicated']}"
    )
    print(
        f"bots' peak requests in one sliding second: {f['peak_sent']} sent, "
        f"{f['peak_accepted']} accepted (limit 50); 429s {f['rate_limited']}; "
        f"problems seen by the fake {f['problems']}"
    )
    print(f"this layout took {f['layout_s']:.0f} s, database setup and teardown included")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guilds", type=int, default=10_000)
    parser.add_argument("--interviews", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="1,000 guilds, 200 interviews")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--layout", choices=("both", "2x2", "1x4"), default="both")
    parser.add_argument(
        "--wait", type=float, default=60.0, help="most seconds to wait for the first questions"
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep each layout's database (its URL is printed)"
    )
    parser.add_argument(
        "--logs", default="", help="a folder for the bot processes' logs (WARNING and above)"
    )
    parser.add_argument("--settle", type=float, default=8.0, help="seconds to catch duplicates")
    args = parser.parse_args()
    if args.quick:
        args.guilds, args.interviews = 1_000, 200
    args.interviews = min(args.interviews, args.guilds)
    if not args.database_url.startswith("postgresql+asyncpg://"):
        parser.error(
            "needs PostgreSQL: --database-url postgresql+asyncpg://user@host/db (or TEST_DATABASE_URL)"
        )
    logging.basicConfig(level=logging.CRITICAL)
    print(
        f"{args.guilds} guilds on {SHARDS} shards, {args.interviews} interviews started at once, "
        "a daily post per guild at the same minute, Discord's rate limits; one process "
        "killed (SIGKILL) 2 s into the fan-out and restarted 3 s later"
    )
    layouts = {"2x2": ["0,1", "2,3"], "1x4": ["0,1,2,3"]}
    chosen = list(layouts) if args.layout == "both" else [args.layout]
    for key in chosen:
        title = "2 processes x 2 shards" if key == "2x2" else "1 process x 4 shards"
        report(title, await run_layout(args, layouts[key]))


if __name__ == "__main__":
    asyncio.run(main())
