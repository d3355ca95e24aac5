"""`python -m bot bank validate|stats`: output and exit codes (0 valid, 1 problems, 2 usage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import command_name, main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bank"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bank", "validate", str(VALID)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "OK: 3 questions in 2 files\n"


def test_validate_reports_problems_sorted_by_file_then_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [BROKEN / "weight-range.yaml", BROKEN / "point-empty.yaml"]
    assert main(["bank", "validate", *map(str, files)]) == 1
    out, err = capsys.readouterr()
    point, weight = (f.as_posix() for f in sorted(files))
    assert out.splitlines() == [
        f"{point}:12:16: fx-broken: 'point' must not be empty",
        f"{point}:13:15: fx-broken: 'cues' must have 1-5 items, got 0",
        # Same id in both files: the second one is also a duplicate.
        f"{weight}:2:9: fx-broken: duplicate id 'fx-broken' (first defined at {point}:2:5)",
        f"{weight}:14:17: fx-broken: 'weight' must be an integer from 1 to 5, got 6",
        f"{weight}:17:17: fx-broken: 'weight' must be an integer, got a string",
    ]
    assert err == "5 problems in 2 files (2 questions checked)\n"


def test_validate_singular_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bank", "validate", str(BROKEN / "bad-track.yaml")]) == 1
    assert capsys.readouterr().err == "1 problem in 1 file (1 question checked)\n"


def test_validate_defaults_to_the_bundled_bank(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANK_PATH", str(VALID))
    assert main(["bank", "validate"]) == 0
    assert capsys.readouterr().err == "OK: 3 questions in 2 files\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bank", "validate", "no/such/dir"], "no such file or directory: no/such/dir"),
        (["bank", "stats", __file__], f"not a YAML file (expected .yaml or .yml): {__file__}"),
        (["bank"], "choose an action: validate or stats"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{command_name()} bank: error: {message}\n"


def test_folder_without_yaml_files_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["bank", "validate", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"{command_name()} bank: error: no .yaml files found in: {tmp_path}\n"
    )


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bank", "validate", "--frobnicate"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_stats_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bank", "stats", str(VALID)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Questions per track and difficulty",
        "                 easy  medium    hard   total",
        "phone-screen        0       0       0       0",
        "technical           1       1       0       2",
        "system-design       0       0       1       1",
        "total               1       1       1       3",
        "",
        "Questions per topic",
        "                 easy  medium    hard   total",
        "technical",
        "  basics            1       1       0       2",
        "system-design",
        "  feeds             0       0       1       1",
    ]


def test_stats_with_problems_counts_valid_questions_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bank", "stats", str(FIXTURES / "duplicates")]) == 1
    out, err = capsys.readouterr()
    assert "total               2       0       0       2" in out
    assert err.startswith("warning: 1 problem found; only valid questions are counted")
