"""What a member feels through the loopback fake (not part of the test run).

N members each run a short technical interview: /interview start, then for each question
Answer (modal) -> submit the modal -> Next, until the scorecard. For every interaction two times:

- ack: INTERACTION_CREATE written to the bot's socket -> its interaction callback received (what
  Discord's 3-second rule is about);
- message: INTERACTION_CREATE written -> the message the member is waiting for created in the
  fake (the first question in their thread after /interview start, the next question or the
  scorecard after Next, the "Saved" note after the modal). This is what the member feels.

Phases, one bot process, in this order:
1. quiet: /help from one member at a time, nothing else running (the baseline);
2. burst: every member at once, no pauses;
3. paced: every member at once, thinking --think seconds (+-50 %) between actions.

The bot runs in its own process (production `serve()`), so the fake's work does not share its
event loop; both are on this machine's cores.

Run: .venv/bin/python benchmarks/discord_load.py [--members 200] [--think 2] [--phases burst,paced]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.loopback import FakeDiscord, FakeMessage, InvalidInteraction

ANSWER = (
    "Overfitting shows as a train/validation gap; use k-fold cross-validation and early stopping."
)
# p99 targets in seconds for the time to the message, per phase
TARGETS = {
    "burst": {"first question": 1.0, "next question": 0.300},
    "paced": {"first question": 0.400, "next question": 0.150},
}
TIMEOUT = 120.0

Timings = dict[str, list[float]]


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


class Watcher:
    """One task checks every member's pending condition every few milliseconds.

    The fake's own ``wait_until`` wakes every waiter on every change; with hundreds of members
    that is hundreds of task switches per request in this process, which then answers the bot's
    requests late and inflates the bot's figures. Times are taken from the fake's timestamps
    (callback arrival, message creation), so polling does not blur them."""

    def __init__(self, period: float = 0.005) -> None:
        self._period = period
        self._waiting: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def until(self, predicate: Callable[[], Any], what: str) -> Any:
        found = predicate()
        if found:
            return found
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((predicate, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            async with asyncio.timeout(TIMEOUT):
                return await future
        except TimeoutError:
            raise AssertionError(f"timed out after {TIMEOUT} s waiting for {what}") from None

    async def _poll(self) -> None:
        while self._waiting:
            await asyncio.sleep(self._period)
            still = []
            for predicate, future in self._waiting:
                if future.done():
                    continue
                found = predicate()
                if found:
                    future.set_result(found)
                else:
                    still.append((predicate, future))
            self._waiting = still


async def acked(fake: FakeDiscord, watch: Watcher, result: Any, failed: Timings, name: str) -> bool:
    """Wait for the callback; False when Discord's window passed without one (the member sees
    "This interaction failed" and tries again)."""
    window = fake.callback_deadline + 0.5

    def settled() -> bool:
        late = result.sent_at is not None and time.monotonic() - result.sent_at > window
        return result.callback is not None or late

    await watch.until(settled, "a callback")
    if result.callback is None:
        failed[name].append(1.0)
        return False
    return True


def new_messages(fake: FakeDiscord, thread: Any, seen: int) -> FakeMessage | None:
    found = fake.messages_in(thread)
    return found[seen] if len(found) > seen else None


def first_with_buttons(fake: FakeDiscord, thread: Any) -> FakeMessage | None:
    """The first question (the interview's announcement, without buttons, comes before it)."""
    return next((m for m in fake.messages_in(thread) if m.custom_ids()), None)


def completed(result: Any) -> FakeMessage | None:
    """The deferred response once its content arrived (what ``final_message`` waits for)."""
    original = result.original
    return original if original is not None and not original.loading else None


async def run_member(
    fake: FakeDiscord,
    watch: Watcher,
    member: Any,
    channel: Any,
    ack: Timings,
    felt: Timings,
    failed: Timings,
    think: float,
    seed: int,
) -> None:
    rng = random.Random(seed)

    async def pause() -> None:  # a person reads and types between clicks
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    await pause()
    known = {t.id for t in fake.threads(channel)}
    began = None  # the member's first try: a failed try and its retry both count
    while True:
        start = await fake.slash(
            member,
            channel,
            "interview",
            subcommand="start",
            options={"track": "technical", "length": "short"},
        )
        ok = await acked(fake, watch, start, failed, "/interview start")
        began = began or start.sent_at
        if ok:
            break
    await watch.until(lambda: start.followups, "your interview is ready")
    ack["/interview start"].append(start.handling_time or 0.0)
    thread = next(
        t for t in fake.threads(channel) if t.id not in known and member.user.id in t.members
    )
    first = await watch.until(lambda: first_with_buttons(fake, thread), "question 1")
    felt["first question"].append(first.created_mono - (began or 0.0))
    message = first
    while True:
        ids = message.custom_ids()
        answer_id = next(c for c in ids if c.startswith("mlmock:iv:answer:"))
        next_id = next(c for c in ids if c.startswith("mlmock:iv:next:"))
        await pause()
        while True:
            opened = await fake.click(member, message, answer_id)
            if not await acked(fake, watch, opened, failed, "Answer (opens modal)"):
                continue
            modal = opened.callback.data
            ack["Answer (opens modal)"].append(opened.handling_time or 0.0)
            saved = await fake.submit_modal(member, thread, modal["custom_id"], {"answer": ANSWER})
            if await acked(fake, watch, saved, failed, "modal submit"):
                break
        saved_message = await watch.until(lambda r=saved: completed(r), "the saved note")
        ack["modal submit"].append(saved.handling_time or 0.0)
        felt["answer saved"].append(saved_message.updated_mono - (saved.sent_at or 0.0))
        await pause()
        seen = len(fake.messages_in(thread))
        began = None
        while True:
            nxt = await fake.click(member, message, next_id)
            ok = await acked(fake, watch, nxt, failed, "Next")
            began = began or nxt.sent_at
            if ok:
                break
        ack["Next"].append(nxt.handling_time or 0.0)
        arrived = await watch.until(
            lambda s=seen: new_messages(fake, thread, s), "the next question"
        )
        is_question = any(c.startswith("mlmock:iv:next:") for c in arrived.custom_ids())
        name = "next question" if is_question else "scorecard"
        felt[name].append(arrived.created_mono - (began or 0.0))
        if not is_question:
            return
        message = arrived


async def quiet_baseline(fake: FakeDiscord, members: list[Any], channel: Any) -> Timings:
    """/help, one member at a time with nothing else running."""
    out: Timings = defaultdict(list)
    for member in members:
        result = await fake.slash(member, channel, "help")
        message = await result.final_message(TIMEOUT)
        out["ack"].append(result.handling_time or 0.0)
        out["message"].append(message.created_mono - (result.sent_at or 0.0))
    return out


def row(name: str, values: list[float], target: float | None = None) -> str:
    p99 = pct(values, 99)
    verdict = ""
    if target is not None:
        verdict = f"  target p99 <= {target * 1000:.0f} ms: {'met' if p99 <= target else 'MISSED'}"
    return (
        f"  {name:22} n={len(values):5}  p50 {pct(values, 50) * 1000:7.1f} ms"
        f"  p99 {p99 * 1000:7.1f} ms{verdict}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause of the paced phase")
    parser.add_argument("--phases", default="burst,paced", help="comma-separated: burst, paced")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(TARGETS)
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(sorted(unknown))}; use burst and/or paced")
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, tuple[Timings, Timings, Timings, float]] = {}
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
                for _ in range(100):  # until the bot has processed READY and answers
                    try:
                        await (await fake.slash(members[0], channel, "help")).final_message(5)
                        break
                    except (AssertionError, InvalidInteraction):
                        await asyncio.sleep(0.1)
                await quiet_baseline(fake, members[:20], channel)  # warm-up
                quiet = await quiet_baseline(fake, members, channel)
                for phase in phases:
                    think = args.think if phase == "paced" else 0.0
                    ack: Timings = defaultdict(list)
                    felt: Timings = defaultdict(list)
                    failed: Timings = defaultdict(list)
                    watch = Watcher()
                    t0 = time.perf_counter()
                    await asyncio.gather(
                        *(
                            run_member(fake, watch, m, channel, ack, felt, failed, think, i)
                            for i, m in enumerate(members)
                        )
                    )
                    results[phase] = (ack, felt, failed, time.perf_counter() - t0)
                problems = [p for p in fake.problems() if "ERROR" in p or "unknown" in p.lower()]
            finally:
                bot.terminate()
                await bot.wait()

    base_ack, base_msg = pct(quiet["ack"], 99), pct(quiet["message"], 99)
    print(f"{args.members} members, one short technical interview each")
    print("quiet baseline, /help one member at a time:")
    print(row("ack", quiet["ack"]))
    print(row("message", quiet["message"]))
    for phase, (ack, felt, failed, elapsed) in results.items():
        pacing = (
            f"thinking {args.think:g} s (+-50 %) between actions"
            if phase == "paced"
            else "no pauses"
        )
        count = sum(len(v) for v in ack.values())
        print(f"{phase}: all members at once, {pacing}: {count} interactions in {elapsed:.1f} s")
        print(" acknowledgement (interaction -> callback):")
        for name, values in ack.items():
            print(row(name, values))
        every = [t for values in ack.values() for t in values]
        print(
            f"  all: p99 {pct(every, 99) * 1000:.1f} ms = {pct(every, 99) / base_ack:.1f}x quiet /help"
        )
        print(" time to the message the member waits for (interaction -> message):")
        for name, values in felt.items():
            print(row(name, values, TARGETS[phase].get(name)))
        lost = ", ".join(f"{name} {len(v)}" for name, v in failed.items()) or "none"
        print(f"  interactions that failed (no callback within 3 s, clicked again): {lost}")
        worst = max(pct(v, 99) for v in felt.values())
        print(f"  worst p99 {worst * 1000:.1f} ms = {worst / base_msg:.1f}x quiet /help message")
    if problems:
        print("problems seen by the fake:", *problems, sep="\n  ")


if __name__ == "__main__":
    asyncio.run(main())
