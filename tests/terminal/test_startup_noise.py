"""`mlmock run` at INFO: no migration steps from alembic, no voice warnings from discord.py."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.run import quiet_startup_logs
from bot.storage.database import upgrade_sync


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    saved_level, saved_alembic = root.level, logging.getLogger("alembic").level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        logging.getLogger("alembic").setLevel(saved_alembic)
        for f in list(logging.getLogger("discord.client").filters):
            logging.getLogger("discord.client").removeFilter(f)


async def test_info_start_is_quiet(root_log: io.StringIO, tmp_path: Path) -> None:
    import discord
    from discord.voice_client import VoiceClient

    quiet_startup_logs(logging.INFO)
    await asyncio.to_thread(upgrade_sync, f"sqlite+aiosqlite:///{tmp_path}/quiet.sqlite3")
    VoiceClient.warn_nacl = VoiceClient.warn_dave = True  # as on a fresh start
    discord.Client(intents=discord.Intents.default())
    logging.getLogger("discord.client").warning("a warning that still shows")
    text = root_log.getvalue()
    assert "Running upgrade" not in text and "Context impl" not in text
    assert "voice will NOT be supported" not in text
    assert "a warning that still shows" in text


async def test_debug_keeps_everything(root_log: io.StringIO, tmp_path: Path) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    quiet_startup_logs(logging.DEBUG)
    await asyncio.to_thread(upgrade_sync, f"sqlite+aiosqlite:///{tmp_path}/loud.sqlite3")
    assert "Running upgrade" in root_log.getvalue()
