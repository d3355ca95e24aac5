"""Safe, bounded YAML composition for the bank: libyaml's parser, with limits on what it builds.

Only nodes are built (never Python objects from tags), so a bank file or an upload cannot run
code. `compose` reads the parser's events itself instead of calling ``yaml.compose`` so that a
hostile document is stopped while it is read, not after:

- ``%TAG`` directives are refused before any node is parsed (a long tag prefix would otherwise
  be copied into every node);
- aliases (``*name``) are refused where they occur, so nothing is ever shared or expanded;
- custom tags (``!thing``, ``!!python/...``) and control characters in values are reported;
- reading stops after ``NODE_LIMIT`` nodes.

Each refusal is reported at its position and makes the document "not clean": the format walk is
then skipped, so it only ever sees a tree (no shared nodes) of bounded size.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from bot.core.bank.limits import NODE_LIMIT, QUOTE_LIMIT

try:  # libyaml's parser when PyYAML was built with it (several times faster)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_CORE = "tag:yaml.org,2002:"
_STR_TAG = _CORE + "str"
_SEQ_TAG = _CORE + "seq"
_MAP_TAG = _CORE + "map"
_NULL_TAG = _CORE + "null"
# Explicit tags a document may use (``!!str 12``): the safe loader's own types.
_SCALAR_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "merge")
)
_COLLECTION_TAGS = frozenset(_CORE + t for t in ("seq", "map", "omap", "pairs", "set"))
# C0 controls other than tab and line feed, DEL, C1 controls, and lone surrogates (from escapes
# such as "\0" or "\ud800" in a double-quoted value): text that breaks storage or display.
_control_char = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]").search

_NODE_STARTS = frozenset(" \t\r\n[{,:-")


def _needs_checks(text: str) -> bool:
    """Whether ``text`` may hold a directive ("%TAG" at a line start), a tag or an anchor ("!x",
    "&x" where a node may start) or an escape ("\\"); prose such as "90%" or "it!" does not
    count. Plain substring searches: a regex over the whole text is several times slower.
    """
    if "\\" in text or "\x85" in text or text.startswith("%") or "\n%" in text:
        return True
    for char in "!&":
        at = text.find(char)
        while at != -1:
            if at == 0 or text[at - 1] in _NODE_STARTS:
                return True
            at = text.find(char, at + 1)
    return False


def node_bound(text: str) -> int:
    """An upper bound on the number of nodes in ``text``.

    Every node but the root follows one of these characters: a line break (block mapping keys,
    multi-line scalars), "-" (block sequence items), "?" and ":" (keys and values), "[", "{" and
    "," (flow items); one of them starts at most two nodes ("[a: b]": a one-pair mapping and its
    key; "{a}": a key and its empty value).
    """
    count = text.count
    marks = count("\n") + count("-") + count("?") + count(":") + count("[") + count("{")
    return 2 * (marks + count(",")) + 2


_resolve: Callable[[Any, type[Node], Any, tuple[bool, bool]], str] = Resolver.resolve
# Tag of each short plain scalar seen so far: keys ("id", "cues") and enum-like values repeat
# thousands of times in a bank, and resolving them runs a chain of regexes in Python.
_plain_tags: dict[str, str] = {}
_PLAIN_CACHE_MAX = 20_000

Report = Callable[[Any, str], None]  # (mark, message)


class BankLoader(_SafeLoader):
    """The safe loader with cheaper implicit-tag resolution (same tags as the stock resolver).

    The bank format uses no path resolvers, so their per-node bookkeeping is skipped.
    """

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0]:  # quoted or block scalar without a tag: always a string
                return _STR_TAG
            if value and _FIRST_CHARS is not None and value[0] not in _FIRST_CHARS:
                return _STR_TAG  # no implicit type (int, bool, null...) starts with this
            tag = _plain_tags.get(value)
            if tag is None:
                tag = _resolve(self, kind, value, implicit)
                if len(value) <= 40 and len(_plain_tags) < _PLAIN_CACHE_MAX:
                    _plain_tags[value] = tag
            return tag
        return _resolve(self, kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


# First characters that some implicit resolver listens for; None if a wildcard resolver (key
# None) was registered, which could match anything, so every value must then be resolved.
_FIRST_CHARS: frozenset[str] | None = (
    None
    if None in BankLoader.yaml_implicit_resolvers
    else frozenset(BankLoader.yaml_implicit_resolvers)
)


def clip(value: str, limit: int = QUOTE_LIMIT) -> str:
    """A user value cut to ``limit`` characters (with "…"), on one line, for a message."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("\n", "\\n")


