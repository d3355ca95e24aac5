"""Logs never hold a member's answer, an interaction token or the bot token, at any level.

The real bot runs against the loopback fake with logging at DEBUG (discord.py then logs every
gateway event and request). A member answers the daily question and the answer handler fails
with an exception that quotes the answer (the worst case: a bug message repeating user data),
so the guard logs an ERROR with a traceback. Every captured record, formatted as a handler
writes it, must be free of the three secrets.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import pytest

from bot import logs
from bot.app import open_app
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.discord.client import create_bot
from bot.features.daily.service import DailyService
from tests.loopback import FakeDiscord
from tests.loopback.fake_discord import build_default_world

# Discord-shaped: base64 user id, timestamp, HMAC (not a real token)
BOT_TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fEdCbA"
ANSWER = "My secret answer: regularise with weight decay 0.0137 and the plum-harbour trick"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.levels: list[int] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.levels.append(record.levelno)


@pytest.fixture
def capture() -> Any:
    root = logging.getLogger()
    handler = _Capture()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.removeFilter(logs.FILTER)


async def test_answers_and_tokens_never_reach_the_logs(
    capture: _Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_answer(self: Any, user_id: int, ref: Any, text: str, guild: Any) -> Any:
        raise RuntimeError(f"could not store {text!r}")  # a bug that quotes the member's text

    monkeypatch.setattr(DailyService, "answer", failing_answer)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/logs.sqlite3")
    async with FakeDiscord(token=BOT_TOKEN) as fake:
        world = build_default_world(fake)
        async with open_app(
            settings,
            scope="discord",
            clock=FakeClock(),
            rng=random.Random(5),
            start_scheduler=False,
        ) as app:
            bot = create_bot(app, guild_ready_timeout=0.05)
            await fake.start_bot(bot)  # bot.start(token): installs the filter on our handler
            logging.getLogger("bot.test").debug("token in a careless line: %s", BOT_TOKEN)
            asked = await fake.slash(world.bob, world.general, "daily", subcommand="question")
            shown = await asked.followup(0)
            [custom_id] = [c for c in shown.custom_ids() if c.startswith("mlmock:daily:answer:")]
            opened = await fake.click(world.bob, shown, custom_id)
            modal = (await opened.response()).data
            submitted = await fake.submit_modal(
                world.bob, world.general, modal["custom_id"], {"answer": ANSWER}
            )
            apology = await submitted.final_message()
            assert "went wrong" in apology.content.lower() or apology.content
            await fake.stop_bot(bot)
        tokens = [ir.token for ir in fake.interactions.values()]
        fake.take_problems()

    text = "\n".join(capture.lines)
    assert logging.ERROR in capture.levels, "the failing handler should have logged an ERROR"
    assert "could not store" in text  # the traceback is there, without the answer
    assert "WebSocket Event" in text and "/interactions/" in text  # DEBUG lines were captured
    assert len(tokens) >= 3
    for secret in (ANSWER, "plum-harbour", BOT_TOKEN, *tokens):
        assert secret not in text, f"{secret[:20]}... leaked into the logs"


def test_filter_redacts_formatted_payloads() -> None:
    flt = logs.RedactingFilter()
    flt.remember(["a typed value"])
    record = logging.LogRecord(
        "discord.http",
        logging.DEBUG,
        __file__,
        1,
        "%s %s with %s has returned %s",
        ("POST", "https://x/api/v10/interactions/1/SECRETTOKEN/callback", '{"content": "hi"}', 204),
        None,
    )
    flt.filter(record)
    message = record.getMessage()
    assert "SECRETTOKEN" not in message and '"content"' not in message and "204" in message
    other = logging.LogRecord(
        "bot",
        logging.ERROR,
        __file__,
        1,
        "failed for %r",
        ({"token": "abc", "x": "a typed value"},),
        None,
    )
    flt.filter(other)
    assert "abc" not in other.getMessage() and "a typed value" not in other.getMessage()


def test_events_are_logged_by_type_and_ids_only() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True)
    class Event:
        session_id: int
        answer_text: str

    assert logs.label(Event(12, ANSWER)) == "Event(session_id=12)"
