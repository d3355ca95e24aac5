"""Answers that game the matcher: lists of rubric terms, and the prompt handed back.

Both are judged on sentences, because a point is made in a sentence:

- **Stuffing.** A sentence that strings three or more rubric terms together with almost nothing
  else (no function words, no words of its own) is a list of terms, not an explanation. When most
  of the credited terms of an answer sit in such lists, the answer is capped at No Hire.
- **Echo.** A sentence whose content words nearly all come from the prompt, and that holds no
  rubric term of its own, adds nothing: the prompt's words in it earn no credit, and an answer
  that is mostly echo is capped at No Hire.
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
LIST_MAX_FUNCTION = 0.12  # share of function words in a sentence that is a list of terms
LIST_MIN_GLUE = 0.15  # "X and Y and Z and ...": share of "and"/"or"
LIST_MIN_CLAUSES = 4  # "X, Y, Z, W": many clauses ...
LIST_MAX_CLAUSE_WORDS = 3.0  # ... of a few words each
STUFFED_MIN_WORDS = 8
ANSWER_MIN_FUNCTION = 0.10  # below this share of function words an answer is a list of terms
LONG_ANSWER_WORDS = 60  # ... or, from this length on,
LONG_ANSWER_MIN_FUNCTION = 0.06  # below this share
STUFFED_SHARE = 0.75  # share of credited terms inside list sentences ...
LISTY_ANSWER_FUNCTION = 0.25  # ... in an answer this short of function words: stuffed
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
    function_share: float  # function words among the answer's words ("and"/"or" aside)
    glue_share: float  # "and"/"or" among all its words
    words: int


def sentence_stats(
    tokens: tuple[Token, ...],
    cue_spans: list[tuple[int, int]],
    prompt_keys: frozenset[str],
    informative: frozenset[int] = frozenset(),
    text: str = "",
) -> SentenceStats:
    """Classify each sentence as a list of terms, an echo of the prompt, or prose.

    ``text`` is the answer the tokens came from: a sentence with a formula in it ("w = 1/(1+1) =
    0.5") shows work, however few function words it has, so it is never a list of terms.
    """
    n = (tokens[-1].sentence + 1) if tokens else 0  # sentence ids run 0..n-1
    in_cue = [False] * len(tokens)
    terms = [0] * n
    for start, end in cue_spans:
        if not any(in_cue[start:end]):
            terms[tokens[start].sentence] += 1
        for i in range(start, end):
            in_cue[i] = True
    words, function, glue, content, echoed, clauses = ([0] * n for _ in range(6))
    first_char, last_char = [0] * n, [0] * n
    last_clause = -1
    for i, token in enumerate(tokens):
        s = token.sentence
        if token.clause != last_clause:  # clause ids only grow: a new one is a new clause
            clauses[s] += 1
            last_clause = token.clause
        if not words[s] and not glue[s]:
            first_char[s] = token.start
        last_char[s] = token.end
        if token.kind == WORD and token.text in GLUE:
            glue[s] += 1
            continue
        words[s] += 1
        if _content(token):
            content[s] += 1
            if prompt_keys and echo_key(token) in prompt_keys:
                echoed[s] += 1
        elif not in_cue[i]:  # "before" inside the cue "before joining" is no sign of prose
            function[s] += 1
    list_like = frozenset(
        s
        for s in range(n)
        if terms[s] >= LIST_MIN_TERMS
        and "=" not in text[first_char[s] : last_char[s]]  # a formula shows work
        and _reads_as_list(words[s], function[s], glue[s], clauses[s] or 1)
    )
    echo = frozenset(
        s
        for s in range(n)
        if content[s] >= ECHO_MIN_CONTENT
        and echoed[s] / content[s] >= ECHO_OVERLAP
        and s not in informative
    )
    total = sum(content)
    echo_share = sum(content[s] for s in echo) / total if total else 0.0
    n_words, n_glue = sum(words), sum(glue)
    return SentenceStats(
        list_like,
        echo,
        echo_share,
        sum(function) / n_words if n_words else 0.0,
        n_glue / (n_words + n_glue) if n_words + n_glue else 0.0,
        n_words + n_glue,
    )


def _reads_as_list(words: int, function: int, glue: int, clauses: int) -> bool:
    """Terms strung together: hardly a function word, or "and ... and ...", or many tiny clauses."""
    total = words + glue
    if function <= LIST_MAX_FUNCTION * words:
        return True
    if glue >= LIST_MIN_GLUE * total:
        return True
    return clauses >= LIST_MIN_CLAUSES and words / clauses <= LIST_MAX_CLAUSE_WORDS


def is_stuffed(credited_sentences: list[int], stats: SentenceStats) -> bool:
    """The credit comes from terms strung together, not from sentences that explain.

    Measured on graded answers: strong answers, terse ones included, keep 15 % or more function
    words; term lists keep almost none, or pad themselves with "and ... and ...".
    """
    if len(credited_sentences) < LIST_MIN_TERMS or stats.words < STUFFED_MIN_WORDS:
        return False  # a one-line answer to a one-line question may be terse and right
    # A long terse answer (bullets, formulas) keeps a few function words; a long list none.
    least = ANSWER_MIN_FUNCTION if stats.words < LONG_ANSWER_WORDS else LONG_ANSWER_MIN_FUNCTION
    if stats.function_share < least or stats.glue_share >= LIST_MIN_GLUE:
        return True
    in_lists = sum(1 for s in credited_sentences if s in stats.list_like)
    return (
        in_lists / len(credited_sentences) >= STUFFED_SHARE
        and stats.function_share < LISTY_ANSWER_FUNCTION
    )


def is_echo(stats: SentenceStats) -> bool:
    return stats.echo_share >= ECHO_ANSWER_SHARE
