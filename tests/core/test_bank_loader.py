"""Loading: file discovery, the bundled bank, built objects, safe parsing and the export round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import bot
from bot.core.bank import (
    bundled_bank_path,
    dump_questions,
    load_bank,
    parse_questions,
)
from bot.core.bank.loader import find_bank_files
from bot.core.bank.safe_yaml import BankLoader
from bot.core.questions import Difficulty, Phase, Question, RubricPoint, Track

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bank"
VALID = FIXTURES / "valid"


def test_bundled_bank_path_is_the_repo_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANK_PATH", raising=False)
    expected = Path(bot.__file__).resolve().parent.parent / "question_bank"
    assert bundled_bank_path() == expected
    assert (expected / "schema.json").is_file()


def test_bank_path_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BANK_PATH", str(tmp_path))
    assert bundled_bank_path() == tmp_path


def test_bundled_bank_loads_without_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANK_PATH", raising=False)
    result = load_bank([bundled_bank_path()])
    assert [str(p) for p in result.errors] == []  # warnings (weak cues) do not block loading
    assert result.ok
    assert len(result.questions) >= 1
    assert result.questions_checked == len(result.questions)


def test_valid_fixtures_build_the_expected_objects() -> None:
    result = load_bank([VALID])
    assert result.ok
    assert [q.id for q in result.questions] == [
        "fx-feeds-ranking",  # system-design/ sorts before technical/
        "fx-basics-overfitting",
        "fx-basics-leakage",
    ]
    first = result.questions[1]
    assert first == Question(
        id="fx-basics-overfitting",
        track=Track.TECHNICAL,
        topic="basics",
        difficulty=Difficulty.EASY,
        minutes=4,
        prompt="Training accuracy is 99% and validation accuracy is 70%. What is happening?\n",
        reference_answer=(
            "The model **overfits** (high variance): it memorises the training set.\n"
            "Confirm with learning curves; then regularise, simplify or add data.\n"
        ),
        rubric=(
            RubricPoint("Names overfitting / high variance.", ("overfitting|high variance",), 2),
            RubricPoint(
                "Proposes a remedy such as regularisation or more data.",
                ("regularization|regularisation", "more data", "early stopping"),
            ),
        ),
        tags=("diagnostics", "overfitting"),
        hints=("Compare the two numbers: which error dominates?",),
        follow_ups=("What would a 70% / 70% result mean instead?",),
    )
    assert first.origin == f"{(VALID / 'technical' / 'basics.yaml').as_posix()}:3"
    assert result.questions[2].source == "adapted from a team exercise"
    design = result.questions[0]
    assert design.rubric == ()
    assert [p.name for p in design.phases] == [
        "clarify",
        "metrics",
        "data-and-features",
        "model",
        "serving-and-monitoring",
        "wrap-up",
    ]
    assert design.phases[3] == Phase(
        "model",
        10,
        "Propose the models.",
        (
            RubricPoint("Two-stage design.", ("retrieval|candidate generation", "ranker")),
            RubricPoint("Multi-task heads.", ("multi-task",), 2),
        ),
    )


def test_files_are_found_recursively_sorted_and_deduplicated(tmp_path: Path) -> None:
    text = (VALID / "technical" / "basics.yaml").read_text()
    for name in ["b/two.yml", "a/one.yaml", ".hidden/x.yaml", "a/.draft.yaml", "a/notes.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = find_bank_files([tmp_path, tmp_path / "a" / "one.yaml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/one.yaml", "b/two.yml"]


def test_missing_path_raises() -> None:
    with pytest.raises(FileNotFoundError, match="no such file or directory"):
        load_bank([FIXTURES / "does-not-exist"])


def test_result_lists_files_and_counts() -> None:
    result = load_bank([VALID])
    assert result.files == tuple(p.as_posix() for p in find_bank_files([VALID]))
    assert result.questions_checked == 3


def test_uses_the_c_safe_loader_when_available() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert issubclass(BankLoader, expected)
    assert issubclass(BankLoader, yaml.constructor.SafeConstructor)


def test_bank_loader_resolves_tags_like_the_stock_safe_loader() -> None:
    text = """\
a: [yes, No, off, 'on', true, null, ~, '', 12, -3, 0x1F, 0o17, 1_000, 1:30, 1.5, .inf, -.NaN,
    2024-01-31, 2024-01-31 10:00:00, "12", <<, =, plain words, y, n, t, f, technical, '|x']
b: |
  block
"""

    def tags(loader: type) -> list[tuple[str, str]]:
        root = yaml.compose(text, Loader=loader)
        nodes = [n for pair in root.value for n in pair]
        nodes += [n for n in root.value[0][1].value]
        return [(n.value, n.tag) for n in nodes if isinstance(n, yaml.ScalarNode)]

    assert tags(BankLoader) == tags(yaml.SafeLoader)


ROUND_TRIP_STRINGS = [
    "plain",
    "multi\nline\n",
    "no final newline\nsecond",
    "  leading spaces\nkept\n",
    "trailing spaces   \nhere\n",
    "yes",
    "123",
    "null",
    "key: value # not a comment",
    "- looks like a list",
    "| starts with a bar",
    "unicode: café ✓ 💡",
    "tab\tinside",
    "ends with blank lines\n\n\n",
    "\"quoted\" and 'single'",
]


def test_dump_round_trip_is_exact_for_tricky_strings() -> None:
    questions = [
        Question(
            id=f"rt-{i}",
            track=Track.PHONE_SCREEN,
            topic="round-trip",
            difficulty=Difficulty.MEDIUM,
            minutes=3,
            prompt=text,
            reference_answer=text,
            rubric=(RubricPoint(text, (text.replace("|", "/"),), 5), RubricPoint("b", ("b|c",))),
            hints=(text,),
            follow_ups=(text, "second"),
            source=text,
        )
        for i, text in enumerate(ROUND_TRIP_STRINGS)
    ]
    result = parse_questions(dump_questions(questions), "export.yaml")
    assert [str(p) for p in result.errors] == []
    assert result.questions == tuple(questions)


def test_dump_round_trip_of_fixtures_and_bundled_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANK_PATH", raising=False)
    fixtures = load_bank([VALID]).questions
    bundled = load_bank([bundled_bank_path()]).questions
    assert fixtures and bundled
    # One export per topic, as the bank is laid out (the whole bank is over the 1 MiB limit).
    topics = sorted({(q.track, q.topic) for q in bundled})
    for track, topic in topics:
        chosen = tuple(q for q in bundled if (q.track, q.topic) == (track, topic))
        assert parse_questions(dump_questions(chosen), "export.yaml").questions == chosen
    text = dump_questions(fixtures)
    assert parse_questions(text, "export.yaml").questions == fixtures
    assert dump_questions(parse_questions(text, "export.yaml").questions) == text  # stable


def test_dump_uses_block_scalars_flow_cues_and_the_format_order() -> None:
    question = load_bank([VALID / "technical" / "basics.yaml"]).questions[0]
    text = dump_questions([question])
    assert text.startswith(
        "questions:\n  - id: fx-basics-overfitting\n    track: technical\n    topic: basics\n"
        "    difficulty: easy\n    minutes: 4\n    tags: [diagnostics, overfitting]\n"
        "    prompt: |\n      Training accuracy is 99% and validation accuracy is 70%."
    )
    assert (
        "      - point: Names overfitting / high variance.\n"
        '        cues: ["overfitting|high variance"]\n'
        "        weight: 2\n"
    ) in text
    assert "weight: 1" not in text  # defaults are left out
    assert "source:" not in text
