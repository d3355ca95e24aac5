"""Discord handling-time benchmark through the loopback fake (not part of the test run).

200 members each run a short technical interview at the same time: /interview start, then for
each question Answer (modal) -> submit the modal -> Next. For every interaction we take the
bot's handling time: INTERACTION_CREATE written to the bot's socket -> its callback received.
Baseline in the same run and under the same load: each member also runs /help (a trivial
ephemeral reply) right after starting its interview.
The bot runs in its own process (production `serve()`), so the fake's work does not share its
event loop; both are on this machine's two cores.

Run: .venv/bin/python benchmarks/discord_load.py [--members 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.loopback import FakeDiscord, FakeMessage, InvalidInteraction

ANSWER = (
    "Overfitting shows as a train/validation gap; use k-fold cross-validation and early stopping."
)


def pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def run_member(
    fake: FakeDiscord,
    member: object,
    channel: object,
    timings: dict[str, list[float]],
    baseline: list[float],
    think: float,
) -> None:
    rng = random.Random(id(member))

    async def pause() -> None:  # a person reads and types between clicks
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    await pause()
    start = await fake.slash(
        member,
        channel,
        "interview",
        subcommand="start",  # type: ignore[arg-type]
        options={"track": "technical", "length": "short"},
    )
    await start.followup(0, timeout=60)
    timings["/interview start"].append(start.handling_time or 0.0)
    await pause()
    helped = await fake.slash(member, channel, "help")  # type: ignore[arg-type]
    await helped.final_message(60)
    baseline.append(helped.handling_time or 0.0)  # the trivial command, under the same load
    thread = next(t for t in fake.threads(channel) if member.user.id in t.members)  # type: ignore[arg-type, attr-defined]

    def newest_question() -> FakeMessage | None:
        for m in reversed(fake.messages_in(thread)):
            if any(c.startswith("mlmock:iv:next:") for c in m.custom_ids()):
                return m
        return None

    for _ in range(4):
        message = await fake.wait_until(newest_question, 60, "a question")
        ids = message.custom_ids()
        answer_id = next(c for c in ids if c.startswith("mlmock:iv:answer:"))
        next_id = next(c for c in ids if c.startswith("mlmock:iv:next:"))
        await pause()
        opened = await fake.click(member, message, answer_id)  # type: ignore[arg-type]
        modal = (await opened.response(60)).data
        timings["Answer (opens modal)"].append(opened.handling_time or 0.0)
        saved = await fake.submit_modal(member, thread, modal["custom_id"], {"answer": ANSWER})  # type: ignore[arg-type]
        await saved.final_message(60)
        timings["modal submit"].append(saved.handling_time or 0.0)
        await pause()
        nxt = await fake.click(member, message, next_id)  # type: ignore[arg-type]
        await nxt.response(60)
        timings["Next"].append(nxt.handling_time or 0.0)
        await fake.wait_until(lambda m=message: not m.components, 60, "the question to close")  # type: ignore[misc]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a member waits between actions (0: all as fast as possible)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord() as fake:
            guild = fake.add_guild("Bench")
            channel = fake.add_text_channel(guild, "interviews")
            members = [fake.add_member(guild, f"member{i}") for i in range(args.members)]
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                str(Path(__file__).with_name("_bot_process.py")),
                fake.api_base,
                fake.gateway_url,
                f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            )
            try:
                await fake.wait_until(lambda: fake.stats["identifies"], 60, "the bot to connect")
                baseline: list[float] = []

                async def help_once(member: object) -> None:
                    result = await fake.slash(member, channel, "help")  # type: ignore[arg-type]
                    await result.final_message(60)
                    baseline.append(result.handling_time or 0.0)

                for _ in range(50):  # until the bot has processed READY and answers
                    try:
                        await help_once(members[0])
                        break
                    except (AssertionError, InvalidInteraction):
                        await asyncio.sleep(0.1)
                await asyncio.gather(*(help_once(m) for m in members))  # warm-up
                baseline.clear()

                timings: dict[str, list[float]] = defaultdict(list)
                t0 = time.perf_counter()
                await asyncio.gather(
                    *(run_member(fake, m, channel, timings, baseline, args.think) for m in members)
                )
                elapsed = time.perf_counter() - t0
                problems = [p for p in fake.problems() if "ERROR" in p or "unknown" in p.lower()]
            finally:
                bot.terminate()
                await bot.wait()

    every = [t for values in timings.values() for t in values]
    base99 = pct(baseline, 99)
    pacing = (
        f"thinking {args.think:g} s (±50 %) between actions"
        if args.think
        else "no pauses (a burst)"
    )
    print(
        f"{args.members} members, one short technical interview each, at once, {pacing}: "
        f"{len(every)} interactions in {elapsed:.1f} s"
    )
    print(f"baseline /help: p50 {pct(baseline, 50) * 1000:.1f} ms, p99 {base99 * 1000:.1f} ms")
    for name, values in timings.items():
        print(
            f"{name:22} n={len(values):4}  p50 {pct(values, 50) * 1000:6.1f} ms  p99 {pct(values, 99) * 1000:6.1f} ms"
        )
    p99 = pct(every, 99)
    print(
        f"all interview interactions: p50 {pct(every, 50) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
        f"ratio p99 / baseline p99 = {p99 / base99:.2f} (targets: p99 <= 100 ms, ratio <= 3)"
    )
    if problems:
        print("problems seen by the fake:", *problems, sep="\n  ")


if __name__ == "__main__":
    asyncio.run(main())
