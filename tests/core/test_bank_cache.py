"""The compiled-bank cache: an unchanged bank is not parsed again; any change, or a damaged
cache file, falls back to parsing and validating."""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.bank import load_bank
from bot.core.bank import loader as loader_module
from bot.core.bank.compiled import CACHE_FILE, load_bank_cached
from bot.core.bank.lazy import CacheDamaged

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


def _rewrite(cache_file: Path, edit: Callable[[list[bytes]], None], *, reseal: bool) -> None:
    """Edit the lines after the header (the index, then question i's body at i + 1); ``reseal`` fixes the header's size and CRC to match (as
    a faulty writer would), else the header is kept as it was (as damage on disk would)."""
    header, *rest = cache_file.read_bytes().split(b"\n")
    edit(rest)
    body = b"\n".join(rest)
    meta = json.loads(header)
    if reseal:
        meta.update(size=len(body), crc32=zlib.crc32(body))
    cache_file.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def _drop_fields(lines: list[bytes]) -> None:
    lines[1] = json.dumps(json.loads(lines[1])[:3]).encode()  # first body: too few fields


def _wrong_body_same_size(lines: list[bytes]) -> None:
    lines[1] = b"[1]".ljust(len(lines[1]))  # JSON, but not a question's fields; offsets still hold


def _one_more_id(lines: list[bytes]) -> None:
    index = json.loads(lines[0])
    index["ids"].append("one-too-many")
    lines[0] = json.dumps(index).encode()


def _unknown_track(lines: list[bytes]) -> None:
    index = json.loads(lines[0])
    index["tracks"][0] = "no-such-track"
    lines[0] = json.dumps(index).encode()


def _negative_topic(lines: list[bytes]) -> None:
    index = json.loads(lines[0])
    index["topic"][0] = -1  # would silently pick the last topic
    lines[0] = json.dumps(index).encode()


def _short_ends(lines: list[bytes]) -> None:
    index = json.loads(lines[0])
    index["ends"][-1] -= 1
    lines[0] = json.dumps(index).encode()


def _flip_a_byte(lines: list[bytes]) -> None:
    lines[3] = lines[3].replace(b"a", b"b", 1)  # still valid JSON: only the CRC can tell


def _truncate(lines: list[bytes]) -> None:
    del lines[-2:]


@pytest.mark.parametrize("edit", [_drop_fields, _flip_a_byte, _truncate, _one_more_id])
def test_a_cache_with_the_right_key_but_damaged_contents_is_ignored(
    bank_dir: Path, tmp_path: Path, edit: Callable[[list[bytes]], None]
) -> None:
    cache = tmp_path / "cache"
    good, _ = load_bank_cached([bank_dir], cache)
    _rewrite(cache / CACHE_FILE, edit, reseal=False)
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and result.questions == good.questions
    again, hit = load_bank_cached([bank_dir], cache)
    assert hit and again.questions == good.questions


@pytest.mark.parametrize("edit", [_one_more_id, _unknown_track, _negative_topic, _short_ends])
def test_an_inconsistent_index_is_ignored_even_with_a_matching_checksum(
    bank_dir: Path, tmp_path: Path, edit: Callable[[list[bytes]], None]
) -> None:
    cache = tmp_path / "cache"
    good, _ = load_bank_cached([bank_dir], cache)
    _rewrite(cache / CACHE_FILE, edit, reseal=True)
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and result.questions == good.questions


def test_a_body_the_writer_got_wrong_fails_loudly_when_read(bank_dir: Path, tmp_path: Path) -> None:
    """Bodies are checked by the CRC at start-up, not decoded: one that passes the CRC but does
    not decode can only come from a faulty writer, and reading it names the file to delete."""
    cache = tmp_path / "cache"
    load_bank_cached([bank_dir], cache)
    _rewrite(cache / CACHE_FILE, _wrong_body_same_size, reseal=True)
    result, hit = load_bank_cached([bank_dir], cache)
    assert hit
    with pytest.raises(CacheDamaged, match=CACHE_FILE):
        _ = result.questions[0].prompt
    assert result.questions[1].prompt  # the others still decode


def test_an_unreadable_cache_is_ignored(bank_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / CACHE_FILE).mkdir(parents=True)  # reading it fails with an OSError, as does renaming
    result, hit = load_bank_cached([bank_dir], cache)
    assert not hit and result.ok


def test_a_cache_of_the_previous_format_is_replaced(bank_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "compiled-bank.json").write_text('{"format": 1, "key": "old", "questions": []}')
    _, hit = load_bank_cached([bank_dir], cache)
    assert not hit and sorted(p.name for p in cache.iterdir()) == [CACHE_FILE]


def test_an_unwritable_cache_folder_only_costs_time(bank_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    result, hit = load_bank_cached([bank_dir], blocker / "cache")
    assert not hit and result.ok
