"""A compiled-bank cache: start-up skips YAML parsing and validation of an unchanged bank.

The key is a SHA-256 over the validator's own source (so any change to the format or its rules
invalidates it) and every bank file's path and bytes. The cache file holds plain data as JSON
(never pickle: a cache file is data, not code). A missing, unreadable, corrupt or stale cache
is ignored and rewritten; only a bank that validated without errors is cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from bot.core.bank.loader import find_bank_files, load_bank
from bot.core.bank.problems import BankLoadResult
from bot.core.questions import Difficulty, Misconception, Phase, Question, RubricPoint, Track

log = logging.getLogger(__name__)

FORMAT = 1  # of the cache file itself
CACHE_FILE = "compiled-bank.json"
_PACKAGE = Path(__file__).resolve().parent
# Nested dataclass fields (tuples of these classes) and enum fields, per class.
_NESTED: dict[type, dict[str, type]] = {
    Question: {"rubric": RubricPoint, "phases": Phase, "misconceptions": Misconception},
    RubricPoint: {"misconceptions": Misconception},
    Phase: {"rubric": RubricPoint, "misconceptions": Misconception},
    Misconception: {},
}
_ENUMS: dict[type, dict[str, type]] = {Question: {"track": Track, "difficulty": Difficulty}}
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _NESTED}


@cache
def validator_version() -> str:
    """A hash of the code that turns YAML into questions: the bank package and the question
    types. Editing any of it makes every cached bank stale."""
    digest = hashlib.sha256(str(FORMAT).encode())
    sources = [*sorted(_PACKAGE.glob("*.py")), _PACKAGE.parent / "questions.py"]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def bank_key(files: Iterable[Path]) -> str:
    """The cache key of these bank files: validator version, then each file's path and bytes."""
    digest = hashlib.sha256(validator_version().encode())
    for path in files:
        data = path.read_bytes()
        digest.update(f"\0{path.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load_bank_cached(paths: Iterable[Path | str], cache_dir: Path) -> tuple[BankLoadResult, bool]:
    """Like ``load_bank(paths, lint=False)``, but from ``cache_dir`` when the bank is unchanged.

    Returns the result and whether it came from the cache. A cached result has no problems (only
    a bank without errors is cached; warnings are for authors and not kept).
    """
    files = find_bank_files(paths)
    key = bank_key(files)
    cache_file = cache_dir / CACHE_FILE
    cached = _read(cache_file, key)
    if cached is not None:
        questions, checked = cached
        names = tuple(p.as_posix() for p in files)
        return BankLoadResult(questions, (), names, checked, 0, 0), True
    result = load_bank(files, lint=False)
    if result.ok:
        _write(cache_file, key, result)
    return result, False


def _read(cache_file: Path, key: str) -> tuple[tuple[Question, ...], int] | None:
    try:
        with cache_file.open("rb") as f:
            data = json.load(f)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None
        questions = tuple(_decode(Question, q) for q in data["questions"])
        return questions, int(data["checked"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:  # corrupt: rebuild it
        log.warning("ignoring the compiled-bank cache %s: %s", cache_file, exc)
        return None


def _write(cache_file: Path, key: str, result: BankLoadResult) -> None:
    data = {
        "format": FORMAT,
        "key": key,
        "checked": result.questions_checked,
        "questions": [_encode(q) for q in result.questions],
    }
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, even after a crash.
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".compiled-bank-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, cache_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a read-only data folder only costs the next start its time
        log.warning("could not write the compiled-bank cache %s: %s", cache_file, exc)


def _encode(obj: Any) -> Any:
    if type(obj) in _NESTED:
        return [_encode(getattr(obj, name)) for name in _FIELDS[type(obj)]]
    if isinstance(obj, tuple):
        return [_encode(v) for v in obj]
    return obj.value if isinstance(obj, Track | Difficulty) else obj


def _decode(cls: type, values: list[Any]) -> Any:
    names = _FIELDS[cls]
    if not isinstance(values, list) or len(values) != len(names):
        raise ValueError(f"a {cls.__name__} with {len(values)} fields, expected {len(names)}")
    nested, enums = _NESTED[cls], _ENUMS.get(cls, {})
    kwargs: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        if name in nested:
            kwargs[name] = tuple(_decode(nested[name], v) for v in value)
        elif name in enums:
            kwargs[name] = enums[name](value)
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)
