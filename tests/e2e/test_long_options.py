"""Every free-text slash option at the longest length Discord lets a member type, and every
integer and number option at its extremes.

A string option takes up to 6,000 characters (less when the command declares ``max_length``).
For each command with such an option, a moderator and a member send it filled to the limit
(other required options get ordinary values); the bot must answer with a clear reply that fits
Discord's limits (the fake enforces them), not the apology, and log no ERROR. Autocomplete on
each such option must return valid choices.

Integer and number options: Discord itself refuses a value outside ``min_value``/``max_value``
(and, where none is declared, outside -2^53..2^53), so each is sent at its declared minimum and
maximum, or at Discord's bound where the command declares none: a clear reply, no ERROR log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import App
from bot.discord.client import MockInterviewBot
from tests.loopback import DefaultWorld, FakeDiscord, InvalidInteraction
from tests.loopback._limits import STRING_OPTION

Running = tuple[App, MockInterviewBot]
APOLOGY = ("went wrong", "something broke", "try again later")


def _long(limit: int) -> str:
    words = "a very long option value with many words "
    return (words * (limit // len(words) + 1))[:limit]


DISCORD_NUMBER_BOUND = 2**53  # Discord's range for integer and number options without bounds


def _string_options(
    commands: list[dict[str, Any]], types: tuple[int, ...] = (3,)
) -> Iterator[tuple[str, str | None, dict[str, Any], list[dict[str, Any]]]]:
    """(command, subcommand path, option, sibling options) for every option of ``types``
    without fixed choices (free text by default)."""
    for cmd in commands:
        if cmd.get("type", 1) != 1:
            continue
        stack: list[tuple[str | None, list[dict[str, Any]]]] = [(None, cmd.get("options") or [])]
        while stack:
            path, options = stack.pop()
            for opt in options:
                if opt["type"] in (1, 2):
                    sub = opt["name"] if path is None else f"{path} {opt['name']}"
                    stack.append((sub, opt.get("options") or []))
            for opt in options:
                if opt["type"] in types and not opt.get("choices"):
                    yield cmd["name"], path, opt, options


def _value_for(opt: dict[str, Any], world: DefaultWorld) -> Any:
    kind = opt["type"]
    if opt.get("choices"):
        return opt["choices"][0]["value"]
    if kind == 3:
        return {"time": "08:00", "timezone": "Europe/Berlin"}.get(opt["name"], "bias-variance")
    if kind in (4, 10):
        return max(opt.get("min_value", 1), 1)
    if kind == 5:
        return False
    if kind == 6:
        return world.carol
    if kind == 7:
        return world.general
    raise AssertionError(f"no ordinary value for option type {kind}")


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


async def test_every_free_text_option_at_the_maximum_length(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, errors: _Errors
) -> None:
    cases = list(_string_options(fake_discord.synced_commands()))
    assert len(cases) >= 8, cases  # topic, time, timezone, id ... in several commands
    tried = []
    for name, sub, opt, siblings in cases:
        limit = min(opt.get("max_length", STRING_OPTION), STRING_OPTION)
        options = {
            o["name"]: _value_for(o, world)
            for o in siblings
            if o.get("required") and o["type"] not in (1, 2) and o["name"] != opt["name"]
        }
        options[opt["name"]] = _long(limit)
        for member in (world.alice, world.bob):
            label = f"/{name} {sub or ''} {opt['name']}={limit} chars as {member.user.name}"
            hidden = fake_discord.command(name).get("default_member_permissions") is not None
            if hidden and member is world.bob:  # Discord does not show moderators' commands
                with pytest.raises(InvalidInteraction, match="lacks the permissions"):
                    await fake_discord.slash(
                        member, world.general, name, subcommand=sub, options=options
                    )
                tried.append(label)
                continue
            result = await fake_discord.slash(
                member, world.general, name, subcommand=sub, options=options
            )
            callback = await result.response()
            if callback.type == 9:  # a form opened: the option was accepted
                tried.append(label)
                continue
            reply = await result.final_message()
            text = reply.text()
            assert text.strip(), label
            assert not any(a in text.lower() for a in APOLOGY), (label, text[:300])
            assert len(reply.content) <= 2000, label
            tried.append(label)
            if opt.get("autocomplete"):
                partial = {k: v for k, v in options.items() if k != opt["name"]}
                partial[opt["name"]] = _long(limit)
                choices = await (
                    await fake_discord.autocomplete(
                        member,
                        world.general,
                        name,
                        subcommand=sub,
                        focused=opt["name"],
                        options=partial,
                    )
                ).choices()
                assert len(choices) <= 25, label
    assert not errors.messages, errors.messages
    assert len(tried) == 2 * len(cases)


def _extremes(opt: dict[str, Any]) -> list[int | float]:
    low = opt.get("min_value", -DISCORD_NUMBER_BOUND)
    high = opt.get("max_value", DISCORD_NUMBER_BOUND)
    cast = int if opt["type"] == 4 else float
    return [cast(low), cast(high)]


async def test_every_number_option_at_its_extremes(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running, errors: _Errors
) -> None:
    cases = list(_string_options(fake_discord.synced_commands(), types=(4, 10)))
    assert cases, "no integer or number option: the test would check nothing"
    tried = []
    for name, sub, opt, siblings in cases:
        for value in _extremes(opt):
            options = {
                o["name"]: _value_for(o, world)
                for o in siblings
                if o.get("required") and o["type"] not in (1, 2) and o["name"] != opt["name"]
            }
            options[opt["name"]] = value
            hidden = fake_discord.command(name).get("default_member_permissions") is not None
            member = world.alice if hidden else world.bob
            label = f"/{name} {sub or ''} {opt['name']}={value} as {member.user.name}"
            result = await fake_discord.slash(
                member, world.general, name, subcommand=sub, options=options
            )
            callback = await result.response()
            tried.append(label)
            if callback.type == 9:  # a form opened: the value was accepted
                continue
            reply = await result.final_message()
            text = reply.text()
            assert text.strip(), label
            assert not any(a in text.lower() for a in APOLOGY), (label, text[:300])
            assert len(reply.content) <= 2000, label
    assert not errors.messages, errors.messages
    assert len(tried) == 2 * len(cases)
