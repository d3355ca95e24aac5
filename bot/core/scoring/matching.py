"""Finding a cue in an answer: where it occurs, token by token.

A cue alternative is compiled once into a joined key (its tokens' keys without spaces, so
"over-fitting", "over fitting" and "overfitting" are one key) plus the quantities its numbers
denote. An answer is indexed once by token key; a lookup walks the answer's tokens from each
candidate start until the joined key is spelled out, then checks the numbers as numbers.

Typos: a whole word of 5+ letters (no digits) in the cue may meet an answer word one edit away
(two from 8 letters), with the same first letter, when neither word is a prefix of the other
("precison" meets "precision"; "search" never meets "reach", nor "larger" "large").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from bot.core.scoring.equivalences import equivalent_phrases
from bot.core.scoring.numbers import Quantity, same_quantity
from bot.core.scoring.text import NUMBER, WORD, Token, Tokens, tokenize

FUZZY_MIN_LETTERS = 5
Span = tuple[int, int]  # token indices [start, end)


@dataclass(frozen=True, slots=True, eq=False)  # interned by compile_cue: identity is equality
class Pattern:
    """One cue alternative, compiled."""

    text: str
    key: str
    keys: tuple[str, ...]  # per token, for typo-tolerant matching
    words: tuple[str, ...]  # per token: the folded word, "" for numbers and codes
    quantities: tuple[Quantity, ...]
    prefixes: tuple[str, ...]  # the key's prefixes: where an answer token may start it
    one_clause: bool  # written without a comma or colon, so it never spans one in an answer
    fuzzable: bool  # has a word long enough to forgive a typo in


@dataclass(frozen=True, slots=True, eq=False)
class Cue:
    text: str  # as written in the bank, without the required mark
    required: bool
    patterns: tuple[Pattern, ...]


def _pattern(text: str) -> Pattern | None:
    tokens = tokenize(text).tokens
    if not tokens:
        return None
    key = "".join(t.key for t in tokens)
    return Pattern(
        text=text,
        key=key,
        keys=tuple(t.key for t in tokens),
        words=tuple(t.text if t.kind == WORD else "" for t in tokens),
        quantities=tuple(t.quantity for t in tokens if t.quantity is not None),
        prefixes=tuple(key[:cut] for cut in range(1, len(key) + 1)),
        one_clause=len({t.clause for t in tokens}) == 1,
        fuzzable=any(
            len(t.text) >= FUZZY_MIN_LETTERS and t.text.isalpha() for t in tokens if t.kind == WORD
        ),
    )


@lru_cache(maxsize=16384)
def compile_cue(cue: str) -> Cue:
    """``"+freeze|lock the weights"`` -> a required cue with its alternatives and equivalents."""
    required = cue.startswith("+")
    text = cue[1:] if required else cue
    alternatives = [alt.strip() for alt in text.split("|") if alt.strip()]
    patterns: dict[str, Pattern] = {}
    for alt in alternatives:
        for phrase in (alt, *equivalent_phrases(alt)):
            pattern = _pattern(phrase)
            if pattern is not None:
                patterns.setdefault(pattern.key + repr(pattern.quantities), pattern)
    return Cue(text.strip(), required, tuple(patterns.values()))


class AnswerIndex:
    """An answer's tokens, indexed by key, with a memo of typo look-ups."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens.tokens
        self.sentence_count = tokens.sentence_count
        by_key: dict[str, list[int]] = defaultdict(list)
        by_initial: dict[str, set[str]] = defaultdict(set)
        # numbers_before[i]: number tokens among tokens[:i], so a span without numbers is known
        # without walking it (most patterns hold no number).
        numbers_before = [0]
        count = 0
        for i, token in enumerate(self.tokens):
            by_key[token.key].append(i)
            kind = token.kind
            if kind == WORD:
                if len(token.text) >= FUZZY_MIN_LETTERS:
                    by_initial[token.text[0]].add(token.text)
            elif kind == NUMBER:
                count += 1
            numbers_before.append(count)
        self._by_key = dict(by_key)
        self._numbers_before = numbers_before
        # Every key run together: a pattern whose key is not a substring cannot match exactly,
        # and `in` on a str is far cheaper than walking the pattern's prefixes.
        self.joined = "".join(t.key for t in self.tokens)
        self._by_initial = dict(by_initial)
        self._near: dict[str, frozenset[str]] = {}
        self._strict = False

    @classmethod
    def build(cls, text: str) -> AnswerIndex:
        return cls(tokenize(text))

    def find_exact(self, pattern: Pattern) -> list[Span]:
        self._strict = False
        return list(self._exact(pattern))

    def find_forgiving(self, pattern: Pattern) -> list[Span]:
        """What ``find`` adds when the exact lookup found nothing: typos, then slipped-in words."""
        self._strict = False
        spans: list[Span] = []
        if pattern.fuzzable and self._by_initial:
            spans = list(self._fuzzy(pattern))
        if not spans and len(pattern.keys) > 1:
            spans = list(self._gapped(pattern))
        return spans

    def find(self, pattern: Pattern, *, strict: bool = False) -> list[Span]:
        """Occurrences of the pattern; ``strict`` (for the prompt) wants numbers equal, not merely
        rounded alike (the prompt's "85%" does not say "0.854"), and no typo forgiven."""
        self._strict = strict
        spans = list(self._exact(pattern))
        # A prompt "contains" a term only as written: its "sharing" does not say "sharding".
        if not spans and not strict and pattern.fuzzable and self._by_initial:
            spans = list(self._fuzzy(pattern))
        if not spans and len(pattern.keys) > 1:
            spans = list(self._gapped(pattern))
        return spans

    def _exact(self, pattern: Pattern) -> Iterator[Span]:
        key, tokens, n = pattern.key, self.tokens, len(self.tokens)
        if key not in self.joined:
            return
        seen: set[int] = set()
        by_key = self._by_key
        for cut, prefix in enumerate(pattern.prefixes, 1):
            starts = by_key.get(prefix)
            if starts is None:
                continue
            for start in starts:
                if start in seen:
                    continue
                seen.add(start)
                pos, end, clause = cut, start + 1, tokens[start].clause
                while (
                    pos < len(key)
                    and end < n
                    # A phrase never spans a comma or a full stop unless it was written with one.
                    and (tokens[end].clause == clause or not pattern.one_clause)
                    and key.startswith(tokens[end].key, pos)
                ):
                    pos += len(tokens[end].key)
                    end += 1
                if pos == len(key) and self._numbers_agree(pattern, start, end):
                    yield start, end

    def _numbers_agree(self, pattern: Pattern, start: int, end: int) -> bool:
        if not pattern.quantities:  # then the span must hold no number, in both modes
            return self._numbers_before[end] == self._numbers_before[start]
        found = [t.quantity for t in self.tokens[start:end] if t.kind == NUMBER]
        if self._strict:
            return [a.value if a else None for a in found] == [c.value for c in pattern.quantities]
        return len(found) == len(pattern.quantities) and all(
            a is not None and same_quantity(c, a)
            for c, a in zip(pattern.quantities, found, strict=True)
        )

    def _near_keys(self, word: str, key: str) -> frozenset[str]:
        """Keys of answer words that are a typo of ``word`` (plus the word's own key)."""
        if not word or len(word) < FUZZY_MIN_LETTERS or not word.isalpha():
            return frozenset((key,))
        cached = self._near.get(word)
        if cached is None:
            limit = 1 if len(word) < 8 else 2
            near = {key}
            for other in self._by_initial.get(word[0], ()):
                if (
                    abs(len(other) - len(word)) <= limit
                    and not other.startswith(word)
                    and not word.startswith(other)
                    and OSA.distance(word, other, score_cutoff=limit) <= limit
                ):
                    near.add(self.tokens[self._first(other)].key)
            cached = self._near[word] = frozenset(near)
        return cached

    def _first(self, word: str) -> int:
        return next(i for i, t in enumerate(self.tokens) if t.text == word)

    def _gapped(self, pattern: Pattern) -> Iterator[Span]:
        """The phrase's words in order within one clause, with up to two words slipped in."""
        tokens, n, keys = self.tokens, len(self.tokens), pattern.keys
        if "o(" in keys:
            return  # nothing slips into O(...): O(log n) is not O(n)
        for start in self._by_key.get(keys[0], ()):
            clause, pos, gap, k = tokens[start].clause, start + 1, 0, 1
            while k < len(keys) and pos < n and tokens[pos].clause == clause:
                if tokens[pos].key == keys[k]:
                    k += 1
                elif gap < MAX_GAP and _gap_ok(tokens[pos]):
                    gap += 1
                else:
                    break
                pos += 1
            if k == len(keys) and self._numbers_agree(pattern, start, pos):
                yield start, pos

    def _fuzzy(self, pattern: Pattern) -> Iterator[Span]:
        if len(pattern.keys) > 1 and not any(k in self._by_key for k in pattern.keys):
            return  # a typo in every word of a phrase is not a typo
        options = [
            self._near_keys(w, k) if len(w) >= FUZZY_MIN_LETTERS else frozenset((k,))
            for w, k in zip(pattern.words, pattern.keys, strict=True)
        ]
        if all(len(o) == 1 for o in options):
            return
        n, size = len(self.tokens), len(options)
        for key in options[0]:
            for start in self._by_key.get(key, ()):
                end = start + size
                if (
                    end <= n
                    and all(self.tokens[start + k].key in options[k] for k in range(1, size))
                    and (
                        self.tokens[end - 1].clause == self.tokens[start].clause
                        or not pattern.one_clause
                    )
                    and self._numbers_agree(pattern, start, end)
                ):
                    yield start, end


MAX_GAP = 2  # words a candidate may slip into a phrase: "train (just the new) head"
_NO_GAP = frozenset(("not", "no", "never", "without", "nor", "instead", "rather"))


def _gap_ok(token: Token) -> bool:
    return not (token.text in _NO_GAP or token.text.endswith("n't"))


def token_text(tokens: tuple[Token, ...], span: Span) -> str:
    return " ".join(t.text for t in tokens[span[0] : span[1]])
