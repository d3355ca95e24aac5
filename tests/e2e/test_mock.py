"""Peer mock interviews end to end: several members, the real bot, the loopback fake Discord."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App
from bot.config import Settings
from bot.core.bank.dump import question_to_dict
from bot.core.clock import FakeClock
from bot.core.questions import Difficulty, Question, RubricPoint, Track
from bot.discord.client import MockInterviewBot
from bot.features.peer_mocks.service import PairState, PeerMockService, RoundStatus, RoundView
from bot.features.peer_mocks.store import PEER_TABLES
from bot.storage.database import Database
from bot.storage.models import GuildQuestion, GuildSettings
from tests.e2e.conftest import BotFactory
from tests.factories import question as sd_question
from tests.loopback import DefaultWorld, FakeChannel, FakeDiscord, FakeMember, FakeMessage

Running = tuple[App, MockInterviewBot]


@pytest.fixture
async def settings(tmp_path: Path, world: DefaultWorld) -> Settings:
    """The e2e database, migrated, with this server's own questions instead of the bundled
    ones, loaded at start-up as in production."""
    url = f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3"
    db = Database(url)
    try:
        await db.migrate()
        now = datetime.now(UTC)
        async with db.transaction() as s:
            s.add(
                GuildSettings(
                    guild_id=world.guild.id, bundled_questions=False, created_at=now, updated_at=now
                )
            )
            for q in GUILD_QUESTIONS:
                s.add(
                    GuildQuestion(
                        guild_id=world.guild.id,
                        question_id=q.id,
                        status="active",
                        body=question_to_dict(q),
                        created_at=now,
                        updated_at=now,
                    )
                )
    finally:
        await db.dispose()
    return Settings(database_url=url)


@pytest.fixture
def erin(fake_discord: FakeDiscord, world: DefaultWorld) -> FakeMember:
    return fake_discord.add_member(world.guild, "erin")  # before the bot starts


def secret_question(qid: str, difficulty: Difficulty = Difficulty.EASY) -> Question:
    """A question whose private parts are easy to look for in what the candidate sees."""
    return Question(
        id=qid,
        track=Track.TECHNICAL,
        topic="bias-variance",
        difficulty=difficulty,
        minutes=5,
        prompt=f"PROMPT {qid}: your model is perfect on training data and poor on new data.",
        reference_answer=f"REFERENCE-{qid}: overfitting; regularise and cross-validate.",
        rubric=(
            RubricPoint(f"POINT-A-{qid} names overfitting", ("overfitting",)),
            RubricPoint(f"POINT-B-{qid} proposes cross-validation", ("cross-validation",)),
        ),
        hints=(f"HINT-1-{qid} compare the errors", f"HINT-2-{qid} think of variance"),
        follow_ups=(f"FOLLOW-1-{qid} which regulariser", f"FOLLOW-2-{qid} how much data"),
    )


QUESTIONS = [secret_question(f"peer-q{i}") for i in range(4)]
GUILD_QUESTIONS = [
    *QUESTIONS,
    *(sd_question(f"peer-sd{i}", track=Track.SYSTEM_DESIGN) for i in range(2)),
]


@pytest.fixture
async def live(erin: FakeMember, running: Running, world: DefaultWorld) -> Running:
    app, _ = running
    assert app.banks.for_guild(world.guild.id).get(QUESTIONS[0].id) is not None  # loaded
    return running


def service_of(bot: MockInterviewBot) -> PeerMockService:
    cog = bot.get_cog("MockCommands")
    assert cog is not None
    return cog.service  # type: ignore[attr-defined, no-any-return]


# -- helpers --------------------------------------------------------------------------------------


async def join(
    fake: FakeDiscord,
    member: FakeMember,
    channel: FakeChannel,
    track: str = "technical",
    **more: str,
) -> FakeMessage:
    result = await fake.slash(member, channel, "mock queue join", options={"track": track, **more})
    assert (await result.response()).type == 5  # deferred: pairing may open a thread
    reply = await result.final_message()
    assert reply.ephemeral and reply.viewer is member.user
    return reply


async def said(result: Any) -> FakeMessage:
    """What the member was told: the reply, or after a deferred update the first follow-up."""
    if (await result.response()).type == 6:
        return await result.followup(0)
    return await result.final_message()


def cid(message: FakeMessage, prefix: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(prefix))


async def pair_thread(
    fake: FakeDiscord, w: DefaultWorld, a: FakeMember, b: FakeMember, track: str = "technical"
) -> FakeChannel:
    await join(fake, a, w.general, track)
    reply = await join(fake, b, w.general, track)
    assert "paired with" in reply.content
    thread = fake.threads(w.general)[-1]
    await fake.wait_for_message(lambda m: m.channel is thread and "Ready" in m.text())
    return thread


async def ready_both(
    fake: FakeDiscord, thread: FakeChannel, a: FakeMember, b: FakeMember
) -> FakeMessage:
    welcome = next(
        m for m in fake.messages_in(thread) if "mlmock:mock:ready:" in str(m.custom_ids())
    )
    for member in (a, b):
        click = await fake.click(member, welcome, cid(welcome, "mlmock:mock:ready:"))
        assert (await click.response()).type == 6
    first = await card(fake, thread, 1)
    await kit_dm(fake, first)
    return first


async def kit_dm(fake: FakeDiscord, after: FakeMessage) -> FakeMessage:
    """The interviewer's kit by DM, sent right after a round card (its last part has buttons)."""
    return await fake.wait_for_message(
        lambda m: (
            m.channel.recipient is not None
            and m.id > after.id
            and any(c.startswith("mlmock:mock:hint:") for c in m.custom_ids())
        )
    )


