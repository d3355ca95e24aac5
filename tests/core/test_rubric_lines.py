"""The one-line rubric syntax of the Discord forms."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import Misconception, RubricPoint
from bot.core.rubric_lines import format_rubric_lines, parse_rubric_lines


def test_point_cues_alternatives_and_weight() -> None:
    parsed = parse_rubric_lines(
        "Identifies overfitting :: overfitting | high variance, gap :: weight 2\n"
        "\n"
        "  Confirms with cross-validation :: k-fold|cross-validation  \n"
        "Sizes the sample :: 31,000 | 31k :: 3\n"
    )
    assert parsed.ok
    assert [(p.line, p.point, p.cues, p.weight) for p in parsed.points] == [
        (1, "Identifies overfitting", ("overfitting|high variance", "gap"), 2),
        (3, "Confirms with cross-validation", ("k-fold|cross-validation",), 1),
        (4, "Sizes the sample", ("31,000|31k",), 3),
    ]


def test_escapes_keep_commas_and_double_colons() -> None:
    parsed = parse_rubric_lines(r"Uses std\::vector :: C(50\, 10), (sum\, count)|sum/count")
    assert parsed.ok
    [point] = parsed.points
    assert point.point == "Uses std::vector"
    assert point.cues == ("C(50, 10)", "(sum, count)|sum/count")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("No separator here", "separate the point from its cues with '::'"),
        (" :: cue", "the point text before '::' is empty"),
        ("Point ::  ", "no cues after '::'"),
        ("Point :: a,, b", "a cue is empty"),
        ("Point :: a :: 6", "must be a whole number from 1 to 5, got '6'"),
        ("Point :: a :: heavy", "got 'heavy'"),
        ("Point :: a :: 2 :: 3", "use '::' at most twice"),
    ],
)
def test_problems_name_the_line(line: str, message: str) -> None:
    parsed = parse_rubric_lines(f"Fine :: cue\n{line}")
    assert not parsed.ok
    [problem] = parsed.problems
    assert problem.line == 2 and message in problem.message
    assert str(problem).startswith("line 2: ")
    assert [p.line for p in parsed.points] == [1]  # the good line is still read


def test_every_problem_is_reported() -> None:
    parsed = parse_rubric_lines("bad one\nbad two\nGood :: x")
    assert [p.line for p in parsed.problems] == [1, 2]


def test_format_is_the_inverse_of_parse() -> None:
    points = (
        RubricPoint("Uses std::vector", ("1, 1, 3", "x|y", "1,000", "C(50,10)"), 2),
        RubricPoint("Plain", ("overfitting|high variance",)),
    )
    text = format_rubric_lines(points)
    assert (
        text.splitlines()[0] == r"Uses std\::vector :: 1\, 1\, 3, x|y, 1,000, C(50,10) :: weight 2"
    )
    parsed = parse_rubric_lines(text)
    assert parsed.ok
    assert tuple(RubricPoint(p.point, p.cues, p.weight) for p in parsed.points) == points


def test_whole_bundled_bank_round_trips_through_the_line_syntax() -> None:
    """Every rubric written in the bank survives format -> parse (edit forms lose nothing)."""
    result = load_bank([bundled_bank_path()])
    checked = 0
    for q in result.questions:
        parts = [(q.rubric, q.misconceptions)]
        parts += [(phase.rubric, phase.misconceptions) for phase in q.phases]
        for rubric, wrong in parts:
            if not rubric:
                continue
            parsed = parse_rubric_lines(format_rubric_lines(_one_line(rubric), wrong))
            assert parsed.ok, (q.id, parsed.problems)
            assert tuple(p.to_point() for p in parsed.points) == _one_line(rubric)
            assert tuple(m.to_misconception() for m in parsed.misconceptions) == _one_line(wrong)
            checked += 1
    assert checked > 100


def _one_line(items: tuple[Any, ...]) -> tuple[Any, ...]:
    """What the form shows: every text on one line, alternatives without spaces around '|'."""
    out = []
    for item in items:
        fields = {
            name: " ".join(value.split())
            for name in ("point", "text", "explain")
            if isinstance(value := getattr(item, name, None), str)
        }
        if hasattr(item, "misconceptions"):
            fields["misconceptions"] = _one_line(item.misconceptions)
        # Alternatives are tidied ("p(y | x)" reads back as "p(y|x)"; both are the same cue).
        fields["cues"] = tuple("|".join(a.strip() for a in c.split("|")) for c in item.cues)
        out.append(replace(item, **fields))
    return tuple(out)


def test_required_cues_explain_and_misconceptions_round_trip() -> None:
    wrong = Misconception("Calls it underfitting", ("underfitting|high bias",))
    points = (
        RubricPoint(
            "Names overfitting",
            ("+overfitting|high variance", "+gap"),
            2,
            explain="A big train/validation gap is variance.",
            misconceptions=(wrong, Misconception("Says more layers", ("more layers",))),
        ),
        RubricPoint("> 50% of the rows", ("c++|rust",)),
        RubricPoint("!important", ("x",)),
        RubricPoint("\\ starts with a backslash", ("y",)),
    )
    question_level = (
        Misconception("Tunes on the test set", ("test set", "tune")),
        Misconception("Best of 200 runs", ("best run",), cap=1),
    )
    text = format_rubric_lines(points, question_level)
    assert text.splitlines()[:4] == [
        "Names overfitting :: +overfitting|high variance, +gap :: weight 2",
        "> A big train/validation gap is variance.",
        "! Calls it underfitting :: underfitting|high bias",
        "! Says more layers :: more layers",
    ]
    assert text.splitlines()[-2:] == [
        "!! Tunes on the test set :: test set, tune",
        "!! Best of 200 runs :: best run :: cap 1",
    ]
    parsed = parse_rubric_lines(text)
    assert parsed.ok, parsed.problems
    assert tuple(p.to_point() for p in parsed.points) == points
    assert tuple(m.to_misconception() for m in parsed.misconceptions) == question_level
    assert [m.line for m in parsed.misconceptions] == [8, 9]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "> explain first",
            "line 1: a line starting with '>' belongs to the rubric point above it",
        ),
        ("! wrong :: x", "line 1: a line starting with '!' belongs to the rubric point above it"),
        ("P :: a\n>", "line 2: the explain text after '>' is empty"),
        ("P :: a\n> one\n> two", "line 3: a rubric point has one explain line at most"),
        ("P :: a\n! wrong :: x :: cap 2", "line 2: a cap belongs to a misconception of the whole"),
        ("!! wrong :: x :: cap 4", "line 1: the cap after the second '::' must be a whole number"),
        ("!! wrong", "line 1: separate the misconception from its cues with '::'"),
        ("!! :: x", "line 1: the misconception text before '::' is empty"),
        ("P :: a :: " + "9" * 5000, "line 1: the weight after the second '::' must be"),
    ],
)
def test_attached_line_problems(text: str, message: str) -> None:
    parsed = parse_rubric_lines(text)
    assert len(parsed.problems) == 1
    assert str(parsed.problems[0]).startswith(message)


def test_lines_of_a_broken_point_are_skipped_quietly() -> None:
    parsed = parse_rubric_lines("no separator\n> explain\n! wrong :: x\nGood :: y")
    assert [str(p) for p in parsed.problems] == [
        "line 1: separate the point from its cues with '::' (e.g. "
        "Point text :: cue one | alternative, cue two)"
    ]
    assert [p.point for p in parsed.points] == ["Good"]
