"""Is a cue asserted, or denied? Negation scope within a clause.

"no fine-tuning", "never freeze", "without a validation set", "boundary tests aren't needed",
"dropout is unnecessary", "use accuracy instead of recall": each denies its cue. Scope is the
clause: a comma, colon, bracket or a word such as "but", "because", "which" ends it, and the look
back stops four words before the cue ("not only", "not just" do not negate). Two negations
cancel ("we can't skip the test set").

Some cues name a problem the point is about *avoiding* ("avoid leakage", "no overfitting"):
there a negation is the point, not a denial. `is_problem_cue` tells those apart from the
rubric's own sentence, which says "avoids/prevents/without ... leakage".
"""

from __future__ import annotations

from functools import lru_cache

from bot.core.scoring.text import WORD, Token, tokenize

LOOK_BACK = 4
LOOK_AHEAD = 5


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATORS = _words(
    "not no never without nor neither none cannot nothing nobody lack lacks lacking avoid "
    "avoids avoiding avoided skip skips skipping skipped ignore ignores ignoring ignored "
    "forget forgo omit omitting dont doesnt didnt isnt arent wasnt werent shouldnt wouldnt "
    "couldnt cant wont havent hasnt neednt mustnt"
)
# "not only X but also Y", "not just X", "no matter": not denials.
_NOT_DENIALS = _words("only just merely simply matter")
_NOT_ONLY = _words("only just merely simply")
_PAIR_NEGATORS = (("instead", "of"), ("rather", "than"), ("no", "need"), ("fail", "to"))
_COPULAS = _words("is are was were be been being seems seem it's that's")
_DENIAL_WORDS = _words(
    "unnecessary useless pointless irrelevant overkill overrated counterproductive "
    "unneeded superfluous wrong incorrect false harmful"
)
_NEEDED = _words(
    "needed necessary required important useful helpful relevant matter matters help "
    "helps work works apply applies worth recommended"
)
# Words in a rubric point that mark what follows as a problem to avoid.
_AVOIDANCE = _words(
    "avoid avoids avoiding prevent prevents preventing prevention without no not never "
    "guard guards mitigate mitigates reduce reduces reducing eliminate eliminates "
    "minimise minimize minimises minimizes stop stops catch catches detect detects "
    "detecting fix fixes against free missing lack lacks lacking absent absence wrong incorrect "
    "fail fails failing cannot"
)
# Problems whose very name is what a strong answer warns about.
_PROBLEM_WORDS = _words("leakag leak overfit underfit deadlock hallucin contamin")


def _is_negator(token: Token) -> bool:
    return token.kind == WORD and (token.text in NEGATORS or token.text.endswith("n't"))


def negated(tokens: tuple[Token, ...], start: int, end: int) -> bool:
    """Whether the occurrence ``tokens[start:end]`` is denied by its clause."""
    clause = tokens[start].clause
    count = 0
    first = max(0, start - LOOK_BACK)
    for i in range(start - 1, first - 1, -1):
        token = tokens[i]
        if token.clause != clause:
            break
        if _is_negator(token):
            following = tokens[i + 1].text if i + 1 < len(tokens) else ""
            if following not in _NOT_DENIALS:
                count += 1
        elif i + 1 < start and (token.text, tokens[i + 1].text) in _PAIR_NEGATORS:
            count += 1
    if count % 2:
        return True
    return _denied_after(tokens, end, clause)


def _denied_after(tokens: tuple[Token, ...], end: int, clause: int) -> bool:
    """ "X isn't needed", "X is unnecessary", "X doesn't matter"."""
    window = [t for t in tokens[end : end + LOOK_AHEAD] if t.clause == clause]
    for i, token in enumerate(window):
        if (
            token.text in _DENIAL_WORDS
            and any(t.text in _COPULAS for t in window[:i])
            and not any(_is_negator(t) for t in window[:i])  # "is never wrong" asserts
        ):
            return True
        if (
            _is_negator(token)
            and (i + 1 >= len(window) or window[i + 1].text not in _NOT_ONLY)  # "not only"
            and any(t.text in _NEEDED for t in window[i + 1 : i + 3])
        ):
            return True
    return False


@lru_cache(maxsize=16384)
def is_problem_cue(point_text: str, cue_key: str, cue_words: tuple[str, ...] = ()) -> bool:
    """True when the cue names a problem the point is about avoiding (negation is no denial)."""
    # A whole word of the cue, not a substring: "leaky ReLU" is no leak.
    if any(word.rstrip("~") in _PROBLEM_WORDS for word in cue_words):
        return True
    tokens = tokenize(point_text).tokens
    keys = [t.key for t in tokens]
    for i in range(len(tokens)):
        joined = ""
        for j in range(i, min(len(tokens), i + 6)):
            joined += keys[j]
            if joined == cue_key:
                before = tokens[max(0, i - LOOK_BACK) : i]
                return any(t.text in _AVOIDANCE or t.text.endswith("n't") for t in before)
            if len(joined) >= len(cue_key):
                break
    return False
