"""Read question-bank YAML files (safe loading only) and turn them into validated questions."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

import bot
from bot.core.bank.limits import DOCUMENT_BYTES
from bot.core.bank.nodes import Context
from bot.core.bank.problems import BankLoadResult, ProblemLog
from bot.core.bank.safe_yaml import compose, gc_paused
from bot.core.bank.validator import build_document
from bot.core.questions import Question, Track

YAML_SUFFIXES = (".yaml", ".yml")
BANK_PATH_ENV = "BANK_PATH"
_TRACK_FOLDERS = frozenset(t.value for t in Track)
_NO_IDS: Mapping[str, str] = MappingProxyType({})
Progress = Callable[[int, int], None]  # (question entries checked, entries to check)


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


def load_bank(paths: Iterable[Path | str], *, lint: bool = True) -> BankLoadResult:
    """Load and validate every YAML file under ``paths``; ids must be unique across all of them.

    Files in a ``<track>/<topic>.yaml`` layout (the folder is a track name) are also checked for
    a matching ``track`` and ``topic``. Every file is held to the same limits as an upload
    (`parse_questions`), including its size. With ``lint`` (the default: this is what authors
    run), weak cues are reported as warnings (see `bot.core.bank.lint`).
    """
    files = find_bank_files(paths)
    known_ids: dict[str, str] = {}
    log = ProblemLog()
    questions: list[Question] = []
    checked = 0
    with gc_paused():
        for path in files:
            folder = path.absolute().parent.name
            layout = (folder, path.stem, path.name) if folder in _TRACK_FOLDERS else None
            ctx = Context(path.as_posix(), known_ids, log, layout, lint)
            text = _read_text(path, ctx)
            if text is not None:
                found, count = _parse(text, ctx)
                questions.extend(found)
                checked += count
    return _result(questions, log, tuple(p.as_posix() for p in files), checked)


def parse_questions(
    text: str,
    filename: str,
    known_ids: Mapping[str, str] = _NO_IDS,
    *,
    lint: bool = False,
    progress: Progress | None = None,
) -> BankLoadResult:
    """Validate one YAML document (e.g. an uploaded file) without the folder/file-name checks.

    ``known_ids`` maps ids that already exist (in the bank) to where they come from; reusing one
    is reported as a duplicate. ``lint`` adds the weak-cue warnings (off by default: uploads and
    forms report errors only). ``progress(done, total)`` is called after each question entry
    (from the calling thread; it should be cheap).
    """
    log = ProblemLog()
    ctx = Context(filename, dict(known_ids), log, lint=lint)
    with gc_paused():
        questions, checked = _parse(text, ctx, progress)
    return _result(questions, log, (filename,), checked)


def _result(
    questions: list[Question], log: ProblemLog, files: tuple[str, ...], checked: int
) -> BankLoadResult:
    return BankLoadResult(
        tuple(questions), tuple(log.sorted()), files, checked, log.errors, log.warnings
    )


def _too_large(ctx: Context) -> None:
    ctx.report_at(1, 1, f"file is larger than {DOCUMENT_BYTES} bytes (1 MiB); split it by topic")


def _read_text(path: Path, ctx: Context) -> str | None:
    with path.open("rb") as file:
        data = file.read(DOCUMENT_BYTES + 1)
    if len(data) > DOCUMENT_BYTES:
        _too_large(ctx)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        ctx.report_at(line, column, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        return None


def _parse(text: str, ctx: Context, progress: Progress | None = None) -> tuple[list[Question], int]:
    """Compose one document (keeping positions) and validate it; a syntax error is one problem.

    A document over the size limit, or one the bounded composer refused (aliases, custom tags,
    too many nodes...), is not walked: its refusals are its problems.
    """
    if len(text) > DOCUMENT_BYTES or (
        len(text) * 4 > DOCUMENT_BYTES  # else it cannot be over, whatever its characters
        and len(text.encode("utf-8", "surrogatepass")) > DOCUMENT_BYTES
    ):
        _too_large(ctx)
        return [], 0
    try:
        root, clean = compose(text, lambda mark, message: _report_mark(ctx, mark, message))
    except UnicodeEncodeError as exc:  # a str holding lone surrogates (not from a file)
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        ctx.report_at(line, column, f"text is not valid Unicode (U+{ord(text[exc.start]):04X})")
        return [], 0
    except RecursionError:  # pragma: no cover - only the pure-Python parser recurses
        ctx.report_at(1, 1, "YAML syntax error: nested too deeply")
        return [], 0
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
    if not clean:
        return [], 0
    return build_document(root, ctx, progress)


def _report_mark(ctx: Context, mark: yaml.Mark | None, message: str) -> None:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    ctx.report_at(line, column, message)
