"""The AI interviewer's grading beside the deterministic scorer, on the graded answer set.

Every answer of ``tests/fixtures/graded_answers/`` is scored by the rubric scorer, then checked
point by point by the model behind ``LLM_BASE_URL`` (``bot.ai``: verified quotes, combined with
the scorer by code, caps kept). The script prints, for "scorer" and "scorer+AI":

- agreement with the human grades: quadratic weighted kappa and Spearman's rho;
- "gamed" (stuffed, echo and wrong-fluent answers scored 3-4) and "missed" (strong answers
  graded 3-4 scored 1-2), the definitions of ``benchmarks/scoring_eval.py``;
- how often the model's reply was usable, how many points it granted or withdrew, the reasons
  it was unavailable, and tokens and seconds per answer (as the server reported them).

Without ``LLM_BASE_URL`` it says how to run it and exits 0. Figures are printed, not asserted.

    LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5:3b-instruct \\
        .venv/bin/python benchmarks/ai_eval.py [--limit N] [--details] [--json PATH]

The graded answers and the bank's questions, rubrics and reference answers are sent to that
server; nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._agreement import table
from benchmarks.scoring_eval import (
    DEFAULT_GRADED,
    GradedAnswer,
    Scored,
    _clean,
    _num,
    _pct,
    agreement,
    load_graded,
)
from bot.core.bank import bundled_bank_path, load_bank
from bot.core.scoring import score_for

HOW_TO = """\
benchmarks/ai_eval.py: LLM_BASE_URL is not set, so there is no model to evaluate.

Point it at any OpenAI-compatible chat-completions server, for example:

  Ollama:     ollama serve &
              ollama pull qwen2.5:3b-instruct
              LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5:3b-instruct \\
                  .venv/bin/python benchmarks/ai_eval.py --limit 40

  llama.cpp:  llama-server -m MODEL-instruct.gguf --host 127.0.0.1 --port 8080 &
              LLM_BASE_URL=http://127.0.0.1:8080/v1 .venv/bin/python benchmarks/ai_eval.py

