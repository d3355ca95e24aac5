"""pytest fixtures; other test packages can import them into their conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .fake_discord import DefaultWorld, FakeDiscord, build_default_world


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake with discord.py pointed at it. At teardown, bots still running are closed
    and the test fails if an unknown route was hit or discord.py logged an ERROR."""
    async with FakeDiscord() as fake:
        yield fake
        await fake.stop_bots()
        fake.assert_clean()


@pytest.fixture
def world(fake_discord: FakeDiscord) -> DefaultWorld:
    return build_default_world(fake_discord)
