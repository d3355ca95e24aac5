"""Reading a model's reply: one JSON object, only the fields asked for, nothing trusted.

Models wrap JSON in code fences, add a sentence before it, or return something else entirely.
``json_object`` finds the first JSON object in the reply; the typed readers below take only the
fields this package asked for, of the types it asked for, and drop everything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.ai.client import AIUnavailable

MAX_REPLY_CHARS = 20_000
# Prompt scaffolding in a reply: our data markers, or chat-template tokens of common formats.
# A base (not instruction-tuned) model echoes these back instead of answering.
_SCAFFOLD = re.compile(
    r"<<<(DATA|END)\b|<<\s*<\s*(DATA|END)\b|<</?SYS>>|\[/?INST\]|<\|im_(start|end)\|>"
    r"|<(start|end)_of_turn>|<\|(system|user|assistant|eot_id)\|>",
    re.IGNORECASE,
)


def json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text``; ``AIUnavailable`` when there is none."""
    text = text[:MAX_REPLY_CHARS].strip()
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.DOTALL)
    candidates = [fenced.group(1)] if fenced else []
    candidates.append(text)
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for match in re.finditer(r"\{", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise AIUnavailable("malformed output: no JSON object in the reply")


def string_list(data: dict[str, Any], key: str, *, limit: int, max_chars: int) -> list[str]:
    """``data[key]`` as up to ``limit`` non-empty one-line strings of at most ``max_chars``."""
    raw = data.get(key)
    if not isinstance(raw, list):
        raise AIUnavailable(f"malformed output: {key!r} is not a list")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str) or echoes_prompt(item):
            continue
        line = " ".join(item.split())
        if line and len(line) <= max_chars and line not in out:
            out.append(line)
        if len(out) == limit:
            break
    if not out:
        raise AIUnavailable(f"malformed output: {key!r} holds no usable text")
    return out


def echoes_prompt(text: str) -> bool:
    """Whether a reply contains prompt scaffolding: the model echoed its input."""
    return _SCAFFOLD.search(text) is not None


def bounded_text(text: str, max_chars: int) -> str:
    """Plain text cut at the last sentence end (or word) within ``max_chars``."""
    text = " ".join(text.replace("```", " ").split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= max_chars // 3:
        return cut[: end + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(",;:") + "…"