async def card(fake: FakeDiscord, thread: FakeChannel, number: int, title: str = "") -> FakeMessage:
    """The newest round card of ``number`` (optionally with ``title`` in its embed title)."""

    def find() -> FakeMessage | None:
        cards = [
            m
            for m in fake.messages_in(thread)
            if m.embeds
            and m.embeds[0].get("title", "").startswith(f"Round {number} ·")
            and title in m.embeds[0].get("title", "")
            and m.components
        ]
        return cards[-1] if cards else None

    return await fake.wait_until(find, what=f"the card of round {number} {title}")


async def roles(
    bot: MockInterviewBot, message: FakeMessage, members: Sequence[FakeMember]
) -> tuple[RoundView, FakeMember, FakeMember]:
    round_id = int(cid(message, "mlmock:mock:end:").split(":")[-1])
    view = await service_of(bot).round_view(round_id)
    by_name = {m.name: m for m in members}
    return view, by_name[view.interviewer.name], by_name[view.candidate.name]


def seen_by(fake: FakeDiscord, member: FakeMember, *, skip_reports: bool = False) -> str:
    messages = fake.visible_to(member, history=True)
    if skip_reports:
        messages = [m for m in messages if "peer mock report" not in m.content]
    return "\n".join(m.text(history=True) for m in messages)


def assert_private(
    fake: FakeDiscord, candidate: FakeMember, q: Question, hints: int = 0, follow_ups: int = 0
) -> None:
    """Nothing of the interviewer's material reached the candidate but what was revealed."""
    seen = seen_by(fake, candidate)
    assert q.prompt in seen  # the candidate does see the prompt
    assert q.reference_answer not in seen
    for point in q.rubric:
        assert point.point not in seen
    for n, hint in enumerate(q.hints):
        assert (hint in seen) == (n < hints), hint
    for n, follow in enumerate(q.follow_ups):
        assert (follow in seen) == (n < follow_ups), follow


async def submit(
    fake: FakeDiscord, member: FakeMember, thread: FakeChannel, opener: Any, values: dict[str, Any]
) -> FakeMessage:
    modal = (await opener.response()).data
    result = await fake.submit_modal(member, thread, modal["custom_id"], values)
    return await result.final_message()


