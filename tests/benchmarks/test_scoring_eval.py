"""The scorer evaluation harness: its agreement measures against hand-worked values, and one run
of ``main()`` on a small graded folder (the printed tables' structure, never the timings)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import yaml

from benchmarks import _short_answers, scoring_eval
from benchmarks._agreement import average_ranks, pearson, quadratic_weighted_kappa, spearman
from benchmarks.scoring_eval import GradedAnswer, Scored
from bot.core.bank import bundled_bank_path, load_bank
from bot.core.scoring.probes import cue_stuffing_answer, prompt_echo_answer

# --- quadratic weighted kappa ------------------------------------------------------------------


def test_qwk_perfect_agreement_is_one() -> None:
    assert quadratic_weighted_kappa([1, 2, 3, 4, 4], [1, 2, 3, 4, 4]) == pytest.approx(1.0)


def test_qwk_reversed_scale_is_minus_one() -> None:
    # Observed: the anti-diagonal, weighted (9 + 1 + 1 + 9) / 9 = 20/9. Expected: 1/4 in every
    # cell, sum of (i - j)^2 over the 4x4 grid = 40, so 40 / 4 / 9 = 10/9. 1 - 2 = -1.
    assert quadratic_weighted_kappa([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_qwk_hand_worked_partial_agreement() -> None:
    # a = 1,1,2,2 and b = 1,2,2,2: one disagreement (1 vs 2), weight 1/9.
    # Marginals a: {1: 2, 2: 2}, b: {1: 1, 2: 3}; expected off-diagonal cells (1,2) = 2*3/4 = 1.5
    # and (2,1) = 2*1/4 = 0.5, each weight 1/9: 2/9. kappa = 1 - (1/9) / (2/9) = 0.5.
    assert quadratic_weighted_kappa([1, 1, 2, 2], [1, 2, 2, 2]) == pytest.approx(0.5)


def test_qwk_weighs_far_misses_more_than_near_ones() -> None:
    human = [1, 2, 3, 4, 1, 2, 3, 4]
    near = [2, 2, 3, 4, 1, 2, 3, 3]
    far = [4, 2, 3, 4, 1, 2, 3, 1]
    assert quadratic_weighted_kappa(human, near) > quadratic_weighted_kappa(human, far)


def test_qwk_undefined_when_no_disagreement_is_possible() -> None:
    assert math.isnan(quadratic_weighted_kappa([3, 3, 3], [3, 3, 3]))


def test_qwk_rejects_unequal_lists() -> None:
    with pytest.raises(ValueError, match="equally long"):
        quadratic_weighted_kappa([1, 2], [1])


# --- ranks, Pearson, Spearman ------------------------------------------------------------------


def test_average_ranks_share_ties() -> None:
    assert average_ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert average_ranks([7, 7, 7]) == [2.0, 2.0, 2.0]
    assert average_ranks([]) == []


def test_pearson_hand_worked() -> None:
    # x - mean = -1, 0, 1; y - mean = -2, 1, 1: sxy = 3, sxx = 2, syy = 6, r = 3 / sqrt(12).
    assert pearson([1, 2, 3], [1, 4, 4]) == pytest.approx(3 / math.sqrt(12))
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_spearman_with_ties_hand_worked() -> None:
    # Ranks x: 1, 2.5, 2.5, 4; ranks y: 1, 3, 2, 4. Deviations from 2.5: x -1.5, 0, 0, 1.5 and
    # y -1.5, 0.5, -0.5, 1.5: sxy = 4.5, sxx = 4.5, syy = 5, rho = 4.5 / sqrt(22.5) = sqrt(0.9).
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(math.sqrt(0.9))


def test_spearman_only_sees_order() -> None:
    assert spearman([1, 2, 3, 4], [1, 10, 100, 1000]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [9, 5, 2, 0]) == pytest.approx(-1.0)


# --- gamed and missed --------------------------------------------------------------------------


def test_gamed_and_missed_count_the_right_answers() -> None:
    question = load_bank([bundled_bank_path()]).questions[0]

    def answer(kind: str, grade: int) -> GradedAnswer:
        return GradedAnswer(question, None, kind, grade, "text")

    answers = [
        answer("stuffed", 1),  # scored 3: gamed
        answer("echo", 1),  # scored 2: not gamed
        answer("wrong-fluent", 1),  # scored 4: gamed
        answer("strong-own-words", 4),  # scored 2: missed
        answer("strong-paraphrase", 3),  # scored 3: not missed
        answer("strong-paraphrase", 2),  # graded 2: not a strong answer, left out
        answer("weak-honest", 2),  # neither
    ]
    scores = [Scored(s, 0.5) for s in (3, 2, 4, 2, 3, 1, 4)]
    figures = scoring_eval.agreement(answers, {"new": scores, "legacy": scores})["new"]
    assert figures["gamed"] == {"count": 2, "n": 3, "rate": pytest.approx(2 / 3)}
    assert figures["missed"] == {"count": 1, "n": 2, "rate": pytest.approx(0.5)}


def test_details_list_only_gamed_or_missed_answers_with_caps() -> None:
    question = load_bank([bundled_bank_path()]).questions[0]
    answers = [
        GradedAnswer(question, None, "stuffed", 1, "x"),  # gamed by legacy only
        GradedAnswer(question, None, "strong-own-words", 4, "y"),  # missed by new only
        GradedAnswer(question, None, "weak-honest", 2, "z"),  # never listed
    ]
    scored = {
        "new": [Scored(2, 0.9, ("capped at 2 (No Hire): stuffing",)), Scored(1, 0.1), Scored(4, 1)],
        "legacy": [Scored(4, 0.9), Scored(4, 0.9), Scored(4, 1.0)],
    }
    lines = scoring_eval.details_table(answers, scored).splitlines()
    assert lines[0] == "Answers gamed or missed by a scorer:"
    assert lines[1].split() == [
        "answer", "kind", "grade", "new", "legacy", "gamed", "by", "missed", "by", "new", "caps",
    ]  # fmt: skip
    assert len(lines) == 4
    assert lines[2].split()[:7] == [question.id, "stuffed", "1", "2", "4", "legacy", "-"]
    assert lines[2].endswith("capped at 2 (No Hire): stuffing")
    assert lines[3].split() == [question.id, "strong-own-words", "4", "1", "4", "-", "new", "-"]
    calm = {
        "new": [Scored(1, 0), Scored(4, 1), Scored(2, 0.3)],
        "legacy": [Scored(2, 0)] + [Scored(3, 1)] * 2,
    }
    assert (
        scoring_eval.details_table(answers, calm)
        == "No answer is gamed or missed by either scorer."
    )


# --- main() on a small graded folder -----------------------------------------------------------


def _graded_folder(tmp_path: Path) -> tuple[Path, int]:
    """Two questions (one system-design phase) with known kinds; returns (folder, valid answers)."""
    questions = load_bank([bundled_bank_path()]).questions
    plain = next(q for q in questions if not q.phases)
    phased = next(q for q in questions if q.phases)
    phase = phased.phases[1].name
    folder = tmp_path / "graded"
    folder.mkdir()
    plain_doc = {
        "question": plain.id,
        "answers": [
            {"kind": "strong-own-words", "grade": 4, "text": plain.reference_answer},
            {"kind": "weak-honest", "grade": 2, "text": "It depends on the data, I would test it."},
            {"kind": "stuffed", "grade": 1, "text": cue_stuffing_answer(plain)},
            {"kind": "echo", "grade": 1, "text": prompt_echo_answer(plain)},
            {"kind": "brilliant", "grade": 4, "text": "An unknown kind is skipped."},
        ],
    }
    phased_doc = {
        "question": phased.id,
        "answers": [
            {
                "kind": "strong-paraphrase",
                "phase": phase,
                "grade": 3,
                "text": phased.reference_answer,
            },
            {
                "kind": "stuffed",
                "phase": phase,
                "grade": 1,
                "text": cue_stuffing_answer(phased, phase),
            },
            {"kind": "echo", "grade": 1, "text": "A phased answer without a phase is skipped."},
        ],
    }
    (folder / f"{plain.id}.yaml").write_text(yaml.safe_dump(plain_doc), encoding="utf-8")
    (folder / f"{phased.id}.yaml").write_text(yaml.safe_dump(phased_doc), encoding="utf-8")
    (folder / "no-such-question.yaml").write_text(
        yaml.safe_dump({"question": "no-such-question", "answers": []}), encoding="utf-8"
    )
    return folder, 6


def test_main_prints_both_tables_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, valid = _graded_folder(tmp_path)
    out_json = tmp_path / "figures.json"
    argv = [
        "--graded",
        str(folder),
        "--passes",
        "1",
        "--latency-calls",
        "3",
        "--json",
        str(out_json),
        "--details",
    ]
    assert scoring_eval.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()

    warnings = [line for line in lines if line.startswith("warning: ")]
    assert len(warnings) == 3  # unknown kind, missing phase, unknown question
    assert any("unknown kind 'brilliant'" in w for w in warnings)
    assert any("needs a phase" in w for w in warnings)
    assert any("unknown question 'no-such-question'" in w for w in warnings)
    assert f"Graded answers: {valid} answers to 2 questions" in lines[len(warnings)]

    # Summary: a header naming both scorers, then one row per figure with a cell per scorer.
    start = lines.index(next(line for line in lines if line.split() == ["new", "legacy"]))
    labels = [
        "QWK vs human grade",
        "Spearman vs human grade",
        "gamed (scored 3-4)",
        "missed (scored 1-2)",
        "capped (any reason)",
        "answers/s (best pass)",
        "answers/s (CPU time)",
        "p50 ms,",
        "p99 ms,",
    ]
    summary = lines[start + 1 : start + 1 + len(labels)]
    for label, line in zip(labels, summary, strict=True):
        assert line.startswith(label)
    pct = r"\d+\.\d% \(\d+/\d+\)"
    assert re.fullmatch(rf"gamed \(scored 3-4\)\s+{pct}\s+{pct}", summary[2])
    assert re.fullmatch(r"gamed \(scored 3-4\)\s+\S+ \(\d+/3\)\s+\S+ \(\d+/3\)", summary[2])
    assert re.fullmatch(r"missed \(scored 1-2\)\s+\S+ \(\d+/2\)\s+\S+ \(\d+/2\)", summary[3])

    # Per kind: the header, one row per kind present (in the fixed order), then the totals.
    header = lines.index(next(line for line in lines if line.startswith("kind ")))
    assert lines[header].split() == [
        "kind", "n", "grade", "new", "score", "legacy", "score", "new", "gamed",
        "legacy", "gamed", "new", "missed", "legacy", "missed", "new", "capped",
    ]  # fmt: skip
    end = lines.index("", header)
    rows = [line.split()[0] for line in lines[header + 1 : end]]
    assert rows == [
        "strong-own-words", "strong-paraphrase", "weak-honest", "stuffed", "echo",
        "strong", "gaming", "all",
    ]  # fmt: skip
    all_row = lines[header + len(rows)].split()
    assert all_row[:2] == ["all", str(valid)]
    widths = {len(line) for line in lines[header : header + len(rows) + 1]}
    assert max(widths) == len(lines[header])  # aligned: no row sticks out past the header
    assert lines[end + 1] in (
        "Answers gamed or missed by a scorer:",
        "No answer is gamed or missed by either scorer.",
    )  # --details

    figures = json.loads(out_json.read_text(encoding="utf-8"))["graded"]
    assert figures["answers"] == valid
    assert set(figures["scorers"]) == {"new", "legacy"}
    for scorer in figures["scorers"].values():
        assert {"qwk", "spearman", "gamed", "missed", "answers_per_s", "latency"} <= set(scorer)
        assert scorer["answers_per_s"] > 0 and scorer["answers_per_cpu_s"] > 0
        assert set(scorer["latency"]) == {"p50_ms", "p99_ms"}
    assert figures["per_kind"]["stuffed"]["n"] == 2
    assert figures["per_kind"]["all"]["n"] == valid


def test_main_rejects_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        scoring_eval.main(["--graded", str(tmp_path / "nowhere")])


def test_long_answer_is_about_four_thousand_characters(tmp_path: Path) -> None:
    question = load_bank([bundled_bank_path()]).questions[0]
    answers = [
        GradedAnswer(question, None, "echo", 1, "echo " * 10),
        GradedAnswer(question, None, "strong-own-words", 4, "strong words here " * 20),
    ]
    target, text = scoring_eval.long_answer(answers)
    assert target.kind == "strong-own-words"
    assert 3900 <= len(text) <= scoring_eval.LONG_ANSWER_CHARS
    assert "echo" not in text


# --- short answers (a synthetic file: the real data set is not part of the repository) ---------


def test_short_answer_rubrics_cover_61_questions_with_2_to_4_points() -> None:
    rubrics = _short_answers.load_rubrics()
    assert len(rubrics) == 61
    assert {"1.1", "11.1", "11.10", "12.10"} <= set(rubrics)
    assert all(2 <= len(points) <= 4 for points in rubrics.values())


def test_short_answers_evaluate_a_synthetic_file(tmp_path: Path) -> None:
    rubrics = tmp_path / "rubrics.yaml"
    rubrics.write_text(
        yaml.safe_dump(
            {
                "rubrics": {
                    "1.1": [
                        {
                            "point": "Last in, first out.",
                            "cues": ["lifo|last in first out"],
                            "weight": 3,
                        },
                        {"point": "Push and pop.", "cues": ["push", "pop"]},
                    ],
                    "1.2": [
                        {"point": "First in, first out.", "cues": ["fifo|first in first out"]},
                        {"point": "Enqueue.", "cues": ["enqueue"]},
                    ],
                }
            }
        ),
        encoding="utf-8",
    )

    def answer(n: int, text: str, g1: float, g2: float) -> dict[str, object]:
        return {
            "n": n,
            "text": text,
            "grader1_ta": g1,
            "grader2_mohler": g2,
            "average": (g1 + g2) / 2,
        }

    data = {
        "questions": [
            {
                "id": "1.1",
                "raw_grade_scale": 5,
                "question": "What is a stack?",
                "reference_answer": "Last in, first out: push and pop.",
                "answers": [
                    answer(1, "It is last in first out, with push and pop.", 5, 5),
                    answer(2, "Push and pop.", 2, 3),
                    answer(3, "A kind of list.", 1, 2),
                ],
            },
            {
                "id": "1.2",
                "raw_grade_scale": 10,  # graders on 0-10, the average already on 0-5
                "question": "What is a queue?",
                "reference_answer": "First in, first out, with enqueue and dequeue.",
                "answers": [
                    {
                        "n": 1,
                        "text": "First in first out, enqueue.",
                        "grader1_ta": 10,
                        "grader2_mohler": 8,
                        "average": 4.5,
                    },
                    {
                        "n": 2,
                        "text": "A line of things.",
                        "grader1_ta": 2,
                        "grader2_mohler": 0,
                        "average": 0.5,
                    },
                ],
            },
        ]
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    report = _short_answers.evaluate(path, rubrics)
    assert len(report.rows) == 5
    assert report.questions == 2
    assert report.reference_counts("legacy") == {4: 2}
    assert report.references["legacy"]["1.1"] == (4, (), ())
    queue = [r for r in report.rows if r.qid == "1.2"]
    assert (queue[0].grader1, queue[0].grader2) == (5.0, 4.0)  # 0-10 normalised to 0-5
    figures = _short_answers.correlations(report)
    assert set(figures) == {
        "new score", "new coverage", "legacy score", "legacy coverage", "grader 1 vs grader 2",
    }  # fmt: skip
    # Legacy scores 4, 2, 1, 4, 1 against averages 5, 2.5, 1.5, 4.5, 0.5: ranks 4.5, 3, 1.5, 4.5,
    # 1.5 and 5, 3, 2, 4, 1; sxy = 9, sxx = 9, syy = 10, rho = 9 / sqrt(90) = sqrt(0.9).
    assert [r.scores["legacy"][0] for r in report.rows] == [4, 2, 1, 4, 1]
    assert figures["legacy score"]["pooled_spearman"] == pytest.approx(math.sqrt(0.9))
    text = _short_answers.format_report(report, disagreements=2)
    assert "5 graded student answers to 2 questions" in text
    assert "grader 1 vs grader 2" in text
    assert text.count("average ") >= 2  # the two disagreement lines

    rubrics.write_text(
        yaml.safe_dump(
            {"rubrics": {"1.1": [{"point": "a", "cues": ["x"]}, {"point": "b", "cues": ["y"]}]}}
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"no rubric for question\(s\) 1\.2"):
        _short_answers.evaluate(path, rubrics)
