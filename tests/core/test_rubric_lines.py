"""The one-line rubric syntax of the Discord forms."""

from __future__ import annotations

import pytest

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import RubricPoint
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
    assert result.ok
    checked = 0
    for q in result.questions:
        for rubric in (q.rubric, *(phase.rubric for phase in q.phases)):
            if not rubric:
                continue
            parsed = parse_rubric_lines(format_rubric_lines(rubric))
            assert parsed.ok, (q.id, parsed.problems)
            assert tuple(RubricPoint(p.point, p.cues, p.weight) for p in parsed.points) == rubric
            checked += 1
    assert checked > 100
