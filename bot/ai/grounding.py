"""Grounded grading: the model's per-point verdicts, checked by code, combined with the scorer.

The model never gives a score. It says, for each rubric point, whether the answer states it
correctly, states it wrongly, or does not state it, and it must quote the answer's own words.
Code then decides, by these rules (the README's "AI interviewer" section says the same):

1. A quote counts only if it occurs in the answer (case and whitespace ignored, quote marks and
   ellipses around it dropped) and is at least ``MIN_QUOTE_CHARS`` long with two words or more.
   Anything else the model said about that point is ignored.
2. A point the deterministic scorer covered loses its credit only when the model says it is
   stated wrongly *and* quotes where.
3. A point the scorer missed gains credit only when the model says it is stated correctly and
   quotes where, and never when the answer was capped for stuffing, echo, a misconception or
   being empty, nor when the scorer found a misconception against that point.
4. An answer that addresses the grader ("ignore your instructions", a score request, JSON in our
   reply format, role markers) is not sent to the model at all: the scorer's result stands.
5. Coverage and score are recomputed from the points; every cap of the scorer stays.

Each point of the combined result says which scorer decided it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.core.scoring import PointResult, RubricResult, Score, score_for_coverage

CORRECT, WRONG, ABSENT = "stated_correctly", "stated_wrongly", "not_stated"
VERDICTS = (CORRECT, WRONG, ABSENT)
MIN_QUOTE_CHARS = 12
MAX_QUOTE_CHARS = 400
# Caps under which the model may not add credit: the answer is gamed, wrong, or empty.
NO_GRANT_CAPS = frozenset({"stuffing", "echo", "misconception", "unanswered"})

Decider = Literal["scorer", "ai"]

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_EDGE = " \t\r\n\"'`«».…,;:"

# Text addressed to the grader rather than the interviewer. Deliberately narrow: words a real
# answer about ML would not use ("system prompt" and "you are now" are ordinary words in answers
# about LLM products). A hit keeps the answer from the model, so an answer that quotes an
# injection attack as an example (a question on prompt injection) is left to the scorer.
_INJECTION = re.compile(
    r"""
    \b(ignore|disregard|forget|override)\b[^.\n]{0,60}\b(instruction|prompt|rubric|rule|grader|grading)s?\b
    | \b(give|award|assign)\b[^.\n]{0,30}
      \b(full\s+marks|strong\s+hire|(a\s+)?(score|grade|mark)\s+of\s+[1-4])\b
    | \b(score|grade|rate|mark)\s+(this|me|my\s+answer)\s+(a\s+|as\s+)?([1-4]|four|strong\s+hire)\b
    | \byou\s+are\s+now\s+(a|an|the)\s+(\w+\s+)?(grader|judge|examiner|assistant)\b
    | \bnew\s+instructions?\s*: | \b(grader|judge|examiner)\s*[:,]\s*(score|grade|give|mark|rate)\b
    | ^\s*(system|assistant)\s*: | <\|?/?(im_start|im_end|system|assistant)\|?>
    | "(verdict|points|follow_ups)"\s*: | \b(stated_correctly|stated_wrongly|not_stated)\b
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


def normalise(text: str) -> str:
    return " ".join(text.translate(_FOLD).casefold().split())


def injection(answer: str) -> str:
    """The first piece of text in the answer that addresses the grader, or ""."""
    match = _INJECTION.search(answer.translate(_FOLD))
    return " ".join(match.group(0).split()) if match else ""


def verified_quote(quote: object, answer: str) -> str:
    """The quote, cleaned, when it really is in the answer; "" otherwise."""
    if not isinstance(quote, str):
        return ""
    cleaned = " ".join(quote.split()).strip(_EDGE)
    if "..." in cleaned or "…" in cleaned:
        return ""  # an elided quote is not a span of the answer
    needle = normalise(cleaned)
    if len(needle) < MIN_QUOTE_CHARS or len(needle) > MAX_QUOTE_CHARS or " " not in needle:
        return ""
    return cleaned if needle in normalise(answer) else ""


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str  # CORRECT, WRONG or ABSENT
    quote: str  # verified quote, "" when none or not found in the answer
    quote_rejected: bool = False  # the model quoted something that is not in the answer


def read_verdicts(data: Mapping[str, Any], count: int, answer: str) -> dict[int, Verdict]:
    """Per-point verdicts (0-based index) from ``{"points": [{"id", "verdict", "quote"}]}``.

    Only those three fields are read; unknown ids, unknown verdicts and duplicates are dropped
    (the first verdict for a point wins).
    """
    raw = data.get("points")
    out: dict[int, Verdict] = {}
    if not isinstance(raw, list):
        return out
    for item in raw:
        if not isinstance(item, dict):
            continue
        index = _point_index(item.get("id"), count)
        verdict = item.get("verdict")
        if index is None or index in out or verdict not in VERDICTS:
            continue
        quote = verified_quote(item.get("quote"), answer) if verdict != ABSENT else ""
        rejected = verdict != ABSENT and not quote
        out[index] = Verdict(verdict, quote, rejected)
    return out


def _point_index(value: object, count: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[Pp]?(\d{1,3})\s*", value):
        number = int(re.sub(r"\D", "", value))
    else:
        return None
    return number - 1 if 1 <= number <= count else None


@dataclass(frozen=True, slots=True)
class PointDecision:
    point: str
    weight: int
    covered: bool
    decided_by: Decider
    scorer_covered: bool
    ai_verdict: str = ""  # what the model said ("" when it said nothing usable)
    quote: str = ""  # the verified quote behind an AI decision
    note: str = ""  # why the model's verdict was not followed, when it was not


def combine(
    result: RubricResult, verdicts: Mapping[int, Verdict]
) -> tuple[RubricResult, tuple[PointDecision, ...]]:
    """The deterministic ``result`` adjusted by verified verdicts, by the rules above."""
    blocking = sorted({c.kind for c in result.caps} & NO_GRANT_CAPS)
    points: list[PointResult] = []
    decisions: list[PointDecision] = []
    for index, det in enumerate(result.points):
        v = verdicts.get(index)
        covered, decider, note = det.covered, "scorer", ""
        new = det
        if v is not None and v.quote_rejected:
            note = "the model's quote is not in the answer"
        elif v is not None and det.covered and v.verdict == WRONG:
            covered, decider = False, "ai"
            new = replace(det, covered=False, evidence="", misconception=_wrong(v.quote))
        elif v is not None and not det.covered and v.verdict == CORRECT:
            if blocking:
                note = f"no AI credit on an answer capped for {', '.join(blocking)}"
            elif det.misconception:
                note = "the scorer found a misconception against this point"
            else:
                covered, decider = True, "ai"
                new = replace(det, covered=True, evidence=v.quote)
        points.append(new)
        decisions.append(
            PointDecision(
                det.point,
                det.weight,
                covered,
                decider,  # type: ignore[arg-type]
                det.covered,
                v.verdict if v is not None else "",
                v.quote if v is not None and decider == "ai" else "",
                note,
            )
        )
    total = sum(p.weight for p in points)
    coverage = sum(p.weight for p in points if p.covered) / total if total else 0.0
    raw = score_for_coverage(coverage)
    combined = RubricResult(
        Score(min(raw, result.cap)), raw, coverage, result.cap, tuple(points), result.caps
    )
    return combined, tuple(decisions)


def _wrong(quote: str) -> str:
    return f"stated wrongly (AI judge): “{quote}”"