async def finish_feedback(
    fake: FakeDiscord,
    thread: FakeChannel,
    prompt: FakeMessage,
    interviewer: FakeMember,
    candidate: FakeMember,
    scores: Sequence[str],
) -> None:
    sheet = await (
        await fake.click(interviewer, prompt, cid(prompt, "mlmock:mock:score:"))
    ).final_message()
    assert sheet.ephemeral and sheet.viewer is interviewer.user
    for select_id, score in zip(sheet.custom_ids(), scores, strict=True):
        saved = await (await fake.select(interviewer, sheet, select_id, [score])).final_message()
        assert saved.ephemeral and f"Saved {score}/4" in saved.content
    opener = await fake.click(interviewer, prompt, cid(prompt, "mlmock:mock:feedback:"))
    done = await submit(
        fake,
        interviewer,
        thread,
        opener,
        {"strengths": "Named the problem quickly.", "improvements": "Quantify the gap first."},
    )
    assert done.ephemeral and "Feedback saved" in done.content
    opener = await fake.click(candidate, prompt, cid(prompt, "mlmock:mock:rate:"))
    rated = await submit(
        fake, candidate, thread, opener, {"rating": ["4"], "comment": "Helpful follow-ups."}
    )
    assert "rated your interviewer 4/5" in rated.content


async def feedback_prompt(fake: FakeDiscord, thread: FakeChannel, number: int) -> FakeMessage:
    return await fake.wait_for_message(
        lambda m: m.channel is thread and f"Round {number} is over" in m.content
    )


# -- commands -------------------------------------------------------------------------------------


async def test_commands_are_synced_with_descriptions(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running
) -> None:
    mock = fake_discord.command("mock")
    assert mock["contexts"] == [0]  # guild only
    subs = {o["name"]: o for o in mock["options"]}
    assert set(subs) == {"queue", "invite"} and subs["queue"]["type"] == 2
    queue = {o["name"]: o for o in subs["queue"]["options"]}
    assert set(queue) == {"join", "leave", "status"}
    join_options = {o["name"]: o for o in queue["join"]["options"]}
    assert join_options["track"]["required"] and not join_options["difficulty"].get("required")
    assert [c["value"] for c in join_options["track"]["choices"]] == [t.value for t in Track]
    invite_options = {o["name"]: o for o in subs["invite"]["options"]}
    assert invite_options["member"]["type"] == 6
    for option in [*join_options.values(), *invite_options.values()]:
        assert option["description"]
    help_text = (
        await (await fake_discord.slash(world.bob, world.general, "help")).final_message()
    ).text()
    for line in ("/mock queue join", "/mock queue leave", "/mock queue status", "/mock invite"):
        assert line in help_text


# -- the queue ------------------------------------------------------------------------------------


async def test_pairing_and_who_is_not_paired(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, erin: FakeMember
) -> None:
    fake, w = fake_discord, world
    first = await join(fake, w.bob, w.general)
    assert "joined the queue" in first.content
    again = await join(fake, w.bob, w.general, difficulty="hard")  # never paired with himself
    assert "updated your place" in again.content and fake.threads() == []
    other_track = await join(fake, erin, w.general, "system-design")
    assert "joined the queue" in other_track.content and fake.threads() == []
    status = await (await fake.slash(w.carol, w.general, "mock queue status")).final_message()
    assert "technical: 1" in status.content and "system-design: 1" in status.content

    paired = await join(fake, w.carol, w.general)
    [thread] = fake.threads(w.general)
    assert "paired with" in paired.content and f"<@{w.bob.id}>" in paired.content
    assert thread.type == 12 and thread.members >= {w.bob.id, w.carol.id}
    assert erin.id not in thread.members and w.alice.id not in thread.members
    welcome = await fake.wait_for_message(lambda m: m.channel is thread and bool(m.components))
    assert f"<@{w.bob.id}>" in welcome.content and f"<@{w.carol.id}>" in welcome.content
    assert cid(welcome, "mlmock:mock:ready:")

    erin_status = await (await fake.slash(erin, w.general, "mock queue status")).final_message()
    assert "waiting for a **system-design** partner" in erin_status.content
    busy = await (
        await fake.slash(w.bob, w.general, "mock queue join", options={"track": "technical"})
    ).final_message()
    assert "already in a peer mock" in busy.content and f"<#{thread.id}>" in busy.content
    left = await (await fake.slash(erin, w.general, "mock queue leave")).final_message()
    assert left.content == "You left the queue."
    assert (
        "not in the queue"
        in (await (await fake.slash(erin, w.general, "mock queue status")).final_message()).content
    )


