"""Evaluate the rubric scorer against human grades: the new scorer and the legacy one side by side.

The graded answer set (``tests/fixtures/graded_answers/<question-id>.yaml``) holds, per bank
question, answers of known kinds (strong-own-words, strong-paraphrase, weak-honest, wrong-fluent,
stuffed, echo), each with a human grade 1-4 and, for system-design questions, the phase it
answers. Both scorers grade every answer, and the script prints for each:

- agreement with the human grades: quadratic weighted kappa and Spearman's rho (ties ranked by
  their average rank);
- "gamed": the share of stuffed, echo and wrong-fluent answers scored 3 or 4, and "missed": the
  share of strong answers (a strong-* kind graded 3 or 4) scored 1 or 2, per kind and overall;
- throughput over the whole set (answers/s, best of several passes, both scorers in the same
  run; by the wall clock, then by this process's CPU time, which other work on a shared machine
  moves far less) and p50/p99 latency of one ~4,000-character answer built from strong answers.

The figures are printed, not asserted. Run from the repository root:

    .venv/bin/python benchmarks/scoring_eval.py [--graded DIR] [--passes N] [--details] [--json PATH]
    .venv/bin/python benchmarks/scoring_eval.py --short-answers PATH/questions-and-graded-answers.json
    LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5:3b-instruct \
        .venv/bin/python benchmarks/scoring_eval.py --ai [--limit N]

``--ai`` scores the same graded set with the AI interviewer on (``benchmarks/ai_eval.py``: the
model checks the scorer point by point) and prints kappa, gamed and missed for the scorer and for
scorer+AI side by side, with tokens and seconds per answer. It needs ``LLM_BASE_URL``; without it
the script exits 2 with one line saying how to set it.

``--short-answers`` also scores the real graded student answers of the UNT Computer Science Short
Answer Dataset v2.0 (not part of this repository; see ``benchmarks/_short_answers.py``) with the
rubrics in ``benchmarks/short_answer_rubrics.yaml``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from benchmarks import _legacy_scoring as legacy
from benchmarks._agreement import (
    quadratic_weighted_kappa,
    spearman,
    table,
)
from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import Question, RubricPoint
from bot.core.scoring import score_for

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GRADED = ROOT / "tests" / "fixtures" / "graded_answers"
STRONG_KINDS = ("strong-own-words", "strong-paraphrase")
GAMING_KINDS = ("wrong-fluent", "stuffed", "echo")
KINDS = (*STRONG_KINDS, "weak-honest", *GAMING_KINDS)
LONG_ANSWER_CHARS = 4000


# --- the graded answer set ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradedAnswer:
    question: Question
    phase: str | None
    kind: str
    grade: int
    text: str


def load_graded(
    folder: Path, questions: dict[str, Question]
) -> tuple[list[GradedAnswer], list[str]]:
    """Every answer in ``folder/*.yaml``, and a warning for each file or answer left out."""
    answers: list[GradedAnswer] = []
    warnings: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        qid = data.get("question") if isinstance(data, dict) else None
        question = questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            warnings.append(f"{path.name}: unknown question {qid!r}, skipped")
            continue
        phases = {p.name for p in question.phases}
        for n, raw in enumerate(data.get("answers") or (), start=1):
            where = f"{path.name} answer {n}"
            if not isinstance(raw, dict):
                warnings.append(f"{where}: not a mapping, skipped")
                continue
            kind, grade, text = raw.get("kind"), raw.get("grade"), raw.get("text")
            phase = raw.get("phase")
            if kind not in KINDS:
                warnings.append(f"{where}: unknown kind {kind!r}, skipped")
            elif grade not in (1, 2, 3, 4) or isinstance(grade, bool):
                warnings.append(f"{where}: grade must be 1-4, got {grade!r}, skipped")
            elif not isinstance(text, str) or not text.strip():
                warnings.append(f"{where}: empty text, skipped")
            elif phases and phase not in phases:
                warnings.append(
                    f"{where}: system-design answer needs a phase, got {phase!r}, skipped"
                )
            elif not phases and phase is not None:
                warnings.append(f"{where}: phase {phase!r} on a question without phases, skipped")
            else:
                answers.append(GradedAnswer(question, phase, kind, grade, text))
    return answers, warnings


def rubric_for(question: Question, phase: str | None) -> tuple[RubricPoint, ...]:
    if phase is None:
        return question.rubric
    return next(p.rubric for p in question.phases if p.name == phase)


# --- the two scorers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scored:
    score: int
    coverage: float
    caps: tuple[str, ...] = ()  # why the score was capped (new scorer: hints, misconception, ...)

    @property
    def capped(self) -> bool:
        return bool(self.caps)


def score_new(question: Question, text: str, phase: str | None) -> Scored:
    result = score_for(question, text, phase=phase)
    caps = tuple(str(c) for c in getattr(result, "caps", ()))
    return Scored(int(result.score), float(result.coverage), caps)


def score_legacy(question: Question, text: str, phase: str | None) -> Scored:
    result = legacy.score_answer(text, rubric_for(question, phase))
    return Scored(int(result.score), float(result.coverage))


Scorer = Callable[[Question, str, str | None], Scored]
SCORERS: dict[str, Scorer] = {"new": score_new, "legacy": score_legacy}


# --- figures -----------------------------------------------------------------------------------


def _rate(hits: int, n: int) -> dict[str, Any]:
    return {"count": hits, "n": n, "rate": hits / n if n else None}


def _gamed(answers: Sequence[GradedAnswer], scores: Sequence[Scored]) -> dict[str, Any]:
    pairs = [(a, s) for a, s in zip(answers, scores, strict=True) if a.kind in GAMING_KINDS]
    return _rate(sum(s.score >= 3 for _, s in pairs), len(pairs))


def _missed(answers: Sequence[GradedAnswer], scores: Sequence[Scored]) -> dict[str, Any]:
    pairs = [
        (a, s)
        for a, s in zip(answers, scores, strict=True)
        if a.kind in STRONG_KINDS and a.grade >= 3
    ]
    return _rate(sum(s.score <= 2 for _, s in pairs), len(pairs))


def _group(
    answers: Sequence[GradedAnswer], scored: dict[str, list[Scored]], keep: Callable[[str], bool]
) -> dict[str, Any]:
    idx = [i for i, a in enumerate(answers) if keep(a.kind)]
    sub = [answers[i] for i in idx]
    row: dict[str, Any] = {
        "n": len(idx),
        "mean_grade": statistics.fmean(a.grade for a in sub) if sub else None,
    }
    for name, scores in scored.items():
        mine = [scores[i] for i in idx]
        row[name] = {
            "mean_score": statistics.fmean(s.score for s in mine) if mine else None,
            "gamed": _gamed(sub, mine),
            "missed": _missed(sub, mine),
            "capped": sum(s.capped for s in mine),
        }
    return row


def agreement(answers: Sequence[GradedAnswer], scored: dict[str, list[Scored]]) -> dict[str, Any]:
    grades = [a.grade for a in answers]
    figures: dict[str, Any] = {}
    for name, scores in scored.items():
        values = [s.score for s in scores]
        figures[name] = {
            "qwk": quadratic_weighted_kappa(grades, values),
            "spearman": spearman(grades, values),
            "gamed": _gamed(answers, scores),
            "missed": _missed(answers, scores),
            "capped": sum(s.capped for s in scores),
        }
    return figures


def per_kind(answers: Sequence[GradedAnswer], scored: dict[str, list[Scored]]) -> dict[str, Any]:
    rows = {
        kind: _group(answers, scored, lambda k, kind=kind: k == kind)
        for kind in KINDS
        if any(a.kind == kind for a in answers)
    }
    rows["strong (all)"] = _group(answers, scored, lambda k: k in STRONG_KINDS)
    rows["gaming (all)"] = _group(answers, scored, lambda k: k in GAMING_KINDS)
    rows["all"] = _group(answers, scored, lambda k: True)
    return rows


def throughput(
    answers: Sequence[GradedAnswer], passes: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Answers per second over the whole set: best of ``passes`` timed passes per scorer.

    The scorers alternate pass by pass (and swap who goes first) so both see the same machine.
    ``clock`` ``time.process_time`` counts this process's CPU time only: on a machine shared
    with other work it moves far less than the wall clock, which tells noise from a slower
    scorer.
    """
    best = dict.fromkeys(SCORERS, math.inf)
    names = list(SCORERS)
    for p in range(passes):
        for name in names if p % 2 == 0 else names[::-1]:
            fn = SCORERS[name]
            start = clock()
            for a in answers:
                fn(a.question, a.text, a.phase)
            best[name] = min(best[name], clock() - start)
    return {name: len(answers) / t if t > 0 else math.inf for name, t in best.items()}


def long_answer(answers: Sequence[GradedAnswer]) -> tuple[GradedAnswer, str]:
    """A realistic ~4,000-character answer: strong answers strung together, cut at a word.

    It is scored against the question (and phase) of the first strong answer used.
    """
    pool = [a for a in answers if a.kind in STRONG_KINDS] or list(answers)
    parts: list[str] = []
    size = 0
    while size < LONG_ANSWER_CHARS:
        for a in pool:
            parts.append(a.text.strip())
            size += len(parts[-1]) + 2
            if size >= LONG_ANSWER_CHARS:
                break
    text = "\n\n".join(parts)[:LONG_ANSWER_CHARS]
    return pool[0], text[: text.rfind(" ")] if " " in text else text


def latency(answers: Sequence[GradedAnswer], calls: int) -> dict[str, Any]:
    """p50/p99 milliseconds per call on the long answer, both scorers interleaved call by call.

    Each call gets a distinct text (a numbered last sentence), so no cache keyed on the whole
    answer can turn the measurement into a lookup.
    """
    target, text = long_answer(answers)
    samples: dict[str, list[float]] = {name: [] for name in SCORERS}
    for i in range(calls):
        variant = f"{text}\n\nThat is answer {i}."
        for name, fn in SCORERS.items():
            start = time.perf_counter()
            fn(target.question, variant, target.phase)
            samples[name].append((time.perf_counter() - start) * 1000)
    where = target.question.id + (f" [{target.phase}]" if target.phase else "")
    out: dict[str, Any] = {"chars": len(text), "calls": calls, "scored_against": where}
    for name, ms in samples.items():
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        out[name] = {"p50_ms": statistics.median(ms), "p99_ms": cuts[98]}
    return out


# --- printing ----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _pct(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "-"
    return f"{100 * rate['rate']:.1f}% ({rate['count']}/{rate['n']})"


def summary_table(
    figures: dict[str, Any],
    speed: dict[str, float],
    lat: dict[str, Any],
    cpu_speed: dict[str, float] | None = None,
) -> str:
    names = list(SCORERS)
    rows = [
        ["", *names],
        ["QWK vs human grade", *(_num(figures[n]["qwk"]) for n in names)],
        ["Spearman vs human grade", *(_num(figures[n]["spearman"]) for n in names)],
        ["gamed (scored 3-4)", *(_pct(figures[n]["gamed"]) for n in names)],
        ["missed (scored 1-2)", *(_pct(figures[n]["missed"]) for n in names)],
        ["capped (any reason)", *(str(figures[n]["capped"]) for n in names)],
        ["answers/s (best pass)", *(f"{speed[n]:,.0f}" for n in names)],
        *(
            [["answers/s (CPU time)", *(f"{cpu_speed[n]:,.0f}" for n in names)]]
            if cpu_speed
            else []
        ),
        [f"p50 ms, {lat['chars']:,}-char answer", *(_num(lat[n]["p50_ms"], 2) for n in names)],
        [f"p99 ms, {lat['chars']:,}-char answer", *(_num(lat[n]["p99_ms"], 2) for n in names)],
    ]
    return table(rows)


def kind_table(rows: dict[str, Any]) -> str:
    names = list(SCORERS)
    header = ["kind", "n", "grade", *(f"{n} score" for n in names)]
    header += [f"{n} gamed" for n in names] + [f"{n} missed" for n in names] + ["new capped"]
    out = [header]
    for kind, row in rows.items():
        out.append(
            [
                kind,
                str(row["n"]),
                _num(row["mean_grade"], 2),
                *(_num(row[n]["mean_score"], 2) for n in names),
                *(_pct(row[n]["gamed"]) for n in names),
                *(_pct(row[n]["missed"]) for n in names),
                str(row["new"]["capped"]),
            ]
        )
    return table(out)


def details_table(answers: Sequence[GradedAnswer], scored: dict[str, list[Scored]]) -> str:
    """Every answer that some scorer games or misses, with both scores and the new scorer's caps."""
    names = list(SCORERS)
    rows = [["answer", "kind", "grade", *names, "gamed by", "missed by", "new caps"]]
    for i, a in enumerate(answers):
        gamed = [n for n in names if a.kind in GAMING_KINDS and scored[n][i].score >= 3]
        missed = [
            n for n in names if a.kind in STRONG_KINDS and a.grade >= 3 and scored[n][i].score <= 2
        ]
        if gamed or missed:
            where = a.question.id + (f" [{a.phase}]" if a.phase else "")
            rows.append(
                [
                    where,
                    a.kind,
                    str(a.grade),
                    *(str(scored[n][i].score) for n in names),
                    ",".join(gamed) or "-",
                    ",".join(missed) or "-",
                    "; ".join(scored["new"][i].caps) or "-",
                ]
            )
    if len(rows) == 1:
        return "No answer is gamed or missed by either scorer."
    return "Answers gamed or missed by a scorer:\n" + table(
        rows, right_from=2, right_to=2 + 1 + len(names)
    )


def _clean(value: Any) -> Any:
    """NaN and infinity become null, so the JSON file is valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def evaluate_graded(
    folder: Path, passes: int, calls: int, details: bool = False
) -> tuple[dict[str, Any], str]:
    bank = load_bank([bundled_bank_path()])
    answers, warnings = load_graded(folder, {q.id: q for q in bank.questions})
    lines = [f"warning: {w}" for w in warnings]
    if not answers:
        lines.append(f"no graded answers found in {folder}")
        return {"answers": 0, "warnings": warnings}, "\n".join(lines)
    scored = {
        name: [fn(a.question, a.text, a.phase) for a in answers] for name, fn in SCORERS.items()
    }
    figures = agreement(answers, scored)
    kinds = per_kind(answers, scored)
    speed = throughput(answers, passes)
    cpu_speed = throughput(answers, passes, time.process_time)
    lat = latency(answers, calls)
    questions = len({a.question.id for a in answers})
    lines += [
        f"Graded answers: {len(answers)} answers to {questions} questions "
        f"(throughput: best of {passes} passes over all of them; latency: {calls} calls)",
        "",
        summary_table(figures, speed, lat, cpu_speed),
        "",
        kind_table(kinds),
    ]
    if details:
        lines += ["", details_table(answers, scored)]
    result = {
        "answers": len(answers),
        "questions": questions,
        "warnings": warnings,
        "passes": passes,
        "scorers": {
            n: {
                **figures[n],
                "answers_per_s": speed[n],
                "answers_per_cpu_s": cpu_speed[n],
                "latency": lat[n],
            }
            for n in SCORERS
        },
        "latency_answer": {k: lat[k] for k in ("chars", "calls", "scored_against")},
        "per_kind": kinds,
    }
    return result, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--graded", type=Path, default=DEFAULT_GRADED, help="folder of graded answer YAML files"
    )
    parser.add_argument(
        "--passes", type=int, default=5, help="timed passes over the set (best counts)"
    )
    parser.add_argument(
        "--latency-calls", type=int, default=200, help="calls timed on the long answer"
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="list every graded answer a scorer games or misses, with the new scorer's caps",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--short-answers",
        type=Path,
        metavar="PATH",
        help="questions-and-graded-answers.json of the UNT short-answer data set",
    )
    parser.add_argument(
        "--disagreements",
        type=int,
        default=0,
        metavar="N",
        help="with --short-answers: print the N answers where the new scorer is furthest from the graders",
    )
    parser.add_argument(
        "--ai",
        action="store_true",
        help="score the graded set with the AI interviewer on too (needs LLM_BASE_URL)",
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="with --ai: N answers spread through the set"
    )
    args = parser.parse_args(argv)
    if args.ai:
        return _ai_mode(args)
    if args.passes < 1 or args.latency_calls < 1:
        parser.error("--passes and --latency-calls must be at least 1")
    if not args.graded.is_dir():
        parser.error(f"--graded: no such folder: {args.graded}")

    figures: dict[str, Any] = {}
    figures["graded"], text = evaluate_graded(
        args.graded, args.passes, args.latency_calls, args.details
    )
    print(text)
    status = 0 if figures["graded"]["answers"] else 1
    if args.short_answers is not None:
        from benchmarks import _short_answers

        report = _short_answers.evaluate(args.short_answers)
        print()
        print(_short_answers.format_report(report, disagreements=args.disagreements))
        figures["short_answers"] = _short_answers.as_json(report)
        status = 0
    if args.json is not None:
        args.json.write_text(json.dumps(_clean(figures), indent=2) + "\n", encoding="utf-8")
    return status


AI_NEEDS_SERVER = (
    "scoring_eval.py --ai needs a model server: set LLM_BASE_URL to its /v1 root, e.g. "
    "LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5:3b-instruct "
    ".venv/bin/python benchmarks/scoring_eval.py --ai"
)


def _ai_mode(args: argparse.Namespace) -> int:
    """The graded set scored by the scorer and by scorer+AI (``benchmarks/ai_eval.py``'s run)."""
    import asyncio
    import os

    if not os.environ.get("LLM_BASE_URL", "").strip():
        print(AI_NEEDS_SERVER, file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("--limit must be at least 1", file=sys.stderr)
        return 2
    from benchmarks import ai_eval

    bank = load_bank([bundled_bank_path()])
    answers, warnings = load_graded(args.graded, {q.id: q for q in bank.questions})
    for w in warnings:
        print(f"warning: {w}")
    answers = ai_eval.spread(answers, args.limit)
    if not answers:
        print(f"no graded answers found in {args.graded}")
        return 1
    figures, text = asyncio.run(ai_eval.run(answers, args.details))
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(_clean({"ai": figures}), indent=2) + "\n", encoding="utf-8")
    return 0 if "error" not in figures else 1


if __name__ == "__main__":
    sys.exit(main())
