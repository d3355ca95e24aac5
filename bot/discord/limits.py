"""Discord's size limits in one place, and functions that fit what the bot sends into them.

Discord rejects a whole request (400, code 50035 Invalid Form Body) when one string is a
character too long, so everything the bot sends passes through here: message content, embeds,
modals, select options and autocomplete choices. Text the bot wrote is clipped with an
ellipsis; text a member typed is quoted clipped (``quote``), so an error reply about a
6,000-character option stays one readable sentence. All limits count characters, as Discord
does (documented in the API reference: messages, embeds, components, application commands).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import discord
from discord import app_commands

CONTENT = 2000  # message content
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBEDS_TOTAL = 6000  # title, description, field names and values, footer, author: all embeds
MODAL_TITLE = 45
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100
TEXT_INPUT_VALUE = 4000
SELECT_OPTIONS = 25
SELECT_OPTION_TEXT = 100  # label, value and description of a select option
SELECT_PLACEHOLDER = 150
BUTTON_LABEL = 80
CHOICES = 25  # autocomplete results and static choices
CHOICE_NAME = 100
CHOICE_VALUE = 100  # a string choice's value
STRING_OPTION = 6000  # the longest string a member can type into a slash command option
QUOTE = 100  # how much of a member's text a reply quotes back

ELLIPSIS = "…"
# The value types Discord allows in a choice (discord.py constrains Choice the same way).
ChoiceValue = TypeVar("ChoiceValue", str, int, float)


def clip(text: str, limit: int) -> str:
    """``text`` if it fits, else its start and an ellipsis, ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def quote(text: str, limit: int = QUOTE) -> str:
    """A member's text as a reply quotes it: one line, clipped to ``limit`` characters."""
    return clip(" ".join(str(text).split()), limit)


def fit_content(text: str | None) -> str | None:
    return None if text is None else clip(text, CONTENT)


def _fit_one(embed: discord.Embed) -> discord.Embed:
    if embed.title:
        embed.title = clip(str(embed.title), EMBED_TITLE)
    if embed.description:
        embed.description = clip(str(embed.description), EMBED_DESCRIPTION)
    fields = embed.fields[:EMBED_FIELDS]
    if len(fields) != len(embed.fields) or any(
        len(f.name or "") > FIELD_NAME or len(f.value or "") > FIELD_VALUE for f in fields
    ):
        embed.clear_fields()
        for f in fields:
            embed.add_field(
                name=clip(str(f.name), FIELD_NAME),
                value=clip(str(f.value), FIELD_VALUE),
                inline=bool(f.inline),
            )
    if embed.footer.text and len(embed.footer.text) > EMBED_FOOTER:
        embed.set_footer(text=clip(embed.footer.text, EMBED_FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name and len(embed.author.name) > EMBED_AUTHOR:
        embed.set_author(
            name=clip(embed.author.name, EMBED_AUTHOR),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )
    return embed


def fit_embeds(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """At most 10 embeds, each within its limits, together within 6,000 characters: fields
    are dropped from the end first, then descriptions are shortened, then embeds dropped."""
    fitted = [_fit_one(e) for e in list(embeds)[:EMBEDS_PER_MESSAGE]]
    total = sum(len(e) for e in fitted)
    for embed in reversed(fitted):
        while total > EMBEDS_TOTAL and embed.fields:
            total -= len(embed)
            embed.remove_field(-1)
            total += len(embed)
    for embed in reversed(fitted):
        if total > EMBEDS_TOTAL and embed.description:
            over = total - EMBEDS_TOTAL
            keep = max(len(embed.description) - over, 1)
            total -= len(embed)
            embed.description = clip(embed.description, keep)
            total += len(embed)
    while total > EMBEDS_TOTAL and len(fitted) > 1:
        total -= len(fitted.pop())
    return fitted


def fit_embed(embed: discord.Embed) -> discord.Embed:
    return fit_embeds([embed])[0]


def fit_choices(
    choices: Iterable[app_commands.Choice[ChoiceValue]],
) -> list[app_commands.Choice[ChoiceValue]]:
    """At most 25 choices; names clipped; string values longer than Discord allows are
    left out (a clipped value would name something else)."""
    out: list[app_commands.Choice[ChoiceValue]] = []
    for choice in choices:
        if isinstance(choice.value, str) and not 0 < len(choice.value) <= CHOICE_VALUE:
            continue
        name = clip(choice.name, CHOICE_NAME) or clip(str(choice.value), CHOICE_NAME)
        out.append(app_commands.Choice(name=name, value=choice.value))
        if len(out) == CHOICES:
            break
    return out


def fit_select_options(options: Iterable[discord.SelectOption]) -> list[discord.SelectOption]:
    out: list[discord.SelectOption] = []
    for option in options:
        option.label = clip(option.label, SELECT_OPTION_TEXT)
        if option.description:
            option.description = clip(option.description, SELECT_OPTION_TEXT)
        out.append(option)
        if len(out) == SELECT_OPTIONS:
            break
    return out


def fit_modal(modal: discord.ui.Modal) -> discord.ui.Modal:
    """Title, text-input labels, placeholders and pre-filled values within their limits."""
    modal.title = clip(modal.title, MODAL_TITLE)
    for item in modal.walk_children():
        if isinstance(item, discord.ui.TextInput):
            # TextInput.label warns (deprecated in favour of Label): set the component itself
            component = getattr(item, "_underlying", None)
            if component is not None and component.label:
                component.label = clip(component.label, TEXT_INPUT_LABEL)
            if item.placeholder:
                item.placeholder = clip(item.placeholder, TEXT_INPUT_PLACEHOLDER)
            if item.default:
                item.default = clip(item.default, min(item.max_length or 4000, TEXT_INPUT_VALUE))
        elif isinstance(item, discord.ui.Label):
            item.text = clip(item.text, TEXT_INPUT_LABEL)
            if item.description:
                item.description = clip(item.description, TEXT_INPUT_PLACEHOLDER)
        elif isinstance(item, discord.ui.Select):
            item.options = fit_select_options(item.options)
    return modal


def typed_values(data: Any, *, options: bool = True) -> list[str]:
    """Every string a member typed into an interaction, from the raw ``interaction.data``:
    modal text inputs and (unless ``options`` is false) slash and autocomplete option values,
    nested in subcommands."""
    found: list[str] = []
    keys = ("name", "custom_id") if options else ("custom_id",)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("value")
            if isinstance(value, str) and any(k in node for k in keys):
                found.append(value)
            for key in ("options", "components", "component"):
                walk(node.get(key))
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data)
    return found


def quote_typed(text: str, data: Any, limit: int = QUOTE) -> str:
    """``text`` with every long value the member typed (see ``typed_values``) quoted clipped:
    an error message that repeats a 6,000-character option shows its first words."""
    for value in sorted(set(typed_values(data)), key=len, reverse=True):
        if len(value) <= limit:
            continue
        short = quote(value, limit)
        for form in (value, repr(value)[1:-1]):
            if form in text:
                text = text.replace(form, short)
    return text


def fit_message(**kwargs: Any) -> dict[str, Any]:
    """``send``/``edit`` keyword arguments with ``content``, ``embed`` and ``embeds`` fitted."""
    if isinstance(kwargs.get("content"), str):
        kwargs["content"] = clip(kwargs["content"], CONTENT)
    if isinstance(kwargs.get("embed"), discord.Embed):
        kwargs["embed"] = fit_embed(kwargs["embed"])
    if kwargs.get("embeds"):
        kwargs["embeds"] = fit_embeds(kwargs["embeds"])
    return kwargs
