"""Questions whose bodies are decoded on first use, from the compiled-bank cache.

Start-up needs a question's id, track, topic, difficulty and origin (the indexes and every draw
use nothing else); its text, rubric, hints and phases are read only when it is asked. A
`LazyQuestion` is a `Question` with those eager fields set and the rest left in the cache
file's bytes until one of them is read: then the whole body is decoded once, into the
ordinary slots, and the object behaves as the `Question` it stands for (equal to it, same hash).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.core.questions import Difficulty, Misconception, Phase, Question, RubricPoint, Track

EAGER_FIELDS = ("id", "track", "topic", "difficulty", "origin")
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls))
    for cls in (Question, RubricPoint, Phase, Misconception)
}
LAZY_FIELDS = tuple(name for name in _FIELDS[Question] if name not in EAGER_FIELDS)
_LAZY = frozenset(LAZY_FIELDS)
_COMPARED = tuple(f.name for f in dataclasses.fields(Question) if f.compare)
# Nested dataclass fields (tuples of these classes) and enum fields, per class.
_NESTED: dict[type, dict[str, type]] = {
    Question: {"rubric": RubricPoint, "phases": Phase, "misconceptions": Misconception},
    RubricPoint: {"misconceptions": Misconception},
    Phase: {"rubric": RubricPoint, "misconceptions": Misconception},
    Misconception: {},
}
_ENUMS: dict[str, type] = {"track": Track, "difficulty": Difficulty}


class CacheDamaged(RuntimeError):
    """A body in the compiled-bank cache could not be decoded (its checksum matched, so this
    is a fault of the writer, not of the disk): delete the cache file and start again."""


class Bodies:
    """The bytes of a cache file and where each question's body line starts and ends."""

    __slots__ = ("_bounds", "_data", "_source")

    def __init__(self, data: bytes, bounds: list[int], source: str) -> None:
        self._data = data
        self._bounds = bounds  # body i is data[bounds[i]:bounds[i + 1]]
        self._source = source

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def values(self, index: int) -> list[Any]:
        """Body ``index`` as the JSON list of `LAZY_FIELDS` values it was written as."""
        try:
            values = json.loads(self._data[self._bounds[index] : self._bounds[index + 1]])
        except (ValueError, IndexError) as exc:
            raise CacheDamaged(f"{self._source}: body {index}: {exc}") from exc
        if not isinstance(values, list) or len(values) != len(LAZY_FIELDS):
            raise CacheDamaged(f"{self._source}: body {index} does not hold a question's fields")
        return values


class LazyQuestion(Question):
    """A `Question` read from the compiled cache; see the module docstring."""

    __slots__ = ("_at", "_bodies")

    _at: int
    _bodies: Bodies

    # Called only when normal lookup fails, i.e. for a slot not set yet: a body field before
    # the body was decoded. Decoding sets every body field, so this runs once per question.
    def __getattr__(self, name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.decode()
        return object.__getattribute__(self, name)

    def decode(self) -> None:
        """Decode the body now (idempotent; two threads doing it at once set equal values)."""
        values = self._bodies.values(self._at)
        set_ = object.__setattr__
        try:
            decoded = [
                (name, decode_field(Question, name, value))
                for name, value in zip(LAZY_FIELDS, values, strict=True)
            ]
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise CacheDamaged(f"{self._bodies._source}: body {self._at}: {exc}") from exc
        for name, value in decoded:
            set_(self, name, value)

    # A LazyQuestion equals the Question it stands for (the dataclass __eq__ compares only
    # objects of the very same class); Python tries a subclass's reflected __eq__ first.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Question):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _COMPARED)

    __hash__ = Question.__hash__


def make_lazy(
    bodies: Bodies,
    ids: list[str],
    tracks: list[Track],
    topics: list[str],
    difficulties: list[Difficulty],
    origins: list[str],
) -> tuple[LazyQuestion, ...]:
    """One `LazyQuestion` per body, with its eager fields given column by column."""
    new = object.__new__
    # The slots' own setters: a third faster than object.__setattr__ by name, at 50,000 each.
    slot = {name: vars(Question)[name].__set__ for name in EAGER_FIELDS}
    set_id, set_track, set_topic = slot["id"], slot["track"], slot["topic"]
    set_difficulty, set_origin = slot["difficulty"], slot["origin"]
    set_bodies, set_at = vars(LazyQuestion)["_bodies"].__set__, vars(LazyQuestion)["_at"].__set__
    out = []
    for at, (qid, track, topic, difficulty, origin) in enumerate(
        zip(ids, tracks, topics, difficulties, origins, strict=True)
    ):
        q = new(LazyQuestion)
        set_id(q, qid)
        set_track(q, track)
        set_topic(q, topic)
        set_difficulty(q, difficulty)
        set_origin(q, origin)
        set_bodies(q, bodies)
        set_at(q, at)
        out.append(q)
    return tuple(out)


def encode_body(question: Question) -> str:
    """The body line of ``question``: its `LAZY_FIELDS` as one line of compact JSON."""
    values = [_encode(getattr(question, name)) for name in LAZY_FIELDS]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _encode(obj: Any) -> Any:
    if isinstance(obj, RubricPoint | Phase | Misconception):
        return [_encode(getattr(obj, name)) for name in _FIELDS[type(obj)]]
    if isinstance(obj, tuple):
        return [_encode(v) for v in obj]
    return obj.value if isinstance(obj, Track | Difficulty) else obj


def decode_field(cls: type, name: str, value: Any) -> Any:
    nested = _NESTED[cls].get(name)
    if nested is not None:
        return tuple(_decode(nested, v) for v in value)
    if name in _ENUMS and cls is Question:
        return _ENUMS[name](value)
    return tuple(value) if isinstance(value, list) else value


def _decode(cls: type, values: Any) -> Any:
    names = _FIELDS[cls]
    if not isinstance(values, list) or len(values) != len(names):
        raise ValueError(f"a {cls.__name__} that is not a list of {len(names)} fields")
    return cls(**{name: decode_field(cls, name, v) for name, v in zip(names, values, strict=True)})
