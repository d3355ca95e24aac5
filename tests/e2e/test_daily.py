"""The daily question end to end through the loopback fake: commands, button, modal, posts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.questions import Question
from bot.discord.client import MockInterviewBot
from bot.features.config.permissions import NOT_A_MODERATOR
from bot.features.daily.commands import DailyCommands
from bot.storage.models import AuditEntry, DailyAnswer, DailyDelivery
from tests.e2e.conftest import BotFactory
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage, InvalidInteraction

Running = tuple[App, MockInterviewBot]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the FakeClock's start: 10:00 in Berlin


def scheduler_of(bot: MockInterviewBot) -> Any:
    cog = bot.get_cog("DailyCommands")
    assert isinstance(cog, DailyCommands)
    return cog.scheduler


def good_answer(question: Question) -> str:
    """The question's reference answer: the bank's gold standard scores it 4 (a bare list of
    cue words no longer does, since the scorer discounts stuffing)."""
    return question.reference_answer


async def setup_daily(
    fake: FakeDiscord, w: DefaultWorld, member: Any = None, **options: Any
) -> FakeMessage:
    result = await fake.slash(
        member or w.alice, w.interviews, "daily-admin", subcommand="setup", options=options
    )
    return await result.final_message()


async def delivery_question(app: App) -> tuple[int, Question]:
    async with app.db.reading() as s:
        delivery = (await s.scalars(select(DailyDelivery))).one()
    question = app.banks.get(delivery.question_id)
    assert question is not None
    return delivery.id, question


async def answer_through_modal(
    fake: FakeDiscord, member: Any, channel: Any, message: FakeMessage, text: str
) -> FakeMessage:
    [custom_id] = [c for c in message.custom_ids() if c.startswith("mlmock:daily:answer:")]
    opened = await fake.click(member, message, custom_id)
    callback = await opened.response()
    assert callback.type == 9 and callback.data["title"] == "Daily question · your answer"
    submitted = await fake.submit_modal(
        member, channel, callback.data["custom_id"], {"answer": text}
    )
    assert (await submitted.response()).type == 5  # deferred: scoring and writing
    return await submitted.final_message()


def daily_posts(fake: FakeDiscord, channel: Any) -> list[FakeMessage]:
    return [
        m
        for m in fake.messages_in(channel)
        if any(c.startswith("mlmock:daily:answer:d:") for c in m.custom_ids())
    ]


async def test_daily_commands_are_synced_with_descriptions(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    daily = fake_discord.command("daily")
    subs = {o["name"]: o for o in daily["options"]}
    assert set(subs) == {"question", "subscribe", "unsubscribe", "streak"}
    assert daily["default_member_permissions"] is None
    admin = fake_discord.command("daily-admin")  # Discord hides it from members
    assert admin["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    subs |= {o["name"]: o for o in admin["options"]}
    assert set(subs) == {"setup", "stop", "question", "subscribe", "unsubscribe", "streak"}
    assert all(s["description"] for s in subs.values())
    setup = {o["name"]: o for o in subs["setup"]["options"]}
    assert setup["channel"]["type"] == 7 and setup["timezone"]["autocomplete"] is True
    assert not any(o.get("required") for o in setup.values())
    assert all(o["description"] for o in setup.values())
    assert [c["value"] for c in setup["track"]["choices"]][-1] == "any"
    subscribe = {o["name"]: o for o in subs["subscribe"]["options"]}
    assert subscribe["time"]["required"] and subscribe["timezone"]["autocomplete"]
    shown = await fake_discord.slash(world.bob, world.general, "help")
    text = (await shown.final_message()).text()
    assert "/daily-admin setup" in text and "/daily streak" in text


async def test_setup_is_refused_for_members_without_manage_server(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    cases = (("setup", {"time": "09:00"}), ("setup", {}), ("stop", {}))
    for sub, options in cases:
        with pytest.raises(InvalidInteraction, match="lacks the permissions"):
            await fake_discord.slash(
                world.bob, world.general, "daily-admin", subcommand=sub, options=options
            )
    # A server that shows /daily-admin to everyone (Server Settings > Integrations): refused.
    fake_discord.allow_command(world.guild, "daily-admin", world.guild.roles[0])
    for sub, options in cases:
        result = await fake_discord.slash(
            world.bob, world.general, "daily-admin", subcommand=sub, options=options
        )
        message = await result.final_message()
        assert message.ephemeral and message.content == NOT_A_MODERATOR
    assert (await app.guild_settings.get(world.guild.id)).daily_time is None


async def test_setup_validates_shows_and_stops(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    shown = await setup_daily(fake_discord, world)
    assert shown.ephemeral and "**off**" in shown.content
    bad_time = await setup_daily(
        fake_discord, world, channel=world.general, time="25:00", timezone="Europe/Berlin"
    )
    assert "24-hour time as HH:MM" in bad_time.content
    bad_zone = await setup_daily(
        fake_discord, world, channel=world.general, time="10:30", timezone="Berlin"
    )
    assert "not a time zone" in bad_zone.content and "Europe/Berlin" in bad_zone.content
    missing = await setup_daily(fake_discord, world, time="10:30")
    assert "`channel`" in missing.content and "`timezone`" in missing.content
    saved = await setup_daily(
        fake_discord, world, channel=world.general, time="10:30", timezone="europe/berlin"
    )
    assert saved.ephemeral and "**on**" in saved.content
    assert f"<#{world.general.id}>" in saved.content and "10:30 Europe/Berlin" in saved.content
    config = await app.guild_settings.get(world.guild.id)
    assert (config.daily_channel_id, config.daily_time, config.daily_timezone) == (
        world.general.id,
        "10:30",
        "Europe/Berlin",
    )
    again = await setup_daily(fake_discord, world)
    assert "**on**" in again.content and ":F>" in again.content

    stopped = await fake_discord.slash(world.alice, world.general, "daily-admin", subcommand="stop")
    assert "is off" in (await stopped.final_message()).content
    assert (await app.guild_settings.get(world.guild.id)).daily_channel_id is None


async def test_timezone_autocomplete_filters_iana_names(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    result = await fake_discord.autocomplete(
        world.alice,
        world.general,
        "daily-admin",
        subcommand="setup",
        focused="timezone",
        options={"timezone": "berl"},
    )
    values = [c["value"] for c in await result.choices()]
    assert "Europe/Berlin" in values and len(values) <= 25
    everything = await fake_discord.autocomplete(
        world.bob,
        world.general,
        "daily",
        subcommand="subscribe",
        focused="timezone",
        options={"time": "08:00", "timezone": ""},
    )
    assert len(await everything.choices()) == 25


async def test_daily_post_fires_at_local_time_and_members_answer_privately(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, bot = running
    scheduler = scheduler_of(bot)
    await setup_daily(
        fake_discord, world, channel=world.general, time="10:30", timezone="Europe/Berlin"
    )
    clock.advance(minutes=29)  # 10:29 in Berlin
    await scheduler.settled()
    assert daily_posts(fake_discord, world.general) == []
    clock.advance(minutes=1)  # 10:30
    await scheduler.settled()
    post = await fake_discord.wait_for_message(
        lambda m: m.channel is world.general and bool(m.embeds)
    )
    assert post.embeds[0]["title"] == "Question of the day · Monday 5 January"
    assert not post.ephemeral and post.author.bot
    delivery_id, question = await delivery_question(app)
    assert post.embeds[0]["description"].startswith(question.prompt[:50])

    secret = "Bob's own note 7f3a: " + good_answer(question)  # the reference itself is shown
    result = await answer_through_modal(fake_discord, world.bob, world.general, post, secret)
    assert result.ephemeral and result.viewer is world.bob.user
    title = result.embeds[0]["title"]
    assert title == "Your answer · 4/4 Strong Hire"
    assert "Streak: 1 day" in result.embeds[0]["description"]
    reference = result.embeds[1]["description"]
    assert reference.startswith("||") and reference.endswith("||")  # a spoiler

    weak = await answer_through_modal(fake_discord, world.carol, world.general, post, "No idea.")
    missed = weak.embeds[0]["fields"][0]
    assert weak.embeds[0]["title"].startswith("Your answer · 1/4") and "✗" in missed["value"]
    for member in (world.carol, world.alice):  # nobody else sees bob's answer or score
        for message in fake_discord.visible_to(member, history=True):
            assert secret not in message.text(history=True)
            assert "Strong Hire" not in message.text(history=True)

    again = await fake_discord.click(world.bob, post, f"mlmock:daily:answer:d:{delivery_id}")
    repeat = await again.final_message()  # no modal: already recorded today, score shown
    assert repeat.ephemeral and "already answered" in repeat.content and "4/4" in repeat.content
    async with app.db.reading() as s:
        stored = (await s.scalars(select(DailyAnswer).order_by(DailyAnswer.id))).all()
    assert [(a.auto_score, a.delivery_id) for a in stored] == [(4, delivery_id), (1, delivery_id)]

    clock.advance(hours=6)
    await scheduler.settled()
    assert len(daily_posts(fake_discord, world.general)) == 1  # once a day
    clock.set(datetime(2026, 1, 6, 9, 30, tzinfo=UTC))  # 10:30 the next day
    await scheduler.settled()
    await fake_discord.wait_until(lambda: len(daily_posts(fake_discord, world.general)) == 2)


async def test_stop_ends_the_posts(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _, bot = running
    await setup_daily(fake_discord, world, channel=world.general, time="11:00", timezone="UTC")
    stopped = await fake_discord.slash(world.alice, world.general, "daily-admin", subcommand="stop")
    await stopped.final_message()
    clock.advance(days=1)
    await scheduler_of(bot).settled()
    assert daily_posts(fake_discord, world.general) == []


async def test_a_refused_post_is_recorded_and_tried_again_the_next_day(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, bot = running
    fake_discord.refuse(world.general, "messages")  # the bot lost Send Messages there
    await setup_daily(fake_discord, world, channel=world.general, time="10:30", timezone="UTC")
    clock.advance(hours=1, minutes=30)
    await scheduler_of(bot).settled()
    assert daily_posts(fake_discord, world.general) == []
    async with app.db.reading() as s:
        [failed] = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "daily-failed"))
        ).all()
    assert "50013" in failed.details["error"] and failed.details["switched_off"] is False
    clock.advance(hours=2)
    await scheduler_of(bot).settled()
    assert fake_discord.stats["rate_limited"] == 0
    assert len([r for r in fake_discord.requests if r.status == 403]) == 1  # not retried today
    fake_discord.allow(world.general, "messages")
    clock.advance(days=1)
    await scheduler_of(bot).settled()
    await fake_discord.wait_until(lambda: daily_posts(fake_discord, world.general))


async def test_a_deleted_channel_switches_the_daily_question_off(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, bot = running
    await setup_daily(fake_discord, world, channel=world.staff, time="10:30", timezone="UTC")
    fake_discord.world.delete_channel(world.staff)
    clock.advance(hours=2)
    await scheduler_of(bot).settled()
    assert (await app.guild_settings.get(world.guild.id)).daily_channel_id is None
    async with app.db.reading() as s:
        [failed] = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "daily-failed"))
        ).all()
    assert "10003" in failed.details["error"] and failed.details["switched_off"] is True
    assert scheduler_of(bot).pending() == 0
    shown = await setup_daily(fake_discord, world)
    assert "**off**" in shown.content and "10:30 UTC" in shown.content


async def test_exactly_one_post_across_a_restart_during_the_post_time(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory, clock: FakeClock
) -> None:
    async with bot_factory() as (_, bot):
        await setup_daily(
            fake_discord, world, channel=world.general, time="10:30", timezone="Europe/Berlin"
        )
        await scheduler_of(bot).settled()
    clock.advance(minutes=45)  # 10:45 in Berlin while no bot runs: the 10:30 post was missed
    for _ in range(2):  # two more starts the same day
        async with bot_factory() as (_, bot):
            await scheduler_of(bot).settled()
            await fake_discord.wait_until(lambda: daily_posts(fake_discord, world.general))
    assert len(daily_posts(fake_discord, world.general)) == 1
    clock.advance(days=2)  # down again over a whole day: only today's is sent late
    async with bot_factory() as (_, bot):
        await scheduler_of(bot).settled()
        await fake_discord.wait_until(lambda: len(daily_posts(fake_discord, world.general)) == 2)
    titles = [m.embeds[0]["title"] for m in daily_posts(fake_discord, world.general)]
    assert titles == [
        "Question of the day · Monday 5 January",
        "Question of the day · Wednesday 7 January",
    ]


async def test_personal_question_answered_through_the_modal(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    asked = await fake_discord.slash(
        world.bob, world.general, "daily", subcommand="question", options={"track": "technical"}
    )
    assert (await asked.response()).type == 5
    shown = await asked.followup(0)
    assert shown.ephemeral and shown.viewer is world.bob.user
    assert shown.embeds[0]["title"] == "Your question"
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields["Track"] == "technical"
    question = next(
        q for q in app.banks.bundled if shown.embeds[0]["description"].startswith(q.prompt[:60])
    )
    result = await answer_through_modal(
        fake_discord, world.bob, world.general, shown, good_answer(question)
    )
    assert result.embeds[0]["title"] == "Your answer · 4/4 Strong Hire"
    assert question.id in result.embeds[0]["description"]
    streak = await fake_discord.slash(world.bob, world.general, "daily", subcommand="streak")
    text = (await streak.final_message()).content
    assert "Current streak: **1** day" in text and "You have answered today" in text


async def test_subscribe_sends_a_dm_at_local_time_and_unsubscribe_stops_it(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _, bot = running
    scheduler = scheduler_of(bot)
    bad = await fake_discord.slash(
        world.carol,
        world.general,
        "daily",
        subcommand="subscribe",
        options={"time": "07:30", "timezone": "Kathmandu"},
    )
    assert "Asia/Kolkata" in (await bad.final_message()).content  # the allowed form is named
    # 09:00 UTC is 14:45 in Kathmandu: the next 07:30 there is 01:45 UTC tomorrow
    subscribed = await fake_discord.slash(
        world.carol,
        world.general,
        "daily",
        subcommand="subscribe",
        options={"time": "07:30", "timezone": "Asia/Kathmandu"},
    )
    text = (await subscribed.final_message()).content
    assert (
        "07:30 Asia/Kathmandu" in text
        and f"<t:{int(datetime(2026, 1, 6, 1, 45, tzinfo=UTC).timestamp())}:F>" in text
    )
    dm = fake_discord.dm_channel(world.carol)
    clock.set(datetime(2026, 1, 6, 1, 44, 59, tzinfo=UTC))
    await scheduler.settled()
    assert fake_discord.messages_in(dm) == []
    clock.advance(seconds=1)
    await scheduler.settled()
    sent = await fake_discord.wait_for_message(lambda m: m.channel is dm and bool(m.embeds))
    assert sent.embeds[0]["title"] == "Your daily question · Tuesday 6 January"
    result = await answer_through_modal(fake_discord, world.carol, dm, sent, "A short answer.")
    assert result.embeds[0]["title"].startswith("Your answer")
    assert "Streak: 1 day" in result.embeds[0]["description"]

    gone = await fake_discord.slash(world.carol, world.general, "daily", subcommand="unsubscribe")
    assert "Unsubscribed" in (await gone.final_message()).content
    clock.advance(days=1)
    await scheduler.settled()
    assert len(fake_discord.messages_in(dm)) == 1


async def test_streak_command_before_and_after_answers(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    first = await fake_discord.slash(world.bob, world.general, "daily", subcommand="streak")
    message = await first.final_message()
    assert message.ephemeral and "No streak yet" in message.content
    for _ in range(2):
        asked = await fake_discord.slash(world.bob, world.general, "daily", subcommand="question")
        shown = await asked.followup(0)
        await answer_through_modal(fake_discord, world.bob, world.general, shown, "An answer.")
        clock.advance(days=1)
    after = await fake_discord.slash(world.bob, world.general, "daily", subcommand="streak")
    text = (await after.final_message()).content
    assert "Current streak: **2** days · best **2**" in text
    assert "Answer today to keep it going" in text and "counted in UTC" in text
    clock.advance(days=1)  # a day without an answer
    broken = await fake_discord.slash(world.bob, world.general, "daily", subcommand="streak")
    assert "**0** days · best **2**" in (await broken.final_message()).content


@pytest.mark.parametrize(
    ("zone", "local", "setup_at", "before", "due"),
    [
        # Clocks in Berlin go forward on Sunday 29 March 2026: 08:00 is 06:00 UTC that day,
        # not 07:00 UTC as the day before.
        (
            "Europe/Berlin",
            "08:00",
            datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 5, 59, tzinfo=UTC),
            datetime(2026, 3, 29, 6, 0, tzinfo=UTC),
        ),
        # ... and back on Sunday 25 October 2026: 08:00 is 07:00 UTC again.
        (
            "Europe/Berlin",
            "08:00",
            datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 6, 59, tzinfo=UTC),
            datetime(2026, 10, 25, 7, 0, tzinfo=UTC),
        ),
        # A quarter-hour offset: 07:30 in Kathmandu (UTC+05:45) is 01:45 UTC.
        (
            "Asia/Kathmandu",
            "07:30",
            datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            datetime(2026, 1, 6, 1, 44, tzinfo=UTC),
            datetime(2026, 1, 6, 1, 45, tzinfo=UTC),
        ),
    ],
)
async def test_guild_post_keeps_local_time_across_dst_and_odd_offsets(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    running: Running,
    clock: FakeClock,
    zone: str,
    local: str,
    setup_at: datetime,
    before: datetime,
    due: datetime,
) -> None:
    _, bot = running
    scheduler = scheduler_of(bot)
    clock.set(setup_at)  # after today's post time: the first post is tomorrow's
    await scheduler.settled()
    await setup_daily(fake_discord, world, channel=world.general, time=local, timezone=zone)
    clock.set(before)
    await scheduler.settled()
    assert daily_posts(fake_discord, world.general) == []
    clock.set(due)
    await scheduler.settled()
    await fake_discord.wait_until(lambda: len(daily_posts(fake_discord, world.general)) == 1)
