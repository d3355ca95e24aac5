"""From raw answer text to tokens that know their sentence, clause, stem and number value.

One regular-expression pass over a folded copy of the text gives every token its offsets in the
*original* text (so a scorecard can quote the candidate's own words), the sentence and clause it
belongs to (negation and echo work on those), and a matching key:

- words: a Snowball stem plus a marker for derivational suffixes, so "overfitting" meets "overfit"
  but "generalization" does not meet "general" and "usefulness" does not meet "using";
- numbers: "#", with the value, precision and unit kept beside it ("31,231", "31.2k", "80 %",
  "185ms", "4×" are numbers, not strings);
- codes: words carrying digits or maths ("l1", "p99", "fp16", "O(n log n)", "n^2") match exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

from bot.core.scoring.numbers import Quantity, parse_quantity

WORD, NUMBER, CODE = "w", "n", "c"

_STEMMER = snowballstemmer.stemmer("english")
# British spellings fold to American before stemming so "regularisation" meets "regularization".
_BRITISH = ((re.compile(r"is(ation|ing|ed|e|es)\b"), r"iz\1"), (re.compile(r"yse\b"), "yze"))

# Characters that NFKC would drop or mangle, spelled out first (γ = gamma, ² = ^2, × = x).
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_SYMBOLS = {
    "²": "^2", "³": "^3", "⁴": "^4", "¹": "^1", "⁰": "^0", "ⁿ": "^n", "½": "1/2", "¼": "1/4",
    "¾": "3/4", "≈": " ~ ", "≃": " ~ ", "∼": " ~ ", "≤": " <= ", "≥": " >= ", "≠": " != ",
    "×": "x", "·": "*", "→": " -> ", "⇒": " -> ", "←": " <- ", "−": "-", "–": " - ", "—": " - ",
    "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "µ": "u", "√": "sqrt ", "∑": "sum ",
    "∞": "infinity", "∈": " in ", "∝": " proportional to ", "\u00a0": " ",
}  # fmt: skip


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    lower = char.lower()
    if lower in _GREEK:
        return f" {_GREEK[lower]} "
    if char in _SYMBOLS:
        return _SYMBOLS[char]
    folded = unicodedata.normalize("NFKC", char).lower()
    # Accents go (naïve = naive); letters of other scripts stay as they are.
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c)
    )
    return stripped or folded


def fold(text: str) -> tuple[str, list[int] | None]:
    """Lower-cased, Unicode-folded text and, when it differs in length, a map to original offsets.

    ``offsets[i]`` is the index in ``text`` of the character that produced folded character ``i``
    (plus one final entry for the end). ASCII text folds to itself and needs no map.
    """
    if text.isascii():
        return text.lower(), None
    out: list[str] = []
    offsets: list[int] = []
    done = 0
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        out.append(text[done:i].lower())
        offsets.extend(range(done, i))
        piece = _fold_char(m.group())
        out.append(piece)
        offsets.extend([i] * len(piece))
        done = i + 1
    out.append(text[done:].lower())
    offsets.extend(range(done, len(text) + 1))
    return "".join(out), offsets


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_TOKEN = re.compile(
    r"(?P<abbr>\b(?:e\.g|i\.e|vs|etc|cf|approx|incl|resp|eq|fig)\.)"
    r"|(?P<bigo>\b(?:o|theta|omega)\s*\((?:[^()\n]|\([^()\n]*\)){1,40}\))"
    rf"|(?P<frac>(?<![\w.])\d+[ \t]*/[ \t]*\d+(?![\w.]))"
    rf"|(?P<num>(?<![\w.])-?(?:{_NUM})(?:e-?\d+)?"
    r"(?:[ \t]?(?:k|m|mm|b|bn|thousand|million|billion|trillion)\b)?"  # not across a line break
    r"(?:[ \t]?(?:%|percent\b|pct\b|x\b|times\b|fold\b|-fold\b|[a-z]+\b))?)"
    r"|(?P<power>\b[a-z]\s*(?:\^|\*\*)\s*(?:\d+|[a-z])\b)"
    r"|(?P<code>\b[a-z]+\d[a-z0-9]*\b)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)*)"
    # A sentence ends at . ! ? ; or where a line break starts a new block (a blank line, a bullet,
    # a numbered item, a heading); a line break inside wrapped text is only a space.
    r"|(?P<sent>(?<![.!?;])[.!?;]+(?=\s|$)|\n(?=[ \t]*(?:\n|[-*+•>#]|\d{1,2}[.)][ \t]|\|)))"
    r"|(?P<clause>[,:()\[\]\"]|\s-\s|\s~\s|->|<-|=>)"
)
# Words that end a clause: negation does not reach past them.
CLAUSE_WORDS = _words(
    "but however although though whereas while because since so yet unless otherwise then which who"
)

_DERIV_FREE = re.compile(r"(?:e|s|es|ed|d|ing|ings|y|ies|ied|ly|er|ers)?")


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """Stem plus ``~`` when the word carries a derivational suffix the stem dropped.

    Snowball folds "generalization" and "general" to one stem; a match needs both words on the
    same side of that line (inflections only, or derivations on both sides).
    """
    for pattern, repl in _BRITISH:
        word = pattern.sub(repl, word)
    if word.endswith("'s"):
        word = word[:-2]
    stem = str(_STEMMER.stemWord(word))
    common = 0
    for a, b in zip(word, stem, strict=False):
        if a != b:
            break
        common += 1
    residue = word[common:]
    if residue and common and residue[0] == word[common - 1] and len(residue) > 2:
        residue = residue[1:]  # stopping, fitting: a doubled consonant before -ing/-ed
    return stem if _DERIV_FREE.fullmatch(residue) else stem + "~"


class Token(NamedTuple):  # a tuple: thousands are made per answer, and tuples are cheap
    kind: str  # WORD, NUMBER or CODE
    text: str  # the folded form ("overfitting", "80%", "o(nlogn)")
    key: str  # what cues are looked up by
    start: int  # offsets in the original text
    end: int
    sentence: int
    clause: int
    quantity: Quantity | None = None


@dataclass(frozen=True, slots=True)
class Tokens:
    tokens: tuple[Token, ...]
    sentence_count: int

    def __len__(self) -> int:
        return len(self.tokens)


def _compact_maths(text: str) -> str:
    text = text.replace("**", "^").replace("*", "")
    return re.sub(r"[\s()]+", "", text).replace("theta", "o").replace("omega", "o")


_new_token = tuple.__new__  # Token(...) without the NamedTuple's Python-level __new__


def tokenize(text: str) -> Tokens:
    folded, offsets = fold(text)
    tokens: list[Token] = []
    append = tokens.append
    sentence = clause = 0
    for m in _TOKEN.finditer(folded):
        kind = m.lastgroup
        if kind == "word":  # by far the most common: tested first (the kinds are exclusive)
            start, end = m.span()
            if offsets is not None:
                start, end = offsets[start], offsets[end - 1] + 1
            raw = m.group()
            boundary = raw in CLAUSE_WORDS
            if boundary:
                clause += 1
            key = word_key(raw)
            append(_new_token(Token, (WORD, raw, key, start, end, sentence, clause, None)))
            if boundary:
                clause += 1
            continue
        if kind == "sent":
            if tokens and tokens[-1].sentence == sentence:
                sentence += 1
            clause += 1
            continue
        if kind == "abbr":
            continue  # "e.g." and "vs." end no sentence and carry no meaning
        if kind == "clause":
            clause += 1
            continue
        start, end = m.span()
        if offsets is not None:
            start, end = offsets[start], offsets[end - 1] + 1
        raw = m.group()
        if kind in ("num", "frac"):
            if raw.startswith("-") and m.start() and folded[m.start() - 1] in "%)]":
                raw, start = raw[1:], start + 1  # "82.6%-85.4%" is a range, not a negative
            tokens.extend(_number_tokens(raw, start, end, sentence, clause))
        elif kind == "bigo":
            # "O(n log n)": a marker, the inside as ordinary tokens, a closing marker; so the cue
            # "O(n log n)" meets "O(n·log n)" and "O(nlogn)", "log n" meets it too, "on" never.
            inner = raw.partition("(")[2][:-1]
            inner = re.sub(r"[()*]", " ", inner.replace("**", "^"))
            tokens.append(Token(CODE, "o(", "o(", start, end, sentence, clause))
            for part in tokenize(inner).tokens:
                tokens.append(part._replace(start=start, end=end, sentence=sentence, clause=clause))
            tokens.append(Token(CODE, ")", ")", start, end, sentence, clause))
        else:  # power, code
            code = _compact_maths(raw)
            tokens.append(Token(CODE, code, code, start, end, sentence, clause))
    return Tokens(tuple(tokens), sentence + 1)


def _number_tokens(raw: str, start: int, end: int, sentence: int, clause: int) -> list[Token]:
    """A number with its unit; a trailing word that is not a unit becomes a word of its own."""
    quantity = parse_quantity(raw)
    if quantity is not None:
        return [Token(NUMBER, raw, "#", start, end, sentence, clause, quantity)]
    head, _, word = raw.rpartition(" ") if " " in raw else ("", "", "")
    if not head:
        split = re.match(r"-?[\d.,]+(?:e-?\d+)?", raw)
        if split is None:
            return []
        head, word = split.group(), raw[split.end() :]
    quantity = parse_quantity(head)
    if quantity is None:
        return []
    # Offsets: the word is the tail of the match (folding never splits an ASCII word).
    word_start = end - len(word)
    return [
        Token(NUMBER, head, "#", start, word_start, sentence, clause, quantity),
        Token(WORD, word, word_key(word), word_start, end, sentence, clause),
    ]