async def test_not_the_same_pair_twice_while_someone_else_waits(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    live: Running,
    erin: FakeMember,
    clock: FakeClock,
) -> None:
    fake, w = fake_discord, world
    _, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    clock.advance(minutes=10)  # nobody pressed Ready: closed politely
    await service_of(bot).timers.settled()
    closed = await fake.wait_for_message(lambda m: m.channel is thread and "closed" in m.content)
    assert "bob and carol did not respond" in closed.content
    assert closed.custom_ids() == []  # nobody to offer the queue to from here
    await join(fake, erin, w.general)  # erin waits; bob and carol come back
    clock.advance(seconds=30)
    bob = await join(fake, w.bob, w.general)
    assert "paired with" in bob.content and f"<@{erin.id}>" in bob.content
    carol = await join(fake, w.carol, w.general)
    assert "joined the queue" in carol.content  # waits for someone new


# -- a whole mock ---------------------------------------------------------------------------------


async def test_full_mock_privacy_reveals_feedback_swap_and_report(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running
) -> None:
    fake, w = fake_discord, world
    app, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    first_card = await ready_both(fake, thread, w.bob, w.carol)
    view, interviewer, candidate = await roles(bot, first_card, [w.bob, w.carol])
    q1 = view.question
    assert first_card.embeds[0]["description"] == q1.prompt and "ends <t:" in first_card.text()

    # The interviewer has the material by DM, and again on the kit button (ephemeral).
    dm = await kit_dm(fake, first_card)
    assert dm.channel.recipient is interviewer.user
    kit = await (
        await fake.click(interviewer, first_card, cid(first_card, "mlmock:mock:kit:"))
    ).final_message()
    assert kit.ephemeral and kit.viewer is interviewer.user
    for message in (dm, kit):
        text = message.text()
        for secret in (
            q1.reference_answer,
            *(p.point for p in q1.rubric),
            *q1.hints,
            *q1.follow_ups,
        ):
            assert secret in text
    refused = await (
        await fake.click(candidate, first_card, cid(first_card, "mlmock:mock:kit:"))
    ).final_message()
    assert refused.ephemeral and "Only the interviewer" in refused.content
    assert_private(fake, candidate, q1)

    # Reveals (from the ephemeral kit and from the DM): they reach the thread; the rest stays
    # private.
    shown = await (
        await fake.click(interviewer, kit, cid(kit, "mlmock:mock:hint:"))
    ).final_message()
    assert shown.ephemeral and "hint 1/2" in shown.content
    await fake.wait_for_message(lambda m: m.channel is thread and q1.hints[0] in m.content)
    asked = await (
        await fake.click(interviewer, dm, cid(dm, "mlmock:mock:follow:"))
    ).final_message()
    assert "follow-up 1/2" in asked.content
    await fake.wait_for_message(lambda m: m.channel is thread and q1.follow_ups[0] in m.content)
    assert_private(fake, candidate, q1, hints=1, follow_ups=1)

    # The candidate answers (optional, for the automatic score); the interviewer cannot.
    wrong = await (
        await fake.click(interviewer, first_card, cid(first_card, "mlmock:mock:answer:"))
    ).final_message()
    assert wrong.ephemeral and "Only the candidate" in wrong.content
    opener = await fake.click(candidate, first_card, cid(first_card, "mlmock:mock:answer:"))
    saved = await submit(fake, candidate, thread, opener, {"answer": "It is overfitting."})
    assert saved.ephemeral and saved.content.startswith("Saved")
    await fake.wait_for_message(lambda m: m.channel is thread and "It is overfitting." in m.content)

    # The interviewer ends the round: scores, feedback and the rating.
    ended = await fake.click(interviewer, first_card, cid(first_card, "mlmock:mock:end:"))
    assert (await ended.response()).type == 6
    prompt = await feedback_prompt(fake, thread, 1)
    assert "ended by the interviewer" in prompt.content
    await fake.wait_until(lambda: not first_card.components, what="the card's buttons to go")
    not_yours = await (
        await fake.click(candidate, prompt, cid(prompt, "mlmock:mock:score:"))
    ).final_message()
    assert "Only the interviewer" in not_yours.content
    await finish_feedback(fake, thread, prompt, interviewer, candidate, ["3", "2"])
    swap_offer = await fake.wait_for_message(
        lambda m: m.channel is thread and "Round 1 is complete" in m.content
    )
    assert_private(fake, candidate, q1, hints=1, follow_ups=1)  # the score sheet stayed private
    stored = await app.interviews.scorecard(_sid(view))
    assert stored.items[0].peer_score == 3  # (3 + 2) / 2, half up
    assert stored.items[0].auto_score is not None  # the automatic score is kept apart

    # Swap roles: round 2, a new question, roles exchanged.
    swap = await fake.click(candidate, swap_offer, cid(swap_offer, "mlmock:mock:swap:"))
    assert (await swap.response()).type == 6
    second_card = await card(fake, thread, 2)
    await kit_dm(fake, second_card)
    view2, interviewer2, candidate2 = await roles(bot, second_card, [w.bob, w.carol])
    assert (interviewer2, candidate2) == (candidate, interviewer)
    q2 = view2.question
    assert q2.id != q1.id and q2.track is Track.TECHNICAL
    assert_private(fake, candidate2, q2)
    await (
        await fake.click(interviewer2, second_card, cid(second_card, "mlmock:mock:end:"))
    ).response()
    prompt2 = await feedback_prompt(fake, thread, 2)
    await finish_feedback(fake, thread, prompt2, interviewer2, candidate2, ["4", "4"])

    # The combined report, to both (in their thread).
    report = await fake.wait_for_message(
        lambda m: m.channel is thread and "peer mock report" in m.content
    )
    titles = [e["title"] for e in report.embeds]
    assert titles[0].startswith("Round 1: ") and titles[1].startswith("Round 2: ")
    for member in (w.bob, w.carol):
        assert report in fake.visible_to(member)
    text = report.text()
    assert "Named the problem quickly." in text and "Quantify the gap first." in text
    assert "4/5: Helpful follow-ups." in text and "Peer verdict" in text
    assert q1.reference_answer not in text and q2.reference_answer not in text
    # The report names the rubric points (that is the feedback), never the reference answers.
    assert q2.reference_answer not in seen_by(fake, candidate2)
    assert q1.reference_answer not in seen_by(fake, candidate)
    pair = await service_of(bot).pair(view.pair.id)
    assert pair.state is PairState.FINISHED
    assert (await app.interviews.scorecard(_sid(view2))).items[0].peer_score == 4

    # Reference answers, on request, only to the one who asks.
    refs = await (await fake.click(w.bob, report, cid(report, "mlmock:mock:refs:"))).final_message()
    assert refs.ephemeral and refs.viewer is w.bob.user
    assert q1.reference_answer in refs.text() and q2.reference_answer in refs.text()


