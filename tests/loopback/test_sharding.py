"""The fake speaks gateway sharding: IDENTIFY with [shard_id, shard_count], guilds routed by
(guild_id >> 22) % shard_count, DMs on shard 0, /gateway/bot with a shard count, several
connections at once. Driven by a tiny discord.py AutoShardedBot."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.loopback import FakeDiscord, FakeGuild, InvalidInteraction
from tests.loopback._gateway import shard_of


class ShardBot(commands.AutoShardedBot):
    """Answers /where with the shard the interaction arrived on."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            **kwargs,
        )
        self.seen: list[tuple[int | None, int | None]] = []  # (guild id, shard id)

    async def setup_hook(self) -> None:
        @app_commands.command(name="where", description="Which shard am I on?")
        async def where(interaction: discord.Interaction) -> None:
            guild_id = interaction.guild_id
            shard = None if guild_id is None else (guild_id >> 22) % (self.shard_count or 1)
            self.seen.append((guild_id, shard))
            await interaction.response.send_message(f"guild {guild_id} shard {shard}")

        self.tree.add_command(where)
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py sleeps 5 s before each further shard; the fake sets no IDENTIFY limit


def guilds_on_shards(fake: FakeDiscord, count: int) -> list[FakeGuild]:
    guilds = [fake.add_guild(f"guild-{i}", shard=(i, count)) for i in range(count)]
    for guild in guilds:
        fake.add_text_channel(guild, "general")
    return guilds


def test_add_guild_picks_an_id_on_the_asked_shard(fake_discord: FakeDiscord) -> None:
    for count in (1, 2, 3, 16):
        for shard in range(count):
            guild = fake_discord.add_guild("g", shard=(shard, count))
            assert shard_of(guild.id, count) == shard


async def test_automatic_sharding_follows_gateway_bot(fake_discord: FakeDiscord) -> None:
    fake_discord.shard_count, fake_discord.max_concurrency = 3, 16
    guilds = guilds_on_shards(fake_discord, 3)
    bot = ShardBot()
    await fake_discord.start_bot(bot)
    await fake_discord.wait_until(
        lambda: len(fake_discord.gateway.live_sessions) == 3, 5, "three shards"
    )
    assert bot.shard_count == 3
    assert sorted(s.shard for s in fake_discord.gateway.live_sessions) == [(0, 3), (1, 3), (2, 3)]  # type: ignore[type-var]
    assert {g.id for g in bot.guilds} == {g.id for g in guilds}  # every shard's guilds, one client
    for shard, guild in enumerate(guilds):
        [session] = fake_discord.gateway.sessions_for(guild.id)
        assert session.shard == (shard, 3)
        # READY of that session listed only its own guild
        ready = next(f.text for f in session.frames if '"t": "READY"' in f.text)
        assert str(guild.id) in ready
        assert all(str(g.id) not in ready for g in guilds if g is not guild)
    member = fake_discord.add_member(guilds[2], "erin")
    result = await fake_discord.slash(member, guilds[2].channels[0], "where")
    assert result.shards == [2]
    assert (await result.final_message()).content == f"guild {guilds[2].id} shard 2"
    dm = await fake_discord.slash(member.user, fake_discord.dm_channel(member), "where")
    assert dm.shards == [0]  # DMs always arrive on shard 0
    assert (await dm.final_message()).content == "guild None shard None"


async def test_processes_with_shard_ids_each_get_their_guilds_only(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.max_concurrency = 16
    guilds = guilds_on_shards(fake_discord, 4)
    first, second = (
        ShardBot(shard_count=4, shard_ids=[0, 1]),
        ShardBot(shard_count=4, shard_ids=[2, 3]),
    )
    await fake_discord.start_bot(first)
    await fake_discord.start_bot(second)
    await fake_discord.wait_until(
        lambda: len(fake_discord.gateway.live_sessions) == 4, 5, "four shards"
    )
    assert {g.id for g in first.guilds} == {guilds[0].id, guilds[1].id}
    assert {g.id for g in second.guilds} == {guilds[2].id, guilds[3].id}
    for shard, guild in enumerate(guilds):
        member = fake_discord.add_member(guild, f"member-{shard}")
        result = await fake_discord.slash(member, guild.channels[0], "where")
        assert (await result.final_message()).content.endswith(f"shard {shard}")
        assert result.shards == [shard]
    # Each interaction was handled once, by the process that owns its shard.
    assert [s for _, s in first.seen] == [0, 1]
    assert [s for _, s in second.seen] == [2, 3]
    dm = await fake_discord.slash(member.user, fake_discord.dm_channel(member), "where")
    await dm.final_message()
    assert first.seen[-1] == (None, None) and len(second.seen) == 2  # DMs: the shard-0 process
    await fake_discord.stop_bot(first)
    with pytest.raises(InvalidInteraction, match="shard"):
        await fake_discord.slash(member.user, fake_discord.dm_channel(member), "where")


async def test_each_shard_identifies_once(fake_discord: FakeDiscord) -> None:
    """discord.py launches shards one after another; the fake counts IDENTIFYs per shard."""
    fake_discord.shard_count, fake_discord.max_concurrency = 2, 2
    guilds_on_shards(fake_discord, 2)
    bot = ShardBot()
    await fake_discord.start_bot(bot)
    await fake_discord.wait_until(lambda: bot.is_ready(), 5, "both shards ready")
    assert fake_discord.stats["identifies_shard_0"] == fake_discord.stats["identifies_shard_1"] == 1


async def test_invalid_shard_is_refused_with_4010(fake_discord: FakeDiscord) -> None:
    fake_discord.add_guild("g")
    bot = ShardBot(shard_count=2, shard_ids=[5])
    with pytest.raises((discord.ConnectionClosed, AssertionError, discord.DiscordException)):
        await fake_discord.start_bot(bot, timeout=3)
    assert fake_discord.stats["invalid_shards"] >= 1
    fake_discord.take_problems()


async def test_unsharded_session_still_gets_everything(fake_discord: FakeDiscord) -> None:
    guilds = guilds_on_shards(fake_discord, 2)
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    await fake_discord.start_bot(bot)
    assert {g.id for g in bot.guilds} == {g.id for g in guilds}
