"""Automatic rubric scoring: deterministic, explainable, and honest about its limits.

How an answer is scored (the README's "How scoring works" says the same for users):

1. The answer is tokenized (``text``): Unicode folded, numbers parsed as quantities, words stemmed.
2. Each cue alternative (and its curated equivalents) is looked up (``matching``). An occurrence
   counts only when it is asserted, not denied ("no fine-tuning", "X isn't needed": ``polarity``),
   and not inside a sentence that merely repeats the prompt. Alternatives the prompt itself
   contains earn nothing: repeating the question is not answering it.
3. A point is covered when every required cue (``+cue``) and at least half of its cues (rounded
   up) are found, and none of its misconceptions is stated.
4. Coverage (weighted share of points covered) gives a score of 1-4; caps then apply: hints used,
   a stated misconception, stuffing (credit that comes from lists of terms) and echo (an answer
   that mostly repeats the prompt). Every cap is named on the scorecard.

It rewards an answer for *saying* what a strong answer says, in sentences; it cannot judge
whether a long argument hangs together.
"""

from bot.core.scoring.results import Cap, PointResult, RubricResult
from bot.core.scoring.scale import (
    COVERAGE_THRESHOLDS,
    VERDICT_THRESHOLDS,
    Score,
    effective_score,
    hint_cap,
    score_for_coverage,
    verdict_for,
    weighted_mean,
)
from bot.core.scoring.scorer import (
    MAX_SCORED_CHARS,
    cue_found,
    preparation,
    score_answer,
    score_for,
)

__all__ = [
    "COVERAGE_THRESHOLDS",
    "MAX_SCORED_CHARS",
    "VERDICT_THRESHOLDS",
    "Cap",
    "PointResult",
    "RubricResult",
    "Score",
    "cue_found",
    "effective_score",
    "hint_cap",
    "preparation",
    "score_answer",
    "score_for",
    "score_for_coverage",
    "verdict_for",
    "weighted_mean",
]
