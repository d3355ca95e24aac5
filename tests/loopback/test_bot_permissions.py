"""The bot's permissions: the README's invite list and integer, the code's constant and what the
loopback world grants the bot are one and the same."""

from __future__ import annotations

import re
from pathlib import Path

import discord

from bot.discord.permissions import REQUIRED_PERMISSION_NAMES, REQUIRED_PERMISSIONS
from tests.loopback import DefaultWorld, FakeDiscord

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_permissions() -> tuple[set[str], int]:
    """The names after "bot permissions:" (asides in parentheses dropped) and the integer."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    listed = re.search(r"bot permissions: (.+?)\. Open the generated URL", text)
    integer = re.search(r"Permission integer: `(\d+)`", text)
    assert listed and integer, "README no longer states the bot permissions where expected"
    names = {n.strip() for n in re.sub(r"\([^)]*\)", "", listed[1]).split(",")}
    return names, int(integer[1])


def test_readme_lists_exactly_the_required_permissions() -> None:
    names, integer = readme_permissions()
    assert names == set(REQUIRED_PERMISSION_NAMES)
    assert integer == REQUIRED_PERMISSIONS.value


def test_every_listed_name_is_a_real_permission_flag() -> None:
    for flag in REQUIRED_PERMISSION_NAMES.values():
        assert flag in discord.Permissions.VALID_FLAGS, flag
    # one distinct permission bit per listed name: no name is a duplicate or an alias
    assert REQUIRED_PERMISSIONS.value.bit_count() == len(REQUIRED_PERMISSION_NAMES)


def test_the_fake_world_grants_the_bot_only_the_required_permissions(
    fake_discord: FakeDiscord, world: DefaultWorld
) -> None:
    bot = world.guild.members[fake_discord.world.bot.id]
    everyone = world.guild.roles[0]
    assert [r.permissions for r in bot.roles if r is not everyone] == [REQUIRED_PERMISSIONS.value]
    granted = discord.Permissions(bot.permissions)
    beyond = discord.Permissions(bot.permissions & ~REQUIRED_PERMISSIONS.value)
    # what the bot holds beyond the list comes from @everyone, as on a real server
    assert beyond.value & ~everyone.permissions == 0
    assert not (granted.administrator or granted.manage_threads or granted.manage_messages)
