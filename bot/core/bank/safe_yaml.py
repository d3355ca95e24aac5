"""Safe YAML composition for the bank: the C-accelerated safe loader, tuned for bank files.

Only ``yaml.compose`` is used: it builds nodes that keep their line and column, and never
constructs Python objects from tags, so a bank file (or an upload) cannot run code.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode
from yaml.resolver import Resolver

try:  # libyaml's parser when PyYAML was built with it (several times faster)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_STR_TAG = "tag:yaml.org,2002:str"
_resolve: Callable[[Any, type[Node], Any, tuple[bool, bool]], str] = Resolver.resolve
# Tag of each short plain scalar seen so far: keys ("id", "cues") and enum-like values repeat
# thousands of times in a bank, and resolving them runs a chain of regexes in Python.
_plain_tags: dict[str, str] = {}
_PLAIN_CACHE_MAX = 20_000


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


def compose(text: str) -> Node | None:
    """The document's root node (None for an empty document); raises yaml.YAMLError."""
    root: Node | None = yaml.compose(text, Loader=BankLoader)
    return root


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
