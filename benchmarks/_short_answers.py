"""The scorers on real graded student answers: the UNT Computer Science Short Answer Dataset v2.0.

The data set (61 development questions on data structures, algorithms and C++, each with the
instructor's reference answer and 1,715 student answers graded 0-5 by two human graders and their
average) is not part of this repository: it states no licence. Pass the path of its
``questions-and-graded-answers.json`` to ``benchmarks/scoring_eval.py --short-answers PATH``.

Source: Michael Mohler, Razvan Bunescu, Rada Mihalcea. *Learning to Grade Short Answer Questions
using Semantic Similarity Measures and Dependency Graph Alignments.* ACL-HLT 2011.

The rubrics (``benchmarks/short_answer_rubrics.yaml``) were written from each question and its
reference answer only, before any student answer or grade was read. Every student answer is
scored by the new scorer (``bot.core.scoring.score_answer``, given the question as the prompt
when it accepts one) and by the legacy one; each scorer's score (1-4) and coverage (0-1) is
compared with the graders' average by Pearson's r and Spearman's rho, pooled over all answers
and as the mean of the per-question coefficients. The two graders' agreement with each other is
the yardstick: a scorer that tracks their average better than they track each other does well.
"""

from __future__ import annotations

import inspect
import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks import _legacy_scoring as legacy
from benchmarks._agreement import pearson, spearman, table
from bot.core import scoring
from bot.core.questions import Misconception, RubricPoint

DEFAULT_RUBRICS = Path(__file__).resolve().with_name("short_answer_rubrics.yaml")
GRADE_SCALE = 5.0  # the data set's 'average' is on 0-5; raw grades of some assignments are 0-10


# --- rubrics -----------------------------------------------------------------------------------


def _misconception(raw: dict[str, Any]) -> Misconception:
    cues = tuple(str(c) for c in raw["cues"])
    return Misconception(text=str(raw["text"]), cues=cues, cap=int(raw.get("cap", 2)))


def _point(qid: str, raw: dict[str, Any]) -> RubricPoint:
    cues = tuple(str(c) for c in raw["cues"])
    weight = int(raw.get("weight", 1))
    if not 1 <= len(cues) <= 5 or not 1 <= weight <= 5:
        raise ValueError(f"{qid}: a point needs 1-5 cues and a weight of 1-5: {raw['point']!r}")
    for cue in cues:
        if any(not alt.strip() for alt in cue.removeprefix("+").split("|")):
            raise ValueError(f"{qid}: cue {cue!r} has an empty alternative")
    return RubricPoint(
        point=str(raw["point"]),
        cues=cues,
        weight=weight,
        explain=str(raw.get("explain", "")),
        misconceptions=tuple(_misconception(m) for m in raw.get("misconceptions") or ()),
    )


