"""The one-line rubric syntax used in Discord forms (a modal has text boxes, not YAML).

One rubric point per line::

    Point text :: cue one | alternative, cue two :: weight 2

- ``::`` separates the point from its cues; an optional third part is the weight (1-5), written
  ``2`` or ``weight 2``.
- ``,`` separates cues; ``|`` separates alternatives inside one cue, as in the YAML format
  (``"cue one|alternative"``).
- A comma between two digits (``12,000``) belongs to the cue; write ``\\,`` for any other
  literal comma and ``\\::`` for a literal ``::``.
- Blank lines are ignored.

`parse_rubric_lines` reports syntax problems per line; counts and lengths (2-8 points, 1-5 cues,
empty alternatives) are left to the bank validator, so both paths share one set of rules.
`format_rubric_lines` is its inverse, used to pre-fill an edit form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.questions import RubricPoint

SYNTAX_EXAMPLE = "Point text :: cue one | alternative, cue two"
WEIGHT_RANGE = (1, 5)

# "::" not escaped with a backslash.
_PART_SEPARATOR = re.compile(r"(?<!\\)::")
_WEIGHT = re.compile(r"(?:weight\s*[:=]?\s*)?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedPoint:
    line: int  # 1-based line of the text box
    point: str
    cues: tuple[str, ...]
    weight: int = 1


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

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_rubric_lines(text: str) -> RubricLines:
    """Every non-blank line is one rubric point; all problems are reported, not just the first."""
    points: list[ParsedPoint] = []
    problems: list[LineProblem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parsed = _parse_line(number, line, problems)
        if parsed is not None:
            points.append(parsed)
    return RubricLines(tuple(points), tuple(problems))


def _parse_line(number: int, line: str, problems: list[LineProblem]) -> ParsedPoint | None:
    parts = _PART_SEPARATOR.split(line)
    if len(parts) < 2:
        problems.append(
            LineProblem(
                number,
                f"separate the point from its cues with '::' (e.g. {SYNTAX_EXAMPLE})",
            )
        )
        return None
    if len(parts) > 3:
        problems.append(
            LineProblem(
                number,
                "use '::' at most twice: point :: cues :: weight (write \\:: for a literal ::)",
            )
        )
        return None
    before = len(problems)
    point = _unescape(parts[0].strip())
    if not point:
        problems.append(LineProblem(number, "the point text before '::' is empty"))
    cues = _split_cues(parts[1])
    if not cues:
        problems.append(LineProblem(number, "no cues after '::'"))
    elif any(not cue for cue in cues):
        problems.append(LineProblem(number, "a cue is empty (two commas in a row, or a stray one)"))
    weight = 1
    if len(parts) == 3:
        match = _WEIGHT.fullmatch(parts[2].strip())
        low, high = WEIGHT_RANGE
        if match is None or not low <= int(match[1]) <= high:
            problems.append(
                LineProblem(
                    number,
                    f"the weight after the second '::' must be a whole number from {low} to "
                    f"{high}, got '{parts[2].strip()}'",
                )
            )
        else:
            weight = int(match[1])
    if len(problems) != before:
        return None
    return ParsedPoint(number, point, cues, weight)


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


def format_rubric_lines(points: Iterable[RubricPoint]) -> str:
    """The text that `parse_rubric_lines` reads back to the same points (for edit forms)."""
    lines = []
    for p in points:
        point = " ".join(p.point.split()).replace("::", "\\::")
        cues = ", ".join(_escape_cue(c) for c in p.cues)
        line = f"{point} :: {cues}"
        if p.weight != 1:
            line += f" :: weight {p.weight}"
        lines.append(line)
    return "\n".join(lines)


def _escape_cue(cue: str) -> str:
    out: list[str] = []
    n = len(cue)
    for i, char in enumerate(cue):
        if char == "," and not (0 < i < n - 1 and cue[i - 1].isdigit() and cue[i + 1].isdigit()):
            out.append("\\,")
        else:
            out.append(char)
    return "".join(out).replace("::", "\\::")
