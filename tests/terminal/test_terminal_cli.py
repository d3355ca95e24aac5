"""`mlmock practice` and `mlmock history` as processes: scenario, ending early, self-assessment,
limits, configuration mistakes, and output piped into a reader that stops early."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MINI_BANK = FIXTURES / "mini_bank"
DESIGN_BANK = FIXTURES / "bank" / "valid"


def _env(tmp_path: Path, bank: Path = MINI_BANK, **extra: str) -> dict[str, str]:
    drop = ("DATABASE_URL", "BANK_PATH", "DATA_DIR", "DISCORD_GUILD_ID", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATA_DIR=str(tmp_path / "data"), BANK_PATH=str(bank), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _run(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env or _env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3")


def test_system_design_opens_with_the_scenario_and_shows_it_again(tmp_path: Path) -> None:
    env = _env(tmp_path, DESIGN_BANK)
    result = _run(
        tmp_path,
        "practice",
        "--track",
        "system-design",
        stdin="What is the objective?\n:scenario\n:end\n",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    scenario = "Design the ranking of a social feed for 10M people a day."
    assert "interview: 1 question in 6 timed phases" in out
    first, phase1 = out.index(scenario), out.index("Phase 1 of 6: clarify")
    assert first < phase1  # the scenario comes before phase 1
    assert out.count(scenario) == 2  # and again on :scenario
    assert out.index(scenario, first + 1) > phase1


def test_ending_early_says_what_was_not_reached_and_history_marks_it(tmp_path: Path) -> None:
    result = _run(tmp_path, "practice", "--questions", "3", stdin="It is overfitting.\n:end\n")
    assert result.returncode == 0, result.stderr
    assert "ended early" in result.stdout
    assert "Ended early: 2 items never reached" in result.stdout
    history = _run(tmp_path, "history")
    assert history.returncode == 0, history.stderr
    assert "ended early" in history.stdout and "1/3" in history.stdout
    assert max(len(line) for line in history.stdout.splitlines()) <= 80


def test_self_assessment_is_stored_and_wins(tmp_path: Path) -> None:
    # After the scorecard the remaining lines answer the self-assessment: 2 for item 1.
    result = _run(tmp_path, "practice", "--questions", "1", stdin="It is overfitting.\n.\n2\n")
    assert result.returncode == 0, result.stderr
    assert "stored: 2/4 No Hire" in result.stdout
    with _db(tmp_path) as conn:
        auto, self_score = conn.execute("select auto_score, self_score from answers").fetchone()
        mean = conn.execute("select mean_score from interview_sessions").fetchone()[0]
    assert self_score == 2 and auto != 2 and mean == 2.0
    shown = _run(tmp_path, "history", "--show", "1")
    assert "scored by you; automatic" in shown.stdout
    assert "Your answer:" in shown.stdout and "It is overfitting." in shown.stdout


def test_too_many_questions_names_the_maximum(tmp_path: Path) -> None:
    result = _run(tmp_path, "practice", "--questions", "999")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the maximum is 4" in lines[0]


def test_resume_with_nothing_to_resume_exits_1(tmp_path: Path) -> None:
    result = _run(tmp_path, "practice", "--resume")
    assert result.returncode == 1
    assert "Nothing to resume" in result.stderr
    with _db(tmp_path) as conn:
        assert conn.execute("select count(*) from interview_sessions").fetchone()[0] == 0


def test_empty_sessions_are_hidden_from_history_unless_all(tmp_path: Path) -> None:
    assert _run(tmp_path, "practice", stdin=":end\n").returncode == 0
    listed = _run(tmp_path, "history")
    assert "No sessions yet" in listed.stdout
    everything = _run(tmp_path, "history", "--all")
    assert "ended early" in everything.stdout and "0/" in everything.stdout


def test_history_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    for _ in range(3):
        assert _run(tmp_path, "practice", stdin="It is overfitting.\n:end\n").returncode == 0
    env = _env(tmp_path)
    command = f"{sys.executable} -m bot history | head -n 1"
    result = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.startswith(" id")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_data_lands_in_the_user_data_folder_not_the_working_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["DATA_DIR"]
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "share")
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "practice"],
        input=":end\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not (work / "data").exists()
    assert list((tmp_path / "home").rglob("mlmock.sqlite3"))


def _not_a_folder(tmp_path: Path) -> str:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    return str(blocker / "data")


@pytest.mark.parametrize(
    ("setting", "value", "fix"),
    [
        ("DATABASE_URL", "sqlite:///x.db", "use sqlite+aiosqlite://"),
        ("DATABASE_URL", "postgresql://user:secret@db/mlmock", "use postgresql+asyncpg://"),
        ("DATABASE_URL", "not a url", "sqlite+aiosqlite:///"),
        ("BANK_PATH", "no/such/bank", "BANK_PATH no/such/bank does not exist"),
        ("DATA_DIR", None, "set DATA_DIR to a folder you can write to"),
        ("DISCORD_GUILD_ID", "my-server", "DISCORD_GUILD_ID must be a number"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL must be one of"),
    ],
)
@pytest.mark.parametrize("command", [["practice"], ["history"], ["db", "upgrade"], ["run"]])
def test_every_configuration_mistake_is_one_line_and_exit_2(
    tmp_path: Path, setting: str, value: str | None, fix: str, command: list[str]
) -> None:
    env = _env(tmp_path, **{setting: value if value is not None else _not_a_folder(tmp_path)})
    result = _run(tmp_path, *command, env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "configuration error" in lines[0] and fix in lines[0]
    assert "secret" not in lines[0]  # a password in the URL is never echoed


def test_a_follow_up_is_asked_answered_and_skipped(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "practice",
        "--questions",
        "1",
        "--follow-ups",
        stdin="It is overfitting.\n.\nMy reply to the follow-up.\n.\n\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "the interviewer may ask one follow-up" in " ".join(out.split())  # announced
    assert "Follow-up on question 1 of 1" in out and "Interviewer: " in out
    assert "Follow-up: " in out and "Your reply:" in out and "My reply to the follow-up." in out
    with _db(tmp_path) as conn:
        row = conn.execute("select follow_up, follow_up_from, status from answers").fetchone()
    assert row[0] and row[1] == 1 and row[2] == "submitted"

    skipped = _run(
        tmp_path,
        "practice",
        "--new",
        "--questions",
        "1",
        "--follow-ups",
        stdin="It is overfitting.\n.\n:skip\n\n",
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "(skipped: scored on your first answer)" in skipped.stdout


def test_short_length_asks_no_follow_up_by_default(tmp_path: Path) -> None:
    result = _run(tmp_path, "practice", "--questions", "1", stdin="It is overfitting.\n.\n\n")
    assert result.returncode == 0, result.stderr
    assert "Interviewer: " not in result.stdout
    assert "25 words a minute" in " ".join(result.stdout.split())  # the pace model, announced
