"""The real bot sharded: automatic shard count from /gateway/bot, or SHARD_COUNT/SHARD_IDS per
process over one database; an interview started in a guild on one shard goes on in DMs, which
arrive on shard 0 (in another process when the shards are split)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

import bot.discord.client as client_module
from bot.app import open_app
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot, create_bot
from tests.loopback import FakeDiscord, FakeGuild, FakeMember, FakeMessage

SHARDS = 4


def sharded_world(fake: FakeDiscord) -> list[tuple[FakeGuild, FakeMember]]:
    """One guild per shard, each with a member and a #general channel."""
    out = []
    for shard in range(SHARDS):
        guild = fake.add_guild(f"guild-{shard}", shard=(shard, SHARDS))
        fake.add_text_channel(guild, "general")
        out.append((guild, fake.add_member(guild, f"member-{shard}")))
    return out


@asynccontextmanager
async def bot_process(
    fake: FakeDiscord, settings: Settings, **client_kwargs: Any
) -> AsyncIterator[MockInterviewBot]:
    """What one `python -m bot run` process holds: its own app resources and bot."""
    async with open_app(
        settings, scope="discord", clock=FakeClock(), rng=random.Random(3), start_scheduler=False
    ) as app:
        bot = create_bot(app, guild_ready_timeout=0.05, **client_kwargs)
        await fake.start_bot(bot, timeout=15)
        try:
            yield bot
        finally:
            await fake.stop_bot(bot)


async def interview_in_dms(
    fake: FakeDiscord, guild: FakeGuild, member: FakeMember
) -> tuple[FakeMessage, Any]:
    """Start an interview in ``guild`` with private threads refused: it moves to the DMs."""
    channel = guild.channels[0]
    fake.refuse(channel, "threads")
    result = await fake.slash(
        member, channel, "interview", subcommand="start", options={"track": "technical"}
    )
    done = await result.followup(0, timeout=10)
    assert "DMs" in done.content
    question = await fake.wait_for_message(
        lambda m: m.channel.recipient is member.user and bool(m.embeds), timeout=10
    )
    return question, result


def iv_cid(message: FakeMessage, action: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(f"mlmock:iv:{action}:"))


async def test_automatic_shards_answer_every_guild_and_dms(
    fake_discord: FakeDiscord, settings: Settings
) -> None:
    fake_discord.shard_count, fake_discord.max_concurrency = SHARDS, SHARDS
    world = sharded_world(fake_discord)
    async with bot_process(fake_discord, settings) as bot:
        assert bot.shard_count == SHARDS and sorted(bot.shards) == list(range(SHARDS))
        assert bot.gateway_connected()
        for shard, (guild, member) in enumerate(world):
            result = await fake_discord.slash(member, guild.channels[0], "help")
            assert result.shards == [shard]
            assert "/interview start" in (await result.final_message()).text()
        guild, member = world[3]
        question, started = await interview_in_dms(fake_discord, guild, member)
        assert started.shards == [3]
        hint = await fake_discord.click(member.user, question, iv_cid(question, "hint"))
        assert hint.shards == [0]  # a DM: shard 0, the same client here
        assert "Hint 1/" in (await hint.final_message()).content


async def test_two_processes_split_the_shards_over_one_database(
    fake_discord: FakeDiscord, settings: Settings
) -> None:
    fake_discord.max_concurrency = SHARDS
    world = sharded_world(fake_discord)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            bot_process(fake_discord, settings, shard_count=SHARDS, shard_ids=[0, 1])
        )
        second = await stack.enter_async_context(
            bot_process(fake_discord, settings, shard_count=SHARDS, shard_ids=[2, 3])
        )
        assert {g.id for g in first.guilds} == {world[0][0].id, world[1][0].id}
        assert {g.id for g in second.guilds} == {world[2][0].id, world[3][0].id}
        for shard, (guild, member) in enumerate(world):
            result = await fake_discord.slash(member, guild.channels[0], "help")
            assert result.shards == [shard]
            await result.final_message()
        # Started by the second process (shard 3); the DM click reaches the first (shard 0).
        guild, member = world[3]
        question, _ = await interview_in_dms(fake_discord, guild, member)
        hint = await fake_discord.click(member.user, question, iv_cid(question, "hint"))
        assert hint.shards == [0]
        assert "Hint 1/" in (await hint.final_message()).content
        nxt = await fake_discord.click(member.user, question, iv_cid(question, "next"))
        await nxt.response()
        await fake_discord.wait_for_message(
            lambda m: (
                m.channel.recipient is member.user
                and bool(m.embeds)
                and m.embeds[0]["title"].startswith("Question 2")
            ),
            timeout=10,
        )


@pytest.mark.parametrize(
    ("max_concurrency", "expected"),
    [(1, [0.0, 5.0, 5.0, 5.0]), (2, [0.0, 0.0, 5.0, 0.0]), (4, [0.0, 0.0, 0.0, 0.0])],
)
async def test_identify_waits_only_within_a_rate_limit_key(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, max_concurrency: int, expected: list[float]
) -> None:
    """Discord allows one IDENTIFY per 5 s per key ``shard_id % max_concurrency``."""
    waits: list[float] = []
    now = [1000.0]

    async def fake_sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        now[0] += seconds

    class Limits:
        pass

    async def limits() -> Any:
        found = Limits()
        found.max_concurrency = max_concurrency  # type: ignore[attr-defined]
        return found

    monkeypatch.setattr(client_module, "_sleep", fake_sleep)
    monkeypatch.setattr(client_module, "_now", lambda: now[0])
    async with open_app(settings, scope="discord", start_scheduler=False) as app:
        bot = create_bot(app, shard_count=SHARDS)
        monkeypatch.setattr(bot, "fetch_session_start_limits", limits)
        for shard in range(SHARDS):
            before = len(waits)
            await bot.before_identify_hook(shard, initial=shard == 0)
            if len(waits) == before:
                waits.append(0.0)
    assert waits == expected
