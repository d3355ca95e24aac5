"""Every start-up failure of `python -m bot run`, `practice`, `history` and `db ...` is one line on
stderr that names the fix, exit code 2, and no traceback: a database that cannot be reached or
written, a synchronous driver, a missing BANK_PATH, a DATA_DIR that cannot be written.

Each case runs the real command in a subprocess. Read-only files and folders do not stop root,
so when the tests run as root those commands run as the unprivileged user ``nobody``."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

COMMANDS = {
    "run": ["run"],
    "practice": ["practice", "--plain"],
    "history": ["history"],
    "db upgrade": ["db", "upgrade"],
}
READING = {"db current": ["db", "current"]}  # reads only: a read-only database is fine for it
NOBODY = 65534
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="file modes are POSIX")


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder the unprivileged child can use (pytest's own tmp_path is private to us)."""
    folder = Path(tempfile.mkdtemp(prefix="mlmock-startup-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):  # give write access back so it can be removed
            if not path.is_symlink():
                path.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)


def _drop_privileges() -> None:
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@functools.cache
def _file_modes_hold() -> bool:
    """Not root, or root and this interpreter also runs as nobody (so file modes can be
    tested); else the read-only cases are skipped."""
    if not IS_ROOT:
        return True
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import bot"],
            preexec_fn=_drop_privileges,  # only to run as nobody (root ignores file modes)
            capture_output=True,
            timeout=60,
        )
    except OSError:
        return False
    return probe.returncode == 0


needs_file_modes = pytest.mark.skipif(
    "not _file_modes_hold()", reason="root, and python cannot run as nobody here"
)


def start(
    place: Path, command: str, env: dict[str, str], *, unprivileged: bool = False
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DATA_DIR"))}
    for name in ("BANK_PATH", "DISCORD_TOKEN", "LOG_LEVEL", "DISCORD_GUILD_ID"):
        clean.pop(name, None)
    clean |= {"HOME": str(place), "XDG_DATA_HOME": str(place / "xdg")}
    clean |= {"DISCORD_TOKEN": "not.a.real-token", "PYTHONPATH": str(Path.cwd())}
    clean |= env
    drop: Callable[[], None] | None = _drop_privileges if unprivileged and IS_ROOT else None
    return subprocess.run(
        [sys.executable, "-m", "bot", *(COMMANDS | READING)[command]],
        env=clean,
        cwd=place,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=drop,  # only to run as nobody (root ignores file modes)
    )


def one_line(result: subprocess.CompletedProcess[str], *fix: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    for words in fix:
        assert words in lines[0], lines[0]
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _migrated(place: Path, name: str) -> Path:
    folder = place / name
    folder.mkdir(mode=0o777)
    path = folder / "mlmock.sqlite3"
    done = start(place, "db upgrade", {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"})
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.parametrize("command", [*COMMANDS, *READING])
def test_an_unreachable_database(place: Path, command: str) -> None:
    url = f"postgresql+asyncpg://mlmock:hunter2@127.0.0.1:{_closed_port()}/mlmock"
    line = one_line(
        start(place, command, {"DATABASE_URL": url}),
        "database error: cannot connect to the database at 127.0.0.1:",
        "check that PostgreSQL is running",
    )
    assert "hunter2" not in line


@posix_only
@needs_file_modes
@pytest.mark.parametrize("command", ["run", "practice", "history"])
def test_a_read_only_database_file(place: Path, command: str) -> None:
    path = _migrated(place, "ro-file")
    path.chmod(0o444)
    one_line(
        start(place, command, {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}, unprivileged=True),
        f"the SQLite database {path} cannot be opened for writing",
        "make the file and its folder writable",
    )


@posix_only
@needs_file_modes
def test_a_read_only_empty_database_file_cannot_be_migrated(place: Path) -> None:
    folder = place / "ro-new"
    folder.mkdir(mode=0o777)
    path = folder / "mlmock.sqlite3"
    sqlite3.connect(path).close()  # an empty file: the upgrade has everything to write
    path.chmod(0o444)
    one_line(
        start(place, "db upgrade", {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}, True),
        "cannot be opened for writing",
    )


@posix_only
@needs_file_modes
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_database_in_a_read_only_folder(place: Path, command: str) -> None:
    path = _migrated(place, "ro-dir")
    path.parent.chmod(0o555)
    url = {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    one_line(
        start(place, command, url, unprivileged=True),
        "DATABASE_URL's folder",
        "point DATABASE_URL at a file in a folder you can write to",
    )


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_synchronous_driver(place: Path, command: str, url: str) -> None:
    one_line(start(place, command, {"DATABASE_URL": url}), "the bot needs an async one")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_missing_bank_path(place: Path, command: str) -> None:
    env = {"BANK_PATH": str(place / "no-such-bank"), "DATA_DIR": str(place / "data")}
    one_line(start(place, command, env), "BANK_PATH", "does not exist")


@posix_only
@needs_file_modes
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unwritable_data_dir(place: Path, command: str) -> None:
    data = place / "data"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    one_line(
        start(place, command, {"DATA_DIR": str(data)}, unprivileged=True),
        f"DATA_DIR {data} is not a writable folder",
    )
