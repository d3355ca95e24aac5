"""Crash sweep: kill -9 the real bot at random instants, restart it, count what was lost.

The bot runs as a user runs it (``python -m bot run``, through ``tests/e2e/_run_bot.py``) in its
own process, against the loopback fake Discord in this process, on a SQLite file. Each cycle:

1. while the bot is down, add ``--guilds`` new guilds whose daily post (00:00 UTC, set before
   midnight) is owed today, so the bot fans them out as soon as it starts; and ``--members``
   new members who each run a short technical interview (start, then Answer -> modal ->
   Next, as fast as they can), every answer carrying a unique tag;
2. start the bot and SIGKILL it at a random instant: from the first daily post of the cycle,
   uniformly within the time a whole fan-out took in the calibration cycle (cycle 0, not
   killed), so the kills land before, during and just after the fan-out, while members answer;
3. start the bot again and let it settle (every guild of the cycle has its post and no daily
   claim is left unconfirmed), then stop it with SIGTERM.

Each cycle also has ``--pairs`` new pairs of members doing a peer mock (queue, pairing, Ready,
the candidate answers, the interviewer ends the round, scores and writes feedback, the
candidate rates, Finish) and ``--rounds`` one-minute practice rounds in their own channels
(started, answered by three members, revealed by the round's timer, possibly after a restart,
then voted on; the voting timer closes them ten minutes later). After the last cycle the bot
runs once more until the practice members are done and no peer or practice timer is overdue.

Printed: answers sent (modal submitted), confirmed (the bot replied "Saved"), stored (the tag
is in the database), lost (confirmed but not stored); daily posts expected (one per guild),
posted, lost (a guild without a post), duplicated (posts beyond one); unconfirmed claims left;
the same sent/confirmed/stored/lost counts for peer answers, feedback and ratings and for
practice answers and votes; peer pairs finished or closed, open with a pending timer, left
open with none; practice rounds closed by their timers, open with a pending timer, never
closed (no timer, or one overdue while the bot ran).

Run: .venv/bin/python benchmarks/crash_sweep.py [--cycles 20] [--guilds 200] [--members 10]
     .venv/bin/python benchmarks/crash_sweep.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._sweep_rounds import (  # noqa: E402
    PeerLedgers,
    PracticeLedgers,
    count_open,
    overdue_timers,
    pair_openness,
    peer_mock,
    practice_round,
    round_openness,
    stored_peer_tags,
    stored_practice,
)
from bot.core.clock import FakeClock  # noqa: E402
from bot.features.config.service import GuildSettingsService  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from tests.loopback import FakeDiscord, FakeMessage  # noqa: E402

RUNNER = ROOT / "tests" / "e2e" / "_run_bot.py"
WAIT = 8.0  # seconds a member waits for the bot before taking it for dead
DAILY_MARK = "mlmock:daily:answer:d:"
POST_ROUTE = "POST /channels/{channel_id}/messages"
REVEAL_WAIT = 240.0  # a one-minute practice round is revealed by its timer, across restarts
GRACE = timedelta(seconds=30)  # a timer this overdue at the final check (bot up) never fired
ANSWER = (
    "Overfitting shows as a train/validation gap; use k-fold cross-validation and early stopping."
)


# -- counting (pure: tested) -------------------------------------------------------------------


@dataclass(frozen=True)
class DailyCount:
    expected: int
    posted: int
    lost: int
    duplicated: int


def count_daily(posts_per_guild: Iterable[int]) -> DailyCount:
    """One post per guild expected; a guild with none is lost, each post beyond one a duplicate."""
    counts = list(posts_per_guild)
    return DailyCount(
        expected=len(counts),
        posted=sum(counts),
        lost=sum(1 for n in counts if n == 0),
        duplicated=sum(n - 1 for n in counts if n > 1),
    )


@dataclass
class AnswerLedger:
    sent: set[str] = field(default_factory=set)  # tags submitted in a modal
    confirmed: set[str] = field(default_factory=set)  # tags the bot said it saved

    def lost(self, stored: set[str]) -> set[str]:
        """Answers the member was told were saved but that are not in the database."""
        return self.confirmed - stored


# -- the world and the bot process -------------------------------------------------------------


def _owed_today(now: datetime) -> tuple[str, datetime]:
    """A daily time already passed today (00:00 UTC) and a setting made before it."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return "00:00", midnight - timedelta(minutes=1)


