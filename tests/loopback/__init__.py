"""Loopback fake Discord for end-to-end tests of discord.py bots. See README.md."""

from ._driver import Callback, InteractionResult, InvalidInteraction
from ._rest import RateLimits, RequestRecord
from ._world import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .fake_discord import DefaultWorld, FakeDiscord, build_default_world

__all__ = [
    "Callback",
    "DefaultWorld",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "InteractionResult",
    "InvalidInteraction",
    "RateLimits",
    "RequestRecord",
    "build_default_world",
]
