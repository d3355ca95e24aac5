"""Hostile and malformed input: validation is total (no exception escapes) and bounded.

Structured mutations of real bank files (hypothesis) and explicit "bombs" that used to crash or
take seconds to minutes. Every case must come back as a result with questions or located
problems; how fast is measured by benchmarks/bank_hostile.py, not asserted here.

``BANK_FUZZ_EXAMPLES=5000 pytest tests/core/test_bank_fuzz.py`` runs a longer search.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.bank import BankLoadResult, bundled_bank_path, load_bank, parse_questions, safe_yaml
from bot.core.bank import limits as lim
from bot.core.bank.loader import find_bank_files
from bot.core.bank.safe_yaml import BankLoader, node_bound

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bank" / "valid"
SEEDS = [p.read_text() for p in sorted(FIXTURES.rglob("*.yaml"))]
MESSAGE_LIMIT = 400  # no problem line quotes more than a clipped value
EXAMPLES = int(os.environ.get("BANK_FUZZ_EXAMPLES", "300"))


def _check(result: BankLoadResult) -> None:
    """The invariants every result keeps, whatever the input."""
    assert result.questions or result.problems
    assert len(result.problems) <= lim.PROBLEMS_SHOWN + lim.WARNINGS_SHOWN + 2
    for problem in result.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert len(problem.message) <= MESSAGE_LIMIT, problem.message[:100]
        assert "\n" not in str(problem)
    if result.ok:
        assert result.questions


# --- structured mutations ----------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet="+|-:,#!&*%@`'\"{}[]\\ \t\nabc019²", max_size=20),
    st.sampled_from(["", " ", "+", "|", "+|", "a||b", "clarify", "system-design", "x" * 400]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    data = yaml.safe_load(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "drop", "wrap", "copy"]))
        if not path:
            data = draw(VALUES) if action == "replace" else data
            continue
        parent, last = _get(data, path[:-1]), path[-1]
        if action == "replace":
            parent[last] = draw(VALUES)
        elif action == "drop":
            del parent[last]
        elif action == "wrap":  # deep nesting
            value = parent[last]
            for _ in range(draw(st.integers(1, 60))):
                value = [value] if draw(st.booleans()) else {"k": value}
            parent[last] = value
        elif isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))  # a repeated question or point
        else:
            parent[draw(st.text(max_size=12))] = copy.deepcopy(parent[last])
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=draw(st.booleans()))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.booleans())
def test_structured_mutations_give_questions_or_located_problems(text: str, lint: bool) -> None:
    _check(parse_questions(text, "fuzz.yaml", lint=lint))


@st.composite
def text_edits(draw: st.DrawFn) -> str:
    """Raw edits of a real file: duplicated keys, YAML punctuation, escapes, tags, anchors."""
    lines = draw(st.sampled_from(SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["duplicate", "delete", "insert", "indent"]))
        if action == "duplicate":  # duplicate keys, repeated items
            lines.insert(index, lines[index])
        elif action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "indent":
            lines[index] = " " * draw(st.integers(0, 12)) + lines[index].lstrip()
        else:
            line = lines[index]
            at = draw(st.integers(0, len(line)))
            piece = draw(
                st.sampled_from(
                    [
                        "&a ",
                        "*a",
                        "!!int ",
                        "!!str ",
                        "!x ",
                        "? ",
                        ": ",
                        "- ",
                        "[",
                        "]",
                        "{",
                        "}",
                        "'",
                        '"',
                        '"\\0"',
                        '"\\ud800"',
                        "#",
                        "|",
                        ">",
                        "%TAG ! x:\n---\n",
                        "\t",
                        "!!python/object:os.system ",
                    ]
                )
            )
            lines[index] = line[:at] + piece + line[at:]
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_edits())
def test_text_edits_give_questions_or_located_problems(text: str) -> None:
    _check(parse_questions(text, "fuzz.yaml", lint=True))


YAML_BITS = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            " ",
            "\n",
            "  ",
            "- ",
            ": ",
            ", ",
            ",",
            "[",
            "]",
            "{",
            "}",
            "?",
            "? ",
            ":",
            "-",
            "'x'",
            '"y"',
            "|\n  t\n",
            "#c\n",
            "~",
            "1",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=EXAMPLES, deadline=None)
@given(YAML_BITS)
def test_node_bound_is_an_upper_bound(text: str) -> None:
    """The libyaml fast path relies on it: a document under the bound cannot exceed the limit."""
    try:
        events = list(yaml.parse(text, Loader=BankLoader))
    except yaml.YAMLError:
        return
    starts = ("ScalarEvent", "SequenceStartEvent", "MappingStartEvent", "AliasEvent")
    nodes = sum(1 for e in events if type(e).__name__ in starts)
    assert nodes <= node_bound(text)


# --- explicit bombs (each under the 1 MiB import limit) -----------------------------------------


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*{chr(96 + level)}"] * 9)
        lines.append(f"{chr(97 + level)}: &{chr(97 + level)} [{refs}]")
    lines.append("questions: [*j]")
    return "\n".join(lines) + "\n"


def _huge_aliased_id() -> str:
    ident = "a" * 400_000
    head = f"x: &i {ident}\nquestions:\n"
    return head + "".join("  - {id: *i}\n" for _ in range(2000))


def _tag_directive() -> str:
    prefix = "tag:x," + "p" * 400_000 + ":"
    return f"%TAG !e! {prefix}\n---\nquestions:\n" + "  - !e!t x\n" * 20_000


def _aliased_tags() -> str:
    return (
        "t: &t ["
        + ",".join(["x"] * 30)
        + "]\nquestions:\n  - {tags: ["
        + ",".join(["*t"] * 10_000)
        + "]}\n"
    )


def _duplicate_keys() -> str:
    return "questions:\n  - id: a\n" + "    id: a\n" * 30_000


def _empty_questions(size: int) -> str:
    return "questions:\n" + "- {}\n" * ((size - 11) // 5)


def _deep(depth: int) -> str:
    return "questions: " + "[" * depth + "]" * depth + "\n"


BOMBS = {
    "billion-laughs": _billion_laughs,
    "huge-aliased-id": _huge_aliased_id,
    "tag-directive": _tag_directive,
    "aliased-tags": _aliased_tags,
    "duplicate-keys": _duplicate_keys,
    "empty-questions-1mib": lambda: _empty_questions(lim.DOCUMENT_BYTES),
    "empty-questions-50k": lambda: "questions:\n" + "- {}\n" * 50_000,
    "deep-flow-10k": lambda: _deep(10_000),
    "deep-block-10k": lambda: "questions:\n" + "- " * 10_000 + "x\n",
    "flow-scalars-1mib": lambda: "questions: [" + "a," * (lim.DOCUMENT_BYTES // 2 - 10) + "a]\n",
    "flow-keys-1mib": lambda: "questions: {" + "?," * (lim.DOCUMENT_BYTES // 2 - 10) + "?}\n",
    "escapes-1mib": lambda: 'questions: ["' + "\\0" * (lim.DOCUMENT_BYTES // 2 - 20) + '"]\n',
    "custom-tags": lambda: "questions:\n" + "  - !x y\n" * 100_000,
    "over-1mib": lambda: "questions: []\n#" + "x" * lim.DOCUMENT_BYTES,
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_return_problems(name: str) -> None:
    text = BOMBS[name]()
    assert len(text.encode()) <= lim.DOCUMENT_BYTES or name == "over-1mib"
    result = parse_questions(text, "bomb.yaml")
    _check(result)
    assert not result.ok
    assert result.questions == ()


def test_expected_refusals() -> None:
    def first(name: str) -> str:
        return parse_questions(BOMBS[name](), "bomb.yaml").problems[0].message

    assert first("billion-laughs") == "YAML alias '*a' is not allowed (write the value out in full)"
    assert first("tag-directive") == "%TAG directives are not allowed (write tags out in full)"
    assert first("flow-scalars-1mib") == (
        f"the document has more than {lim.NODE_LIMIT} YAML values; split it into several files"
    )
    assert first("over-1mib") == "file is larger than 1048576 bytes (1 MiB); split it by topic"
    assert first("custom-tags") == "custom YAML tag '!x' is not allowed"
    assert first("duplicate-keys") == "duplicate key 'id' (first at line 2)"
    assert first("deep-flow-10k").startswith("YAML syntax error:")
    assert first("empty-questions-1mib") == first("flow-scalars-1mib")  # over the node limit
    result = parse_questions(BOMBS["empty-questions-50k"](), "bomb.yaml")
    assert result.problems[0].message.startswith("'questions' has 50000 questions; a file may")
    assert result.questions_checked == lim.QUESTIONS_PER_FILE
    assert result.error_count == 1 + 7 * lim.QUESTIONS_PER_FILE
    assert len(result.problems) == lim.PROBLEMS_SHOWN + 1


def test_bank_files_obey_the_same_limits(tmp_path: Path) -> None:
    """`BANK_PATH` and the bundled bank go through `load_bank`: the same refusals apply."""
    folder = tmp_path / "technical"
    folder.mkdir()
    for name in ("billion-laughs", "tag-directive", "over-1mib"):
        (folder / f"{name}.yaml").write_text(BOMBS[name]())
    result = load_bank([tmp_path])
    _check(result)
    messages = sorted(p.message.split(" (")[0] for p in result.problems)
    assert "%TAG directives are not allowed" in messages
    assert "file is larger than 1048576 bytes" in messages
    assert "YAML alias '*a' is not allowed" in messages


# --- the libyaml fast path and the checked path agree --------------------------------------------


def _both_paths(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = parse_questions(text, "f.yaml", lint=True)
    with monkeypatch.context() as patch:
        patch.setattr(safe_yaml, "_needs_checks", lambda _text: True)
        checked = parse_questions(text, "f.yaml", lint=True)
    return fast, checked


def test_both_composition_paths_agree_on_the_bundled_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    files = find_bank_files([bundled_bank_path()])
    assert files
    for path in files:
        text = path.read_text()
        if safe_yaml._needs_checks(text):
            continue  # only the checked path applies to this file
        fast, checked = _both_paths(text, monkeypatch)
        assert fast == checked, path.name


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated(), text_edits()))
def test_both_composition_paths_agree_on_mutations(text: str) -> None:
    if safe_yaml._needs_checks(text) or node_bound(text) > lim.NODE_LIMIT:
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, checked = _both_paths(text, monkeypatch)
    assert fast == checked
