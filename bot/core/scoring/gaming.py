"""Answers that game the matcher: lists of rubric terms, and the prompt handed back.

Both are judged on sentences, because a point is made in a sentence:

- **Stuffing.** A sentence that strings three or more rubric terms together with almost nothing
  else (no function words, no words of its own) is a list of terms, not an explanation. When most
  of the credited terms of an answer sit in such lists, the answer is capped at No Hire.
- **Echo.** A sentence whose content words nearly all come from the prompt adds nothing: its
  terms earn no credit, and an answer that is mostly echo is capped at No Hire.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.scoring.text import WORD, Token


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words: the glue of prose. "and"/"or" are left out: a stuffer joins terms with them.
FUNCTION_WORDS = _words(
    "a an the this that these those it its it's they them their there here we our us i my "
    "me you your he she his her is are was were be been being am has have had having do "
    "does did will would can could should may might must shall of to in on at by for from "
    "with about into over under between through during before after above below than as "
    "if when where while because so since though although whether which who whom whose "
    "what how why not no then also very more most less least much many some any each "
    "every all both either such only just because using use uses used via per vs against "
    "without within across until unless instead rather even still yet already make makes "
    "made get gets got give gives let lets need needs needed want wants see seen look say "
    "says said think know means mean"
)
GLUE = frozenset(("and", "or"))
LIST_MIN_TERMS = 3
LIST_MAX_PROSE = 0.2  # share of function words plus words of its own, in a list of terms
STUFFED_SHARE = 0.5  # share of credited terms inside lists that makes the answer stuffed
ECHO_MIN_CONTENT = 3
ECHO_OVERLAP = 0.75  # share of a sentence's content words found in the prompt
ECHO_ANSWER_SHARE = 0.6  # share of the answer's content words inside echo sentences


def _content(token: Token) -> bool:
    return not (token.kind == WORD and (token.text in FUNCTION_WORDS or token.text in GLUE))


def echo_key(token: Token) -> str:
    """What a token is compared by against the prompt: numbers by value, words by stem."""
    if token.quantity is not None:
        return f"#{token.quantity.value:.6g}{token.quantity.dim}"
    return token.key


def prompt_keys(tokens: tuple[Token, ...]) -> frozenset[str]:
    return frozenset(echo_key(t) for t in tokens if _content(t))


@dataclass(frozen=True, slots=True)
class SentenceStats:
    list_like: frozenset[int]  # sentences that are lists of rubric terms
    echo: frozenset[int]  # sentences that repeat the prompt
    echo_share: float  # share of the answer's content words in echo sentences


def sentence_stats(
    tokens: tuple[Token, ...],
    cue_spans: list[tuple[int, int]],
    prompt_keys: frozenset[str],
) -> SentenceStats:
    """Classify each sentence as a list of terms, an echo of the prompt, or prose."""
    in_cue = [False] * len(tokens)
    terms_per_sentence: dict[int, int] = {}
    for start, end in cue_spans:
        if not any(in_cue[start:end]):
            sentence = tokens[start].sentence
            terms_per_sentence[sentence] = terms_per_sentence.get(sentence, 0) + 1
        for i in range(start, end):
            in_cue[i] = True
    words: dict[int, int] = {}
    prose: dict[int, int] = {}
    content: dict[int, int] = {}
    echoed: dict[int, int] = {}
    for i, token in enumerate(tokens):
        s = token.sentence
        if token.kind == WORD and token.text in GLUE:
            continue
        words[s] = words.get(s, 0) + 1
        if not in_cue[i]:
            prose[s] = prose.get(s, 0) + 1
        if _content(token):
            content[s] = content.get(s, 0) + 1
            if echo_key(token) in prompt_keys:
                echoed[s] = echoed.get(s, 0) + 1
    list_like = frozenset(
        s
        for s, terms in terms_per_sentence.items()
        if terms >= LIST_MIN_TERMS and prose.get(s, 0) / words[s] <= LIST_MAX_PROSE
    )
    echo = frozenset(
        s
        for s, n in content.items()
        if n >= ECHO_MIN_CONTENT and echoed.get(s, 0) / n >= ECHO_OVERLAP
    )
    total = sum(content.values())
    echo_share = sum(content[s] for s in echo) / total if total else 0.0
    return SentenceStats(list_like, echo, echo_share)


def is_stuffed(credited_sentences: list[int], stats: SentenceStats) -> bool:
    """Most of the credit comes from lists of terms."""
    if len(credited_sentences) < LIST_MIN_TERMS:
        return False
    in_lists = sum(1 for s in credited_sentences if s in stats.list_like)
    return in_lists / len(credited_sentences) >= STUFFED_SHARE


def is_echo(stats: SentenceStats) -> bool:
    return stats.echo_share >= ECHO_ANSWER_SHARE
