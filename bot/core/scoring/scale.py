"""The interviewers' four-level scale, and how coverage and sessions map onto it."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


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


def score_for_coverage(coverage: float) -> Score:
    for threshold, score in COVERAGE_THRESHOLDS:
        if coverage >= threshold:
            return score
    return Score.STRONG_NO_HIRE


def hint_cap(hints_used: int) -> Score:
    """Each hint lowers the best score reachable on that question by one level (floor 1)."""
    return Score(max(1, 4 - max(0, hints_used)))


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
