"""Discord's documented size limits, checked on what the bot sends to the fake.

Each check returns problems as ``(path, code, message)``; ``invalid_form_body`` turns them
into Discord's answer: 400, code 50035 "Invalid Form Body", with ``errors`` nested by field
path, e.g. ``{"embeds": {"0": {"description": {"_errors": [{"code":
"BASE_TYPE_MAX_LENGTH", "message": "Must be 4096 or fewer in length."}]}}}}``.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
Problem = tuple[str, str, str]

CONTENT = 2000
EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBEDS_TOTAL = 6000
CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_OPTION_TEXT = 100
SELECT_PLACEHOLDER = 150
MODAL_TITLE = 45
MODAL_COMPONENTS = 5
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100
TEXT_INPUT_VALUE = 4000
LABEL_DESCRIPTION = 100
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
STRING_OPTION = 6000  # what a member can type into one string option
UPLOAD_LIMIT = 25 * 1024 * 1024  # default per-request upload size for bots


def _too_long(path: str, value: Any, limit: int) -> list[Problem]:
    if isinstance(value, str) and len(value) > limit:
        return [(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")]
    return []


def _too_many(path: str, items: Any, limit: int) -> list[Problem]:
    if isinstance(items, list) and len(items) > limit:
        return [(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")]
    return []


def embed_size(embed: JSON) -> int:
    """Characters Discord counts towards the 6,000 of a message."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        size += len(f.get("name") or "") + len(f.get("value") or "")
    return size


def embed_problems(embeds: list[JSON]) -> list[Problem]:
    problems = _too_many("embeds", embeds, EMBEDS)
    for i, e in enumerate(embeds):
        at = f"embeds.{i}"
        problems += _too_long(f"{at}.title", e.get("title"), EMBED_TITLE)
        problems += _too_long(f"{at}.description", e.get("description"), EMBED_DESCRIPTION)
        problems += _too_long(
            f"{at}.footer.text", (e.get("footer") or {}).get("text"), EMBED_FOOTER
        )
        problems += _too_long(
            f"{at}.author.name", (e.get("author") or {}).get("name"), EMBED_AUTHOR
        )
        fields = e.get("fields") or []
        problems += _too_many(f"{at}.fields", fields, EMBED_FIELDS)
        for j, f in enumerate(fields):
            problems += _too_long(f"{at}.fields.{j}.name", f.get("name"), FIELD_NAME)
            problems += _too_long(f"{at}.fields.{j}.value", f.get("value"), FIELD_VALUE)
            for key in ("name", "value"):
                if not f.get(key):
                    problems.append((f"{at}.fields.{j}.{key}", "BASE_TYPE_REQUIRED", "Required"))
    if sum(embed_size(e) for e in embeds) > EMBEDS_TOTAL:
        problems.append(("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size"))
    return problems


def component_problems(components: list[JSON], at: str = "components") -> list[Problem]:
    problems: list[Problem] = []
    for i, c in enumerate(components):
        path = f"{at}.{i}"
        problems += _too_long(f"{path}.custom_id", c.get("custom_id"), CUSTOM_ID)
        if c.get("type") == 2:
            problems += _too_long(f"{path}.label", c.get("label"), BUTTON_LABEL)
        if c.get("type") == 3:
            options = c.get("options") or []
            problems += _too_many(f"{path}.options", options, SELECT_OPTIONS)
            problems += _too_long(f"{path}.placeholder", c.get("placeholder"), SELECT_PLACEHOLDER)
            for j, o in enumerate(options):
                for key in ("label", "value", "description"):
                    problems += _too_long(
                        f"{path}.options.{j}.{key}", o.get(key), SELECT_OPTION_TEXT
                    )
        if c.get("type") == 4:
            problems += _too_long(f"{path}.label", c.get("label"), TEXT_INPUT_LABEL)
            problems += _too_long(
                f"{path}.placeholder", c.get("placeholder"), TEXT_INPUT_PLACEHOLDER
            )
            problems += _too_long(f"{path}.value", c.get("value"), TEXT_INPUT_VALUE)
            for key in ("min_length", "max_length"):
                if isinstance(c.get(key), int) and not 0 <= c[key] <= TEXT_INPUT_VALUE:
                    problems.append(
                        (f"{path}.{key}", "NUMBER_TYPE_MAX", f"Must be {TEXT_INPUT_VALUE} or less.")
                    )
        if c.get("type") == 18:
            problems += _too_long(f"{path}.label", c.get("label"), TEXT_INPUT_LABEL)
            problems += _too_long(f"{path}.description", c.get("description"), LABEL_DESCRIPTION)
            if isinstance(c.get("component"), dict):
                problems += component_problems([c["component"]], f"{path}.component")
        if isinstance(c.get("components"), list):
            problems += component_problems(c["components"], f"{path}.components")
    return problems


def message_problems(message: JSON) -> list[Problem]:
    """A message create or edit (``content``, ``embeds``, ``components``) as it will stand."""
    problems = _too_long("content", message.get("content"), CONTENT)
    problems += embed_problems(list(message.get("embeds") or []))
    problems += component_problems(list(message.get("components") or []))
    return problems


def modal_problems(data: JSON) -> list[Problem]:
    problems = _too_long("data.title", data.get("title"), MODAL_TITLE)
    problems += _too_long("data.custom_id", data.get("custom_id"), CUSTOM_ID)
    rows = list(data.get("components") or [])
    problems += _too_many("data.components", rows, MODAL_COMPONENTS)
    return problems + component_problems(rows, "data.components")


def choice_problems(choices: list[JSON]) -> list[Problem]:
    problems = _too_many("data.choices", choices, CHOICES)
    for i, c in enumerate(choices):
        name = c.get("name")
        if not isinstance(name, str) or not name:
            problems.append((f"data.choices.{i}.name", "BASE_TYPE_REQUIRED", "Required"))
        problems += _too_long(f"data.choices.{i}.name", name, CHOICE_NAME)
        problems += _too_long(f"data.choices.{i}.value", c.get("value"), CHOICE_VALUE)
    return problems


def errors_tree(problems: list[Problem]) -> JSON:
    """Discord's nested ``errors`` object for these problems."""
    tree: JSON = {}
    for path, code, message in problems:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree
