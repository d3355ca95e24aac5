"""The scorer as it was before rubric format v2: kept only as the evaluation baseline.

A rubric point is *covered* when at least half (rounded up) of its cues appear in the answer.
A cue is a term or short phrase; ``|`` separates alternatives. Matching is case-insensitive,
inflection-tolerant (Snowball stems: "overfitting", "overfit", "over-fitting" all match) and
forgiving of small typos (rapidfuzz ratio >= 88 on cues of 5+ characters). It rewards an answer
for *mentioning* what a strong answer mentions; it cannot tell whether the reasoning is right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

from bot.core.questions import RubricPoint

FUZZY_CUTOFF = 88.0
FUZZY_MIN_CHARS = 5
MAX_CUE_WORDS = 6

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# British spellings fold to American before stemming so "regularisation" meets "regularization".
_BRITISH = ((re.compile(r"is(ation|ing|ed|e|es)\b"), r"iz\1"), (re.compile(r"yse\b"), "yze"))


class Score(IntEnum):
    """The interviewers' four-level scale."""

    STRONG_NO_HIRE = 1
    NO_HIRE = 2
    HIRE = 3
    STRONG_HIRE = 4

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").title()


# Coverage (weighted share of rubric points covered) needed for each score.
COVERAGE_THRESHOLDS: tuple[tuple[float, Score], ...] = (
    (0.75, Score.STRONG_HIRE),
    (0.50, Score.HIRE),
    (0.25, Score.NO_HIRE),
)
# Session verdict from the weighted mean score (share of the maximum 4): the common interview
# guides' cut-offs of 85 % Strong Hire and 70 % Hire, 55 % separating No Hire from Strong No Hire.
VERDICT_THRESHOLDS: tuple[tuple[float, Score], ...] = (
    (3.4, Score.STRONG_HIRE),
    (2.8, Score.HIRE),
    (2.2, Score.NO_HIRE),
)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def _words(text: str) -> list[str]:
    """Lower-case, fold British spellings, split on anything but letters and digits."""
    text = text.lower()
    for pattern, repl in _BRITISH:
        text = pattern.sub(repl, text)
    return _WORD.findall(text)


def _grams(words: list[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple("".join(words[i : i + n]) for i in range(len(words) - n + 1))
        for n in range(1, MAX_CUE_WORDS + 1)
    )


@dataclass(frozen=True, slots=True)
class AnswerIndex:
    """Every 1..MAX_CUE_WORDS word window of an answer, joined without spaces.

    Joining without spaces makes "over-fitting", "over fitting" and "overfitting" the same key.
    Exact lookups use stemmed words (inflections); fuzzy lookups use the words as written,
    because a typo can change what the stemmer does ("precison" vs "precision").
    """

    stemmed: frozenset[str]
    raw_by_len: tuple[tuple[str, ...], ...]

    @classmethod
    def build(cls, text: str) -> AnswerIndex:
        words = _words(text)
        stemmed = _grams([_stem(w) for w in words])
        return cls(frozenset(g for grams in stemmed for g in grams), _grams(words))

    def contains(self, phrase: str) -> bool:
        words = _words(phrase)
        if not words:
            return False
        if "".join(_stem(w) for w in words) in self.stemmed:
            return True
        key = "".join(words)
        if len(key) < FUZZY_MIN_CHARS:
            return False  # short terms (auc, knn, l2) must match exactly
        # The hyphenated or split form may span one word more or fewer than the cue.
        n = len(words)
        if n > MAX_CUE_WORDS:  # longer than any window it indexed: it could never match these
            return False
        for size in {max(1, n - 1), n, min(MAX_CUE_WORDS, n + 1)}:
            candidates = self.raw_by_len[size - 1]
            if candidates and process.extractOne(
                key, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            ):
                return True
        return False


def cue_matches(index: AnswerIndex, cue: str) -> bool:
    return any(index.contains(alt) for alt in cue.split("|") if alt.strip())


def cues_needed(cue_count: int) -> int:
    return max(1, math.ceil(cue_count / 2))


@dataclass(frozen=True, slots=True)
class PointResult:
    point: str
    weight: int
    covered: bool
    matched_cues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RubricResult:
    score: Score
    raw_score: Score
    coverage: float
    cap: Score
    points: tuple[PointResult, ...]

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(p.point for p in self.points if p.covered)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(p.point for p in self.points if not p.covered)


def score_for_coverage(coverage: float) -> Score:
    for threshold, score in COVERAGE_THRESHOLDS:
        if coverage >= threshold:
            return score
    return Score.STRONG_NO_HIRE


def hint_cap(hints_used: int) -> Score:
    """Each hint lowers the best score reachable on that question by one level (floor 1)."""
    return Score(max(1, 4 - max(0, hints_used)))


def score_answer(answer: str, rubric: Sequence[RubricPoint], hints_used: int = 0) -> RubricResult:
    index = AnswerIndex.build(answer)
    results: list[PointResult] = []
    for rp in rubric:
        matched = tuple(c for c in rp.cues if cue_matches(index, c))
        results.append(
            PointResult(rp.point, rp.weight, len(matched) >= cues_needed(len(rp.cues)), matched)
        )
    total = sum(p.weight for p in results)
    coverage = sum(p.weight for p in results if p.covered) / total if total else 0.0
    raw = score_for_coverage(coverage) if answer.strip() else Score.STRONG_NO_HIRE
    cap = hint_cap(hints_used)
    return RubricResult(Score(min(raw, cap)), raw, coverage, cap, tuple(results))


def effective_score(auto: int | None, self_score: int | None, peer: int | None) -> int | None:
    """A human judgement beats the cue matcher: peer first, then self-assessment."""
    for value in (peer, self_score, auto):
        if value is not None:
            return value
    return None


def weighted_mean(scores: Iterable[tuple[float, float]]) -> float | None:
    """Mean of (score, weight) pairs; None when nothing was scored."""
    pairs = list(scores)
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        return None
    return sum(s * w for s, w in pairs) / total


def verdict_for(mean: float | None) -> Score | None:
    if mean is None:
        return None
    for threshold, score in VERDICT_THRESHOLDS:
        if mean >= threshold - 1e-9:
            return score
    return Score.STRONG_NO_HIRE
