"""The one-line rubric syntax used in Discord forms (a modal has text boxes, not YAML).

One rubric point per line::

    Point text :: +cue one | alternative, cue two :: weight 2
    > Explain: shown when the point is missed.
    ! Calls the gap underfitting :: underfitting | high bias
    !! Reports the best of many test-set runs :: best test score :: cap 2

- ``::`` separates the point from its cues; an optional third part is the weight (1-5), written
  ``2`` or ``weight 2``.
- ``,`` separates cues; ``|`` separates alternatives inside one cue, as in the YAML format
  (``"cue one|alternative"``). A cue starting with ``+`` is required, as in YAML (it is plain
  text here: the bank validator checks it).
- A line starting with ``>`` is the ``explain`` text of the point above it (one per point).
- A line starting with ``!`` is a misconception of the point above it (``! text :: cues``; a
  match voids the point). A line starting with ``!!`` is a misconception of the whole question
  (``!! text :: cues``, optionally ``:: cap N`` with N from 1 to 3, default 2).
- A comma between two digits (``12,000``) belongs to the cue; write ``\\,`` for any other
  literal comma and ``\\::`` for a literal ``::``. A point text that itself starts with ``>``,
  ``!`` or ``\\`` is written with a ``\\`` in front.
- Blank lines are ignored.

`parse_rubric_lines` reports syntax problems per line; counts and lengths (2-8 points, 1-5 cues,
empty alternatives) are left to the bank validator, so both paths share one set of rules.
`format_rubric_lines` is its inverse, used to pre-fill an edit form (texts are written on one
line: a line break inside a point, an explain or a misconception becomes a space).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.core.questions import DEFAULT_MISCONCEPTION_CAP, Misconception, RubricPoint

SYNTAX_EXAMPLE = "Point text :: cue one | alternative, cue two"
WEIGHT_RANGE = (1, 5)
CAP_RANGE = (1, 3)
EXPLAIN_MARK = ">"
POINT_MISCONCEPTION_MARK = "!"
QUESTION_MISCONCEPTION_MARK = "!!"

# "::" not escaped with a backslash.
_PART_SEPARATOR = re.compile(r"(?<!\\)::")
_WEIGHT = re.compile(r"(?:weight\s*[:=]?\s*)?(\d{1,3})", re.IGNORECASE)
_CAP = re.compile(r"(?:cap\s*[:=]?\s*)?(\d{1,3})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedMisconception:
    line: int  # 1-based line of the text box
    text: str
    cues: tuple[str, ...]
    cap: int = DEFAULT_MISCONCEPTION_CAP

    def to_misconception(self) -> Misconception:
        return Misconception(self.text, self.cues, self.cap)


@dataclass(frozen=True, slots=True)
class ParsedPoint:
    line: int  # 1-based line of the text box
    point: str
    cues: tuple[str, ...]
    weight: int = 1
    explain: str = ""
    misconceptions: tuple[ParsedMisconception, ...] = field(default=())

    def to_point(self) -> RubricPoint:
        wrong = tuple(m.to_misconception() for m in self.misconceptions)
        return RubricPoint(self.point, self.cues, self.weight, self.explain, wrong)


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class RubricLines:
    points: tuple[ParsedPoint, ...]
    problems: tuple[LineProblem, ...]
    misconceptions: tuple[ParsedMisconception, ...] = ()  # of the whole question ("!!" lines)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_rubric_lines(text: str) -> RubricLines:
    """Every non-blank line is one rubric point, or belongs to the point above it ("!", ">"),
    or is a misconception of the question ("!!"); all problems are reported, not just the first.
    """
    points: list[ParsedPoint] = []
    wrong: list[ParsedMisconception] = []
    problems: list[LineProblem] = []
    # The point that ">" and "!" lines attach to: None before any point line; False after a
    # point line that had problems (its own lines are then skipped without more noise).
    current: bool | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(QUESTION_MISCONCEPTION_MARK):
            found = _misconception(number, line[2:], problems, cap_allowed=True)
            if found is not None:
                wrong.append(found)
        elif line.startswith((POINT_MISCONCEPTION_MARK, EXPLAIN_MARK)):
            if current is None:
                problems.append(
                    LineProblem(
                        number,
                        f"a line starting with '{line[0]}' belongs to the rubric point above it, "
                        "and there is none",
                    )
                )
            elif current:
                _attach(number, line, points, problems)
        else:
            parsed = _point_line(number, line, problems)
            current = parsed is not None
            if parsed is not None:
                points.append(parsed)
    return RubricLines(tuple(points), tuple(problems), tuple(wrong))


def _attach(number: int, line: str, points: list[ParsedPoint], problems: list[LineProblem]) -> None:
    last = points[-1]
    if line.startswith(EXPLAIN_MARK):
        explain = line[1:].strip()
        if not explain:
            problems.append(LineProblem(number, "the explain text after '>' is empty"))
        elif last.explain:
            problems.append(LineProblem(number, "a rubric point has one explain line at most"))
        else:
            points[-1] = replace(last, explain=explain)
        return
    found = _misconception(number, line[1:], problems, cap_allowed=False)
    if found is not None:
        points[-1] = replace(last, misconceptions=(*last.misconceptions, found))


def _split_parts(number: int, line: str, problems: list[LineProblem], what: str) -> list[str]:
    parts = _PART_SEPARATOR.split(line)
    if len(parts) < 2:
        problems.append(
            LineProblem(
                number, f"separate the {what} from its cues with '::' (e.g. {SYNTAX_EXAMPLE})"
            )
        )
        return []
    if len(parts) > 3:
        problems.append(
            LineProblem(
                number,
                f"use '::' at most twice: {what} :: cues :: "
                f"{'weight' if what == 'point' else 'cap'} (write \\:: for a literal ::)",
            )
        )
        return []
    return parts


def _cues(number: int, text: str, problems: list[LineProblem]) -> tuple[str, ...]:
    cues = _split_cues(text)
    if not cues:
        problems.append(LineProblem(number, "no cues after '::'"))
    elif any(not cue for cue in cues):
        problems.append(LineProblem(number, "a cue is empty (two commas in a row, or a stray one)"))
    return cues


def _point_line(number: int, line: str, problems: list[LineProblem]) -> ParsedPoint | None:
    parts = _split_parts(number, line, problems, "point")
    if not parts:
        return None
    before = len(problems)
    point = _unescape(parts[0].strip())
    if point.startswith("\\") and point[1:2] in (EXPLAIN_MARK, POINT_MISCONCEPTION_MARK, "\\"):
        point = point[1:]
    if not point:
        problems.append(LineProblem(number, "the point text before '::' is empty"))
    cues = _cues(number, parts[1], problems)
    weight = 1
    if len(parts) == 3:
        match = _WEIGHT.fullmatch(parts[2].strip())
        low, high = WEIGHT_RANGE
        if match is None or not low <= int(match[1]) <= high:
            problems.append(
                LineProblem(
                    number,
                    f"the weight after the second '::' must be a whole number from {low} to "
                    f"{high}, got '{parts[2].strip()[:20]}'",
                )
            )
        else:
            weight = int(match[1])
    if len(problems) != before:
        return None
    return ParsedPoint(number, point, cues, weight)


def _misconception(
    number: int, line: str, problems: list[LineProblem], cap_allowed: bool
) -> ParsedMisconception | None:
    parts = _split_parts(number, line, problems, "misconception")
    if not parts:
        return None
    before = len(problems)
    text = _unescape(parts[0].strip())
    if not text:
        problems.append(LineProblem(number, "the misconception text before '::' is empty"))
    cues = _cues(number, parts[1], problems)
    cap = DEFAULT_MISCONCEPTION_CAP
    if len(parts) == 3:
        match = _CAP.fullmatch(parts[2].strip())
        low, high = CAP_RANGE
        if not cap_allowed:
            problems.append(
                LineProblem(
                    number,
                    "a cap belongs to a misconception of the whole question ('!!'); on a point "
                    "('!') a misconception voids the point",
                )
            )
        elif match is None or not low <= int(match[1]) <= high:
            problems.append(
                LineProblem(
                    number,
                    f"the cap after the second '::' must be a whole number from {low} to {high}, "
                    f"got '{parts[2].strip()[:20]}'",
                )
            )
        else:
            cap = int(match[1])
    if len(problems) != before:
        return None
    return ParsedMisconception(number, text, cues, cap)


def _split_cues(text: str) -> tuple[str, ...]:
    """Split on commas that are neither escaped nor between two digits; tidy alternatives."""
    cues: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and text.startswith(",", i + 1):
            current.append(",")
            i += 2
            continue
        if char == "\\" and text.startswith("::", i + 1):
            current.append("::")
            i += 3
            continue
        if char == "," and not (0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            cues.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    cues.append("".join(current))
    if len(cues) == 1 and not cues[0].strip():
        return ()
    return tuple("|".join(alt.strip() for alt in cue.split("|")).strip() for cue in cues)


def _unescape(text: str) -> str:
    return text.replace("\\::", "::")


def format_rubric_lines(
    points: Iterable[RubricPoint], misconceptions: Iterable[Misconception] = ()
) -> str:
    """The text that `parse_rubric_lines` reads back to the same points and question-level
    misconceptions (for edit forms)."""
    lines = []
    for p in points:
        point = _one_line(p.point)
        if point.startswith((EXPLAIN_MARK, POINT_MISCONCEPTION_MARK, "\\")):
            point = "\\" + point
        line = f"{point} :: {_format_cues(p.cues)}"
        if p.weight != 1:
            line += f" :: weight {p.weight}"
        lines.append(line)
        if p.explain:
            lines.append(f"{EXPLAIN_MARK} {' '.join(p.explain.split())}")
        for m in p.misconceptions:
            lines.append(
                f"{POINT_MISCONCEPTION_MARK} {_one_line(m.text)} :: {_format_cues(m.cues)}"
            )
    for m in misconceptions:
        line = f"{QUESTION_MISCONCEPTION_MARK} {_one_line(m.text)} :: {_format_cues(m.cues)}"
        if m.cap != DEFAULT_MISCONCEPTION_CAP:
            line += f" :: cap {m.cap}"
        lines.append(line)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("::", "\\::")


def _format_cues(cues: Iterable[str]) -> str:
    return ", ".join(_escape_cue(c) for c in cues)


def _escape_cue(cue: str) -> str:
    out: list[str] = []
    n = len(cue)
    for i, char in enumerate(cue):
        if char == "," and not (0 < i < n - 1 and cue[i - 1].isdigit() and cue[i + 1].isdigit()):
            out.append("\\,")
        else:
            out.append(char)
    return "".join(out).replace("::", "\\::")
