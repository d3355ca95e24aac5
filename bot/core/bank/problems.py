"""What the loader reports: one `Problem` per thing wrong, and the overall `BankLoadResult`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.questions import Question

# Shown in place of the question id when the problem is not inside a question, or the question's
# id is missing or not a valid slug (so every line keeps the same five-part shape).
UNKNOWN_ID = "-"


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, printed as ``file:line:column: question-id: message``.

    ``line`` and ``column`` are 1-based. ``question_id`` is None when unknown (printed as ``-``).
    """

    file: str
    line: int
    column: int
    question_id: str | None
    message: str

    def __str__(self) -> str:
        qid = self.question_id or UNKNOWN_ID
        return f"{self.file}:{self.line}:{self.column}: {qid}: {self.message}"

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)


@dataclass(frozen=True, slots=True)
class BankLoadResult:
    """Questions that passed validation, plus every problem found.

    A question with any problem is left out of ``questions``; so is the second of two questions
    sharing an id. ``files`` lists the files read; ``questions_checked`` counts every question
    entry seen, valid or not.
    """

    questions: tuple[Question, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()
    questions_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems
