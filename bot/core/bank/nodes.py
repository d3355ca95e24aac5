"""Walk primitives shared by the format rules: the per-file context, scalars, keys and lists.

Every helper is total over any tree `safe_yaml.compose` returns (any node class, any tag, any
value) and reports what is wrong at the node itself. Messages quote user values clipped to a
few dozen characters, so no message is ever larger than the limits allow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TypeVar

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.bank.problems import WARNING, Problem, ProblemLog
from bot.core.bank.safe_yaml import clip

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
NULL = "tag:yaml.org,2002:null"
_T = TypeVar("_T")
NO_PROMPT = ""

_KINDS = {
    STR: "a string",
    INT: "an integer",
    NULL: "an empty value",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:timestamp": "a date",
}

is_slug = re.compile(r"[a-z0-9-]+").fullmatch
SLUG_RULE = "use only a-z, 0-9 and '-'"
# YAML 1.1 integers as the safe loader reads them: decimal, 0b, 0x, 0o / leading-0 octal,
# base 60 ("1:30"), with "_" separators. ASCII only ("²".isdigit() is true, int("²") fails).
_is_int_text = re.compile(
    r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)", re.ASCII
).fullmatch
_INT_TEXT_LIMIT = 20  # digits enough for any bound the format uses, far below int()'s limit
# For the rare int spellings the fast path does not handle (0x1f, 1_000, 0o17, 1:30).
_construct_int = SafeConstructor().construct_yaml_int


def quote(value: str) -> str:
    """Quote a user value for a one-line message (clipped)."""
    return "'" + clip(value) + "'"


def kind(node: Node) -> str:
    """What a node holds, for "must be X, got Y" messages."""
    cls = node.__class__
    if cls is ScalarNode:
        return _KINDS.get(node.tag, f"a value tagged {clip(node.tag)}")
    return "a list" if cls is SequenceNode else "a mapping"


class Context:
    """Per-file state of the walk: where problems go, and ids seen so far across files."""

    __slots__ = (
        "file",
        "file_name",
        "folder_track",
        "known_ids",
        "lint",
        "log",
        "prompt",
        "qid",
        "topic",
    )

    def __init__(
        self,
        file: str,
        known_ids: MutableMapping[str, str],
        log: ProblemLog,
        layout: tuple[str, str, str] | None = None,
        lint: bool = True,
    ) -> None:
        self.file = file
        self.lint = lint  # report warnings about weak cues (see `lint`)
        self.known_ids = known_ids
        self.log = log
        self.qid: str | None = None
        # Words of the prompts in scope (question, phase), for the cue warnings.
        self.prompt = NO_PROMPT  # see `lint.prompt_scope`
        # (folder track, topic from the file name, file name) for bank-layout files only.
        self.folder_track: str | None = layout[0] if layout else None
        self.topic: str | None = layout[1] if layout else None
        self.file_name: str | None = layout[2] if layout else None

    @property
    def errors(self) -> int:
        """Errors reported so far (compare before/after a part to know if it was valid)."""
        return self.log.errors

    def report(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.log.add(Problem(self.file, mark.line + 1, mark.column + 1, self.qid, message))

    def warn(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.log.add(Problem(self.file, mark.line + 1, mark.column + 1, self.qid, message, WARNING))

    def report_at(self, line: int, column: int, message: str) -> None:
        self.log.add(Problem(self.file, line, column, self.qid, message))


def allowed(keys: Iterable[str]) -> tuple[frozenset[str], str]:
    keys = tuple(keys)
    return frozenset(keys), ", ".join(keys)


# --- scalars -----------------------------------------------------------------------------------


def text(node: Node, name: str, ctx: Context, limit: int = 0) -> str | None:
    if node.__class__ is ScalarNode:
        tag = node.tag
        if tag == STR:
            value: str = node.value
            if not value or value.isspace():
                ctx.report(node, f"'{name}' must not be empty")
            elif limit and len(value) > limit:
                ctx.report(node, f"'{name}' is too long: {len(value)} characters (limit {limit})")
            else:
                return value
            return None
        if tag == NULL:
            ctx.report(node, f"'{name}' must not be empty")
            return None
    ctx.report(node, f"'{name}' must be a string, got {kind(node)}")
    return None


def integer(node: Node, name: str, ctx: Context) -> int | None:
    if node.__class__ is ScalarNode and node.tag == INT:
        value: str = node.value
        if value.isascii() and value.isdigit() and (value[0] != "0" or len(value) == 1):
            if len(value) <= _INT_TEXT_LIMIT:
                return int(value)
        elif len(value) <= _INT_TEXT_LIMIT and _is_int_text(value) and any(map(str.isdigit, value)):
            try:
                number: int = _construct_int(node)
            except (ValueError, IndexError):  # e.g. "0b_" or "1:"
                pass
            else:
                return number
        ctx.report(node, f"'{name}' must be an integer, got {quote(value)}")
        return None
    ctx.report(node, f"'{name}' must be an integer, got {kind(node)}")
    return None


def bounded(node: Node, name: str, bounds: tuple[int, int], ctx: Context) -> int | None:
    value = integer(node, name, ctx)
    low, high = bounds
    if value is not None and not low <= value <= high:
        ctx.report(node, f"'{name}' must be an integer from {low} to {high}, got {value}")
        return None
    return value


def minutes(node: Node, bounds: tuple[int, int], ctx: Context) -> int | None:
    """A positive number of minutes, at most ``bounds[1]``."""
    value = integer(node, "minutes", ctx)
    if value is not None and value <= 0:
        ctx.report(node, f"'minutes' must be a positive integer, got {value}")
        return None
    if value is not None and value > bounds[1]:
        ctx.report(node, f"'minutes' must be at most {bounds[1]}, got {value}")
        return None
    return value


def slug(node: Node, name: str, ctx: Context, limit: int) -> str | None:
    value = text(node, name, ctx)
    if value is None:
        return None
    if not is_slug(value):
        ctx.report(node, f"{name} {quote(value)} is not a slug ({SLUG_RULE})")
        return None
    if len(value) > limit:
        ctx.report(node, f"'{name}' is too long: {len(value)} characters (limit {limit})")
        return None
    return value


def choice(node: Node, name: str, options: Mapping[str, _T], ctx: Context) -> _T | None:
    if node.__class__ is ScalarNode and node.tag != NULL and node.value.strip():
        found = options.get(node.value)
        if found is None:
            ctx.report(
                node, f"{name} {quote(node.value)} is not allowed (allowed: {', '.join(options)})"
            )
        return found
    text(node, name, ctx)  # reports "empty" or the wrong type
    return None


# --- collections -------------------------------------------------------------------------------


def fields(
    node: MappingNode, keys_allowed: tuple[frozenset[str], str], ctx: Context
) -> dict[str, Node]:
    """Map each allowed key to its value node; report unknown and repeated keys (one pass)."""
    keys, allowed_text = keys_allowed
    found: dict[str, Node] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        if key_node.__class__ is not ScalarNode:
            ctx.report(key_node, f"keys must be strings, got {kind(key_node)}")
            continue
        key: str = key_node.value
        if key in first_line:
            ctx.report(key_node, f"duplicate key {quote(key)} (first at line {first_line[key]})")
            continue
        first_line[key] = key_node.start_mark.line + 1
        if key in keys:
            found[key] = value_node
        else:
            ctx.report(key_node, f"unknown key {quote(key)} (allowed: {allowed_text})")
    return found


def key_node(node: MappingNode, key: str) -> Node:
    return next(k for k, _ in node.value if k.__class__ is ScalarNode and k.value == key)


def items(node: Node, name: str, bounds: tuple[int, int], unit: str, ctx: Context) -> list[Node]:
    """The items of a list node, reporting a wrong type or a count outside ``bounds``.

    Only the first ``high`` items of a too-long list are returned for checking.
    """
    if node.__class__ is not SequenceNode:
        ctx.report(node, f"'{name}' must be a list, got {kind(node)}")
        return []
    values: list[Node] = node.value
    low, high = bounds
    if not low <= len(values) <= high:
        ctx.report(node, f"'{name}' must have {low}-{high} {unit}, got {len(values)}")
    return values[:high]


def item_text(node: Node, name: str, ctx: Context, limit: int = 0) -> str | None:
    if node.__class__ is ScalarNode and node.tag == STR:
        value: str = node.value
        if value and not value.isspace():
            if not limit or len(value) <= limit:
                return value
            ctx.report(node, f"'{name}' item is too long: {len(value)} characters (limit {limit})")
            return None
    if node.__class__ is ScalarNode and node.tag in (STR, NULL):
        ctx.report(node, f"'{name}' item must not be empty")
    else:
        ctx.report(node, f"'{name}' item must be a string, got {kind(node)}")
    return None


def strings(
    node: Node, name: str, bounds: tuple[int, int], limit: int, ctx: Context
) -> tuple[str, ...] | None:
    before = ctx.errors
    values = []
    for item in items(node, name, bounds, "items", ctx):
        value = item_text(item, name, ctx, limit)
        if value is not None:
            values.append(value)
    return tuple(values) if ctx.errors == before else None
