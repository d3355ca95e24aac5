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
) -> SentenceStats:
    """Classify each sentence as a list of terms, an echo of the prompt, or prose."""
    in_cue = [False] * len(tokens)
    clauses: dict[int, int] = {}
    for token in tokens:  # clause ids grow through the text: count the distinct ones
        clauses.setdefault(token.sentence, 0)
    seen_clauses = {(t.sentence, t.clause) for t in tokens}
    for sentence, _ in seen_clauses:
        clauses[sentence] += 1
    terms_per_sentence: dict[int, int] = {}
    for start, end in cue_spans:
        if not any(in_cue[start:end]):
            sentence = tokens[start].sentence
            terms_per_sentence[sentence] = terms_per_sentence.get(sentence, 0) + 1
        for i in range(start, end):
            in_cue[i] = True
    words: dict[int, int] = {}
    function: dict[int, int] = {}
    glue: dict[int, int] = {}
    content: dict[int, int] = {}
    echoed: dict[int, int] = {}
    for i, token in enumerate(tokens):
        s = token.sentence
        if token.kind == WORD and token.text in GLUE:
            glue[s] = glue.get(s, 0) + 1
            continue
        words[s] = words.get(s, 0) + 1
        if _content(token):
            content[s] = content.get(s, 0) + 1
            if echo_key(token) in prompt_keys:
                echoed[s] = echoed.get(s, 0) + 1
        elif not in_cue[i]:  # "before" inside the cue "before joining" is no sign of prose
            function[s] = function.get(s, 0) + 1
    list_like = frozenset(
        s
        for s, terms in terms_per_sentence.items()
        if terms >= LIST_MIN_TERMS
        and _reads_as_list(words[s], function.get(s, 0), glue.get(s, 0), clauses.get(s, 1))
    )
    echo = frozenset(
        s
        for s, n in content.items()
        if n >= ECHO_MIN_CONTENT and echoed.get(s, 0) / n >= ECHO_OVERLAP and s not in informative
    )
    total = sum(content.values())
    echo_share = sum(content[s] for s in echo) / total if total else 0.0
    n_words, n_glue = sum(words.values()), sum(glue.values())
    return SentenceStats(
        list_like,
        echo,
        echo_share,
        sum(function.values()) / n_words if n_words else 0.0,
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
    if stats.function_share < ANSWER_MIN_FUNCTION or stats.glue_share >= LIST_MIN_GLUE:
        return True
    in_lists = sum(1 for s in credited_sentences if s in stats.list_like)
    return (
        in_lists / len(credited_sentences) >= STUFFED_SHARE
        and stats.function_share < LISTY_ANSWER_FUNCTION
    )


def is_echo(stats: SentenceStats) -> bool:
    return stats.echo_share >= ECHO_ANSWER_SHARE