async def add_daily_guilds(db_url: str, guild_channels: dict[int, int]) -> None:
    """The guilds' daily settings, written while the bot is down, dated before today's slot."""
    daily_time, since = _owed_today(datetime.now(UTC))
    db = Database(db_url)
    try:
        settings = GuildSettingsService(db, FakeClock(since))
        for guild_id, channel_id in guild_channels.items():
            await settings.update(
                guild_id,
                None,
                daily_channel_id=channel_id,
                daily_time=daily_time,
                daily_timezone="UTC",
            )
    finally:
        await db.dispose()


def stored_tags(db_path: Path, tags: set[str]) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        texts = [t for (t,) in conn.execute("SELECT text FROM answer_parts")]
    blob = "\n".join(texts)
    return {t for t in tags if t in blob}


def unconfirmed_claims(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        query = "SELECT count(*) FROM daily_deliveries WHERE confirmed_at IS NULL"
        return int(conn.execute(query).fetchone()[0])


async def spawn(fake: FakeDiscord, tmp: Path, db_url: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL")}
    env |= {"DISCORD_TOKEN": fake.token, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    env["LOG_LEVEL"] = "WARNING"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUNNER),
        fake.api_base,
        fake.gateway_url,
        env=env,
        cwd=tmp,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def daily_posts(fake: FakeDiscord, channel: Any) -> int:
    return sum(
        1
        for m in fake.messages_in(channel)
        if any(c.startswith(DAILY_MARK) for c in m.custom_ids())
    )


def _posted_since(fake: FakeDiscord, before: int) -> bool | None:
    return sum(1 for r in fake.requests if r.route == POST_ROUTE) > before or None


def _closed(message: FakeMessage) -> bool | None:
    return not message.components or None


# -- scripted members --------------------------------------------------------------------------


async def until_up(fake: FakeDiscord, member: Any, channel: Any, seconds: float = 120.0) -> bool:
    """Wait until the bot is connected and answers commands (False: it never did)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            helped = await fake.slash(member, channel, "help")
            await helped.final_message(2)
            return True
        except Exception:
            await asyncio.sleep(0.2)
    return False


async def interview(fake: FakeDiscord, member: Any, channel: Any, ledger: AnswerLedger) -> None:
    """Start a short interview and answer every question; stops at the first lost reply (the
    bot was killed under it)."""
    if not await until_up(fake, member, channel):
        return
    try:
        start = await fake.slash(
            member,
            channel,
            "interview",
            subcommand="start",
            options={"track": "technical", "length": "short"},
        )
        await start.followup(0, timeout=WAIT)
        thread = next(t for t in fake.threads(channel) if member.user.id in t.members)

        def newest_question() -> FakeMessage | None:
            for m in reversed(fake.messages_in(thread)):
                if any(c.startswith("mlmock:iv:next:") for c in m.custom_ids()):
                    return m
            return None

        for n in range(4):
            message = await fake.wait_until(newest_question, WAIT, "a question")
            ids = message.custom_ids()
            answer_id = next(c for c in ids if c.startswith("mlmock:iv:answer:"))
            next_id = next(c for c in ids if c.startswith("mlmock:iv:next:"))
            opened = await fake.click(member, message, answer_id)
            modal = (await opened.response(WAIT)).data
            tag = f"[tag-{member.user.id}-{n}]"
            ledger.sent.add(tag)
            saved = await fake.submit_modal(
                member, thread, modal["custom_id"], {"answer": f"{ANSWER} {tag}"}
            )
            if (await saved.final_message(WAIT)).content.startswith("Saved ("):
                ledger.confirmed.add(tag)
            nxt = await fake.click(member, message, next_id)
            await nxt.response(WAIT)
            await fake.wait_until(partial(_closed, message), WAIT, "the question to close")
    except Exception as exc:
        if os.environ.get("SWEEP_DEBUG"):
            print("member stopped:", repr(exc)[:300])
        return  # the bot died mid-interview: this member stops here


# -- the sweep ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    ledger = AnswerLedger()
    peer, practice = PeerLedgers(), PracticeLedgers()
    pairing = asyncio.Lock()
    rounds_running: list[asyncio.Task[None]] = []
    all_channels: list[Any] = []
    kills: list[float] = []
    fanout_seconds = active_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_path = tmp / "sweep.sqlite3"
        db_url = f"sqlite+aiosqlite:///{db_path}"
        async with FakeDiscord() as fake:
            fake.callback_deadline = 30.0  # a loaded machine: lateness is not what is measured
            home = fake.add_guild("Interviews")
            room = fake.add_text_channel(home, "interviews")
            mocks = fake.add_text_channel(home, "peer-mocks")

            async def up(member: Any, channel: Any) -> bool:
                return await until_up(fake, member, channel)

            # First start: the bot migrates the database; stop it once it is up.
            first = await spawn(fake, tmp, db_url)
            await fake.wait_until(lambda: fake.stats["identifies"] or None, 120, "the bot")
            first.send_signal(signal.SIGTERM)
            await first.wait()
            t0 = time.perf_counter()
            for cycle in range(args.cycles + 1):  # cycle 0 calibrates: no kill
                guilds = [fake.add_guild(f"g{cycle}-{i}") for i in range(args.guilds)]
                channels = [fake.add_text_channel(g, "daily") for g in guilds]
                all_channels += channels
                await add_daily_guilds(
                    db_url, {g.id: c.id for g, c in zip(guilds, channels, strict=True)}
                )
                members = [fake.add_member(home, f"m{cycle}-{i}") for i in range(args.members)]
                pairs = [
                    (
                        fake.add_member(home, f"p{cycle}-{i}a"),
                        fake.add_member(home, f"p{cycle}-{i}b"),
                    )
                    for i in range(args.pairs)
                ]
                practice_rooms = [
                    (
                        fake.add_text_channel(home, f"practice-{cycle}-{i}"),
                        [fake.add_member(home, f"r{cycle}-{i}-{j}") for j in range(3)],
                    )
                    for i in range(args.rounds)
                ]
                posts_before = sum(1 for r in fake.requests if r.route == POST_ROUTE)

                def cycle_posts(chs: list[Any] = channels) -> int:
                    return sum(1 for c in chs if daily_posts(fake, c))

                def all_posted(chs: list[Any] = channels) -> bool | None:
                    return cycle_posts(chs) == len(chs) or None

                bot = await spawn(fake, tmp, db_url)
                talk = [asyncio.create_task(interview(fake, m, room, ledger)) for m in members]
                talk += [
                    asyncio.create_task(peer_mock(fake, a, b, mocks, pairing, peer, up))
                    for a, b in pairs
                ]
                rounds_running += [
                    asyncio.create_task(
                        practice_round(fake, ms[0], ms, ch, practice, up, REVEAL_WAIT)
                    )
                    for ch, ms in practice_rooms
                ]
                await fake.wait_until(
                    partial(_posted_since, fake, posts_before),
                    120,
                    "the fan-out to begin",
                )
                began = time.perf_counter()
                if cycle == 0:
                    await fake.wait_until(all_posted, 300, "the fan-out")
                    fanout_seconds = time.perf_counter() - began
                    await asyncio.gather(*talk)
                    active_seconds = time.perf_counter() - began
                else:
                    # half the kills within the fan-out, half while members still answer
                    span = fanout_seconds * 1.2 if rng.random() < 0.5 else active_seconds
                    delay = rng.uniform(0, span)
                    await asyncio.sleep(delay)
                    bot.send_signal(signal.SIGKILL)
                    await bot.wait()
                    kills.append(cycle_posts() / len(channels))
                    # The restart that must recover. Members keep going: one who had not
                    # started yet starts on it, one cut off mid-interview gives up.
                    bot = await spawn(fake, tmp, db_url)
                await fake.wait_until(all_posted, 300, "every post")
                await asyncio.gather(*talk)
                for _ in range(600):  # the reconcile pass runs at start: let it finish
                    if unconfirmed_claims(db_path) == 0:
                        break
                    await asyncio.sleep(0.1)
                bot.send_signal(signal.SIGTERM)
                await bot.wait()
                if cycle == 0:
                    print(
                        f"cycle  0: calibration, fan-out {fanout_seconds:.2f} s, "
                        f"interviews done after {active_seconds:.1f} s",
                        flush=True,
                    )
                else:
                    print(
                        f"cycle {cycle:2}: killed {delay:.2f} s after the first post, "
                        f"{kills[-1]:4.0%} of posts out, {len(ledger.sent)} answers sent so far",
                        flush=True,
                    )
            # Settle: the bot runs until every practice member is done (the reveal comes from
            # a timer) and no peer or practice timer is overdue, then the final check.
            bot = await spawn(fake, tmp, db_url)
            await asyncio.gather(*rounds_running)
            for _ in range(1200):
                if overdue_timers(db_path) == 0:
                    break
                await asyncio.sleep(0.1)
            checked_at = datetime.now(UTC)
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
            elapsed = time.perf_counter() - t0
            pair_count = count_open(pair_openness(db_path), checked_at, GRACE)
            round_count = count_open(round_openness(db_path), checked_at, GRACE)
            peer_stored = stored_peer_tags(
                db_path, peer.answers.sent, peer.feedback.sent, peer.ratings.sent
            )
            practice_stored = stored_practice(db_path, practice.answers.sent)
            daily = count_daily(daily_posts(fake, c) for c in all_channels)
            stored = stored_tags(db_path, ledger.sent)
            left = unconfirmed_claims(db_path)
            problems = [p for p in fake.problems() if "unknown route" in p or "crashed" in p]
    lost = ledger.lost(stored)
    print(
        f"\n{args.cycles} kill cycles (+1 calibration) in {elapsed:.0f} s; {args.guilds} guilds "
        f"and {args.members} interviewing members per cycle; kill -9 {min(kills):.0%} to "
        f"{max(kills):.0%} into the fan-out"
    )
    print(
        f"answers: sent {len(ledger.sent)}, confirmed {len(ledger.confirmed)}, "
        f"stored {len(stored)}, lost {len(lost)} (confirmed but not stored)"
    )
    print(
        f"daily posts: expected {daily.expected}, posted {daily.posted}, lost {daily.lost}, "
        f"duplicated {daily.duplicated}; unconfirmed claims left {left}"
    )
    for name, kept, stored_keys in (
        ("peer answers", peer.answers, peer_stored[0]),
        ("peer feedback", peer.feedback, peer_stored[1]),
        ("peer ratings", peer.ratings, peer_stored[2]),
        ("practice answers", practice.answers, practice_stored[0]),
        ("practice votes", practice.votes, practice_stored[1] & practice.votes.sent),
    ):
        print(
            f"{name}: sent {len(kept.sent)}, confirmed {len(kept.confirmed)}, stored "
            f"{len(stored_keys)}, lost {len(kept.lost(stored_keys))} (confirmed but not stored)"
        )
    print(
        f"peer pairs: {pair_count.total}, finished or closed {pair_count.done}, open with a "
        f"pending timer {pair_count.pending}, left open with no timer {pair_count.stuck}"
    )
    print(
        f"practice rounds: {round_count.total}, closed by their timers {round_count.done}, open "
        f"with a pending timer {round_count.pending}, never closed (no timer or overdue) "
        f"{round_count.stuck}"
    )
    if problems:
        print("problems seen by the fake:", *problems, sep="\n  ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--guilds", type=int, default=200)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=2, help="peer-mock pairs per cycle")
    parser.add_argument("--rounds", type=int, default=1, help="practice rounds per cycle")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--quick", action="store_true", help="3 cycles, 20 guilds, 2 members, 1 pair, 1 round"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.cycles, args.guilds, args.members, args.pairs, args.rounds = 3, 20, 2, 1, 1
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