def _sid(view: RoundView) -> int:
    assert view.session_id is not None
    return view.session_id


async def test_round_times_out_with_an_advanced_clock(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, clock: FakeClock
) -> None:
    fake, w = fake_discord, world
    app, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    first = await ready_both(fake, thread, w.bob, w.carol)
    view, interviewer, _ = await roles(bot, first, [w.bob, w.carol])
    assert view.item is not None
    clock.advance(minutes=view.item.minutes - 1)
    await app.scheduler.settled()
    await fake.wait_for_message(lambda m: m.channel is thread and "One minute left" in m.content)
    clock.advance(minutes=1)
    await app.scheduler.settled()
    prompt = await feedback_prompt(fake, thread, 1)
    assert "time is up" in prompt.content
    late = await said(await fake.click(interviewer, first, cid(first, "mlmock:mock:end:")))
    assert late.ephemeral and "already ended" in late.content
    assert (await service_of(bot).round_view(view.id)).status is RoundStatus.FEEDBACK


async def test_system_design_runs_phase_by_phase(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, clock: FakeClock
) -> None:
    fake, w = fake_discord, world
    app, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol, "system-design")
    first = await ready_both(fake, thread, w.bob, w.carol)
    assert "Phase 1 of 6: clarify" in first.embeds[0]["title"]
    view, interviewer, candidate = await roles(bot, first, [w.bob, w.carol])
    no = await said(await fake.click(candidate, first, cid(first, "mlmock:mock:next:")))
    assert no.ephemeral and "Only the interviewer" in no.content
    await (await fake.click(interviewer, first, cid(first, "mlmock:mock:next:"))).response()
    second = await card(fake, thread, 1, "Phase 2 of 6")
    await fake.wait_until(lambda: not first.components, what="the old card's buttons to go")
    round_now = await service_of(bot).round_view(view.id)
    assert round_now.item is not None
    clock.advance(minutes=round_now.item.minutes)
    await app.scheduler.settled()
    third = await card(fake, thread, 1, "Phase 3 of 6")
    assert "Time is up for that phase" in third.content
    await (await fake.click(interviewer, third, cid(third, "mlmock:mock:end:"))).response()
    prompt = await feedback_prompt(fake, thread, 1)
    sheet = await (
        await fake.click(interviewer, prompt, cid(prompt, "mlmock:mock:score:"))
    ).final_message()
    assert len(sheet.custom_ids()) == 3  # one select per phase reached
    assert "clarify" in sheet.text() and "data-and-features" in sheet.text()
    assert second.embeds[0]["description"] in seen_by(fake, candidate)


