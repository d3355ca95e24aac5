"""A compiled-bank cache: start-up skips YAML parsing and validation of an unchanged bank.

The key is a SHA-256 over the validator's own source (so any change to the format or its rules
invalidates it) and every bank file's path and bytes: a changed file is detected by its bytes,
never by its size or time stamps. The cache file holds plain data (never pickle: a cache file
is data, not code) as JSON Lines:

1. a header: format, key, questions checked, and the size and CRC-32 of everything after it;
2. the index: each question's id, track, topic, difficulty and origin, column by column, and
   where each body line ends;
3. one body line per question: its other fields (see `bot.core.bank.lazy`).

A hit decodes lines 1 and 2 and checks the CRC; bodies are decoded when a question is first
read. A missing, unreadable, corrupt (CRC, sizes, JSON) or stale cache is ignored and
rewritten; only a bank that validated without errors is cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Iterable
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from bot.core.bank.lazy import Bodies, encode_body, make_lazy
from bot.core.bank.loader import find_bank_files, load_bank
from bot.core.bank.problems import BankLoadResult
from bot.core.bank.safe_yaml import gc_paused
from bot.core.questions import Difficulty, Question, Track

log = logging.getLogger(__name__)

FORMAT = 2  # of the cache file itself
CACHE_FILE = "compiled-bank.jsonl"
_OLD_FILES = ("compiled-bank.json",)  # earlier formats' names, removed when a new one is written
_PACKAGE = Path(__file__).resolve().parent
_TRACKS = {t.value: t for t in Track}
_DIFFICULTIES = {d.value: d for d in Difficulty}


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
    a bank without errors is cached; warnings are for authors and not kept); its questions are
    `LazyQuestion`s, equal to what ``load_bank`` returns.
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
        data = cache_file.read_bytes()
        end = data.find(b"\n")
        header = json.loads(data[:end]) if end > 0 else None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            return None
        if header.get("key") != key:
            return None
        rest = memoryview(data)[end + 1 :]  # not a copy of the whole file
        if len(rest) != header["size"] or zlib.crc32(rest) != header["crc32"]:
            raise ValueError("its size or checksum does not match its header")
        with gc_paused():  # tens of thousands of acyclic objects, as in load_bank
            questions = _questions(data, end + 1, str(cache_file))
        return questions, int(header["checked"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:  # corrupt: rebuild it
        log.warning("ignoring the compiled-bank cache %s: %s", cache_file, exc)
        return None


def _questions(data: bytes, start: int, source: str) -> tuple[Question, ...]:
    """The lazy questions of a cache file whose index line starts at ``start``."""
    end = data.index(b"\n", start)
    index = json.loads(data[start:end])
    ids: list[str] = index["ids"]
    count = len(ids)
    ends: list[int] = index["ends"]
    if not all(type(n) is int for n in ends):
        raise ValueError("its body offsets are not integers")
    bounds = [end + 1, *(end + 1 + n for n in ends)]
    if len(bounds) != count + 1 or bounds[-1] != len(data):
        raise ValueError("its index does not cover its bodies")
    if any(a >= b for a, b in pairwise(bounds)):
        raise ValueError("its body offsets are out of order")
    tracks = _column(index, "track", _TRACKS, count)
    topics = _column(index, "topic", None, count)
    difficulties = _column(index, "difficulty", _DIFFICULTIES, count)
    origins: list[str] = index["origins"]
    if len(origins) != count or not all(type(s) is str for s in (*ids, *origins)):
        raise ValueError("its ids or origins are not one string per question")
    return make_lazy(Bodies(data, bounds, source), ids, tracks, topics, difficulties, origins)


def _column(
    index: dict[str, Any], name: str, kinds: dict[str, Any] | None, count: int
) -> list[Any]:
    """A column stored as a table of distinct values and one table position per question."""
    table = index[name + "s"]
    if not all(type(v) is str for v in table):
        raise ValueError(f"its {name} table holds a non-string")
    values = [kinds[v] for v in table] if kinds is not None else list(table)
    positions: list[int] = index[name]
    if len(positions) != count or (positions and min(positions) < 0):
        raise ValueError(f"its {name} column does not have one table position per question")
    return [values[i] for i in positions]  # a position past the table raises IndexError


def _index(questions: tuple[Question, ...], ends: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"ids": [q.id for q in questions], "ends": ends}
    columns = {
        "track": [q.track.value for q in questions],
        "topic": [q.topic for q in questions],
        "difficulty": [q.difficulty.value for q in questions],
    }
    for name, values in columns.items():
        positions: dict[str, int] = {}
        out[name] = [positions.setdefault(v, len(positions)) for v in values]
        out[name + "s"] = list(positions)
    out["origins"] = [q.origin for q in questions]
    return out


def _write(cache_file: Path, key: str, result: BankLoadResult) -> None:
    bodies = [(encode_body(q) + "\n").encode() for q in result.questions]
    ends = list(accumulate(len(b) for b in bodies))
    index = json.dumps(_index(result.questions, ends), ensure_ascii=False, separators=(",", ":"))
    rest = b"".join([index.encode(), b"\n", *bodies])
    header = {
        "format": FORMAT,
        "key": key,
        "checked": result.questions_checked,
        "size": len(rest),
        "crc32": zlib.crc32(rest),
    }
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, even after a crash.
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".compiled-bank-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(json.dumps(header).encode() + b"\n")
                f.write(rest)
            os.replace(tmp, cache_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in _OLD_FILES:
            (cache_file.parent / old).unlink(missing_ok=True)
    except OSError as exc:  # a read-only data folder only costs the next start its time
        log.warning("could not write the compiled-bank cache %s: %s", cache_file, exc)
