"""Daily posts exactly once when the bot dies mid-delivery, end to end through the loopback fake.

The first bot is frozen at one step of a delivery (the step never returns, as if the process
had died there) and then shut down; a second bot on the same database reconciles on start.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.features.daily.flow import DailySender
from bot.features.daily.service import DailyService
from bot.storage.models import DailyDelivery
from tests.e2e.conftest import BotFactory
from tests.e2e.test_daily import daily_posts, scheduler_of, setup_daily
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage


async def _never(*_: Any, **__: Any) -> Any:
    await asyncio.Event().wait()  # the process died here


def _dm_posts(fake: FakeDiscord, member: Any) -> list[FakeMessage]:
    return daily_posts(fake, fake.dm_channel(member))


async def _deliveries(bot: Any) -> list[DailyDelivery]:
    async with bot.app.db.reading() as s:
        return list((await s.scalars(select(DailyDelivery))).all())


async def _claimed(bot: Any) -> list[DailyDelivery]:
    """The claims, once the frozen first bot has made them (it never settles)."""
    for _ in range(500):
        if found := await _deliveries(bot):
            return found
        await asyncio.sleep(0.01)
    raise AssertionError("no daily delivery was claimed")


@pytest.mark.parametrize("step", ["before send", "after send"])
@pytest.mark.parametrize("minutes_down", [0, 10])
async def test_a_bot_dying_mid_post_leaves_exactly_one_post(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    minutes_down: int,
) -> None:
    async with bot_factory() as (_, bot):
        await setup_daily(
            fake_discord, world, channel=world.general, time="10:30", timezone="Europe/Berlin"
        )
        await scheduler_of(bot).settled()
        with monkeypatch.context() as patch:
            if step == "before send":
                patch.setattr(DailySender, "__call__", _never)
            else:
                patch.setattr(DailyService, "finish", _never)
            clock.advance(minutes=30)  # 10:30 in Berlin: claimed, then frozen at the step
            [claim] = await _claimed(bot)
            if step == "after send":
                await fake_discord.wait_until(lambda: daily_posts(fake_discord, world.general))
            assert claim.confirmed_at is None
    expected_before = 1 if step == "after send" else 0
    assert len(daily_posts(fake_discord, world.general)) == expected_before
    clock.advance(minutes=minutes_down)
    if minutes_down:
        fake_discord.nonce_window = 0.0  # past Discord's window: a resend would post again
    async with bot_factory() as (_, bot):
        await scheduler_of(bot).settled()
        [post] = await fake_discord.wait_until(
            lambda: daily_posts(fake_discord, world.general) or None
        )
        [row] = await _deliveries(bot)
    assert row.confirmed_at is not None and row.message_id == post.id
    assert len(daily_posts(fake_discord, world.general)) == 1
    posts = [r for r in fake_discord.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert all(r.body["nonce"] == f"daily-{row.id}" and r.body["enforce_nonce"] for r in posts)


async def test_a_dm_sent_before_the_crash_is_found_and_not_sent_again(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with bot_factory() as (_, bot):
        subscribed = await fake_discord.slash(
            world.bob,
            world.general,
            "daily",
            subcommand="subscribe",
            options={"time": "10:30", "timezone": "Europe/Berlin"},
        )
        await subscribed.final_message()
        await scheduler_of(bot).settled()
        with monkeypatch.context() as patch:
            patch.setattr(DailyService, "finish", _never)
            clock.advance(minutes=30)
            await fake_discord.wait_until(lambda: _dm_posts(fake_discord, world.bob) or None)
    clock.advance(minutes=20)
    fake_discord.nonce_window = 0.0
    async with bot_factory() as (_, bot):
        await scheduler_of(bot).settled()
        [row] = await _deliveries(bot)
    [post] = _dm_posts(fake_discord, world.bob)
    assert row.confirmed_at is not None and row.message_id == post.id


async def test_the_fake_returns_the_first_message_for_a_repeated_nonce(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Any
) -> None:
    _, bot = running
    channel = bot.get_partial_messageable(world.general.id, guild_id=world.guild.id)
    first = await channel.send("one", nonce="n-1")
    again = await channel.send("two", nonce="n-1")
    other = await channel.send("three", nonce="n-2")
    assert again.id == first.id and other.id != first.id
    assert [m.content for m in fake_discord.messages_in(world.general)] == ["one", "three"]
    fake_discord.nonce_window = 0.0
    late = await channel.send("four", nonce="n-1")
    assert late.id != first.id
