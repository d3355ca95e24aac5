"""Warnings about cues that are valid but probably weak (the question is kept).

Three checks, each on every ``|`` alternative of a cue (rubric points and misconceptions):

- the alternative occurs, as whole words, in a prompt the candidate sees (the question's or the
  phase's): pasting the prompt back would match it;
- it contains a negation word (``not``, ``no``, ``never``, ``without``, ``n't``, ``non-``): the
  scorer already handles negation in answers, so a cue should state the positive fact;
- it is a very generic word (``model``, ``data``, ``use``...) that nearly every answer contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from yaml.nodes import Node

from bot.core.bank.nodes import Context, quote
from bot.core.questions import REQUIRED_CUE_MARK

# Words (letters and digits) and numbers with their separators ("0.67", "12,000").
_words = re.compile(r"[^\W_]+(?:[.,][0-9]+)*").findall
# A negation word, a "n't" contraction or a "non-" prefix, as whole words (text lower-cased).
_negation = re.compile(
    r"(?<![^\W_])(?:not|no|never|without|nor|cannot)(?![^\W_])|n['’]t(?![^\W_])|(?<![^\W_])non-"
).search

# Whole alternatives that say nothing specific (a stop list, kept short on purpose).
GENERIC_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as one string
        "a an the and or of to in on for with is are be it this that "
        "model models data use using used good better best bad important system systems "
        "approach result results way ways thing things method methods process solution "
        "information technique"
    ).split()
)


def prompt_scope(text: str, outer: str = "") -> str:
    """The words of ``text`` (lower-cased) as " a b c ", after those of ``outer`` (for `in`)."""
    joined = " " + " ".join(_words(text.lower())) + " "
    return outer + "|" + joined if outer else joined  # no cue phrase spans two prompts


def cue_warnings(cue_nodes: Iterable[Node], ctx: Context) -> None:
    """Warn about weak alternatives of already-valid cues (each node holds a cue string)."""
    if not ctx.lint:
        return
    prompt = ctx.prompt
    for node in cue_nodes:
        cue: str = node.value
        if cue.startswith(REQUIRED_CUE_MARK):
            cue = cue[1:]
        lowered = cue.lower()
        negated = _negation(lowered) is not None
        for index, alternative in enumerate(lowered.split("|")):
            alternative = alternative.strip()
            generic = alternative in GENERIC_WORDS
            phrase = " " + " ".join(_words(alternative)) + " "
            echoed = bool(prompt) and phrase != "  " and phrase in prompt
            if generic or echoed or negated:
                original = cue.split("|")[index].strip()
                _alternative(node, original, generic, negated, echoed, ctx)


def _alternative(
    node: Node, original: str, generic: bool, negated: bool, echoed: bool, ctx: Context
) -> None:
    alternative = original.lower()
    found: list[str] = []
    if generic:
        found.append("is a generic word that almost every answer contains; name the specific idea")
    else:
        if negated and _negation(alternative) is not None:
            found.append(
                "contains a negation: the scorer handles negation in answers, so state the "
                "positive fact"
            )
        if echoed:
            found.append("occurs in the prompt, so repeating the prompt would match it")
    log = ctx.log
    for reason in found:
        if log.warnings_full:  # a hostile or very weak file: count, do not build messages
            log.count_warning()
        else:
            ctx.warn(node, f"cue alternative {quote(original)} {reason}")
