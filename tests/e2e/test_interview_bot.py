"""The interview flow in Discord, end to end through the loopback fake."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.app import App
from bot.core.session import ItemStatus, SessionStatus
from bot.discord.client import MockInterviewBot
from tests.e2e.conftest import BotFactory
from tests.loopback import DefaultWorld, FakeDiscord, FakeMessage

Running = tuple[App, MockInterviewBot]
ANSWER = "It is overfitting, a high variance problem; I would check with k-fold cross-validation."


def question_messages(fake: FakeDiscord, thread: Any) -> list[FakeMessage]:
    return [
        m
        for m in fake.messages_in(thread)
        if any(cid.startswith("mlmock:iv:") for cid in m.custom_ids())
    ]


async def start_interview(
    fake: FakeDiscord, w: DefaultWorld, **options: Any
) -> tuple[Any, FakeMessage]:
    result = await fake.slash(
        w.bob,
        w.interviews,
        "interview",
        subcommand="start",
        options={"track": "technical", "length": "short", **options},
    )
    callback = await result.response()
    assert callback.type == 5  # deferred first: thread creation takes several calls
    done = await result.followup(0)
    assert done.ephemeral and "ready in" in done.content
    thread = fake.threads(w.interviews)[-1]
    message = await fake.wait_for_message(lambda m: m.channel is thread and bool(m.embeds))
    return thread, message


def reference_count(fake: FakeDiscord, channel: Any) -> int:
    return sum(
        1
        for m in fake.messages_in(channel)
        for e in m.embeds
        if e.get("title", "").startswith("Reference")
    )


def cid(message: FakeMessage, action: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(f"mlmock:iv:{action}:"))


async def test_startup_syncs_commands(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    interview = fake_discord.command("interview")
    subs = {o["name"]: o for o in interview["options"]}
    assert set(subs) == {"start", "status", "end", "history"}
    start_options = {o["name"]: o for o in subs["start"]["options"]}
    assert [c["value"] for c in start_options["track"]["choices"]] == [
        "phone-screen",
        "technical",
        "system-design",
    ]
    assert start_options["track"]["required"] is True
    assert start_options["topic"]["autocomplete"] is True
    assert [c["value"] for c in start_options["difficulty"]["choices"]] == [
        "easy",
        "medium",
        "hard",
    ]
    assert all(o["description"] for o in subs["start"]["options"])
    help_cmd = fake_discord.command("help")
    assert help_cmd["description"]


async def test_help_lists_every_command(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    result = await fake_discord.slash(world.bob, world.general, "help")
    message = await result.final_message()
    assert message.ephemeral
    for command in (
        "/interview start",
        "/interview status",
        "/interview end",
        "/interview history",
        "/help",
    ):
        assert command in message.text()


async def test_topic_autocomplete_follows_track(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    result = await fake_discord.autocomplete(
        world.bob,
        world.general,
        "interview",
        subcommand="start",
        focused="topic",
        options={"track": "technical", "topic": "prob"},
    )
    assert [c["value"] for c in await result.choices()] == ["probability"]


async def test_unknown_topic_lists_allowed(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    result = await fake_discord.slash(
        world.bob,
        world.general,
        "interview",
        subcommand="start",
        options={"track": "technical", "topic": "astrology"},
    )
    message = await result.final_message()
    assert (
        message.ephemeral
        and "Unknown topic `astrology`" in message.content
        and "`probability`" in message.content
    )


async def test_start_opens_private_thread_with_first_question(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, message = await start_interview(fake_discord, world)
    assert thread.type == 12 and world.bob.user.id in thread.members  # private thread, bob inside
    embed = message.embeds[0]
    assert embed["title"] == "Question 1 of 4"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Track"] == "technical" and fields["Difficulty"] == "easy"
    assert re.fullmatch(r"\d+ min, ends <t:\d+:R>", fields["Time"])  # the question's own time
    assert [c.split(":")[2] for c in message.custom_ids()] == [
        "answer",
        "hint",
        "skip",
        "next",
        "end",
    ]


async def test_answer_modal_appends_parts(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    thread, message = await start_interview(fake_discord, world)
    for part in ("It is overfitting.", "I would use k-fold cross-validation."):
        opened = await fake_discord.click(world.bob, message, cid(message, "answer"))
        modal = (await opened.response()).data
        assert (await opened.response()).type == 9 and modal["title"] == "Your answer · item 1"
        text_input = modal["components"][0]["components"][0]
        assert text_input["max_length"] == 4000 and text_input["style"] == 2
        saved = await fake_discord.submit_modal(
            world.bob, thread, modal["custom_id"], {"answer": part}
        )
        reply = await saved.final_message()
        assert reply.ephemeral and reply.content.startswith("Saved")
    session = await app.interviews.open_session(
        await running[1].flow.user_id(_user(running, world.bob))
    )
    assert session is not None and session.current is not None
    assert session.current.answer_text == "It is overfitting.\nI would use k-fold cross-validation."


def _user(running: Running, member: Any) -> Any:
    return running[1].get_user(member.user.id) or _Obj(member.user.id, member.user.name)


class _Obj:
    def __init__(self, id: int, name: str) -> None:
        self.id, self.display_name, self.name = id, name, name


async def test_hint_then_next_then_skip(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, first = await start_interview(fake_discord, world)
    hint = await fake_discord.click(world.bob, first, cid(first, "hint"))
    hint_message = await hint.final_message()
    assert "Hint 1/" in hint_message.content and "now 3/4" in hint_message.content
    assert hint_message.channel is thread and not hint_message.ephemeral

    nxt = await fake_discord.click(world.bob, first, cid(first, "next"))
    assert (await nxt.response()).type == 6  # deferred update, then edits
    second = await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == "Question 2 of 4"
        )
    )
    await fake_discord.wait_until(lambda: not first.components, what="the old buttons to go")
    assert first.embeds[0]["footer"]["text"] == "Submitted"

    skip = await fake_discord.click(world.bob, second, cid(second, "skip"))
    await skip.response()
    await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == "Question 3 of 4"
        )
    )


async def test_other_member_is_refused(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, message = await start_interview(fake_discord, world)
    thread.members.add(world.alice.user.id)  # even someone who can see the thread
    result = await fake_discord.click(world.alice, message, cid(message, "next"))
    refusal = await result.final_message()
    assert refusal.ephemeral and "Only the candidate" in refusal.content
    assert len(question_messages(fake_discord, thread)) == 1  # nothing advanced


async def test_second_start_links_the_active_interview(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, _ = await start_interview(fake_discord, world)
    again = await fake_discord.slash(
        world.bob, world.general, "interview", subcommand="start", options={"track": "technical"}
    )
    message = await again.final_message()
    assert (
        message.ephemeral
        and "already have an interview" in message.content
        and f"<#{thread.id}>" in message.content
    )


async def test_status_and_end_commands(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    none = await (
        await fake_discord.slash(world.bob, world.general, "interview", subcommand="status")
    ).final_message()
    assert "no interview in progress" in none.content
    thread, _ = await start_interview(fake_discord, world)
    status = await (
        await fake_discord.slash(world.bob, world.general, "interview", subcommand="status")
    ).final_message()
    assert (
        status.ephemeral
        and "Question 1 of 4" in status.content
        and f"<#{thread.id}>" in status.content
        and ":R>" in status.content
    )
    assert status.embeds[0]["title"] == "Question 1 of 4"  # with its buttons (next test)
    end = await fake_discord.slash(world.bob, world.general, "interview", subcommand="end")
    assert "scorecard is in" in (await end.final_message()).content
    card = await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"].startswith("Scorecard")
        )
    )
    assert "Ended early" in card.embeds[0]["description"]
    assert "not reached" in card.embeds[0]["fields"][0]["name"]  # nothing was written
    assert reference_count(fake_discord, thread) == 0


async def test_status_brings_the_question_and_its_buttons(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    """A member whose thread or question message is out of reach goes on from /interview
    status: its reply (only for them) holds the question with working buttons."""
    app, _ = running
    _thread, first = await start_interview(fake_discord, world)
    status = await (
        await fake_discord.slash(world.bob, world.general, "interview", subcommand="status")
    ).final_message()
    assert status.ephemeral and cid(status, "next") == cid(first, "next")
    opened = await fake_discord.click(world.bob, status, cid(status, "answer"))
    modal = (await opened.response()).data
    saved = await fake_discord.submit_modal(
        world.bob, world.general, modal["custom_id"], {"answer": ANSWER}
    )
    assert (await saved.final_message()).content.startswith("Saved")
    await (await fake_discord.click(world.bob, status, cid(status, "next"))).response()
    second = await fake_discord.wait_for_message(
        lambda m: bool(m.embeds) and m.embeds[0]["title"] == "Question 2 of 4"
    )
    assert second.ephemeral  # answered from the channel: the reply is only the member's
    session_id = int(cid(first, "next").split(":")[3])
    card = await app.interviews.scorecard(session_id)
    assert ANSWER in card.items[0].answer_text


async def test_complete_short_interview_to_scorecard_and_self_assessment(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, _ = running
    thread, message = await start_interview(fake_discord, world)
    for n in range(4):
        opened = await fake_discord.click(world.bob, message, cid(message, "answer"))
        modal = (await opened.response()).data
        await (
            await fake_discord.submit_modal(
                world.bob, thread, modal["custom_id"], {"answer": ANSWER}
            )
        ).final_message()
        await (await fake_discord.click(world.bob, message, cid(message, "next"))).response()
        if n < 3:
            title = f"Question {n + 2} of 4"
            message = await fake_discord.wait_for_message(
                lambda m, t=title: (
                    m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == t
                )
            )
    card = await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"].startswith("Scorecard")
        )
    )
    embed = card.embeds[0]
    assert "Verdict" in embed["description"] and len(embed["fields"]) == 4
    assert all("/4" in f["name"] for f in embed["fields"])
    await fake_discord.wait_until(
        lambda: reference_count(fake_discord, thread) == 4, what="reference answers"
    )
    refs = await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"].startswith("Reference")
        )
    )
    assert all(
        e["description"].startswith("||") and e["description"].endswith("||") for e in refs.embeds
    )

    rate = await fake_discord.click(
        world.bob, card, next(c for c in card.custom_ids() if c.startswith("mlmock:rate:"))
    )
    selects = await rate.final_message()
    assert selects.ephemeral and len(selects.custom_ids()) == 4
    choice = await fake_discord.select(world.bob, selects, selects.custom_ids()[0], ["1"])
    assert "Saved your score 1/4" in (await choice.final_message()).content
    session_id = int(selects.custom_ids()[0].split(":")[2])
    stored = await app.interviews.scorecard(session_id)
    assert stored.items[0].self_score == 1 and stored.items[0].score == 1
    assert stored.status is SessionStatus.FINISHED


async def test_timeout_and_reminder_with_advanced_clock(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: Any
) -> None:
    app, _ = running
    thread, message = await start_interview(fake_discord, world)
    opened = await fake_discord.click(world.bob, message, cid(message, "answer"))
    modal = (await opened.response()).data
    await (
        await fake_discord.submit_modal(
            world.bob, thread, modal["custom_id"], {"answer": "half an answer"}
        )
    ).final_message()
    minutes = int(message.embeds[0]["fields"][3]["value"].split()[0])
    clock.advance(minutes=minutes - 1)
    await app.scheduler.settled()
    await fake_discord.wait_for_message(
        lambda m: m.channel is thread and "One minute left" in m.content
    )
    clock.advance(minutes=1)
    await app.scheduler.settled()
    # One message: the notice above the next question (one request per time-out).
    await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread
            and "Time is up for item 1" in m.content
            and bool(m.embeds)
            and m.embeds[0]["title"] == "Question 2 of 4"
        )
    )
    session_id = int(cid(message, "next").split(":")[3])
    card = await app.interviews.scorecard(session_id)
    assert (
        card.items[0].status is ItemStatus.TIMED_OUT
        and card.items[0].answer_text == "half an answer"
    )
    # The timed-out question still shows its buttons; a late click is told it moved on.
    stale = await fake_discord.click(world.bob, message, cid(message, "next"))
    assert "moved on" in (await stale.final_message()).content


async def test_restart_mid_interview_keeps_buttons_and_answers(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    async with bot_factory():
        thread, message = await start_interview(fake_discord, world)
        opened = await fake_discord.click(world.bob, message, cid(message, "answer"))
        modal = (await opened.response()).data
        await (
            await fake_discord.submit_modal(
                world.bob, thread, modal["custom_id"], {"answer": ANSWER}
            )
        ).final_message()
        reopened = await fake_discord.click(world.bob, message, cid(message, "answer"))
        modal2 = (await reopened.response()).data  # a modal left open across the restart
    async with bot_factory() as (app, _bot):  # a new process on the same database
        late = await fake_discord.submit_modal(
            world.bob, thread, modal2["custom_id"], {"answer": "Added after the restart."}
        )
        assert (await late.final_message()).content.startswith("Saved")
        session_id = int(cid(message, "next").split(":")[3])
        nxt = await fake_discord.click(world.bob, message, cid(message, "next"))
        await nxt.response()
        await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == "Question 2 of 4"
            )
        )
        card = await app.interviews.scorecard(session_id)
        assert card.items[0].answer_text == ANSWER + "\nAdded after the restart."
        assert card.items[0].status is ItemStatus.SUBMITTED and card.items[0].auto_score is not None


async def test_thread_refused_falls_back_to_dm(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    fake_discord.refuse(world.interviews, "threads")
    result = await fake_discord.slash(
        world.bob, world.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    done = await result.followup(0)
    assert "DMs" in done.content and "private threads" in done.content
    dm = await fake_discord.wait_for_message(
        lambda m: m.channel.recipient is not None and bool(m.embeds)
    )
    assert dm.embeds[0]["title"].startswith("Question 1")


async def test_member_not_added_to_the_thread_falls_back_to_dm(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    # The first question goes out while the member is being added; if adding fails they could
    # not see it, so the interview moves to their DMs.
    fake_discord.fail_next(
        "PUT /channels/{channel_id}/thread-members/{user_id}",
        status=403,
        code=50013,
        message="Missing Permissions",
    )
    result = await fake_discord.slash(
        world.bob, world.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    done = await result.followup(0)
    assert "DMs" in done.content
    dm = await fake_discord.wait_for_message(
        lambda m: m.channel.recipient is not None and bool(m.embeds)
    )
    assert dm.embeds[0]["title"].startswith("Question 1")


async def test_no_thread_no_dm_falls_back_to_ephemeral(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    fake_discord.refuse(world.interviews, "threads")
    fake_discord.refuse_dms(world.bob)
    result = await fake_discord.slash(
        world.bob, world.interviews, "interview", subcommand="start", options={"track": "technical"}
    )
    note = await result.followup(0)
    assert note.ephemeral and "can't DM you" in note.content
    question = await result.followup(1)
    assert question.ephemeral and question.embeds[0]["title"].startswith("Question 1")
    nxt = await fake_discord.click(world.bob, question, cid(question, "next"))
    await nxt.response()
    following = await nxt.followup(0)
    assert following.ephemeral and following.embeds[0]["title"].startswith("Question 2")


@pytest.mark.parametrize(
    ("track", "items"), [("phone-screen", 4), ("technical", 4), ("system-design", 6)]
)
async def test_each_track_runs_to_the_scorecard(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, track: str, items: int
) -> None:
    thread, message = await start_interview(fake_discord, world, track=track)
    for n in range(items):
        await (await fake_discord.click(world.bob, message, cid(message, "next"))).response()
        if n < items - 1:
            message = await fake_discord.wait_for_message(
                lambda m, seen=message, n=n: (
                    m.channel is thread
                    and m is not seen
                    and bool(m.embeds)
                    and m.custom_ids()
                    and m.custom_ids()[0].startswith("mlmock:iv:")
                    and m.custom_ids()[0].endswith(f":{n + 1}")
                )
            )
            if track == "system-design":
                assert message.embeds[0]["title"].startswith(f"Phase {n + 2} of 6")
    card = await fake_discord.wait_for_message(
        lambda m: (
            m.channel is thread and bool(m.embeds) and m.embeds[0]["title"].startswith("Scorecard")
        )
    )
    assert card.embeds[0]["title"] == f"Scorecard · {track} (short)"
    assert len(card.embeds[0]["fields"]) == items
    questions = 1 if track == "system-design" else items
    await fake_discord.wait_until(
        lambda: reference_count(fake_discord, thread) == questions, what="reference answers"
    )
