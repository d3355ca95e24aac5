"""What scoring an answer returns: per-point results with evidence, and the caps applied."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.scoring.scale import Score


@dataclass(frozen=True, slots=True)
class Cap:
    """Why a score is lower than its coverage: hints, misconception, stuffing, echo."""

    kind: str
    limit: Score
    reason: str

    def __str__(self) -> str:
        return f"capped at {int(self.limit)} ({self.limit.label}): {self.reason}"


@dataclass(frozen=True, slots=True)
class PointResult:
    point: str
    weight: int
    covered: bool
    matched_cues: tuple[str, ...]
    evidence: str = ""  # the answer's own words that earned the point
    missing: tuple[str, ...] = ()  # cues not found (required ones first)
    misconception: str = ""  # a misconception stated against this point
    explain: str = ""


@dataclass(frozen=True, slots=True)
class RubricResult:
    score: Score
    raw_score: Score
    coverage: float
    cap: Score
    points: tuple[PointResult, ...]
    caps: tuple[Cap, ...] = ()

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(p.point for p in self.points if p.covered)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(p.point for p in self.points if not p.covered)
