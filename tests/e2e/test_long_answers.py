"""Answers at the longest a modal takes (4,000 characters, several parts) still give replies,
scorecards and daily results that fit Discord's limits (the fake enforces them), with no
ERROR logged."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot
from tests.e2e.test_daily import answer_through_modal
from tests.e2e.test_interview_bot import cid, start_interview
from tests.e2e.test_practice import answer, start_round, thread_of, thread_text, time_up
from tests.loopback import DefaultWorld, FakeDiscord

Running = tuple[App, MockInterviewBot]
SENTENCE = (
    "The training score is near perfect while validation lags, so this is overfitting "
    "(high variance); I would regularise, add data, use k-fold cross-validation and early "
    "stopping, and check for leakage between the splits. "
)


def long_answer(n: int = 4000) -> str:
    return (SENTENCE * (n // len(SENTENCE) + 1))[:n]


async def test_four_thousand_character_parts_reach_a_fitting_scorecard(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    thread, message = await start_interview(fake_discord, world)
    for n in range(4):
        for _ in range(3):  # three full boxes per question: 12,000 characters
            opened = await fake_discord.click(world.bob, message, cid(message, "answer"))
            modal = (await opened.response()).data
            saved = await fake_discord.submit_modal(
                world.bob, thread, modal["custom_id"], {"answer": long_answer()}
            )
            reply = await saved.final_message()
            assert reply.content.startswith("Saved"), reply.content[:200]
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
    assert len(card.embeds[0]["fields"]) == 4

    # The reference answers follow the card, one or more messages: let all four arrive
    # before the world shuts down.
    def references() -> int:
        return sum(
            1
            for m in fake_discord.messages_in(thread)
            for e in m.embeds
            if e.get("title", "").startswith("Reference")
        )

    await fake_discord.wait_until(lambda: references() == 4, what="four reference answers")


async def test_long_daily_answer(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    asked = await fake_discord.slash(world.bob, world.general, "daily", subcommand="question")
    shown: Any = await asked.followup(0)
    result = await answer_through_modal(
        fake_discord, world.bob, world.general, shown, long_answer()
    )
    assert result.embeds[0]["title"].startswith("Your answer")


async def test_practice_round_reveals_long_answers_within_limits(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, clock: FakeClock
) -> None:
    _, bot = running
    question = await start_round(fake_discord, world.alice, world.general, minutes=4)
    for member in (world.bob, world.carol, world.alice):
        for _ in range(2):  # two full boxes each
            saved = await answer(fake_discord, member, question, long_answer())
            assert saved.ephemeral and "Saved" in saved.content, saved.content[:200]
    await time_up(bot, clock, 4)
    thread = thread_of(fake_discord, world.general)
    shown = thread_text(fake_discord, thread)
    assert "1. " in shown and "3. " in shown and "Reference answer" in shown