It needs the "ai" extra (pip install -e ".[ai]"). The graded answers and the bank's questions,
rubrics and reference answers are sent to that server."""


def spread(answers: Sequence[GradedAnswer], limit: int | None) -> list[GradedAnswer]:
    """``limit`` answers evenly spaced through the set (every kind and track represented)."""
    if not limit or limit >= len(answers):
        return list(answers)
    step = len(answers) / limit
    return [answers[int(i * step)] for i in range(limit)]


async def run(answers: Sequence[GradedAnswer], details: bool) -> tuple[dict[str, Any], str]:
    from bot.ai import AIInterviewer
    from bot.ai.settings import AISettings

    settings = AISettings()
    interviewer = AIInterviewer.from_settings(settings)
    interviewer.budget = None  # an evaluation run is not a guild's day
    if not interviewer.enabled:
        return {
            "error": interviewer.off_reason
        }, f"AI interviewer unusable: {interviewer.off_reason}"
    scorer: list[Scored] = []
    combined: list[Scored] = []
    rows: list[dict[str, Any]] = []
    try:
        for n, a in enumerate(answers, start=1):
            det = score_for(a.question, a.text, phase=a.phase)
            start = time.perf_counter()
            graded = await interviewer.grade(a.question, a.phase, a.text, det)
            seconds = time.perf_counter() - start
            result = graded.result or det
            caps = tuple(str(c) for c in det.caps)
            scorer.append(Scored(int(det.score), det.coverage, caps))
            combined.append(Scored(int(result.score), result.coverage, caps))
            rows.append(
                {
                    "question": a.question.id + (f" [{a.phase}]" if a.phase else ""),
                    "kind": a.kind,
                    "grade": a.grade,
                    "scorer": int(det.score),
                    "ai": int(result.score),
                    "caps": [c.kind for c in det.caps],
                    "source": graded.source,
                    "flag": graded.flag,
                    "ignored": graded.ignored,
                    "granted": sum(d.decided_by == "ai" and d.covered for d in graded.decisions),
                    "withdrawn": sum(
                        d.decided_by == "ai" and not d.covered for d in graded.decisions
                    ),
                    "refused": sum(bool(d.note) for d in graded.decisions),
                    "tokens": graded.tokens,
                    "seconds": seconds,
                }
            )
            print(
                f"  {n}/{len(answers)} {rows[-1]['question']} {a.kind}: grade {a.grade}, "
                f"scorer {int(det.score)}, +AI {int(result.score)} ({graded.source}"
                f"{', ' + graded.flag if graded.flag else ''}) {seconds:.1f} s",
                file=sys.stderr,
            )
    finally:
        await interviewer.close()
    return summarise(answers, scorer, combined, rows, settings.describe(), details)


def summarise(
    answers: Sequence[GradedAnswer],
    scorer: list[Scored],
    combined: list[Scored],
    rows: list[dict[str, Any]],
    where: str,
    details: bool,
) -> tuple[dict[str, Any], str]:
    figures = agreement(answers, {"scorer": scorer, "scorer+AI": combined})
    used = [r for r in rows if r["source"] == "ai"]
    tokens = [r["tokens"] for r in rows if r["tokens"]]  # a timeout reports no usage
    seconds = [r["seconds"] for r in rows]
    flags = Counter(r["flag"].removeprefix("AI unavailable: ") for r in rows if r["flag"])
    names = ("scorer", "scorer+AI")
    summary = [
        ["", *names],
        ["QWK vs human grade", *(_num(figures[n]["qwk"]) for n in names)],
        ["Spearman vs human grade", *(_num(figures[n]["spearman"]) for n in names)],
        ["gamed (scored 3-4)", *(_pct(figures[n]["gamed"]) for n in names)],
        ["missed (scored 1-2)", *(_pct(figures[n]["missed"]) for n in names)],
    ]
    model = [
        ["model replies usable", f"{len(used)}/{len(rows)}"],
        ["points granted by the model", str(sum(r["granted"] for r in rows))],
        ["points withdrawn by the model", str(sum(r["withdrawn"] for r in rows))],
        ["verdicts not followed (rules)", str(sum(r["refused"] for r in rows))],
        ["answers addressing the grader", str(sum(bool(r["ignored"]) for r in rows))],
        ["scores changed", str(sum(r["scorer"] != r["ai"] for r in rows))],
        ["tokens per model reply (mean)", _num(statistics.fmean(tokens), 0) if tokens else "-"],
        ["seconds per answer (mean)", _num(statistics.fmean(seconds), 2) if seconds else "-"],
        ["seconds per answer (max)", _num(max(seconds), 2) if seconds else "-"],
    ]
    lines = [
        f"{where}",
        f"Graded answers: {len(rows)} answers to {len({a.question.id for a in answers})} questions",
        "",
        table(summary),
        "",
        table(model, right_from=1),
    ]
    if flags:
        lines += ["", "AI unavailable, by reason:"]
        lines += [f"  {count:4d}  {reason}" for reason, count in flags.most_common()]
    if details:
        changed = [r for r in rows if r["scorer"] != r["ai"]]
        lines += ["", "Answers whose score the model changed:"]
        lines += [
            f"  {r['question']} {r['kind']}: grade {r['grade']}, scorer {r['scorer']} -> {r['ai']}"
            for r in changed
        ] or ["  none"]
    result = {
        "server": where,
        "answers": len(rows),
        "agreement": figures,
        "usable_replies": len(used),
        "tokens_per_reply": statistics.fmean(tokens) if tokens else math.nan,
        "seconds_per_answer": statistics.fmean(seconds) if seconds else math.nan,
        "unavailable": dict(flags),
        "rows": rows,
    }
    return result, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graded", type=Path, default=DEFAULT_GRADED)
    parser.add_argument("--limit", type=int, help="grade N answers spread through the set")
    parser.add_argument("--details", action="store_true", help="list the answers the AI changed")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    if not os.environ.get("LLM_BASE_URL", "").strip():
        print(HOW_TO)
        return 0
    bank = load_bank([bundled_bank_path()])
    answers, warnings = load_graded(args.graded, {q.id: q for q in bank.questions})
    for w in warnings:
        print(f"warning: {w}")
    answers = spread(answers, args.limit)
    if not answers:
        print(f"no graded answers found in {args.graded}")
        return 1
    figures, text = asyncio.run(run(answers, args.details))
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(_clean(figures), indent=2) + "\n", encoding="utf-8")
    return 0 if "error" not in figures else 1


if __name__ == "__main__":
    sys.exit(main())
