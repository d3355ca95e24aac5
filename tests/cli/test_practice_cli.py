"""The terminal practice mode as a user runs it: a real process, answers piped on stdin."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BANK_PATH")}
    env.update(DATA_DIR=str(tmp_path / "data"), BANK_PATH=str(MINI_BANK), PYTHONUNBUFFERED="1")
    return env


def _practice(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "practice", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3")


def test_piped_session_prints_scorecard_and_stores_it(tmp_path: Path) -> None:
    answers = (
        "It is overfitting.\nI would use k-fold cross-validation.\n.\n:skip\n:hint\nBayes\n.\n"
    )
    result = _practice(tmp_path, answers, "--questions", "3")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Question 1 of 3" in out and "Question 3 of 3" in out
    assert "Scorecard · technical (short)" in out
    assert "Short technical interview: 3 questions" in out  # announced at the start
    assert "score 4/4 Strong Hire" in out  # the first answer covers both points
    assert '✓ Names overfitting / high variance.  — you wrote: "It is overfitting' in out
    assert "Verdict:" in out and "Reference answer:" in out
    # The score table comes first, then each answer as written, then the reference.
    card = out[out.index("Scorecard · technical") :]
    assert card.index("Verdict:") < card.index("Your answer:") < card.index("Reference answer:")
    assert "  I would use k-fold cross-validation." in card
    assert "capped at 3 (Hire)" in card  # the hint cap is named
    assert max(len(line) for line in out.splitlines()) <= 80  # wrapped, never cut mid-word
    with _db(tmp_path) as conn:
        status, mean = conn.execute("select status, mean_score from interview_sessions").fetchone()
        texts = [r[0] for r in conn.execute("select text from answer_parts order by id")]
    assert status == "finished" and mean is not None
    assert texts == ["It is overfitting.", "I would use k-fold cross-validation.", "Bayes"]

    history = subprocess.run(
        [sys.executable, "-m", "bot", "history"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert (
        history.returncode == 0 and "technical" in history.stdout and "finished" in history.stdout
    )


def test_end_of_input_submits_and_ends(tmp_path: Path) -> None:
    result = _practice(tmp_path, "overfitting\n", "--questions", "2")
    assert result.returncode == 0, result.stderr
    assert "ended early" in result.stdout and "not reached" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["--track", "coding"],
            ["--track: invalid choice: 'coding'", "phone-screen", "technical", "system-design"],
        ),
        (["--length", "long"], ["--length: invalid choice: 'long'", "standard", "short"]),
        (["--difficulty", "extreme"], ["invalid choice: 'extreme'", "easy", "medium", "hard"]),
        (
            ["--topic", "astrology"],
            ["unknown topic 'astrology' for technical; choose from: bias-variance, probability"],
        ),
        (["--questions", "0"], ["--questions must be at least 1"]),
    ],
)
def test_wrong_option_gives_one_line_and_exit_2(
    tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    result = _practice(tmp_path, "", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    for fragment in fragments:
        assert fragment in lines[0]


def test_killed_session_resumes_with_nothing_lost(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "practice", "--questions", "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write("It is overfitting.\n.\nfirst line of answer two\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the second line is durably stored
        if (tmp_path / "data" / "mlmock.sqlite3").exists():
            with _db(tmp_path) as conn:
                try:
                    if conn.execute("select count(*) from answer_parts").fetchone()[0] == 2:
                        break
                except sqlite3.OperationalError:
                    pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # a crash: no clean-up code runs
    proc.wait(timeout=10)

    # Without a terminal and without --resume/--new, the user is told what to do.
    refused = _practice(tmp_path, "")
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = _practice(tmp_path, "and its second line\n.\n:end\n", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "Continuing where you left off." in resumed.stdout
    assert "So far you wrote:" in resumed.stdout and "first line of answer two" in resumed.stdout
    with _db(tmp_path) as conn:
        rows = conn.execute(
            "select a.position, p.text from answer_parts p join answers a on a.id = p.answer_id "
            "order by p.id"
        ).fetchall()
        sessions = conn.execute("select count(*), max(status) from interview_sessions").fetchone()
    assert rows == [
        (0, "It is overfitting."),
        (1, "first line of answer two"),
        (1, "and its second line"),
    ]
    assert sessions == (1, "finished")


def test_new_abandons_the_unfinished_session(tmp_path: Path) -> None:
    _practice_kill = subprocess.run(  # leave a session open: the input ends, yet we only :hint
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert _practice_kill.returncode == 0, _practice_kill.stderr
    with _db(tmp_path) as conn:
        conn.execute(
            "insert into users (platform, external_id, display_name, created_at) "
            "values ('local', 'local', 'you', '2026-01-01 00:00:00')"
        )
        conn.execute(
            "insert into interview_sessions (user_id, platform, track, length, status, "
            "current_position, ended_early, started_at) values "
            "(1, 'local', 'technical', 'short', 'paused', 0, 0, '2026-01-01 00:00:00')"
        )
        conn.execute(
            "insert into answers (session_id, position, question_id, minutes, status, "
            "hints_used, covered_points, missed_points, remaining_seconds) values "
            "(1, 0, 'mini-bv-easy', 4, 'paused', 0, '[]', '[]', 100)"
        )
    result = _practice(tmp_path, ":end\n", "--new")
    assert result.returncode == 0, result.stderr
    with _db(tmp_path) as conn:
        assert conn.execute("select id, status from interview_sessions order by id").fetchall() == [
            (1, "abandoned"),
            (2, "finished"),
        ]
