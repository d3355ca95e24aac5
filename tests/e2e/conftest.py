"""End-to-end fixtures: the real bot (create_bot + bot.start) against the loopback fake Discord."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot, create_bot
from tests.loopback import FakeDiscord
from tests.loopback._fixtures import fake_discord, world

__all__ = ["fake_discord", "world"]

BotFactory = Callable[[], AbstractAsyncContextManager[tuple[App, MockInterviewBot]]]


class _BotErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_bot_errors() -> Iterator[None]:
    """Like the fake does for discord.py: any ERROR the bot's own code logs fails the test."""
    handler = _BotErrors()
    logger = logging.getLogger("bot")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bot_factory(fake_discord: FakeDiscord, settings: Settings, clock: FakeClock) -> BotFactory:
    """Start (and later stop) a bot process: app resources plus the bot, as `python -m bot run`."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start() -> AsyncIterator[tuple[App, MockInterviewBot]]:
        async with open_app(
            settings, scope="discord", clock=clock, rng=random.Random(5), start_scheduler=False
        ) as app:
            bot = create_bot(app, guild_ready_timeout=0.05)
            await fake_discord.start_bot(bot)
            try:
                yield app, bot
            finally:
                await fake_discord.stop_bot(bot)

    return start


@pytest.fixture
async def running(bot_factory: BotFactory) -> AsyncIterator[tuple[App, MockInterviewBot]]:
    async with bot_factory() as pair:
        yield pair
