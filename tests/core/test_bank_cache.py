"""The compiled-bank cache: an unchanged bank is not parsed again; any change, or a damaged
cache file, falls back to parsing and validating."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.core.bank import load_bank
from bot.core.bank import loader as loader_module
from bot.core.bank.compiled import CACHE_FILE, load_bank_cached

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINI_BANK, tmp_path / "bank"))


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the bank was parsed although the cache was valid")

    monkeypatch.setattr(loader_module, "_parse", refuse)


def test_unchanged_bank_is_read_from_the_cache(
    bank_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first, hit = load_bank_cached([bank_dir], cache)
    assert not hit and first.ok and (cache / CACHE_FILE).exists()
    _no_parsing(monkeypatch)
    second, hit = load_bank_cached([bank_dir], cache)
    assert hit
    assert second.questions == first.questions  # every field, nested ones and enums included
    assert [q.origin for q in second.questions] == [q.origin for q in first.questions]
    assert second.questions_checked == first.questions_checked and second.ok


def test_any_change_to_a_bank_file_misses(bank_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_bank_cached([bank_dir], cache)
    target = sorted(bank_dir.rglob("*.yaml"))[0]
    text = target.read_text(encoding="utf-8")
    first_prompt = next(q.prompt for q in load_bank([target], lint=False).questions)
    target.write_text(text.replace(first_prompt[:20], "CHANGED " + first_prompt[:12], 1))
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit
    assert any(q.prompt.startswith("CHANGED ") for q in result.questions)
    again, hit = load_bank_cached([bank_dir], cache)
    assert hit and again.questions == result.questions


def test_an_added_file_misses(bank_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before, _ = load_bank_cached([bank_dir], cache)
    extra = bank_dir / "extra.yaml"
    source = sorted(bank_dir.rglob("*.yaml"))[0].read_text(encoding="utf-8")
    extra.write_text(source.replace("id: ", "id: extra-"), encoding="utf-8")
    after, hit = load_bank_cached([bank_dir], cache)
    assert not hit and len(after.questions) > len(before.questions)


def test_a_bank_with_errors_is_not_cached(bank_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (bank_dir / "broken.yaml").write_text("questions: [unclosed\n", encoding="utf-8")
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and not result.ok
    assert not (cache / CACHE_FILE).exists()


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b'{"format": 1, "key": "whatever", "checked": 1, "questions": []}',
        b"\xff\xfe\x00garbage",
        b"[]",
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(
    bank_dir: Path, tmp_path: Path, damage: bytes
) -> None:
    cache = tmp_path / "cache"
    good, _ = load_bank_cached([bank_dir], cache)
    (cache / CACHE_FILE).write_bytes(damage)
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and result.questions == good.questions
    _, hit = load_bank_cached([bank_dir], cache)
    assert hit


def test_a_cache_with_the_right_key_but_damaged_questions_is_ignored(
    bank_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    good, _ = load_bank_cached([bank_dir], cache)
    data = json.loads((cache / CACHE_FILE).read_text(encoding="utf-8"))
    data["questions"][0] = data["questions"][0][:3]  # too few fields
    (cache / CACHE_FILE).write_text(json.dumps(data), encoding="utf-8")
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and result.questions == good.questions


def test_an_unwritable_cache_folder_only_costs_time(bank_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    result, hit = load_bank_cached([bank_dir], blocker / "cache")
    assert not hit and result.ok