def load_rubrics(path: Path = DEFAULT_RUBRICS) -> dict[str, tuple[RubricPoint, ...]]:
    """Question id ("1.1") -> its rubric, each of 2-4 points."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rubrics: dict[str, tuple[RubricPoint, ...]] = {}
    for qid, points in data["rubrics"].items():
        if not 2 <= len(points) <= 4:
            raise ValueError(f"{qid}: a rubric has 2-4 points, got {len(points)}")
        rubrics[str(qid)] = tuple(_point(str(qid), p) for p in points)
    return rubrics


# --- scorers -----------------------------------------------------------------------------------

ScoreFn = Callable[[str, Sequence[RubricPoint], str], Any]


def new_scorer() -> tuple[ScoreFn, bool]:
    """The new ``score_answer``, and whether it takes the question as ``prompt``."""
    fn = scoring.score_answer
    if "prompt" in inspect.signature(fn).parameters:
        return (lambda text, rubric, prompt: fn(text, rubric, prompt=prompt)), True
    return (lambda text, rubric, prompt: fn(text, rubric)), False


def legacy_scorer(text: str, rubric: Sequence[RubricPoint], prompt: str) -> Any:
    return legacy.score_answer(text, rubric)


# --- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    qid: str
    n: int
    text: str
    average: float
    grader1: float  # both graders on the 0-5 scale
    grader2: float
    scores: dict[str, tuple[int, float]]  # scorer -> (score 1-4, coverage 0-1)


@dataclass(frozen=True, slots=True)
class Report:
    questions: int
    rows: list[Row]
    prompt_passed: bool
    # scorer -> question id -> the reference answer's score, missed points and caps
    references: dict[str, dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]]]

    def reference_counts(self, scorer: str) -> dict[int, int]:
        """How many reference answers got each score."""
        counts: dict[int, int] = {}
        for score, _, _ in self.references[scorer].values():
            counts[score] = counts.get(score, 0) + 1
        return counts


def evaluate(data_path: Path, rubrics_path: Path = DEFAULT_RUBRICS) -> Report:
    data = json.loads(data_path.read_text(encoding="utf-8"))
    rubrics = load_rubrics(rubrics_path)
    missing = [q["id"] for q in data["questions"] if q["id"] not in rubrics]
    if missing:
        raise ValueError(f"no rubric for question(s) {', '.join(missing)} in {rubrics_path.name}")
    new_fn, prompt_passed = new_scorer()
    scorers: dict[str, ScoreFn] = {"new": new_fn, "legacy": legacy_scorer}
    rows: list[Row] = []
    references: dict[str, dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]]] = {
        name: {} for name in scorers
    }
    for q in data["questions"]:
        rubric, prompt = rubrics[q["id"]], q["question"]
        scale = float(q["raw_grade_scale"]) / GRADE_SCALE
        for name, fn in scorers.items():
            ref = fn(q["reference_answer"], rubric, prompt)
            caps = tuple(str(c) for c in getattr(ref, "caps", ()))
            references[name][q["id"]] = (int(ref.score), tuple(ref.missed), caps)
        for a in q["answers"]:
            results = {name: fn(a["text"], rubric, prompt) for name, fn in scorers.items()}
            rows.append(
                Row(
                    qid=q["id"],
                    n=a["n"],
                    text=a["text"],
                    average=float(a["average"]),
                    grader1=float(a["grader1_ta"]) / scale,
                    grader2=float(a["grader2_mohler"]) / scale,
                    scores={k: (int(r.score), float(r.coverage)) for k, r in results.items()},
                )
            )
    return Report(len(data["questions"]), rows, prompt_passed, references)


def _series(report: Report) -> dict[str, tuple[Callable[[Row], float], Callable[[Row], float]]]:
    """What is compared with what: each scorer's score and coverage against the average,
    and grader 1 against grader 2."""
    out: dict[str, tuple[Callable[[Row], float], Callable[[Row], float]]] = {}
    for name in ("new", "legacy"):
        out[f"{name} score"] = (lambda r, name=name: r.scores[name][0], lambda r: r.average)
        out[f"{name} coverage"] = (lambda r, name=name: r.scores[name][1], lambda r: r.average)
    out["grader 1 vs grader 2"] = (lambda r: r.grader1, lambda r: r.grader2)
    return out


def correlations(report: Report) -> dict[str, dict[str, Any]]:
    by_question: dict[str, list[Row]] = {}
    for row in report.rows:
        by_question.setdefault(row.qid, []).append(row)
    figures: dict[str, dict[str, Any]] = {}
    for label, (fx, fy) in _series(report).items():
        xs, ys = [fx(r) for r in report.rows], [fy(r) for r in report.rows]
        per_q: dict[str, list[float]] = {"pearson": [], "spearman": []}
        undefined = 0
        for rows in by_question.values():
            qx, qy = [fx(r) for r in rows], [fy(r) for r in rows]
            p, s = pearson(qx, qy), spearman(qx, qy)
            if math.isnan(p) or math.isnan(s):
                undefined += 1  # one side constant on this question: no coefficient
                continue
            per_q["pearson"].append(p)
            per_q["spearman"].append(s)
        figures[label] = {
            "pooled_pearson": pearson(xs, ys),
            "pooled_spearman": spearman(xs, ys),
            "per_question_pearson": statistics.fmean(per_q["pearson"])
            if per_q["pearson"]
            else None,
            "per_question_spearman": statistics.fmean(per_q["spearman"])
            if per_q["spearman"]
            else None,
            "questions_with_coefficient": len(per_q["pearson"]),
            "questions_constant": undefined,
        }
    return figures


def _num(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def format_report(report: Report, disagreements: int = 0) -> str:
    figs = correlations(report)
    rows = [
        ["vs graders' average", "pooled r", "pooled rho", "mean r/q", "mean rho/q", "questions"]
    ]
    for label, f in figs.items():
        rows.append(
            [
                label,
                _num(f["pooled_pearson"]),
                _num(f["pooled_spearman"]),
                _num(f["per_question_pearson"]),
                _num(f["per_question_spearman"]),
                f"{f['questions_with_coefficient']}/{report.questions}",
            ]
        )
    refs = "; ".join(
        f"{name}: "
        + ", ".join(
            f"{n} scored {s}"
            for s, n in sorted(report.reference_counts(name).items(), reverse=True)
        )
        for name in report.references
    )
    lines = [
        f"Short answers: {len(report.rows)} graded student answers to {report.questions} questions "
        f"(new scorer {'given' if report.prompt_passed else 'NOT given (no prompt parameter)'} "
        "the question as prompt)",
        "",
        table(rows),
        "",
        "('grader 1 vs grader 2' compares the two humans with each other; 'questions' counts the",
        " questions where both sides vary, which the per-question means average over.)",
        f"Reference answers: {refs}",
    ]
    for name, by_id in report.references.items():
        for qid, (score, missed, caps) in by_id.items():
            if score < 4:
                why = [f"missed: {' / '.join(missed)}"] if missed else []
                why += [f"{' / '.join(caps)}"] if caps else []
                lines.append(f"  {name} scores reference {qid} {score}; {'; '.join(why) or '?'}")
    if disagreements > 0:
        lines += [
            "",
            f"Largest disagreements (new score on 0-5 vs graders' average), top {disagreements}:",
        ]
        worst = sorted(
            report.rows,
            key=lambda r: -abs((r.scores["new"][0] - 1) / 3 * GRADE_SCALE - r.average),
        )
        for r in worst[:disagreements]:
            text = " ".join(r.text.split())
            lines.append(
                f"  {r.qid} #{r.n}: new {r.scores['new'][0]} (coverage {r.scores['new'][1]:.2f}), "
                f"legacy {r.scores['legacy'][0]}, average {r.average:.2f}: {text[:160]}"
            )
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, Any]:
    return {
        "answers": len(report.rows),
        "questions": report.questions,
        "prompt_passed": report.prompt_passed,
        "reference_scores": {
            name: {str(s): n for s, n in report.reference_counts(name).items()}
            for name in report.references
        },
        "correlations": correlations(report),
        "per_question": per_question(report),
    }


def per_question(report: Report) -> dict[str, dict[str, Any]]:
    """Pearson's r per question of each scorer's score with the average, and of the graders."""
    by_question: dict[str, list[Row]] = {}
    for row in report.rows:
        by_question.setdefault(row.qid, []).append(row)
    out: dict[str, dict[str, Any]] = {}
    for qid, rows in by_question.items():
        avg = [r.average for r in rows]
        out[qid] = {
            "answers": len(rows),
            "mean_average": statistics.fmean(avg),
            **{
                f"{name}_pearson": pearson([r.scores[name][0] for r in rows], avg)
                for name in ("new", "legacy")
            },
            "graders_pearson": pearson([r.grader1 for r in rows], [r.grader2 for r in rows]),
            **{f"{name}_reference": report.references[name][qid][0] for name in ("new", "legacy")},
        }
    return out
