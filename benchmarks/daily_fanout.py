"""Daily-question fan-out benchmark through the loopback fake (not part of the test run).

1,000 guilds, one daily channel each, all set to post at 10:00 UTC. The fake Discord enforces
Discord's rate limits (per-route buckets with 429 + retry_after, and 50 requests in any sliding
second, globally), the
bot runs with a FakeClock that is moved past 10:00 in one step, and we measure the time from
that step until the last of the 1,000 posts reached the fake, against the floor of
1,000 / 50 = 20 s. Then we count the posts per channel: every channel must have exactly one,
and print the bot's own peak of REST requests in one sliding second (what it sent, 429s
included, and what the fake accepted: at most the global limit).

The bot runs in this process (its clock must be moved from here); the fake's work at 50
requests/s is small beside it.

Run: .venv/bin/python benchmarks/daily_fanout.py [--guilds 1000] [--global-limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bot.app import open_app
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.discord.client import create_bot
from bot.features.config.service import GuildSettingsService
from bot.features.daily.commands import DailyCommands
from bot.storage.database import Database
from bot.storage.models import DailyDelivery
from bot.tables import Base
from tests.loopback import FakeDiscord

POST_ROUTE = "POST /channels/{channel_id}/messages"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def prepare_database(url: str, channels: dict[int, int]) -> None:
    """Schema (migrations, plus this feature's tables until their migration exists) and one
    daily schedule per guild, 10:00 UTC."""
    db = Database(url)
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        settings = GuildSettingsService(db, FakeClock(START))
        for guild_id, channel_id in channels.items():
            await settings.update(
                guild_id,
                None,
                daily_channel_id=channel_id,
                daily_time="10:00",
                daily_timezone="UTC",
            )
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--global-limit", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/fanout.sqlite3"
        async with FakeDiscord() as fake:
            guilds = [fake.add_guild(f"guild-{i}") for i in range(args.guilds)]
            channels = {g.id: fake.add_text_channel(g, "daily") for g in guilds}
            await prepare_database(url, {gid: c.id for gid, c in channels.items()})
            fake.enable_rate_limits(
                route_limit=5,
                route_window=1.0,
                global_limit=args.global_limit,
                global_window=1.0,
                overrides={POST_ROUTE: (5, 5.0)},
            )
            clock = FakeClock(START)
            async with open_app(
                Settings(database_url=url), scope="discord", clock=clock, start_scheduler=False
            ) as app:
                bot = create_bot(app, guild_ready_timeout=0.05)
                await fake.start_bot(bot, timeout=60)
                try:
                    cog = bot.get_cog("DailyCommands")
                    assert isinstance(cog, DailyCommands)
                    await cog.scheduler.settled()
                    before = fake.stats["requests"]
                    limited_before = fake.stats["rate_limited"]
                    posts = lambda: [  # noqa: E731
                        r for r in fake.requests if r.route == POST_ROUTE and r.status == 200
                    ]
                    started = time.perf_counter()
                    started_mono = time.monotonic()
                    clock.set(datetime(2026, 1, 5, 10, 0, 1, tzinfo=UTC))
                    await fake.wait_until(
                        lambda: len(posts()) >= args.guilds, 600, "every daily post"
                    )
                    elapsed = time.perf_counter() - started
                    await cog.scheduler.settled()
                    requests = fake.stats["requests"] - before
                    peak_sent = fake.peak_requests_per_second(since=started_mono)
                    peak_accepted = fake.peak_requests_per_second(
                        since=started_mono, accepted_only=True
                    )
                    limited = fake.stats["rate_limited"] - limited_before
                    async with app.db.reading() as s:
                        delivered = await s.scalar(
                            select(func.count()).where(DailyDelivery.delivered_at.is_not(None))
                        )
                finally:
                    await fake.stop_bot(bot)
            problems = fake.problems()

    per_channel = Counter(len(fake.messages_in(c)) for c in channels.values())
    missed = per_channel.get(0, 0)
    duplicated = sum(n for count, n in per_channel.items() if count > 1)
    floor = args.guilds / args.global_limit
    print(
        f"{args.guilds} daily posts, one per guild channel, global limit {args.global_limit}/s, "
        f"per channel 5 per 5 s"
    )
    print(
        f"time to post all: {elapsed:.2f} s; floor {floor:.1f} s; ratio {elapsed / floor:.2f} "
        "(target <= 1.3)"
    )
    print(
        f"REST requests {requests}, of which 429 {limited}; deliveries marked delivered "
        f"{delivered}/{args.guilds}"
    )
    print(
        f"bot's peak requests in one sliding second: {peak_sent} sent (429s included), "
        f"{peak_accepted} accepted (limit {args.global_limit})"
    )
    print(f"missed channels {missed}, channels with more than one post {duplicated}")
    if problems:
        print("problems seen by the fake:", *problems[:10], sep="\n  ")


if __name__ == "__main__":
    asyncio.run(main())
