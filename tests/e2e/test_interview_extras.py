"""The Scenario button, what ending early means for the session, the history marker and the
follow-up on the scorecard, end to end through the loopback fake."""

from __future__ import annotations

from typing import Any

from bot.core.session import ItemStatus
from tests.e2e.conftest import BotFactory
from tests.e2e.test_follow_ups import _answer, _titled
from tests.e2e.test_interview_bot import Running, cid, reference_count, start_interview
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage


def scenario_id(message: FakeMessage) -> str | None:
    return next((c for c in message.custom_ids() if c.startswith("mlmock:scenario:")), None)


async def scorecard(fake: FakeDiscord, thread: Any) -> FakeMessage:
    return await fake.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"].startswith("Scorecard")
        )
    )


async def test_scenario_button_shows_the_full_prompt_to_the_candidate_only(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    async with bot_factory() as (app, _):
        thread, phase = await start_interview(fake_discord, world, track="system-design")
        session_id = int(cid(phase, "next").split(":")[3])
        prompt = (await app.interviews.view(session_id)).current.question.prompt.strip()
        button = scenario_id(phase)
        assert button == f"mlmock:scenario:{session_id}:0"
        shown = await (await fake_discord.click(world.bob, phase, button)).final_message()
        assert shown.ephemeral and shown.viewer is world.bob.user
        assert shown.embeds[0]["title"].startswith("Scenario · ")
        assert shown.embeds[0]["description"] == prompt

        thread.members.add(world.alice.user.id)  # someone who can see the thread
        refused = await (await fake_discord.click(world.alice, phase, button)).final_message()
        assert refused.ephemeral and "Only the candidate" in refused.content

        await (await fake_discord.click(world.bob, phase, cid(phase, "next"))).response()
        second = await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread
                and bool(m.embeds)
                and m.embeds[0]["title"].startswith("Phase 2 of 6")
            )
        )
        assert scenario_id(second) == f"mlmock:scenario:{session_id}:1"
    async with bot_factory():  # a new process: the button is rebuilt from its custom_id
        again = await fake_discord.click(world.bob, second, scenario_id(second) or "")
        assert (await again.final_message()).embeds[0]["description"] == prompt
        end = await fake_discord.click(world.bob, second, cid(second, "end"))
        await end.response()
        card = await scorecard(fake_discord, thread)
        assert "**Scenario (" in card.embeds[0]["description"]
        assert prompt[:60] in card.embeds[0]["description"]
        await fake_discord.wait_until(  # the last message, before this process stops
            lambda: reference_count(fake_discord, thread) == 1, what="the reference answer"
        )


async def test_technical_questions_have_no_scenario_button(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    _, message = await start_interview(fake_discord, world)
    assert scenario_id(message) is None


async def test_end_button_says_how_many_items_count_as_the_lowest_score(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    thread, first = await start_interview(fake_discord, world)
    session_id = int(cid(first, "next").split(":")[3])
    await _answer(fake_discord, world, thread, first, "It is overfitting: high variance.")
    await (await fake_discord.click(world.bob, first, cid(first, "next"))).response()
    second = await _titled(fake_discord, thread, "Question 2 of 4")
    await (await fake_discord.click(world.bob, second, cid(second, "end"))).response()
    note = await fake_discord.wait_for_message(
        lambda m: m.channel is thread and "ended early" in (m.content or "")
    )
    card = await app.interviews.scorecard(session_id)
    missing = [i for i in card.items if i.status is ItemStatus.NOT_REACHED]
    assert len(missing) == 3  # item 2 was open with nothing written: not reached either
    assert "3 of 4 items not reached" in note.content
    assert "lowest score (1/4 Strong No Hire) in the verdict" in note.content
    assert "Ended early" in (await scorecard(fake_discord, thread)).embeds[0]["description"]
    await fake_discord.wait_until(
        lambda: reference_count(fake_discord, thread) == 1, what="the reference answer"
    )


async def test_end_command_before_any_answer_and_the_history_marker(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    empty = await (
        await fake_discord.slash(world.bob, world.general, "interview", subcommand="history")
    ).final_message()
    assert empty.ephemeral and "no interviews yet" in empty.content

    thread, _ = await start_interview(fake_discord, world)
    end = await fake_discord.slash(world.bob, world.general, "interview", subcommand="end")
    said = (await end.final_message()).content
    assert "ended early before any answer: 4 of 4 items not reached" in said
    assert f"scorecard is in <#{thread.id}>" in said

    thread2, message = await start_interview(fake_discord, world)
    for n in range(4):  # a second interview, run to its end
        await (await fake_discord.click(world.bob, message, cid(message, "next"))).response()
        if n < 3:
            message = await _titled(fake_discord, thread2, f"Question {n + 2} of 4")
    await scorecard(fake_discord, thread2)
    await fake_discord.wait_until(
        lambda: reference_count(fake_discord, thread2) == 4, what="the reference answers"
    )

    listed = await (
        await fake_discord.slash(world.bob, world.general, "interview", subcommand="history")
    ).final_message()
    lines = listed.embeds[0]["description"].splitlines()
    assert listed.ephemeral and len(lines) == 2
    assert "**finished**" in lines[0] and "**ended early**" in lines[1]  # newest first


async def test_scorecard_shows_the_follow_up_and_the_reply_or_skipped(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, first = await start_interview(fake_discord, world, length="standard")
    await _answer(fake_discord, world, thread, first, "It is overfitting.")
    await (await fake_discord.click(world.bob, first, cid(first, "next"))).response()
    follow = await _titled(fake_discord, thread, "Follow-up on question 1 of 7")
    asked = follow.embeds[0]["description"].strip("*")
    await _answer(fake_discord, world, thread, follow, "I would check with k-fold validation.")
    await (await fake_discord.click(world.bob, follow, cid(follow, "next"))).response()
    second = await _titled(fake_discord, thread, "Question 2 of 7")
    await _answer(fake_discord, world, thread, second, "It is overfitting.")
    await (await fake_discord.click(world.bob, second, cid(second, "next"))).response()
    follow2 = await _titled(fake_discord, thread, "Follow-up on question 2 of 7")
    await (await fake_discord.click(world.bob, follow2, cid(follow2, "skip"))).response()
    third = await _titled(fake_discord, thread, "Question 3 of 7")
    await (await fake_discord.click(world.bob, third, cid(third, "end"))).response()

    fields = (await scorecard(fake_discord, thread)).embeds[0]["fields"]
    assert f"↪ Follow-up: *{asked[:40]}" in fields[0]["value"]
    assert "↪ Your reply: “I would check with k-fold validation.”" in fields[0]["value"]
    assert "↪ Follow-up: *" in fields[1]["value"]
    assert "↪ Your reply: skipped (scored on your first answer)" in fields[1]["value"]
    assert "Follow-up" not in fields[2]["value"]
    await fake_discord.wait_until(
        lambda: reference_count(fake_discord, thread) == 2, what="the reference answers"
    )
