"""The bot's own pace under Discord's global limit: a sliding window, first come first served,
and only the requests Discord counts."""

from __future__ import annotations

import asyncio

import pytest
import yarl

from bot.discord.pacing import GlobalPacer, counted, share

API = "https://discord.com/api/v10"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_place_is_held_until_a_window_after_the_answer() -> None:
    time = FakeTime()
    pacer = GlobalPacer(3, 1.0, clock=time.clock, sleep=time.sleep)
    starts = []
    for _ in range(3):  # a burst: three go at once, answered at once
        await pacer.wait()
        starts.append(time.now)
        pacer.done()
    time.now = 0.5
    for _ in range(4):
        await pacer.wait()
        starts.append(time.now)
        time.now += 0.25  # each answered a quarter second later
        pacer.done()
    assert starts == [0.0, 0.0, 0.0, 1.0, 1.25, 1.5, 2.25]
    assert pacer.waited == pytest.approx(0.5 + 0.5)


async def test_with_every_place_in_flight_the_next_waits_for_an_answer() -> None:
    time = FakeTime()
    pacer = GlobalPacer(2, 1.0, clock=time.clock, sleep=time.sleep)
    await pacer.wait()
    await pacer.wait()
    third = asyncio.create_task(pacer.wait())
    await asyncio.sleep(0)
    assert not third.done()  # nothing answered yet: no window can be counted from
    time.now = 3.0
    pacer.done()  # answered at 3.0: its place frees at 4.0
    await third
    assert time.now == 4.0


async def test_waiters_go_in_the_order_they_came() -> None:
    time = FakeTime()
    pacer = GlobalPacer(1, 1.0, clock=time.clock, sleep=time.sleep)
    order: list[int] = []

    async def one(i: int) -> None:
        await pacer.wait()
        order.append(i)
        pacer.done()

    await asyncio.gather(*(one(i) for i in range(5)))
    assert order == [0, 1, 2, 3, 4] and time.now == 4.0


def test_interaction_callbacks_webhooks_and_the_gateway_are_not_counted() -> None:
    assert counted(yarl.URL(f"{API}/channels/1/messages"), API)
    assert counted(yarl.URL(f"{API}/users/@me/channels"), API)
    assert not counted(yarl.URL(f"{API}/interactions/1/tok/callback"), API)
    assert not counted(yarl.URL(f"{API}/webhooks/1/tok/messages/@original"), API)
    assert not counted(yarl.URL("wss://gateway.discord.gg/?v=10"), API)


def test_a_process_share_is_its_part_of_the_shards() -> None:
    assert share(None, None) == 45  # one process: all of 90 % of 50
    assert share(4, None) == 45
    assert share(4, (0, 1)) == 22  # two processes of two shards: 44 together
    assert share(4, (3,)) == 11
    assert share(1000, (0,)) == 1  # never nothing


def test_a_pace_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="a limit of 1 or more"):
        GlobalPacer(0)
