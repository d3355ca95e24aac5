"""/config end to end: the moderator role, bundled questions on/off, showing the settings."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discord.client import MockInterviewBot
from bot.features.config.permissions import NOT_A_MODERATOR
from bot.storage.models import AuditEntry
from tests.e2e.conftest import BotFactory
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage, InvalidInteraction

Running = tuple[App, MockInterviewBot]


async def config(
    fake: FakeDiscord, who: Any, channel: Any, sub: str, **options: Any
) -> FakeMessage:
    result = await fake.slash(who, channel, "config", subcommand=sub, options=options)
    return await result.final_message()


async def audit(app: App) -> list[AuditEntry]:
    async with app.db.reading() as s:
        return list((await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_config_commands_are_synced_and_described(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    command = fake_discord.command("config")
    subs = {o["name"]: o for o in command["options"]}
    assert set(subs) == {"moderator-role", "bundled-questions", "ai", "show"}
    for sub in subs.values():
        assert sub["description"] and all(o["description"] for o in sub.get("options", []))
    [enabled] = subs["bundled-questions"]["options"]
    assert [c["value"] for c in enabled["choices"]] == ["on", "off"]
    [role] = subs["moderator-role"]["options"]
    assert role["type"] == 8 and not role.get("required")
    manage_server = discord.Permissions(manage_guild=True).value
    assert command["default_member_permissions"] == str(manage_server)  # hidden from members
    with pytest.raises(InvalidInteraction, match="lacks the permissions"):
        await config(fake_discord, world.bob, world.general, "show")


async def test_moderator_role_needs_manage_server_and_grants_moderation(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    mentors = fake_discord.add_role(world.guild, "Mentors")  # no permissions of its own
    world.carol.roles.append(mentors)
    # /config and /bank need Manage Server to be seen; the server admin lets Mentors see them
    # (Server Settings > Integrations). Seeing is not enough: the bot checks the moderator role.
    fake_discord.allow_command(world.guild, "config", mentors)
    fake_discord.allow_command(world.guild, "bank", mentors)
    async with bot_factory() as (app, _):
        refused = await config(
            fake_discord, world.carol, world.general, "moderator-role", role=mentors
        )
        assert refused.ephemeral and "Manage Server" in refused.content
        before = await config(fake_discord, world.carol, world.general, "show")
        assert before.content == NOT_A_MODERATOR

        done = await config(fake_discord, world.alice, world.staff, "moderator-role", role=mentors)
        assert done.ephemeral and f"<@&{mentors.id}>" in done.content
        shown = await config(
            fake_discord, world.carol, world.general, "show"
        )  # carol moderates now
        assert shown.ephemeral and f"<@&{mentors.id}>" in shown.embeds[0]["fields"][0]["value"]
        listing = await (
            await fake_discord.slash(world.carol, world.general, "bank", subcommand="list")
        ).final_message()
        assert listing.embeds[0]["title"] == "Question bank"
        with pytest.raises(InvalidInteraction):  # without the role bob does not even see it
            await config(fake_discord, world.bob, world.general, "show")

        [entry] = await audit(app)
        assert (entry.action, entry.details) == (
            "config",
            {"before": {"moderator_role_id": None}, "after": {"moderator_role_id": mentors.id}},
        )
        log = await (
            await fake_discord.slash(world.carol, world.general, "bank", subcommand="log")
        ).final_message()
        assert f"**alice** moderator role: none → <@&{mentors.id}>" in log.embeds[0]["description"]

        cleared = await config(fake_discord, world.alice, world.staff, "moderator-role")
        assert "no moderator role" in cleared.content
        again = await config(fake_discord, world.carol, world.general, "show")
        assert again.content == NOT_A_MODERATOR


async def test_moderator_role_cannot_be_everyone(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    everyone = world.guild.roles[0]
    reply = await config(fake_discord, world.alice, world.staff, "moderator-role", role=everyone)
    assert "not @everyone" in reply.content and await audit(running[0]) == []


async def test_bundled_questions_off_and_on(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    fake_discord.allow_command(world.guild, "config", world.guild.roles[0])  # all see /config
    refused = await config(
        fake_discord, world.bob, world.general, "bundled-questions", enabled="off"
    )
    assert refused.content == NOT_A_MODERATOR
    assert len(app.banks.for_guild(world.guild.id)) == len(app.banks.bundled)

    off = await config(fake_discord, world.alice, world.staff, "bundled-questions", enabled="off")
    assert off.ephemeral and "only this server's 0" in off.content
    assert "interviews cannot start" in off.content
    assert len(app.banks.for_guild(world.guild.id)) == 0
    assert len(app.banks.for_guild(world.other_guild.id)) == len(app.banks.bundled)
    shown = await config(fake_discord, world.alice, world.staff, "show")
    values = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert values["Bundled questions"].startswith("off")
    assert values["This server's questions"] == "none yet"

    on = await config(fake_discord, world.alice, world.staff, "bundled-questions", enabled="on")
    assert "Bundled questions are on" in on.content
    assert len(app.banks.for_guild(world.guild.id)) == len(app.banks.bundled)
    assert [e.details["after"] for e in await audit(app)] == [
        {"bundled_questions": False},
        {"bundled_questions": True},
    ]


async def test_bundled_off_with_no_own_questions_starts_no_interview(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    await config(fake_discord, world.alice, world.staff, "bundled-questions", enabled="off")
    started = await fake_discord.slash(
        world.bob, world.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    assert "No questions match" in (await started.final_message()).content


async def test_bundled_off_survives_a_restart(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    async with bot_factory():
        await config(fake_discord, world.alice, world.staff, "bundled-questions", enabled="off")
    async with bot_factory() as (app, _):
        assert len(app.banks.for_guild(world.guild.id)) == 0  # loaded at start-up


@pytest.mark.parametrize("name", ["config", "bank"])
async def test_commands_are_not_offered_in_dms(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, name: str
) -> None:
    assert fake_discord.command(name).get("contexts") == [0]
    with pytest.raises(InvalidInteraction, match="not available in this context"):
        await fake_discord.slash(
            world.alice,
            fake_discord.dm_channel(world.alice),
            name,
            subcommand="show" if name == "config" else "list",
        )