def compose(text: str, report: Report) -> tuple[Node | None, bool]:
    """The document's root node (None if empty) and whether it is clean (nothing reported).

    Raises yaml.YAMLError for a syntax error; refusals go to ``report(mark, message)``.

    A document with no character that could start a directive, a tag, an anchor or an escape,
    and too few indicators to hold ``NODE_LIMIT`` nodes (`node_bound`), is composed by libyaml
    directly (the common case: a bank file). That gives the same tree and the same problems as
    the checked path (tests/core/test_bank_fuzz.py compares them): control characters need an
    escape (the reader refuses raw ones), and an alias, which has no anchor to point to in such
    a document, sends it to the checked path.
    """
    if not _needs_checks(text) and node_bound(text) <= NODE_LIMIT:
        try:
            root: Node | None = yaml.compose(text, Loader=BankLoader)
        except ComposerError as exc:
            if not (exc.problem or "").startswith("found undefined alias"):
                raise
            # An alias (without an anchor): the checked path reports it, and what follows.
        else:
            return root, True
    loader = BankLoader(text)
    try:
        return _compose(loader, report)
    finally:
        loader.dispose()


def _compose(loader: Any, report: Report) -> tuple[Node | None, bool]:
    get_event = loader.get_event
    resolve = loader.resolve
    get_event()  # stream start
    document = get_event()
    if document.__class__ is StreamEndEvent:
        return None, True
    if document.tags:
        report(document.start_mark, "%TAG directives are not allowed (write tags out in full)")
        return None, False
    clean = True
    root: Node | None = None
    stack: list[Any] = []  # open collections
    keys: list[Node | None] = []  # per open mapping: its key waiting for a value
    nodes = 0
    while True:
        event = get_event()
        cls = event.__class__
        if cls is ScalarEvent:
            tag = event.tag
            value: str = event.value
            if tag is None or tag == "!":
                tag = resolve(ScalarNode, value, event.implicit)
            elif tag not in _SCALAR_TAGS:
                report(event.start_mark, f"custom YAML tag '{clip(tag)}' is not allowed")
                clean = False
            if (bad := _control_char(value)) is not None:
                report(
                    event.start_mark,
                    f"value has a control character (U+{ord(bad[0]):04X}) at character "
                    f"{bad.start() + 1}; only tab and line breaks are allowed in text",
                )
                clean = False
            node: Any = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            nodes += 1
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            nodes += 1
            tag = event.tag
            is_map = cls is MappingStartEvent
            if tag is None or tag == "!":
                tag = _MAP_TAG if is_map else _SEQ_TAG
            elif tag not in _COLLECTION_TAGS:
                report(event.start_mark, f"custom YAML tag '{clip(tag)}' is not allowed")
                clean = False
            node_class = MappingNode if is_map else SequenceNode
            stack.append(node_class(tag, [], event.start_mark, None, flow_style=event.flow_style))
            keys.append(None)
            if nodes > NODE_LIMIT:
                return _too_many(event, report)
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            node = stack.pop()
            keys.pop()
            node.end_mark = event.end_mark
        elif cls is AliasEvent:
            report(
                event.start_mark,
                f"YAML alias '*{clip(event.anchor)}' is not allowed (write the value out in full)",
            )
            clean = False
            node = ScalarNode(_NULL_TAG, "", event.start_mark, event.end_mark)
            nodes += 1
        else:  # document end
            break
        if nodes > NODE_LIMIT:
            return _too_many(event, report)
        if not stack:
            root = node
        elif stack[-1].__class__ is SequenceNode:
            stack[-1].value.append(node)
        elif (key := keys[-1]) is None:
            keys[-1] = node
        else:
            stack[-1].value.append((key, node))
            keys[-1] = None
    following = get_event()
    if following.__class__ is not StreamEndEvent:
        raise ComposerError(
            "expected a single document in the stream",
            document.start_mark,
            "but found another document",
            following.start_mark,
        )
    return root, clean


def _too_many(event: Any, report: Report) -> tuple[None, bool]:
    report(
        event.start_mark,
        f"the document has more than {NODE_LIMIT} YAML values; split it into several files",
    )
    return None, False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building a bank.

    Composing allocates hundreds of thousands of acyclic nodes; with the collector on, each
    file's nodes get promoted and rescanned together with every question kept so far, which
    doubles the load time. Refcounting still frees everything; cycles (none expected) would be
    collected once the collector is back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
