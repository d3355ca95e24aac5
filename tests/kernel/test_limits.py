"""bot.discord.limits: everything the bot sends fits Discord's documented limits."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord import limits


def test_clip_and_quote() -> None:
    assert limits.clip("short", 10) == "short"
    assert limits.clip("x" * 20, 10) == "x" * 9 + "…"
    assert len(limits.clip("x" * 5000, limits.CONTENT)) == limits.CONTENT
    assert limits.quote("a  b\n c" + "d" * 500) == ("a b c" + "d" * 500)[:99] + "…"


def test_quote_typed_replaces_long_typed_values_only() -> None:
    long_topic = "transformers " * 400
    data = {
        "name": "interview",
        "options": [
            {"name": "start", "type": 1, "options": [{"name": "topic", "value": long_topic}]}
        ],
    }
    message = f"Unknown topic {long_topic!r}; try another. Short: 'abc'"
    out = limits.quote_typed(message, data)
    assert len(out) < 200 and out.startswith("Unknown topic 'transformers transformers")
    assert out.endswith("; try another. Short: 'abc'")
    modal = {
        "custom_id": "m",
        "components": [{"components": [{"custom_id": "a", "value": "z" * 300}]}],
    }
    assert limits.quote_typed("you wrote " + "z" * 300, modal) == "you wrote " + "z" * 99 + "…"


def test_embeds_fit_every_limit() -> None:
    big = discord.Embed(title="t" * 300, description="d" * 5000)
    for _ in range(30):
        big.add_field(name="n" * 300, value="v" * 2000)
    big.set_footer(text="f" * 3000)
    second = discord.Embed(title="second", description="e" * 4000)
    fitted = limits.fit_embeds([big, second] + [discord.Embed(title="x")] * 10)
    assert len(fitted) <= limits.EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in fitted) <= limits.EMBEDS_TOTAL
    first = fitted[0]
    assert len(first.title or "") <= limits.EMBED_TITLE
    assert len(first.description or "") <= limits.EMBED_DESCRIPTION
    assert len(first.fields) <= limits.EMBED_FIELDS
    assert all(len(f.value or "") <= limits.FIELD_VALUE for f in first.fields)
    assert len(first.footer.text or "") <= limits.EMBED_FOOTER


def test_choices_are_at_most_25_with_valid_values() -> None:
    choices = [app_commands.Choice(name="n" * 150, value=f"v{i}") for i in range(40)]
    choices.insert(0, app_commands.Choice(name="too long", value="x" * 101))
    fitted = limits.fit_choices(choices)
    assert len(fitted) == 25
    assert all(len(c.name) <= 100 for c in fitted) and fitted[0].value == "v0"


def test_modal_fits() -> None:
    modal = discord.ui.Modal(title="A modal title that is far longer than forty-five characters")
    modal.add_item(discord.ui.TextInput(label="l" * 60, placeholder="p" * 200, default="d" * 5000))
    limits.fit_modal(modal)
    payload = modal.to_dict()
    assert len(payload["title"]) == limits.MODAL_TITLE
    text_input = payload["components"][0]["components"][0]
    assert len(text_input["label"]) <= 45 and len(text_input["placeholder"]) <= 100
    assert len(text_input["value"]) <= 4000


def test_fit_message_keywords() -> None:
    out = limits.fit_message(content="c" * 3000, embed=discord.Embed(description="d" * 5000))
    assert len(out["content"]) == 2000 and len(out["embed"].description) == 4096