# -- invitations ----------------------------------------------------------------------------------


async def invite(
    fake: FakeDiscord, w: DefaultWorld, who: FakeMember, whom: FakeMember
) -> FakeMessage:
    result = await fake.slash(
        who, w.general, "mock invite", options={"member": whom, "track": "technical"}
    )
    sent = await result.final_message()
    assert sent.ephemeral and "Invitation sent" in sent.content
    return await fake.wait_for_message(
        lambda m: (
            m.channel is w.general
            and "invites you to a peer mock" in m.content
            and not m.deleted
            and bool(m.components)
        )
    )


async def test_invite_accept(fake_discord: FakeDiscord, world: DefaultWorld, live: Running) -> None:
    fake, w = fake_discord, world
    message = await invite(fake, w, w.bob, w.carol)
    assert f"<@{w.carol.id}>" in message.content and f"<@{w.bob.id}>" in message.content
    other = await (
        await fake.click(w.alice, message, cid(message, "mlmock:mock:accept:"))
    ).final_message()
    assert other.ephemeral and "only they can answer" in other.content
    accepted = await fake.click(w.carol, message, cid(message, "mlmock:mock:accept:"))
    assert (await accepted.response()).type == 7
    assert "accepted" in message.content and message.components == []
    note = await accepted.followup(0)
    [thread] = fake.threads(w.general)
    assert note.ephemeral and f"<#{thread.id}>" in note.content
    assert thread.members >= {w.bob.id, w.carol.id} and w.alice.id not in thread.members
    await ready_both(fake, thread, w.bob, w.carol)


async def test_invite_decline_and_refusals(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running
) -> None:
    fake, w = fake_discord, world
    myself = await (
        await fake.slash(
            w.bob, w.general, "mock invite", options={"member": w.bob, "track": "technical"}
        )
    ).final_message()
    assert "can't invite yourself" in myself.content
    message = await invite(fake, w, w.bob, w.carol)
    declined = await fake.click(w.carol, message, cid(message, "mlmock:mock:decline:"))
    assert (await declined.response()).type == 7
    assert "declined" in message.content and message.components == []
    assert fake.threads() == []


