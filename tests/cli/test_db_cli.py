from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "db", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    up = run("upgrade")
    assert up.returncode == 0, up.stderr
    with sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"interview_sessions", "answers", "scheduled_jobs", "alembic_version"} <= tables
    down = run("downgrade", "base")
    assert down.returncode == 0, down.stderr
    with sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert tables - {"sqlite_sequence"} == {"alembic_version"}  # SQLite's AUTOINCREMENT bookkeeping
    assert run("sideways").returncode == 2
