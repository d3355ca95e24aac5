"""Practice rounds and panels, end to end through the loopback fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot
from bot.features.practice_rounds.models import (
    PracticePanelBallot,
    PracticeRoundAnswer,
    PracticeRoundAnswerPart,
    PracticeRoundVote,
)
from bot.features.practice_rounds.service import PracticeRoundService
from bot.storage.models import Answer, InterviewSession
from tests.e2e.conftest import BotFactory
from tests.loopback import DefaultWorld, FakeChannel, FakeDiscord, FakeMember, FakeMessage

Running = tuple[App, MockInterviewBot]


@pytest.fixture
async def running(bot_factory: BotFactory) -> AsyncIterator[Running]:
    async with bot_factory() as pair:
        yield pair


def rounds(bot: MockInterviewBot) -> PracticeRoundService:
    cog: Any = bot.get_cog("PracticeCommands")
    return cog.flow.service  # type: ignore[no-any-return]


async def count(app: App, model: type, *where: object) -> int:
    async with app.db.reading() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def start_round(
    fake: FakeDiscord, member: FakeMember, channel: FakeChannel, **options: Any
) -> FakeMessage:
    result = await fake.slash(
        member,
        channel,
        "practice start",
        options={"track": "technical", "topic": "probability", **options},
    )
    done = await result.final_message()
    assert done.ephemeral and done.content.startswith("Round started"), done.content
    return await fake.wait_for_message(
        lambda m: (
            m.channel is channel and any(c.startswith("mlmock:pr:answer:") for c in m.custom_ids())
        )
    )


def answer_button(question: FakeMessage) -> str:
    return next(c for c in question.custom_ids() if c.startswith("mlmock:pr:answer:"))


async def open_answer_box(fake: FakeDiscord, member: FakeMember, question: FakeMessage) -> str:
    opened = await fake.click(member, question, answer_button(question))
    callback = await opened.response()
    assert callback.type == 9, callback
    return str(callback.data["custom_id"])


async def answer(
    fake: FakeDiscord, member: FakeMember, question: FakeMessage, text: str
) -> FakeMessage:
    modal = await open_answer_box(fake, member, question)
    saved = await fake.submit_modal(member, question.channel, modal, {"answer": text})
    return await saved.final_message()


async def time_up(bot: MockInterviewBot, clock: FakeClock, minutes: float) -> None:
    clock.advance(minutes=minutes)
    await rounds(bot).settled()


def thread_of(fake: FakeDiscord, channel: FakeChannel) -> FakeChannel:
    [thread] = fake.threads(channel)
    return thread


def thread_text(fake: FakeDiscord, thread: FakeChannel) -> str:
    return "\n".join(m.text() for m in fake.messages_in(thread))


def vote_button(fake: FakeDiscord, thread: FakeChannel, author: str) -> tuple[FakeMessage, str]:
    for message in fake.messages_in(thread):
        for cid in message.custom_ids():
            component = message.find_component(cid)
            if (
                cid.startswith("mlmock:pr:vote:")
                and component is not None
                and component["label"].endswith(f". {author}")
            ):
                return message, cid
    raise AssertionError(f"no vote button for {author}")


async def vote(fake: FakeDiscord, voter: FakeMember, thread: FakeChannel, author: str) -> str:
    message, cid = vote_button(fake, thread, author)
    reply = await (await fake.click(voter, message, cid)).final_message()
    assert reply.ephemeral
    return reply.content


async def slash_reply(
    fake: FakeDiscord, actor: FakeMember, channel: FakeChannel, command: str, **options: Any
) -> FakeMessage:
    result = await fake.slash(actor, channel, command, options=options or None)
    return await result.final_message()


# -- commands -------------------------------------------------------------------------------


async def test_practice_commands_are_synced_and_described(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    practice = fake_discord.command("practice")
    subs = {o["name"]: o for o in practice["options"]}
    assert set(subs) == {"start", "panel", "reveal", "close"}
    assert all(s["description"] for s in subs.values())
    start = {o["name"]: o for o in subs["start"]["options"]}
    assert start["track"]["required"] and start["topic"]["autocomplete"]
    assert (start["minutes"]["min_value"], start["minutes"]["max_value"]) == (1, 60)
    panel = {o["name"]: o for o in subs["panel"]["options"]}
    assert panel["member"]["type"] == 6 and panel["member"]["required"]
    assert all(o["description"] for sub in subs.values() for o in sub.get("options", []))
    help_text = (await slash_reply(fake_discord, world.bob, world.general, "help")).text()
    for command in ("/practice start", "/practice panel", "/practice reveal", "/practice close"):
        assert command in help_text


async def test_topic_autocomplete_and_unknown_topic(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    suggest = await fake_discord.autocomplete(
        world.bob,
        world.general,
        "practice start",
        focused="topic",
        options={"track": "technical", "topic": "prob"},
    )
    assert [c["value"] for c in await suggest.choices()] == ["probability"]
    refused = await slash_reply(
        fake_discord,
        world.bob,
        world.general,
        "practice start",
        track="technical",
        topic="astrology",
    )
    assert refused.ephemeral and "Unknown topic `astrology`" in refused.content
    assert not fake_discord.messages_in(world.general)


# -- a round --------------------------------------------------------------------------------


async def test_thirty_members_answer_within_one_second(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    clock: FakeClock,
) -> None:
    members = [fake_discord.add_member(world.guild, f"m{i}") for i in range(30)]
    async with bot_factory() as (app, bot):
        question = await start_round(fake_discord, world.alice, world.general, minutes=5)
        modals = await asyncio.gather(
            *(open_answer_box(fake_discord, m, question) for m in members)
        )
        submitted = await asyncio.gather(
            *(
                fake_discord.submit_modal(
                    m, world.general, modal, {"answer": f"answer of {m.name}"}
                )
                for m, modal in zip(members, modals, strict=True)
            )
        )
        replies = await asyncio.gather(*(r.final_message() for r in submitted))
        assert all(r.ephemeral and r.content.startswith("Saved privately") for r in replies)
        assert await count(app, PracticeRoundAnswer) == 30
        assert await count(app, PracticeRoundAnswerPart) == 30
        async with app.db.reading() as s:
            texts = sorted(await s.scalars(select(PracticeRoundAnswerPart.text)))
        assert texts == sorted(f"answer of {m.name}" for m in members)
        # Before the reveal nobody sees anyone else's answer, not even in an edited message.
        for viewer in (members[0], world.bob, world.alice):
            seen = "\n".join(
                m.text(history=True) for m in fake_discord.visible_to(viewer, history=True)
            )
            assert all(f"answer of {m.name}" not in seen for m in members if m is not viewer)

        await time_up(bot, clock, 5)
        thread = thread_of(fake_discord, world.general)
        shown = thread_text(fake_discord, thread)
        assert all(f"||answer of {m.name}||" in shown for m in members)
        votes = [
            c for m in fake_discord.messages_in(thread) for c in m.custom_ids() if ":vote:" in c
        ]
        assert len(votes) == 30
        assert await count(app, InterviewSession, InterviewSession.mode == "round") == 30


async def test_answers_stay_hidden_until_time_up_reveals_them(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, bot = running
    question = await start_round(fake_discord, world.alice, world.general, minutes=4)
    assert "answers are revealed <t:" in question.text()
    first = await answer(fake_discord, world.bob, question, "Bayes rule: prior times likelihood.")
    assert first.ephemeral and "Saved privately" in first.content and "1 part" in first.content
    second = await answer(fake_discord, world.bob, question, "Then normalise by the evidence.")
    assert "2 parts" in second.content and "appended" in second.content
    await answer(fake_discord, world.carol, question, "Count the false positives.")
    for viewer, hidden in (
        (world.carol, "prior times likelihood"),
        (world.alice, "prior times likelihood"),
        (world.bob, "false positives"),
    ):
        seen = "\n".join(
            m.text(history=True) for m in fake_discord.visible_to(viewer, history=True)
        )
        assert hidden not in seen
    assert not fake_discord.threads(world.general)

    await time_up(bot, clock, 3)
    assert not fake_discord.threads(world.general)  # not yet
    await time_up(bot, clock, 1)
    thread = thread_of(fake_discord, world.general)
    assert thread.type == 11  # public: everyone who sees the channel sees the thread
    shown = thread_text(fake_discord, thread)
    assert "||Bayes rule: prior times likelihood.\nThen normalise by the evidence.||" in shown
    assert "||Count the false positives.||" in shown
    assert "1. bob" in shown and "2. carol" in shown
    assert "Automatic score" in shown and "Reference answer (spoiler)" in shown
    assert "Rubric" in shown and "one vote each, not for your own" in shown
    assert not question.components and "revealed in" in question.content  # no stale Answer
    async with app.db.reading() as s:
        stored = (
            await s.execute(
                select(InterviewSession.mode, InterviewSession.channel_id, Answer.auto_score).join(
                    Answer, Answer.session_id == InterviewSession.id
                )
            )
        ).all()
    assert len(stored) == 2
    assert all(mode == "round" and channel == world.general.id for mode, channel, _ in stored)
    assert all(score is not None for _, _, score in stored)


async def test_a_late_answer_is_given_back(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, _bot = running
    question = await start_round(fake_discord, world.alice, world.general, minutes=2)
    modal = await open_answer_box(fake_discord, world.bob, question)
    clock.advance(minutes=2)  # the modal was open when time ran out
    late = await fake_discord.submit_modal(
        world.bob, world.general, modal, {"answer": "my careful late answer"}
    )
    message = await late.final_message()
    assert message.ephemeral and "Time is up" in message.content
    assert "my careful late answer" in message.text()  # nothing the member wrote is lost
    assert await count(app, PracticeRoundAnswer) == 0


async def test_reveal_by_command_starter_or_moderator_only(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    nothing = await slash_reply(fake_discord, world.bob, world.general, "practice reveal")
    assert nothing.ephemeral and "No practice round" in nothing.content
    question = await start_round(fake_discord, world.bob, world.general)
    await answer(fake_discord, world.carol, question, "Use the base rate.")
    refused = await slash_reply(fake_discord, world.carol, world.general, "practice reveal")
    assert refused.ephemeral and "Only the member who started this round or a moderator" in (
        refused.content
    )
    assert not fake_discord.threads(world.general)
    too_early = await slash_reply(fake_discord, world.bob, world.general, "practice close")
    assert "use /practice reveal first" in too_early.content

    done = await slash_reply(fake_discord, world.alice, world.general, "practice reveal")  # a mod
    thread = thread_of(fake_discord, world.general)
    assert done.ephemeral and f"<#{thread.id}>" in done.content
    assert "||Use the base rate.||" in thread_text(fake_discord, thread)
    again = await slash_reply(fake_discord, world.bob, thread, "practice reveal")
    assert "past answering" in again.content

    # The starter (not a moderator) can reveal their own round.
    second = await start_round(fake_discord, world.bob, world.interviews)
    await answer(fake_discord, world.carol, second, "Another answer.")
    by_starter = await slash_reply(fake_discord, world.bob, world.interviews, "practice reveal")
    assert "Answers revealed" in by_starter.content
    assert "||Another answer.||" in thread_text(
        fake_discord, thread_of(fake_discord, world.interviews)
    )


async def test_voting_one_each_not_for_yourself_then_results(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    app, bot = running
    question = await start_round(fake_discord, world.bob, world.general, minutes=3)
    await answer(fake_discord, world.bob, question, "Bob's answer.")
    await answer(fake_discord, world.carol, question, "Carol's answer.")
    await time_up(bot, clock, 3)
    thread = thread_of(fake_discord, world.general)

    own = await vote(fake_discord, world.bob, thread, "bob")
    assert "can't vote for your own answer" in own
    first = await vote(fake_discord, world.alice, thread, "bob")
    assert "Your vote for **bob**'s answer is saved" in first and "move it" in first
    moved = await vote(fake_discord, world.alice, thread, "carol")
    assert "moved from bob's" in moved
    await vote(fake_discord, world.bob, thread, "carol")
    await vote(fake_discord, world.carol, thread, "bob")
    assert await count(app, PracticeRoundVote) == 3  # alice's vote moved, not doubled
    assert "Voting closed" not in thread_text(fake_discord, thread)  # counts hidden until then

    refused = await slash_reply(fake_discord, world.carol, thread, "practice close")
    assert "Only the member who started this round" in refused.content
    closed = await slash_reply(fake_discord, world.bob, thread, "practice close")  # the starter
    assert "Closed" in closed.content
    results = await fake_discord.wait_for_message(
        lambda m: m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == "Voting closed"
    )
    assert "Most helpful: **carol** (2 votes)" in results.text()
    assert "bob: 1 vote" in results.text() and "3 member(s) voted" in results.text()
    late = await vote(fake_discord, world.alice, thread, "bob")
    assert "Voting is closed" in late
    assert await rounds(bot).helpful_votes(world.guild.id) == {
        await bot.flow.user_id(_User(world.carol)): 2,
        await bot.flow.user_id(_User(world.bob)): 1,
    }
    # The channel is free again.
    await start_round(fake_discord, world.carol, world.general)


class _User:
    """Enough of a discord user for ``InterviewFlow.user_id``."""

    def __init__(self, member: FakeMember) -> None:
        self.id, self.display_name, self.name = member.id, member.name, member.name


async def test_voting_closes_on_its_own(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _app, bot = running
    question = await start_round(fake_discord, world.bob, world.general, minutes=1)
    await answer(fake_discord, world.bob, question, "Only answer.")
    await time_up(bot, clock, 1)
    thread = thread_of(fake_discord, world.general)
    await vote(fake_discord, world.carol, thread, "bob")
    await time_up(bot, clock, 10)
    results = await fake_discord.wait_for_message(
        lambda m: m.channel is thread and bool(m.embeds) and m.embeds[0]["title"] == "Voting closed"
    )
    assert "Most helpful: **bob** (1 vote)" in results.text()


# -- several channels -----------------------------------------------------------------------


async def test_two_rounds_in_two_channels_at_once(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _app, bot = running
    general = await start_round(fake_discord, world.alice, world.general, minutes=5)
    interviews = await start_round(fake_discord, world.bob, world.interviews, minutes=3)
    await answer(fake_discord, world.bob, general, "general answer by bob")
    await answer(fake_discord, world.carol, interviews, "interviews answer by carol")
    await answer(fake_discord, world.carol, general, "general answer by carol")

    await time_up(bot, clock, 3)  # only the 3-minute round is due
    assert not fake_discord.threads(world.general)
    shown = thread_text(fake_discord, thread_of(fake_discord, world.interviews))
    assert "interviews answer by carol" in shown and "general answer" not in shown

    await time_up(bot, clock, 2)
    shown = thread_text(fake_discord, thread_of(fake_discord, world.general))
    assert "general answer by bob" in shown and "general answer by carol" in shown
    assert "interviews answer" not in shown


async def test_one_round_per_channel_links_the_running_one(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    question = await start_round(fake_discord, world.alice, world.general)
    again = await slash_reply(
        fake_discord, world.bob, world.general, "practice start", track="technical"
    )
    assert again.ephemeral and "already running in this channel" in again.content
    assert f"/{world.general.id}/{question.id}" in again.content  # a link to the question
    panel = await slash_reply(
        fake_discord,
        world.bob,
        world.general,
        "practice panel",
        member=world.carol,
        track="technical",
    )
    assert "already running in this channel" in panel.content
    assert len([m for m in fake_discord.messages_in(world.general) if m.custom_ids()]) == 1


async def test_not_in_a_thread_or_dm(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _, bot = running
    question = await start_round(fake_discord, world.alice, world.general, minutes=1)
    await answer(fake_discord, world.bob, question, "x")
    await time_up(bot, clock, 1)
    thread = thread_of(fake_discord, world.general)
    inside = await slash_reply(fake_discord, world.bob, thread, "practice start", track="technical")
    assert inside.ephemeral and "text channel" in inside.content


async def test_a_round_survives_a_restart(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    clock: FakeClock,
) -> None:
    async with bot_factory():
        question = await start_round(fake_discord, world.alice, world.general, minutes=5)
        await answer(fake_discord, world.bob, question, "Answered before the restart.")
        modal = await open_answer_box(fake_discord, world.carol, question)
    clock.advance(minutes=2)
    async with bot_factory() as (app, bot):  # a new process: the modal still works
        saved = await fake_discord.submit_modal(
            world.carol, world.general, modal, {"answer": "Answered across the restart."}
        )
        assert "Saved privately" in (await saved.final_message()).content
    clock.advance(minutes=10)  # the reveal falls due while no bot runs
    async with bot_factory() as (app, bot):
        await rounds(bot).settled()  # caught up at start
        thread = thread_of(fake_discord, world.general)
        shown = thread_text(fake_discord, thread)
        assert "Answered before the restart." in shown and "Answered across the restart." in shown
        # Voting runs for its full time from the actual reveal, not from the missed deadline.
        await vote(fake_discord, world.alice, thread, "carol")
        await time_up(bot, clock, 10)
        results = await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread
                and bool(m.embeds)
                and m.embeds[0].get("title") == "Voting closed"
            )
        )
        assert "Most helpful: **carol**" in results.text()
        assert await count(app, InterviewSession, InterviewSession.mode == "round") == 2


async def test_vote_buttons_work_after_a_restart(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    clock: FakeClock,
) -> None:
    async with bot_factory() as (_, bot):
        question = await start_round(fake_discord, world.alice, world.general, minutes=1)
        await answer(fake_discord, world.bob, question, "Vote for me.")
        await time_up(bot, clock, 1)
    async with bot_factory() as (app, _):
        thread = thread_of(fake_discord, world.general)
        assert "is saved" in await vote(fake_discord, world.carol, thread, "bob")
        assert await count(app, PracticeRoundVote) == 1


# -- panels ---------------------------------------------------------------------------------


async def test_panel_answer_then_the_group_scores_it(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
) -> None:
    erin = fake_discord.add_member(world.guild, "erin")
    async with bot_factory() as (app, bot):
        started = await slash_reply(
            fake_discord,
            world.alice,
            world.general,
            "practice panel",
            member=world.bob,
            track="technical",
            topic="probability",
        )
        thread = thread_of(fake_discord, world.general)
        assert started.ephemeral and f"<#{thread.id}>" in started.content
        intro = fake_discord.messages_in(world.general)[0]
        assert f"<@{world.bob.id}>" in intro.content
        question = await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread
                and any(c.startswith("mlmock:pr:answer:") for c in m.custom_ids())
            )
        )
        refused = await (
            await fake_discord.click(world.carol, question, answer_button(question))
        ).final_message()
        assert refused.ephemeral and "Only bob answers in this panel" in refused.content

        part = await answer(
            fake_discord, world.bob, question, "Apply Bayes rule with the base rate."
        )
        assert part.ephemeral and "the panel sees it in the thread" in part.content
        posted = await fake_discord.wait_for_message(
            lambda m: m.channel is thread and "Apply Bayes rule" in m.text()
        )
        assert posted.embeds[0]["author"]["name"] == "bob · part 1"

        done_id = next(c for c in question.custom_ids() if c.startswith("mlmock:pr:done:"))
        not_yours = await (await fake_discord.click(world.carol, question, done_id)).final_message()
        assert "Only the candidate" in not_yours.content
        done = await (await fake_discord.click(world.bob, question, done_id)).final_message()
        assert "scoring is open" in done.content
        scoring = await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread
                and any(c.startswith("mlmock:pr:score:") for c in m.custom_ids())
            )
        )
        assert "Scoring is open" in scoring.text() and "Reference answer" in scoring.text()
        assert not question.components  # answering is over
        score_id = next(c for c in scoring.custom_ids() if c.startswith("mlmock:pr:score:"))

        candidate = await (await fake_discord.click(world.bob, scoring, score_id)).final_message()
        assert "You're the candidate" in candidate.content
        points = 0
        for scorer, value in ((world.carol, "4"), (world.alice, "2"), (erin, "3")):
            ballot = await (await fake_discord.click(scorer, scoring, score_id)).final_message()
            assert ballot.ephemeral and "0 of" in ballot.content
            selects = [c for c in ballot.custom_ids() if c.startswith("mlmock:pr:pt:")]
            points = len(selects)
            assert points >= 2
            for cid in selects:
                picked = await fake_discord.select(scorer, ballot, cid, [value])
                assert (await picked.response()).type == 7  # the ballot message is updated
            await fake_discord.wait_until(
                lambda b=ballot: "complete" in b.content, what="a complete ballot"
            )
        # erin changes one point: her ballot is replaced point by point, not duplicated.
        ballot = await (await fake_discord.click(erin, scoring, score_id)).final_message()
        first_point = next(c for c in ballot.custom_ids() if c.startswith("mlmock:pr:pt:"))
        await (await fake_discord.select(erin, ballot, first_point, ["1"])).response()
        assert await count(app, PracticePanelBallot) == 3

        closed = await slash_reply(fake_discord, world.alice, thread, "practice close")
        assert "Closed" in closed.content
        results = await fake_discord.wait_for_message(
            lambda m: (
                m.channel is thread
                and bool(m.embeds)
                and m.embeds[0].get("title", "").startswith("Panel results")
            )
        )
        # Ballots: carol 4 on every point, alice 2, erin 3 except 1 on point 1 (weights vary by
        # question, so compare with the stored aggregate instead of a hand-computed mean).
        aggregate = (await rounds(bot).panel_results(int(score_id.split(":")[3]))).aggregate
        assert aggregate.ballots == 3 and aggregate.mean is not None and aggregate.stdev is not None
        text = results.text()
        assert f"Peer score {aggregate.peer_score}/4" in text
        assert f"mean {aggregate.mean:.2f} over 3 ballots" in text
        assert f"standard deviation {aggregate.stdev:.2f}" in text
        assert "spread 1-4" in text  # point 1: erin 1, carol 4
        async with app.db.reading() as s:
            stored = (
                await s.execute(
                    select(InterviewSession.mode, Answer.peer_score).join(
                        Answer, Answer.session_id == InterviewSession.id
                    )
                )
            ).all()
        assert [tuple(r) for r in stored] == [("panel", aggregate.peer_score)]


async def test_without_thread_permission(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _app, bot = running
    fake_discord.refuse(world.general, "threads")
    # A panel needs its thread: nothing is started and the channel stays free.
    panel = await slash_reply(
        fake_discord,
        world.alice,
        world.general,
        "practice panel",
        member=world.bob,
        track="technical",
    )
    assert panel.ephemeral and "nothing was started" in panel.content
    assert not fake_discord.messages_in(world.general)  # its announcement was taken back
    # A round reveals in the channel itself when it cannot open its answer thread.
    question = await start_round(fake_discord, world.alice, world.general, minutes=2)
    await answer(fake_discord, world.bob, question, "Revealed without a thread.")
    await time_up(bot, clock, 2)
    assert not fake_discord.threads(world.general)
    shown = "\n".join(m.text() for m in fake_discord.messages_in(world.general))
    assert "||Revealed without a thread.||" in shown
    assert "revealed below" in question.content and not question.components
    assert "is saved" in await vote(fake_discord, world.carol, world.general, "bob")