async def test_invite_expires_after_five_minutes(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, clock: FakeClock
) -> None:
    fake, w = fake_discord, world
    _, bot = live
    message = await invite(fake, w, w.bob, w.carol)
    clock.advance(minutes=4, seconds=59)
    await service_of(bot).timers.settled()
    assert message.components  # still open
    clock.advance(seconds=1)
    await service_of(bot).timers.settled()
    await fake.wait_until(lambda: not message.components, what="the invitation to close")
    assert "expired" in message.content
    again = await invite(fake, w, w.bob, w.carol)  # the inviter may invite again
    assert again is not message


# -- no-shows and robustness ----------------------------------------------------------------------


async def test_no_show_closes_politely_and_offers_the_queue(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, clock: FakeClock
) -> None:
    fake, w = fake_discord, world
    _, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    welcome = next(m for m in fake.messages_in(thread) if m.components)
    await (await fake.click(w.carol, welcome, cid(welcome, "mlmock:mock:ready:"))).response()
    await fake.wait_for_message(lambda m: m.channel is thread and "carol is ready" in m.content)
    clock.advance(minutes=9)
    await service_of(bot).timers.settled()
    assert not any("closed" in m.content for m in fake.messages_in(thread))
    clock.advance(minutes=1)
    await service_of(bot).timers.settled()
    closed = await fake.wait_for_message(lambda m: m.channel is thread and "closed" in m.content)
    assert "bob did not respond" in closed.content and f"<@{w.carol.id}>" in closed.content
    no = await (
        await fake.click(w.bob, closed, cid(closed, "mlmock:mock:requeue:"))
    ).final_message()
    assert "did not respond" in no.content
    back = await fake.click(w.carol, closed, cid(closed, "mlmock:mock:requeue:"))
    assert "joined the queue" in (await back.final_message()).content
    late = await said(await fake.click(w.bob, welcome, cid(welcome, "mlmock:mock:ready:")))
    assert late.ephemeral and "This mock is over" in late.content


async def test_no_show_in_feedback(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running, clock: FakeClock
) -> None:
    fake, w = fake_discord, world
    _, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    first = await ready_both(fake, thread, w.bob, w.carol)
    view, interviewer, candidate = await roles(bot, first, [w.bob, w.carol])
    await (await fake.click(interviewer, first, cid(first, "mlmock:mock:end:"))).response()
    prompt = await feedback_prompt(fake, thread, 1)
    opener = await fake.click(candidate, prompt, cid(prompt, "mlmock:mock:rate:"))
    await submit(fake, candidate, thread, opener, {"rating": ["5"], "comment": "Great."})
    clock.advance(minutes=10)
    await service_of(bot).timers.settled()
    closed = await fake.wait_for_message(lambda m: m.channel is thread and "closed" in m.content)
    assert f"{interviewer.name} did not respond" in closed.content
    report = await fake.wait_for_message(
        lambda m: m.channel is thread and "peer mock report" in m.content
    )
    assert "incomplete" in report.text()
    assert (await service_of(bot).pair(view.pair.id)).state is PairState.CLOSED


async def test_restart_keeps_the_pair_buttons_and_timers(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    erin: FakeMember,
    clock: FakeClock,
) -> None:
    fake, w = fake_discord, world
    async with bot_factory():
        thread = await pair_thread(fake, w, w.bob, w.carol)
        welcome = next(m for m in fake.messages_in(thread) if m.components)
        await (await fake.click(w.bob, welcome, cid(welcome, "mlmock:mock:ready:"))).response()
        message = await invite(fake, w, w.alice, erin)
    async with bot_factory() as (app, bot):  # a new process on the same database
        await (await fake.click(w.carol, welcome, cid(welcome, "mlmock:mock:ready:"))).response()
        first = await card(fake, thread, 1)
        await kit_dm(fake, first)
        view, _, _ = await roles(bot, first, [w.bob, w.carol])
        assert view.status is RoundStatus.ACTIVE and view.item is not None
        clock.advance(minutes=5)
        await service_of(bot).timers.settled()
        await fake.wait_until(lambda: not message.components, what="the invitation to expire")
    clock.advance(minutes=view.item.minutes)  # the round's time runs out while the bot is down
    async with bot_factory() as (app, bot):
        await app.scheduler.settled()
        prompt = await feedback_prompt(fake, thread, 1)
        assert "time is up" in prompt.content


