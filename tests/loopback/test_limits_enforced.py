"""The fake answers what real Discord answers to oversized bodies: 400 with code 50035
(Invalid Form Body) and the field path, or 413 40005 for uploads; and a member cannot type
or upload more than Discord allows."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.loopback import DefaultWorld, FakeDiscord, InvalidInteraction
from tests.loopback._limits import UPLOAD_LIMIT


class LimitsBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.guild_id = guild_id
        self.ready_event = asyncio.Event()

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)

        @app_commands.command(name="echo", description="Repeat a text")
        async def echo(interaction: discord.Interaction[Any], text: str) -> None:
            await interaction.response.send_message(text)

        @app_commands.command(name="form", description="Open a form")
        async def form(interaction: discord.Interaction[Any], title: str) -> None:
            modal = discord.ui.Modal(title=title, custom_id="form")
            modal.add_item(discord.ui.TextInput(label="Answer", custom_id="answer"))
            await interaction.response.send_modal(modal)

        @app_commands.command(name="pick", description="Pick a topic")
        async def pick(interaction: discord.Interaction[Any], topic: str) -> None:
            await interaction.response.send_message(topic)

        @pick.autocomplete("topic")
        async def topics(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=current, value="v")]

        for command in (echo, form, pick):
            self.tree.add_command(command, guild=guild)
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        self.ready_event.set()


@pytest.fixture
async def bot(fake_discord: FakeDiscord, world: DefaultWorld) -> AsyncIterator[LimitsBot]:
    bot = LimitsBot(world.guild.id)
    await fake_discord.start_bot(bot)
    yield bot
    await fake_discord.stop_bot(bot)


async def _refused(send: Any) -> discord.HTTPException:
    with pytest.raises(discord.HTTPException) as caught:
        await send
    return caught.value


async def test_message_bodies_over_the_limits_get_invalid_form_body(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: LimitsBot
) -> None:
    channel = bot.get_partial_messageable(world.general.id)
    await channel.send("x" * 2000)  # exactly at the limit: fine
    error = await _refused(channel.send("x" * 2001))
    assert (error.status, error.code) == (400, 50035)
    assert "In content: Must be 2000 or fewer in length." in error.text  # Discord's nesting
    error = await _refused(channel.send(embed=discord.Embed(description="d" * 4097)))
    assert error.code == 50035 and "embeds.0.description" in error.text
    fields = discord.Embed(title="t")
    for _ in range(26):
        fields.add_field(name="n", value="v")
    assert (await _refused(channel.send(embed=fields))).code == 50035
    big = [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]
    error = await _refused(channel.send(embeds=big))  # 6,001 characters across embeds
    assert error.code == 50035 and "Embed size exceeds maximum size" in error.text
    field = discord.Embed(title="t").add_field(name="n", value="v" * 1025)
    assert "fields.0.value" in (await _refused(channel.send(embed=field))).text
    upload = discord.File(io.BytesIO(b"0" * (UPLOAD_LIMIT + 1)), filename="big.bin")
    error = await _refused(channel.send(file=upload))
    assert (error.status, error.code) == (413, 40005)


async def test_interaction_callbacks_over_the_limits(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: LimitsBot
) -> None:
    ok = await fake_discord.slash(world.bob, world.general, "form", options={"title": "t" * 45})
    assert (await ok.response()).type == 9
    await fake_discord.slash(world.bob, world.general, "form", options={"title": "t" * 46})
    await fake_discord.slash(world.bob, world.general, "echo", options={"text": "e" * 2001})
    await fake_discord.autocomplete(
        world.bob, world.general, "pick", focused="topic", options={"topic": "c" * 101}
    )

    def three_refusals() -> list[str] | None:
        found = fake_discord.problems()
        return found if len(found) >= 3 else None

    problems = await fake_discord.wait_until(three_refusals, 5.0, "three refusals")
    text = "\n".join(problems)
    assert "data.title: Must be 45 or fewer in length" in text.replace("In ", "")
    assert "content: Must be 2000 or fewer in length" in text.replace("In ", "")
    assert "data.choices.0.name: Must be 100 or fewer in length" in text.replace("In ", "")
    fake_discord.take_problems()


async def test_members_cannot_type_or_upload_more_than_discord_allows(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: LimitsBot
) -> None:
    with pytest.raises(InvalidInteraction, match="at most 6000"):
        await fake_discord.slash(world.bob, world.general, "echo", options={"text": "e" * 6001})
    assert fake_discord.upload_limit == UPLOAD_LIMIT == 25 * 1024 * 1024
    fake_discord.upload_limit = 1024  # a small limit keeps the test fast
    attachment = fake_discord.upload("big.yaml", b"x" * 1025)
    with pytest.raises(InvalidInteraction, match="uploads at most 1024"):
        await fake_discord._option_value(
            {"type": 11, "name": "file"}, attachment, {}, world.bob, world.general
        )


async def test_command_bodies_over_the_limits_are_refused(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: LimitsBot
) -> None:
    @app_commands.command(name="essay", description="Too long an option")
    async def essay(
        interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, 6001]
    ) -> None:
        await interaction.response.send_message("ok")

    guild = discord.Object(world.guild.id)
    bot.tree.add_command(essay, guild=guild)
    error = await _refused(bot.tree.sync(guild=guild))
    assert error.code == 50035 and "max_length: must be 1-6000" in error.text
