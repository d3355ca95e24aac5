"""Questions read from the compiled-bank cache decode their bodies on first use and are then the
same questions as a fresh parse of the YAML gives: every field, for every bundled question."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from bot.core.bank import QuestionBank, bundled_bank_path, load_bank
from bot.core.bank import lazy as lazy_module
from bot.core.bank.compiled import load_bank_cached
from bot.core.bank.lazy import EAGER_FIELDS, LAZY_FIELDS, LazyQuestion
from bot.core.bank_registry import BankRegistry
from bot.core.questions import Difficulty, Misconception, Phase, Question, RubricPoint, Track

_FIELDS = tuple(f.name for f in dataclasses.fields(Question))


@pytest.fixture(scope="module")
def eager() -> tuple[Question, ...]:
    result = load_bank([bundled_bank_path()], lint=False)
    assert result.ok and len(result.questions) > 10
    return result.questions


def _cached(tmp_path: Path) -> tuple[Question, ...]:
    cache = tmp_path / "cache"
    load_bank_cached([bundled_bank_path()], cache)
    result, hit = load_bank_cached([bundled_bank_path()], cache)
    assert hit
    return result.questions


def _is_decoded(q: Question, name: str) -> bool:
    """Whether the slot holds a value, without the lookup that would decode it."""
    try:
        getattr(Question, name).__get__(q, type(q))
    except AttributeError:
        return False
    return True


def _assert_same_types(value: object, expected: object) -> None:
    assert type(value) is type(expected)
    if isinstance(expected, tuple):
        for v, e in zip(value, expected, strict=True):  # type: ignore[call-overload]
            _assert_same_types(v, e)
    elif dataclasses.is_dataclass(expected):
        for f in dataclasses.fields(expected):
            _assert_same_types(getattr(value, f.name), getattr(expected, f.name))


def test_a_hit_decodes_no_body_until_a_body_field_is_read(
    tmp_path: Path, eager: tuple[Question, ...]
) -> None:
    cached = _cached(tmp_path)
    assert len(cached) == len(eager)
    for q in cached:
        assert type(q) is LazyQuestion
        assert all(_is_decoded(q, name) for name in EAGER_FIELDS)
        assert not any(_is_decoded(q, name) for name in LAZY_FIELDS)
    # Indexing, selection and drawing read only the eager fields.
    bank = QuestionBank(cached)
    registry = BankRegistry(bank)
    assert registry.sample(Track.TECHNICAL) is not None
    assert bank.select(Track.SYSTEM_DESIGN)
    registry.known_ids()
    assert not any(_is_decoded(q, name) for q in cached for name in LAZY_FIELDS)
    first = cached[0]
    assert first.prompt == eager[0].prompt
    assert all(_is_decoded(first, name) for name in LAZY_FIELDS)  # one read decodes the body
    assert not _is_decoded(cached[1], "prompt")


def test_every_bundled_question_decodes_to_the_eager_question(
    tmp_path: Path, eager: tuple[Question, ...]
) -> None:
    for lazy, plain in zip(_cached(tmp_path), eager, strict=True):
        for name in _FIELDS:  # origin too, which == leaves out
            assert getattr(lazy, name) == getattr(plain, name), (plain.id, name)
            # Enums, tuples and nested dataclasses, never lists or bare strings.
            _assert_same_types(getattr(lazy, name), getattr(plain, name))
        assert lazy.is_phased == plain.is_phased


def test_a_lazy_question_equals_and_hashes_as_its_eager_question(
    tmp_path: Path, eager: tuple[Question, ...]
) -> None:
    cached = _cached(tmp_path)
    assert cached == eager and eager == cached  # both operand orders, before any decoding
    assert [hash(q) for q in cached] == [hash(q) for q in eager]
    assert set(cached) == set(eager)
    assert cached[0] != eager[1] and eager[1] != cached[0]
    assert cached[0].__eq__("not a question") is NotImplemented


def test_a_lazy_question_works_with_dataclass_tools(tmp_path: Path) -> None:
    cached = _cached(tmp_path)
    design = next(q for q in cached if q.is_phased)
    moved = dataclasses.replace(design, origin="elsewhere")
    assert moved == design and moved.origin == "elsewhere"
    assert copy.deepcopy(cached[1]) == cached[1]
    assert dataclasses.asdict(cached[2])["prompt"] == cached[2].prompt
    assert cached[3].id in repr(cached[3])
    assert not hasattr(cached[4], "no_such_field")
    assert isinstance(design.phases[0], Phase) and isinstance(design.track, Track)


def test_a_body_is_decoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = _cached(tmp_path)
    calls = []
    real = lazy_module.Bodies.values

    def counting(self: lazy_module.Bodies, index: int) -> list[object]:
        calls.append(index)
        return real(self, index)

    monkeypatch.setattr(lazy_module.Bodies, "values", counting)
    q = cached[5]
    for name in LAZY_FIELDS:
        getattr(q, name)
    _ = q.prompt, q.rubric, q.hints
    assert calls == [5]


def test_encoded_bodies_round_trip_every_field_kind() -> None:
    """A question with every optional part set (the bundled bank may not use them all)."""
    wrong = Misconception("Bias falls with more data.", ("bias", "falls"), cap=1)
    point = RubricPoint("Names the trade-off.", ("+trade-off", "bias|variance"), 2, "why", (wrong,))
    phase = Phase("clarify", 5, "Ask first.", (point,), (wrong,))
    question = Question(
        id="all-fields",
        track=Track.SYSTEM_DESIGN,
        topic="recsys",
        difficulty=Difficulty.HARD,
        minutes=45,
        prompt="Design it.\n",
        reference_answer='Like this: ünïcode \u2028 and "quotes".\n',
        rubric=(point,),
        tags=("a", "b"),
        hints=("h",),
        follow_ups=("f",),
        phases=(phase,),
        source="adapted",
        misconceptions=(wrong,),
        origin="x.yaml:1",
    )
    line = lazy_module.encode_body(question)
    assert "\n" not in line  # one body per line
    data = b"[]\n" + line.encode() + b"\n"
    bodies = lazy_module.Bodies(data, [3, len(data)], "test")
    (lazy,) = lazy_module.make_lazy(
        bodies, ["all-fields"], [Track.SYSTEM_DESIGN], ["recsys"], [Difficulty.HARD], ["x.yaml:1"]
    )
    for name in _FIELDS:
        assert getattr(lazy, name) == getattr(question, name)
        _assert_same_types(getattr(lazy, name), getattr(question, name))
