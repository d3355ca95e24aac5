"""/privacy delete-my-data end to end: confirm, cancel, expiry, and other members refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import App
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot
from bot.storage.models import InterviewSession, User
from tests.e2e.test_stats import seed
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage

Running = tuple[App, MockInterviewBot]


async def ask_to_delete(fake: FakeDiscord, w: DefaultWorld, member: Any) -> FakeMessage:
    result = await fake.slash(member, w.general, "privacy", subcommand="delete-my-data")
    message = await result.final_message()
    assert message.ephemeral and message.viewer is member.user
    return message


def button(message: FakeMessage, action: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(f"mlmock:privacy:{action}:"))


async def stored_user(app: App, member: Any) -> int | None:
    async with app.db.reading() as s:
        return await s.scalar(select(User.id).where(User.external_id == str(member.id)))


async def sessions_of(app: App, user_id: int) -> int:
    async with app.db.reading() as s:
        n = await s.scalar(
            select(func.count())
            .select_from(InterviewSession)
            .where(InterviewSession.user_id == user_id)
        )
        return int(n or 0)


async def open_interview(fake: FakeDiscord, w: DefaultWorld) -> FakeMessage:
    result = await fake.slash(
        w.bob, w.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    await result.followup(0)
    thread = fake.threads(w.interviews)[-1]
    return await fake.wait_for_message(lambda m: m.channel is thread and bool(m.embeds))


async def test_confirm_deletes_everything_and_reports_counts(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, _ = running
    await seed(app, world.bob, world.guild.id, [None, None])
    carol = await seed(app, world.carol, world.guild.id, [None])
    question = await open_interview(fake_discord, world)

    prompt = await ask_to_delete(fake_discord, world, world.bob)
    assert "Delete all your data?" in prompt.content
    assert "3 interview sessions" in prompt.content and "cannot be undone" in prompt.content
    assert ":R>" in prompt.content  # the expiry, shown as a live countdown
    assert [c.split(":")[2] for c in prompt.custom_ids()] == ["confirm", "cancel"]

    confirm = await fake_discord.click(world.bob, prompt, button(prompt, "confirm"))
    assert (await confirm.response()).type == 6  # acknowledged, then the prompt is edited
    await fake_discord.wait_until(
        lambda: prompt.content.startswith("Done.") or None, 5.0, "the deletion report"
    )
    assert "1 profile" in prompt.content and "3 interview sessions" in prompt.content
    assert "answer parts" in prompt.content and not prompt.components
    assert await stored_user(app, world.bob) is None
    assert await sessions_of(app, carol) == 1  # others untouched

    # The open interview's buttons now answer politely instead of failing.
    stale = await fake_discord.click(
        world.bob, question, next(c for c in question.custom_ids() if ":next:" in c)
    )
    assert "no longer exists" in (await stale.final_message()).content
    # Starting again works with a fresh profile (the bot forgot the old id it had cached).
    fresh = await open_interview(fake_discord, world)
    assert fresh.embeds[0]["title"].startswith("Question 1")
    new_id = await stored_user(app, world.bob)
    assert new_id is not None and await sessions_of(app, new_id) == 1
    clock.advance(minutes=2)
    await app.scheduler.settled()  # the deleted interview's timers are gone or harmless


async def test_cancel_keeps_everything(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    uid = await seed(app, world.bob, world.guild.id, [None])
    prompt = await ask_to_delete(fake_discord, world, world.bob)
    cancel = await fake_discord.click(world.bob, prompt, button(prompt, "cancel"))
    assert (await cancel.response()).type == 7  # the prompt is updated in place
    assert prompt.content == "Cancelled: nothing was deleted." and not prompt.components
    assert await stored_user(app, world.bob) == uid and await sessions_of(app, uid) == 1


async def test_another_member_cannot_confirm(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    uid = await seed(app, world.bob, world.guild.id, [None])
    prompt = await ask_to_delete(fake_discord, world, world.bob)
    # The prompt is ephemeral, so carol cannot see it; a copy of its buttons where she can
    # (as a crafted interaction would do) must still be refused.
    copy = fake_discord.world.create_message(
        world.general, fake_discord.world.bot, content="copy", components=prompt.components
    )
    for action in ("confirm", "cancel"):
        refused = await fake_discord.click(world.carol, copy, button(prompt, action))
        reply = await refused.final_message()
        assert reply.ephemeral and reply.viewer is world.carol.user
        assert "Only the member who asked" in reply.content
    assert await stored_user(app, world.bob) == uid
    assert prompt.components  # bob can still decide


async def test_confirmation_expires_after_two_minutes(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, _ = running
    uid = await seed(app, world.bob, world.guild.id, [None])
    prompt = await ask_to_delete(fake_discord, world, world.bob)
    clock.advance(minutes=2, seconds=1)
    late = await fake_discord.click(world.bob, prompt, button(prompt, "confirm"))
    await late.response()
    assert "expired" in prompt.content and "nothing was deleted" in prompt.content
    assert not prompt.components
    assert await stored_user(app, world.bob) == uid


async def test_nothing_stored_nothing_to_delete(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    message = await ask_to_delete(fake_discord, world, world.carol)
    assert "nothing to delete" in message.content and not message.components
    assert await stored_user(app, world.carol) is None  # asking did not create a profile


async def test_buttons_survive_a_restart(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: Any
) -> None:
    async with bot_factory() as (app, _):
        await seed(app, world.bob, world.guild.id, [None])
        prompt = await ask_to_delete(fake_discord, world, world.bob)
    async with bot_factory() as (app, _):
        confirm = await fake_discord.click(world.bob, prompt, button(prompt, "confirm"))
        await confirm.response()
        await fake_discord.wait_until(
            lambda: prompt.content.startswith("Done.") or None, 5.0, "the deletion report"
        )
        assert await stored_user(app, world.bob) is None
