"""End-to-end tests of the loopback fake, driving a tiny self-contained discord.py bot."""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from tests.loopback import DefaultWorld, FakeDiscord, InvalidInteraction

TOPICS = ["transformers", "training loops", "tree models", "feature stores"]


# -- the tiny bot ------------------------------------------------------------------------------
class HintButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hint:(?P<n>\d+)"
):
    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label="Hint", custom_id=f"hint:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[discord.ui.View],
        match: re.Match[str],
    ) -> HintButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Hint #{self.n}: think about variance", ephemeral=True
        )


class FeedbackModal(discord.ui.Modal, title="Interview feedback"):
    rating: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Rating", custom_id="rating", max_length=1
    )
    comments: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Comments", style=discord.TextStyle.paragraph, required=False, default="none"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="feedback_modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = f"Thanks! rating={self.rating.value} comments={self.comments.value}"
        await interaction.response.send_message(text, ephemeral=True)


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Give feedback", custom_id="panel:feedback")
    async def feedback(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @discord.ui.select(
        custom_id="panel:level",
        options=[
            discord.SelectOption(label="Junior", value="junior"),
            discord.SelectOption(label="Senior", value="senior"),
        ],
    )
    async def level(
        self, interaction: discord.Interaction, select: discord.ui.Select[Panel]
    ) -> None:
        await interaction.response.edit_message(content=f"Level: {select.values[0]}", view=self)


def build_commands(tree: app_commands.CommandTree[TinyBot], guild: discord.Object) -> None:
    interview = app_commands.Group(name="interview", description="Mock interviews")
    admin = app_commands.Group(name="admin", description="Admin tools", parent=interview)

    @interview.command(name="start", description="Start a mock interview")
    @app_commands.choices(
        track=[
            Choice(name="ML systems", value="ml-systems"),
            Choice(name="Modeling", value="modeling"),
        ]
    )
    async def start(
        interaction: discord.Interaction,
        track: Choice[str],
        topic: str,
        minutes: app_commands.Range[int, 5, 60] = 30,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        try:
            thread = await interaction.channel.create_thread(
                name=f"interview-{interaction.user.name}",
                type=discord.ChannelType.private_thread,
                invitable=False,
            )
        except discord.Forbidden as exc:
            await interaction.followup.send(
                f"Cannot open a private thread here ({exc.code})", ephemeral=True
            )
            return
        await thread.add_user(interaction.user)
        view = discord.ui.View(timeout=None).add_item(HintButton(1))
        await thread.send(f"Question 1 ({track.value}, {minutes} min): explain {topic}.", view=view)
        try:
            await interaction.user.send(f"Your interview on {topic} started in {thread.mention}")
            dm = "DM sent"
        except discord.Forbidden:
            dm = "DMs closed"
        await interaction.followup.send(
            f"Interview started in {thread.mention} ({dm})", ephemeral=True
        )

    @start.autocomplete("topic")
    async def topic_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return [Choice(name=t, value=t) for t in TOPICS if current.lower() in t]

    @interview.command(name="import", description="Import a question bank")
    async def import_bank(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        upper = discord.File(io.BytesIO(data.upper()), "bank-normalised.txt")
        await interaction.response.send_message(
            f"Imported {len(data.splitlines())} questions", file=upper, ephemeral=True
        )

    @admin.command(name="reset", description="Reset a member's statistics")
    async def reset(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.edit_original_response(content=f"Reset {member.name}")
        await interaction.followup.send("Audit log updated", ephemeral=True)

    @app_commands.command(name="ping", description="Ephemeral pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @app_commands.command(name="pins", description="Calls a route the fake does not implement")
    async def pins(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        [m async for m in interaction.channel.pins()]

    @app_commands.command(name="slow", description="Answers after Discord's 3 s window")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.1)  # the test shortens the window to 0.05 s
        await interaction.response.send_message("too late")

    @app_commands.command(name="panel", description="Post the feedback panel")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Panel posted", ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("Feedback panel", view=Panel())

    tree.add_command(interview)
    tree.add_command(ping)
    tree.add_command(pins)
    tree.add_command(slow)
    tree.add_command(panel, guild=guild)


class TinyBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.guild_id = guild_id
        self.ready_event = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_view(Panel())  # persistent: handles clicks on panels sent by earlier instances
        self.add_dynamic_items(HintButton)
        guild = discord.Object(self.guild_id)
        build_commands(self.tree, guild)
        await self.tree.sync()
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        self.ready_event.set()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py waits 5 s before re-identifying; nothing to protect against here


async def run_bot(fake: FakeDiscord, world: DefaultWorld) -> TinyBot:
    bot = TinyBot(world.guild.id)
    await fake.start_bot(bot)
    await asyncio.wait_for(bot.ready_event.wait(), 1.0)
    return bot


@pytest.fixture
async def bot(fake_discord: FakeDiscord, world: DefaultWorld) -> AsyncIterator[TinyBot]:
    bot = await run_bot(fake_discord, world)
    yield bot
    await fake_discord.stop_bot(bot)


# -- tests -------------------------------------------------------------------------------------
async def test_synced_command_bodies(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    assert {c["name"] for c in fake_discord.synced_commands()} == {
        "interview",
        "ping",
        "pins",
        "slow",
    }
    interview = fake_discord.command("interview")
    subs = {o["name"]: o for o in interview["options"]}
    assert {n: o["type"] for n, o in subs.items()} == {"start": 1, "import": 1, "admin": 2}
    start = {o["name"]: o for o in subs["start"]["options"]}
    assert [c["value"] for c in start["track"]["choices"]] == ["ml-systems", "modeling"]
    assert start["topic"]["autocomplete"] is True and start["topic"]["required"] is True
    assert (
        start["minutes"]["type"],
        start["minutes"]["min_value"],
        start["minutes"]["max_value"],
    ) == (4, 5, 60)
    assert subs["admin"]["options"][0]["options"][0]["type"] == 6  # member option
    panel = fake_discord.command("panel", world.guild)
    assert panel["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    assert [scope for scope, _ in fake_discord.sync_log] == [None, world.guild.id]


async def test_ephemeral_reply_is_seen_by_the_invoker_only(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    result = await fake_discord.slash(world.bob, world.general, "ping")
    message = await result.final_message()
    assert (result.callback and result.callback.type, message.content, message.ephemeral) == (
        4,
        "pong",
        True,
    )
    assert message in fake_discord.visible_to(world.bob)
    assert message not in fake_discord.visible_to(world.carol)
    assert fake_discord.messages_in(world.general) == []
    assert result.handling_time is not None and 0 < result.handling_time < 1


async def test_autocomplete_returns_the_bots_choices(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    result = await fake_discord.autocomplete(
        world.bob,
        world.general,
        "interview start",
        focused="topic",
        options={"track": "modeling", "topic": "tr"},
    )
    assert [c["value"] for c in await result.choices()] == [
        "transformers",
        "training loops",
        "tree models",
    ]


async def test_deferred_start_opens_a_private_thread_and_sends_a_dm(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    options = {"track": "modeling", "topic": "transformers", "minutes": 45}
    result = await fake_discord.slash(
        world.bob, world.general, "interview", subcommand="start", options=options
    )
    callback = await result.response()
    assert (callback.type, callback.data.get("flags")) == (5, 64)
    final = await result.final_message()
    [thread] = fake_discord.threads(world.general)
    assert final.content == f"Interview started in <#{thread.id}> (DM sent)"
    assert final.ephemeral and final.viewer is world.bob.user and result.followups == [final]
    assert thread.type == 12 and world.bob.id in thread.members
    [question] = fake_discord.messages_in(thread)
    assert question.content == "Question 1 (modeling, 45 min): explain transformers."
    [dm] = fake_discord.messages_in(fake_discord.dm_channel(world.bob))
    assert "transformers" in dm.content
    assert {question, dm, final} <= set(fake_discord.visible_to(world.bob))
    for outsider in (world.carol, world.alice, world.dave):  # Manage Server does not open threads
        assert all(
            "Question 1" not in m.text(history=True)
            for m in fake_discord.visible_to(outsider, history=True)
        )

    hint = await fake_discord.click(world.bob, question, "hint:1")
    assert (await hint.final_message()).content == "Hint #1: think about variance"
    with pytest.raises(InvalidInteraction, match="cannot see"):
        await fake_discord.click(world.carol, question, "hint:1")


@pytest.mark.parametrize("code", [50001, 50013])
async def test_refused_thread_and_dm_use_the_fallbacks(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot, code: int
) -> None:
    fake_discord.refuse(world.general, "threads", code=code)  # type: ignore[arg-type]
    options = {"track": "ml-systems", "topic": "feature stores"}
    result = await fake_discord.slash(world.bob, world.general, "interview start", options=options)
    assert (await result.final_message()).content == f"Cannot open a private thread here ({code})"
    assert fake_discord.threads() == []

    fake_discord.allow(world.general, "threads")
    fake_discord.refuse_dms(world.carol)
    result = await fake_discord.slash(
        world.carol, world.general, "interview start", options=options
    )
    assert (await result.final_message()).content.endswith("(DMs closed)")
    assert fake_discord.messages_in(fake_discord.dm_channel(world.carol)) == []
    assert [
        r.status for r in fake_discord.requests if r.path.endswith("/messages") and r.status == 403
    ] == [403]


async def test_panel_button_opens_a_modal_and_select_updates_the_message(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    with pytest.raises(InvalidInteraction, match="lacks the permissions"):
        await fake_discord.slash(world.bob, world.general, "panel")
    with pytest.raises(InvalidInteraction, match="not synced"):
        await fake_discord.slash(world.dave, world.lounge, "panel")
    posted = await fake_discord.slash(world.alice, world.general, "panel")
    assert (await posted.final_message()).content == "Panel posted"
    panel = await fake_discord.wait_for_message(lambda m: m.content == "Feedback panel")

    click = await fake_discord.click(world.bob, panel, "panel:feedback")
    assert (await click.response()).type == 9
    assert click.modal is not None and click.modal["title"] == "Interview feedback"
    with pytest.raises(InvalidInteraction, match="never showed"):
        await fake_discord.submit_modal(
            world.carol, world.general, "feedback_modal", {"rating": "5"}
        )
    submitted = await fake_discord.submit_modal(
        world.bob, world.general, "feedback_modal", {"rating": "4"}
    )  # by custom_id
    thanks = await submitted.final_message()
    assert (thanks.content, thanks.viewer) == ("Thanks! rating=4 comments=none", world.bob.user)

    with pytest.raises(InvalidInteraction, match="not options"):
        await fake_discord.select(world.carol, panel, "panel:level", ["principal"])
    selected = await fake_discord.select(world.carol, panel, "panel:level", ["senior"])
    assert (await selected.response()).type == 7
    assert (await selected.final_message()) is panel and panel.content == "Level: senior"
    assert panel.text(history=True).startswith("Feedback panel")


async def test_attachments_flow_both_ways(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    upload = fake_discord.upload("bank.txt", b"q1\nq2\nq3\n", content_type="text/plain")
    result = await fake_discord.slash(
        world.alice, world.general, "interview import", options={"file": upload}
    )
    reply = await result.final_message()
    assert reply.content == "Imported 3 questions"
    assert [(a.filename, a.data) for a in reply.attachments] == [
        ("bank-normalised.txt", b"Q1\nQ2\nQ3\n")
    ]


async def test_options_are_checked_like_the_discord_client_does(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    bad_options: list[dict[str, object]] = [
        {"track": "nlp", "topic": "x"},  # not a choice
        {"track": "modeling"},  # required option missing
        {"track": "modeling", "topic": "x", "minutes": 90},  # outside Range[int, 5, 60]
        {"track": "modeling", "topic": "x", "level": 3},  # unknown option
    ]
    for options in bad_options:
        with pytest.raises(InvalidInteraction):
            await fake_discord.slash(world.bob, world.general, "interview start", options=options)
    with pytest.raises(InvalidInteraction, match="needs a subcommand"):
        await fake_discord.slash(world.bob, world.general, "interview")
    with pytest.raises(InvalidInteraction, match="cannot see"):
        await fake_discord.slash(world.bob, world.staff, "ping")
    reset = await fake_discord.slash(
        world.alice, world.staff, "interview admin reset", options={"member": world.bob}
    )
    assert (await reset.final_message()).content == "Reset bob"  # deferred, then @original edited
    audit = await reset.followup(0)  # a new message: the deferral was already completed
    assert audit is not reset.original and audit.content == "Audit log updated" and audit.ephemeral


async def test_bot_restart_still_handles_persistent_buttons(
    fake_discord: FakeDiscord, world: DefaultWorld
) -> None:
    first = await run_bot(fake_discord, world)
    await fake_discord.slash(world.alice, world.general, "panel")
    panel = await fake_discord.wait_for_message(lambda m: m.content == "Feedback panel")
    await fake_discord.stop_bot(first)
    assert first.is_closed()

    second = await run_bot(fake_discord, world)
    click = await fake_discord.click(world.bob, panel, "panel:feedback")
    assert (await click.response()).type == 9
    assert fake_discord.stats["identifies"] == 2
    await fake_discord.stop_bot(second)


async def test_unknown_routes_and_logged_errors_are_reported(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    await fake_discord.slash(world.alice, world.general, "pins")
    await fake_discord.wait_until(
        lambda: fake_discord.log_errors, 5.0, "discord.py to log the NotFound"
    )
    with pytest.raises(AssertionError, match="unknown route GET /api/v10/channels/"):
        fake_discord.assert_clean()
    problems = fake_discord.take_problems()
    assert any("discord.py logged ERROR" in p and "NotFound" in p for p in problems)
    fake_discord.assert_clean()


async def test_injected_500_is_retried_by_discord_py(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        fake_discord.fail_next("POST /channels/{id}/messages")
    fake_discord.fail_next("POST /channels/{channel_id}/messages", times=1, status=500)
    await fake_discord.slash(world.alice, world.general, "panel")
    await fake_discord.wait_for_message(lambda m: m.content == "Feedback panel", timeout=5.0)
    statuses = [
        r.status for r in fake_discord.requests if r.route == "POST /channels/{channel_id}/messages"
    ]
    assert statuses == [500, 200] and fake_discord.stats["injected_failures"] == 1


async def test_rate_limits_make_discord_py_wait(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    fake_discord.enable_rate_limits(
        route_limit=2, route_window=0.15, global_limit=3, global_window=0.15
    )
    channels = [bot.get_partial_messageable(c.id) for c in (world.general, world.interviews)]
    started = time.monotonic()
    await asyncio.gather(*(ch.send(f"m{i}") for i in range(4) for ch in channels))
    assert (
        len(fake_discord.messages_in(world.general))
        == len(fake_discord.messages_in(world.interviews))
        == 4
    )
    assert fake_discord.stats["rate_limited"] >= 1 and time.monotonic() - started >= 0.15
    sent = [r for r in fake_discord.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert {r.status for r in sent} == {200, 429}


async def test_dropped_gateway_resumes_and_replays_missed_events(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    await fake_discord.drop_gateway(wait=False)
    result = await fake_discord.slash(world.bob, world.general, "ping")  # sent while disconnected
    assert (await result.final_message()).content == "pong"
    assert fake_discord.stats["resumes"] == 1

    await fake_discord.drop_gateway(invalidate=True)  # unknown session: the bot identifies again
    assert fake_discord.stats["identifies"] == 2
    result = await fake_discord.slash(world.bob, world.general, "ping")
    assert (await result.final_message()).content == "pong"


async def test_message_content_is_redacted_without_the_intent(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    def from_bob(message: discord.Message) -> bool:
        return message.author.id == world.bob.id

    waiter = asyncio.ensure_future(bot.wait_for("message", check=from_bob))
    await fake_discord.post(world.bob, world.general, "my secret answer")
    assert (await asyncio.wait_for(waiter, 2.0)).content == ""
    waiter = asyncio.ensure_future(bot.wait_for("message", check=from_bob))
    assert bot.user is not None
    await fake_discord.post(world.bob, world.general, f"<@{bot.user.id}> hello")
    assert (await asyncio.wait_for(waiter, 2.0)).content.endswith("hello")


async def test_wrong_token_fails_login(fake_discord: FakeDiscord, world: DefaultWorld) -> None:
    with pytest.raises(discord.LoginFailure):
        await fake_discord.start_bot(TinyBot(world.guild.id), token="another-token")
    assert [r.status for r in fake_discord.requests] == [401]


async def test_late_callbacks_are_refused_like_discord_does(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    fake_discord.callback_deadline = 0.05
    await fake_discord.slash(world.bob, world.general, "slow")
    await fake_discord.wait_until(
        lambda: fake_discord.log_errors, 5.0, "the bot to log the failure"
    )
    [problem] = fake_discord.take_problems()
    assert "10062" in problem and "Unknown interaction" in problem


async def test_channel_routes_used_directly(
    fake_discord: FakeDiscord, world: DefaultWorld, bot: TinyBot
) -> None:
    channel = bot.get_channel(world.general.id)
    guild = bot.get_guild(world.guild.id)
    assert isinstance(channel, discord.TextChannel) and guild is not None
    async with channel.typing():
        sent = await channel.send("the answer key is 42")
    assert (await channel.fetch_message(sent.id)).content == "the answer key is 42"
    await sent.edit(content="nothing to see")
    assert [m.content async for m in channel.history(limit=5)] == ["nothing to see"]
    [stored] = fake_discord.messages_in(world.general)
    assert "42" not in stored.text() and "42" in stored.text(history=True)  # it was shown once

    thread = await channel.create_thread(name="notes", type=discord.ChannelType.public_thread)
    await thread.edit(archived=True, locked=True)
    with pytest.raises(discord.HTTPException, match="Thread is archived"):
        await thread.send("hello")
    await sent.delete()
    assert fake_discord.messages_in(world.general) == []
    assert (await guild.fetch_member(world.bob.id)).name == "bob"
    assert [m.name for m in await guild.query_members("bo")] == ["bob"]  # gateway op 8
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(world.dave.id)
