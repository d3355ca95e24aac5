"""Follow-ups in Discord, end to end through the loopback fake: announced at the start, asked
after Next, answered through the modal into the same answer, and skipped with its button."""

from __future__ import annotations

from typing import Any

from bot.core.session import ItemStatus
from tests.e2e.test_interview_bot import Running, cid, start_interview
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage


async def _answer(
    fake: FakeDiscord, w: DefaultWorld, thread: Any, message: FakeMessage, text: str
) -> None:
    opened = await fake.click(w.bob, message, cid(message, "answer"))
    modal = (await opened.response()).data
    saved = await fake.submit_modal(w.bob, thread, modal["custom_id"], {"answer": text})
    assert (await saved.final_message()).content.startswith("Saved")


async def _titled(fake: FakeDiscord, thread: Any, title: str) -> FakeMessage:
    return await fake.wait_for_message(
        lambda m: m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == title
    )


async def test_a_follow_up_is_asked_answered_and_skipped(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    thread, first = await start_interview(fake_discord, world, length="standard")
    session_id = int(cid(first, "next").split(":")[3])
    intro = next(
        m for m in fake_discord.messages_in(thread) if "minutes in all" in (m.content or "")
    )
    assert "7 questions" in intro.content and "25 words a minute" in intro.content
    assert "Skip follow-up" in intro.content
    assert intro is first  # the shape above the first question: one request, not two

    await _answer(fake_discord, world, thread, first, "It is overfitting.")
    await (await fake_discord.click(world.bob, first, cid(first, "next"))).response()
    follow = await _titled(fake_discord, thread, "Follow-up on question 1 of 7")
    assert "Skip follow-up" in str(follow.components)
    await fake_discord.wait_until(lambda: not first.components, what="the old buttons to go")
    assert first.embeds[0]["footer"]["text"] == "Submitted; a follow-up comes next"

    await _answer(
        fake_discord, world, thread, follow, "I would check with k-fold cross-validation."
    )
    await (await fake_discord.click(world.bob, follow, cid(follow, "next"))).response()
    second = await _titled(fake_discord, thread, "Question 2 of 7")

    await _answer(fake_discord, world, thread, second, "It is overfitting.")
    await (await fake_discord.click(world.bob, second, cid(second, "next"))).response()
    follow2 = await _titled(fake_discord, thread, "Follow-up on question 2 of 7")
    await (await fake_discord.click(world.bob, follow2, cid(follow2, "skip"))).response()
    await _titled(fake_discord, thread, "Question 3 of 7")

    card = await app.interviews.scorecard(session_id)
    one, two = card.items[0], card.items[1]
    assert one.follow_up and one.follow_up_reply.startswith("I would check")
    assert one.status is ItemStatus.SUBMITTED and "It is overfitting." in one.answer_text
    assert two.follow_up and two.follow_up_skipped and two.status is ItemStatus.SUBMITTED


async def test_a_double_click_on_next_does_not_pass_the_follow_up_unseen(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    """The second click of a double click arrives after the first asked the follow-up (the
    question's position does not change meanwhile): it is refused, not taken as a Next on
    the follow-up."""
    app, _ = running
    thread, first = await start_interview(fake_discord, world, length="standard")
    session_id = int(cid(first, "next").split(":")[3])
    await _answer(fake_discord, world, thread, first, "It is overfitting.")
    once = await fake_discord.click(world.bob, first, cid(first, "next"))
    twice = await fake_discord.click(world.bob, first, cid(first, "next"))
    await once.response()
    refused = await twice.followup()
    assert "asked a follow-up" in refused.content and refused.ephemeral
    follow = await _titled(fake_discord, thread, "Follow-up on question 1 of 7")
    await fake_discord.wait_until(lambda: not first.components, what="the old buttons to go")
    view = await app.interviews.view(session_id)
    assert view.current is not None and view.current.position == 0  # still on the follow-up
    assert not any(
        m.embeds and m.embeds[0]["title"] == "Question 2 of 7"
        for m in fake_discord.messages_in(thread)
    )
    await (await fake_discord.click(world.bob, follow, cid(follow, "next"))).response()
    await _titled(fake_discord, thread, "Question 2 of 7")
