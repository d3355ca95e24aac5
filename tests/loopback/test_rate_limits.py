"""The fake's rate-limit model: a sliding-window global limit, per-route buckets with Discord's
headers, 429 bodies with retry_after, and the bot's peak requests per sliding second."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.discord.pacing import GlobalPacer
from tests.loopback import DefaultWorld, FakeDiscord, RateLimits
from tests.loopback._rest import ApiError, peak_per_window

POST = "POST /channels/{channel_id}/messages"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_global_limit_is_a_sliding_window() -> None:
    clock = Clock()
    limits = RateLimits(True, route_limit=1000, global_limit=3, global_window=1.0, clock=clock)
    clock.now = 100.9
    for _ in range(3):  # three at the end of one second...
        limits.check(POST, "1", exempt_from_global=False)
    clock.now = 101.05  # ...a fixed window would start afresh here and let three more through
    with pytest.raises(ApiError) as refused:
        limits.check(POST, "1", exempt_from_global=False)
    error = refused.value
    assert error.status == 429 and error.body["global"] is True
    assert error.body["retry_after"] == pytest.approx(0.85)  # when the first leaves the window
    assert error.headers["X-RateLimit-Global"] == "true"
    assert error.headers["X-RateLimit-Scope"] == "global"
    assert error.headers["Retry-After"] == "1"
    clock.now = 101.91  # the three have left the sliding second
    for _ in range(3):
        limits.check(POST, "1", exempt_from_global=False)


def test_callbacks_are_exempt_from_the_global_limit() -> None:
    limits = RateLimits(True, route_limit=1000, global_limit=1, clock=Clock())
    limits.check(POST, "1", exempt_from_global=False)
    for _ in range(5):
        limits.check(
            "POST /interactions/{interaction_id}/{token}/callback", "9", exempt_from_global=True
        )


def test_route_buckets_send_discords_headers_and_429s() -> None:
    clock = Clock()
    limits = RateLimits(True, route_limit=2, route_window=5.0, clock=clock)
    first = limits.check(POST, "1", exempt_from_global=False)
    assert first["X-RateLimit-Limit"] == "2" and first["X-RateLimit-Remaining"] == "1"
    assert first["X-RateLimit-Reset-After"] == "5.000" and len(first["X-RateLimit-Bucket"]) == 16
    clock.now += 1
    second = limits.check(POST, "1", exempt_from_global=False)
    assert second["X-RateLimit-Remaining"] == "0" and second["X-RateLimit-Reset-After"] == "4.000"
    assert limits.check(POST, "2", exempt_from_global=False)["X-RateLimit-Remaining"] == "1"
    with pytest.raises(ApiError) as refused:
        limits.check(POST, "1", exempt_from_global=False)
    assert refused.value.body == {
        "message": "You are being rate limited.",
        "code": 0,
        "retry_after": 4.0,
        "global": False,
    }
    assert refused.value.headers["X-RateLimit-Scope"] == "user"
    assert refused.value.headers["X-RateLimit-Bucket"] == first["X-RateLimit-Bucket"]
    clock.now += 4
    assert limits.check(POST, "1", exempt_from_global=False)["X-RateLimit-Remaining"] == "1"


def test_a_route_429_does_not_use_the_global_limit() -> None:
    limits = RateLimits(True, route_limit=1, route_window=5.0, global_limit=2, clock=Clock())
    limits.check(POST, "1", exempt_from_global=False)
    for _ in range(5):
        with pytest.raises(ApiError):
            limits.check(POST, "1", exempt_from_global=False)
    limits.check(POST, "2", exempt_from_global=False)  # the global second still has room


def test_peak_per_sliding_window() -> None:
    assert peak_per_window([]) == 0
    # Two fixed seconds hold 3 each, but 0.9-1.3 holds 5: the sliding figure is 5.
    times = [0.1, 0.9, 0.95, 0.99, 1.05, 1.3, 2.5]
    assert peak_per_window(times) == 5
    assert peak_per_window(times, window=0.1) == 3
    assert peak_per_window([5.0, 6.0, 7.0]) == 1  # exactly one second apart: separate windows


async def test_429_over_http_has_the_json_and_headers(
    fake_discord: FakeDiscord, world: DefaultWorld
) -> None:
    fake_discord.enable_rate_limits(route_limit=1, route_window=30.0)
    url = f"{fake_discord.api_base}/channels/{world.general.id}/messages"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"content": "one"}, headers=headers) as ok:
            assert ok.status == 200 and ok.headers["X-RateLimit-Remaining"] == "0"
        async with http.post(url, json={"content": "two"}, headers=headers) as limited:
            assert limited.status == 429
            assert limited.headers["Content-Type"] == "application/json"
            body = await limited.json()
            assert body["global"] is False and 29 < body["retry_after"] <= 30
            assert limited.headers["X-RateLimit-Scope"] == "user" and "Via" in limited.headers
    assert fake_discord.stats["rate_limited"] == 1


async def test_discord_py_keeps_under_the_sliding_limit(
    fake_discord: FakeDiscord, world: DefaultWorld
) -> None:
    """A burst over many channels: everything arrives, and no sliding window (of the accepted
    requests) holds more than the global limit."""
    channels = [fake_discord.add_text_channel(world.guild, f"c{i}") for i in range(12)]
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    await fake_discord.start_bot(bot)
    fake_discord.enable_rate_limits(
        route_limit=5, route_window=1.0, global_limit=8, global_window=0.25
    )
    since = time.monotonic()
    targets = [bot.get_partial_messageable(c.id) for c in channels]
    await asyncio.gather(*(t.send(f"m{i}") for i in range(2) for t in targets))
    assert all(len(fake_discord.messages_in(c)) == 2 for c in channels)
    accepted = fake_discord.peak_requests_per_second(since=since, window=0.25, accepted_only=True)
    assert accepted <= 8
    assert fake_discord.peak_requests_per_second(since=since, window=0.25) >= accepted
    assert fake_discord.stats["rate_limited"] >= 1  # 24 sends in a burst met the limit


async def test_the_bots_pace_meets_no_global_429(
    fake_discord: FakeDiscord, world: DefaultWorld
) -> None:
    """The same burst with the bot's pacer (bot/discord/pacing.py) in discord.py's HTTP
    session: every send arrives without a single 429, the gateway and callbacks unpaced."""
    channels = [fake_discord.add_text_channel(world.guild, f"c{i}") for i in range(12)]
    pacer = GlobalPacer(7, 0.25)
    bot = commands.Bot(
        command_prefix="!",
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        http_trace=pacer.trace_config(lambda: fake_discord.api_base),
    )
    await fake_discord.start_bot(bot)
    fake_discord.enable_rate_limits(
        route_limit=5, route_window=1.0, global_limit=8, global_window=0.25
    )
    since = time.monotonic()
    targets = [bot.get_partial_messageable(c.id) for c in channels]
    await asyncio.gather(*(t.send(f"m{i}") for i in range(2) for t in targets))
    assert all(len(fake_discord.messages_in(c)) == 2 for c in channels)
    assert fake_discord.stats["rate_limited"] == 0
    assert fake_discord.peak_requests_per_second(since=since, window=0.25) <= 7
    assert pacer.waited > 0  # 24 sends at 7 per 0.25 s: the pace held some back
