"""Read question-bank YAML files (safe loading only) and turn them into validated questions."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

import bot
from bot.core.bank.problems import BankLoadResult, Problem
from bot.core.bank.safe_yaml import compose, gc_paused
from bot.core.bank.validator import Context, build_document
from bot.core.questions import Question, Track

YAML_SUFFIXES = (".yaml", ".yml")
BANK_PATH_ENV = "BANK_PATH"
_TRACK_FOLDERS = frozenset(t.value for t in Track)
_NO_IDS: Mapping[str, str] = MappingProxyType({})


def bundled_bank_path() -> Path:
    """The repository's ``question_bank/`` directory, or ``$BANK_PATH`` when set."""
    override = os.environ.get(BANK_PATH_ENV)
    if override:
        return Path(override)
    return Path(bot.__file__).resolve().parent.parent / "question_bank"


def find_bank_files(paths: Iterable[Path | str]) -> list[Path]:
    """YAML files named by ``paths`` (files, or directories searched recursively), sorted.

    Hidden files and folders (``.name``) inside a directory are skipped. Raises
    FileNotFoundError for a path that does not exist.
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in path.rglob("*"):
                relative = candidate.relative_to(path).parts
                if (
                    candidate.suffix in YAML_SUFFIXES
                    and not any(part.startswith(".") for part in relative)
                    and candidate.is_file()
                ):
                    found.setdefault(candidate.resolve(), candidate)
        elif path.is_file():
            found.setdefault(path.resolve(), path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return sorted(found.values(), key=lambda p: p.as_posix())


def load_bank(paths: Iterable[Path | str]) -> BankLoadResult:
    """Load and validate every YAML file under ``paths``; ids must be unique across all of them.

    Files in a ``<track>/<topic>.yaml`` layout (the folder is a track name) are also checked for
    a matching ``track`` and ``topic``.
    """
    files = find_bank_files(paths)
    known_ids: dict[str, str] = {}
    problems: list[Problem] = []
    questions: list[Question] = []
    checked = 0
    with gc_paused():
        for path in files:
            folder = path.absolute().parent.name
            layout = (folder, path.stem, path.name) if folder in _TRACK_FOLDERS else None
            ctx = Context(path.as_posix(), known_ids, problems, layout)
            text = _read_text(path, ctx)
            if text is not None:
                found, count = _parse(text, ctx)
                questions.extend(found)
                checked += count
    return _result(questions, problems, tuple(p.as_posix() for p in files), checked)


def parse_questions(
    text: str, filename: str, known_ids: Mapping[str, str] = _NO_IDS
) -> BankLoadResult:
    """Validate one YAML document (e.g. an uploaded file) without the folder/file-name checks.

    ``known_ids`` maps ids that already exist (in the bank) to where they come from; reusing one
    is reported as a duplicate.
    """
    problems: list[Problem] = []
    ctx = Context(filename, dict(known_ids), problems)
    with gc_paused():
        questions, checked = _parse(text, ctx)
    return _result(questions, problems, (filename,), checked)


def _result(
    questions: list[Question], problems: list[Problem], files: tuple[str, ...], checked: int
) -> BankLoadResult:
    problems.sort(key=lambda p: p.sort_key)  # stable: same-position problems keep walk order
    return BankLoadResult(tuple(questions), tuple(problems), files, checked)


def _read_text(path: Path, ctx: Context) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        ctx.report_at(line, column, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        return None


def _parse(text: str, ctx: Context) -> tuple[list[Question], int]:
    """Compose one document (keeping positions) and validate it; a syntax error is one problem."""
    try:
        root = compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        message = f"{exc.context}, {problem}" if exc.context else problem
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        ctx.report_at(line, column, f"YAML syntax error: {message}")
        return [], 0
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        position = int(getattr(exc, "position", 0) or 0)
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        reason = getattr(exc, "reason", None) or str(exc)
        ctx.report_at(line, column, f"YAML syntax error: {reason}")
        return [], 0
    return build_document(root, ctx)
