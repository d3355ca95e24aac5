"""Moderators' commands are hidden by Discord from other members (default_member_permissions),
and the bot still refuses them when a server shows them to everyone."""

from __future__ import annotations

import discord

from bot.app import App
from bot.discord.client import MockInterviewBot
from bot.features.config.permissions import NOT_A_MODERATOR
from tests.loopback import DefaultWorld, FakeDiscord

Running = tuple[App, MockInterviewBot]
MANAGE_SERVER = str(discord.Permissions(manage_guild=True).value)
MODERATORS_ONLY = {"bank", "config", "daily-admin"}


async def test_moderator_commands_need_manage_server_to_be_seen(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    synced = {c["name"]: c for c in fake_discord.synced_commands()}
    hidden = {n for n, c in synced.items() if c.get("default_member_permissions") is not None}
    assert hidden == MODERATORS_ONLY
    assert all(synced[n]["default_member_permissions"] == MANAGE_SERVER for n in hidden)
    for name in ("suggest", "daily", "interview", "practice", "help"):  # members' commands
        assert synced[name].get("default_member_permissions") is None


async def test_shown_to_everyone_still_refused_for_members(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    everyone = world.guild.roles[0]
    for name, sub in (("bank", "log"), ("config", "show"), ("daily-admin", "stop")):
        fake_discord.allow_command(world.guild, name, everyone)
        result = await fake_discord.slash(world.bob, world.general, name, subcommand=sub)
        message = await result.final_message()
        assert message.ephemeral and message.content == NOT_A_MODERATOR, name
    ids = await fake_discord.autocomplete(
        world.bob, world.general, "bank", subcommand="show", focused="id", options={"id": "ml"}
    )
    assert await ids.choices() == []  # bundled ids are not listed to members either
    mine = await fake_discord.autocomplete(
        world.alice, world.staff, "bank", subcommand="show", focused="id", options={"id": "ml"}
    )
    assert await mine.choices()  # moderators get them
