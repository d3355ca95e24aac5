"""SQLite is one bot process: a second `python -m bot run` on the same file is refused with one
line and exit 2, and a lock left by a killed process never blocks a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.storage.instance import sole_bot_process

HOLD = """
import asyncio, sys
from bot.storage.instance import sole_bot_process

async def main() -> None:
    async with sole_bot_process(sys.argv[1]) as held:
        print("held" if held else "not held", flush=True)
        await asyncio.sleep(120)

asyncio.run(main())
"""


def _holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_bot_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "data" / "mlmock.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    first = _holder(url)  # the running bot, as far as the lock is concerned
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BANK_PATH")}
        env.update(DATABASE_URL=url, DISCORD_TOKEN="not-a-real-token", DATA_DIR=str(tmp_path))
        second = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("error: another bot process (pid ")
        assert str(first.pid) in lines[0] and "PostgreSQL" in lines[0]
    finally:
        first.send_signal(signal.SIGKILL)  # kill -9: no clean-up runs
        first.wait(30)

    async def restart() -> bool:
        async with sole_bot_process(url) as held:
            return held

    assert asyncio.run(restart()) is True  # the stale lock file does not block a restart
    assert (tmp_path / "data" / "mlmock.sqlite3.lock").exists()


def test_postgresql_and_in_memory_databases_take_no_lock() -> None:
    async def held(url: str) -> bool:
        async with sole_bot_process(url) as taken:
            return taken

    assert asyncio.run(held("postgresql+asyncpg://postgres@127.0.0.1:5432/test")) is False
    assert asyncio.run(held("sqlite+aiosqlite:///:memory:")) is False