async def test_thread_refused_cancels_the_pairing(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running
) -> None:
    fake, w = fake_discord, world
    fake.refuse(w.general, "threads")
    await join(fake, w.bob, w.general)
    reply = await join(fake, w.carol, w.general)
    assert "can't open a private thread" in reply.content
    dm = await fake.wait_for_message(lambda m: m.channel.recipient is w.bob.user)
    assert "could not start" in dm.content
    for member in (w.bob, w.carol):  # neither is stuck in a mock nor left waiting
        status = await (await fake.slash(member, w.general, "mock queue status")).final_message()
        assert "not in the queue" in status.content
    assert fake.threads() == []


async def test_feature_is_off_until_its_tables_exist(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    bot_factory: BotFactory,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(settings.database_url)
    try:
        async with db.engine.begin() as conn:  # as before the lead's migration is applied
            for name in reversed(PEER_TABLES):
                await conn.execute(text(f"DROP TABLE {name}"))
    finally:
        await db.dispose()
    async with bot_factory():
        with pytest.raises(KeyError):
            fake_discord.command("mock")
        assert fake_discord.command("interview")  # the rest of the bot runs
    assert "peer mocks are off" in caplog.text and "peer_point_scores" in caplog.text


async def test_an_answer_sent_after_the_round_ended_is_not_lost(
    fake_discord: FakeDiscord, world: DefaultWorld, live: Running
) -> None:
    fake, w = fake_discord, world
    _, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    first = await ready_both(fake, thread, w.bob, w.carol)
    _, interviewer, candidate = await roles(bot, first, [w.bob, w.carol])
    opener = await fake.click(candidate, first, cid(first, "mlmock:mock:answer:"))
    await (await fake.click(interviewer, first, cid(first, "mlmock:mock:end:"))).response()
    await feedback_prompt(fake, thread, 1)
    late = await submit(fake, candidate, thread, opener, {"answer": "Bias is low, variance high."})
    assert late.ephemeral and "already ended" in late.content
    echo = await fake.wait_for_message(
        lambda m: m.channel is thread and "Bias is low, variance high." in m.content
    )
    assert "after the round ended" in echo.content and echo in fake.visible_to(interviewer)


async def test_the_candidates_answer_is_capped_in_total_with_a_clear_reply(
    fake_discord: FakeDiscord,
    world: DefaultWorld,
    live: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three full boxes (12,000 characters) are kept; a fourth part is refused, clearly, and
    nothing of it is stored or posted (the same total cap as an interview's question)."""
    fake, w = fake_discord, world
    app, bot = live
    thread = await pair_thread(fake, w, w.bob, w.carol)
    first = await ready_both(fake, thread, w.bob, w.carol)
    view, _, candidate = await roles(bot, first, [w.bob, w.carol])
    box = "overfitting, so cross-validate; " * 125  # 4,000 characters
    for n in range(3):
        opener = await fake.click(candidate, first, cid(first, "mlmock:mock:answer:"))
        saved = await submit(fake, candidate, thread, opener, {"answer": box})
        assert saved.content.startswith(f"Saved ({4000 * (n + 1)} characters"), saved.content
    opener = await fake.click(candidate, first, cid(first, "mlmock:mock:answer:"))
    with caplog.at_level("ERROR"):
        refused = await submit(fake, candidate, thread, opener, {"answer": "ONE-PART-TOO-MANY"})
    assert refused.ephemeral and "12,000 characters" in refused.content, refused.content
    assert "Nothing was added" in refused.content
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    async with app.db.reading() as s:
        stored = await s.scalar(
            text(
                "SELECT sum(length(p.text)) FROM answer_parts p JOIN answers a "
                "ON a.id = p.answer_id WHERE a.session_id = :sid"
            ),
            {"sid": _sid(view)},
        )
    assert stored == 12_000
    assert not [m for m in fake.messages_in(thread) if "ONE-PART-TOO-MANY" in m.content]
