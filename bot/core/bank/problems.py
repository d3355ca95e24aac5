"""What the loader reports: one `Problem` per thing wrong, and the overall `BankLoadResult`.

A problem is an error (the question is left out) or a warning (the question is kept; the rubric
is probably weak). `ProblemLog` collects them with a cap, so a hostile file cannot produce
millions of lines: the first ``PROBLEMS_SHOWN`` errors and ``WARNINGS_SHOWN`` warnings are kept,
the rest are counted and summarised in one last line.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.bank.limits import PROBLEMS_SHOWN, WARNINGS_SHOWN
from bot.core.questions import Question

# Shown in place of the question id when the problem is not inside a question, or the question's
# id is missing or not a valid slug (so every line keeps the same five-part shape).
UNKNOWN_ID = "-"
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, printed as ``file:line:column: question-id: message``.

    ``line`` and ``column`` are 1-based. ``question_id`` is None when unknown (printed as ``-``).
    A warning prints as ``file:line:column: question-id: warning: message``.
    """

    file: str
    line: int
    column: int
    question_id: str | None
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        qid = self.question_id or UNKNOWN_ID
        label = "warning: " if self.severity == WARNING else ""
        return f"{self.file}:{self.line}:{self.column}: {qid}: {label}{self.message}"

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)


class ProblemLog:
    """Problems of one load (possibly many files), capped per severity; counts stay exact."""

    __slots__ = ("_first_hidden", "errors", "items", "warnings")

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.errors = 0
        self.warnings = 0
        self._first_hidden: dict[str, Problem] = {}

    def add(self, problem: Problem) -> None:
        if problem.severity == WARNING:
            self.warnings += 1
            shown = self.warnings <= WARNINGS_SHOWN
        else:
            self.errors += 1
            shown = self.errors <= PROBLEMS_SHOWN
        if shown:
            self.items.append(problem)
        else:
            self._first_hidden.setdefault(problem.severity, problem)

    @property
    def warnings_full(self) -> bool:
        """True once further warnings are only counted (callers may skip building them)."""
        return WARNING in self._first_hidden

    def count_warning(self) -> None:
        """Count a warning that would not be shown anyway (see `warnings_full`)."""
        self.warnings += 1

    def sorted(self) -> list[Problem]:
        """Shown problems by file and position, then one "and K more" line per severity."""
        out = sorted(self.items, key=lambda p: p.sort_key)  # stable: keeps walk order at a tie
        for severity, total, shown in (
            (ERROR, self.errors, PROBLEMS_SHOWN),
            (WARNING, self.warnings, WARNINGS_SHOWN),
        ):
            first = self._first_hidden.get(severity)
            if first is not None:
                word = "problems" if severity == ERROR else "warnings"
                out.append(
                    Problem(
                        first.file,
                        first.line,
                        first.column,
                        None,
                        f"and {total - shown} more {word} not shown (only the first {shown} "
                        "are listed; this is the first one left out)",
                        severity,
                    )
                )
        return out


@dataclass(frozen=True, slots=True)
class BankLoadResult:
    """Questions that passed validation, plus every problem found.

    A question with any error is left out of ``questions``; so is the second of two questions
    sharing an id. Warnings do not leave a question out. ``problems`` holds errors and warnings
    (see `Problem.severity`), at most a few hundred of each: ``error_count`` and
    ``warning_count`` are the exact totals. ``files`` lists the files read;
    ``questions_checked`` counts every question entry seen, valid or not.
    """

    questions: tuple[Question, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()
    questions_checked: int = 0
    error_count: int = -1  # -1: count ``problems`` (results built by hand)
    warning_count: int = -1

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        if self.error_count >= 0:
            return self.error_count == 0
        return not any(p.severity == ERROR for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)
