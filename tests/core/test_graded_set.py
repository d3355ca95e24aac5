"""The hand-graded answer set: every file names a real bundled question, and the set is big enough.

The set in tests/fixtures/graded_answers/ is the yardstick for the automatic scorer. This test only
checks its shape (ids, phases, kinds, grades, coverage); it does not run the scorer.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.core.bank import bundled_bank_path, load_bank
from bot.core.questions import Question, Track

GRADED = Path(__file__).resolve().parent.parent / "fixtures" / "graded_answers"
KINDS = {"strong-own-words", "strong-paraphrase", "weak-honest", "wrong-fluent", "stuffed", "echo"}
STRONG = {"strong-own-words", "strong-paraphrase"}
FILE_KEYS = {"question", "answers"}
ANSWER_KEYS = {"kind", "grade", "text", "note", "phase"}


def _files() -> list[Path]:
    return sorted(GRADED.glob("*.yaml"))


@pytest.fixture(scope="module")
def bank(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Question]:
    questions = load_bank([bundled_bank_path()]).questions
    return {q.id: q for q in questions}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.delenv("BANK_PATH", raising=False)
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def graded() -> dict[Path, dict]:
    return {path: yaml.safe_load(path.read_text(encoding="utf-8")) for path in _files()}


def test_folder_has_files_and_a_readme() -> None:
    assert (GRADED / "README.md").is_file()
    assert len(_files()) >= 40


def test_every_file_names_a_bundled_question(
    graded: dict[Path, dict], bank: dict[str, Question]
) -> None:
    for path, doc in graded.items():
        assert isinstance(doc, dict) and set(doc) == FILE_KEYS, path.name
        assert doc["question"] in bank, f"{path.name}: unknown question {doc['question']!r}"
        assert path.stem == doc["question"], f"{path.name}: file name must be the question id"


def test_every_answer_is_well_formed(graded: dict[Path, dict], bank: dict[str, Question]) -> None:
    for path, doc in graded.items():
        question = bank[doc["question"]]
        phase_names = {p.name for p in question.phases}
        answers = doc["answers"]
        assert isinstance(answers, list) and answers, path.name
        for i, answer in enumerate(answers):
            where = f"{path.name} answer {i + 1}"
            assert set(answer) <= ANSWER_KEYS, f"{where}: unknown keys {set(answer) - ANSWER_KEYS}"
            assert answer["kind"] in KINDS, f"{where}: kind {answer['kind']!r}"
            grade = answer["grade"]
            assert isinstance(grade, int) and 1 <= grade <= 4, f"{where}: grade {grade!r}"
            assert isinstance(answer["text"], str) and answer["text"].strip(), where
            if question.track is Track.SYSTEM_DESIGN:
                assert answer.get("phase") in phase_names, f"{where}: phase {answer.get('phase')!r}"
            else:
                assert "phase" not in answer, f"{where}: phase is only for system-design"


def test_grades_agree_with_kinds(graded: dict[Path, dict]) -> None:
    for path, doc in graded.items():
        for i, answer in enumerate(doc["answers"]):
            where = f"{path.name} answer {i + 1}"
            kind, grade = answer["kind"], answer["grade"]
            if kind in STRONG:
                assert grade >= 3, f"{where}: a strong answer grades 3 or 4"
            elif kind in {"stuffed", "echo"}:
                assert grade == 1, f"{where}: {kind} grades 1"
            else:
                assert grade <= 2, f"{where}: {kind} grades 1 or 2"


def test_system_design_files_cover_three_phases(
    graded: dict[Path, dict], bank: dict[str, Question]
) -> None:
    for path, doc in graded.items():
        if bank[doc["question"]].track is Track.SYSTEM_DESIGN:
            phases = {a["phase"] for a in doc["answers"]}
            assert len(phases) >= 3, f"{path.name}: answers for only {sorted(phases)}"


def test_totals_cover_all_tracks_and_kinds(
    graded: dict[Path, dict], bank: dict[str, Question]
) -> None:
    answers = [a for doc in graded.values() for a in doc["answers"]]
    tracks = Counter(bank[doc["question"]].track for doc in graded.values())
    kinds = Counter(a["kind"] for a in answers)
    assert len(answers) >= 200
    assert len(graded) >= 40
    assert set(tracks) == set(Track)
    assert set(kinds) == KINDS
    assert {a["grade"] for a in answers} == {1, 2, 3, 4}
