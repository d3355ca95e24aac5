"""Settings: names and defaults kept, `.env` read, the environment wins, secrets never shown."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

on_linux = pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is Linux's")
NAMES = ("DATABASE_URL", "DATA_DIR", "BANK_PATH", "DISCORD_TOKEN", "DISCORD_GUILD_ID", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@on_linux
def test_defaults_put_the_database_in_the_user_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env()
    assert settings.database_url == (
        f"sqlite+aiosqlite:///{tmp_path / 'xdg' / 'mlmock' / 'mlmock.sqlite3'}"
    )
    assert settings.bank_path is None and settings.token is None
    assert settings.discord_guild_id is None and settings.log_level == "INFO"


@on_linux
def test_dotenv_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nexport DISCORD_TOKEN='from-dotenv'\nDISCORD_GUILD_ID=42\nLOG_LEVEL=debug\n"
        "DATA_DIR=\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DISCORD_GUILD_ID", " 7 ")
    settings = Settings.from_env()
    assert settings.token == "from-dotenv"
    assert settings.discord_guild_id == 7
    assert settings.log_level == "DEBUG"
    assert "xdg" in settings.database_url  # an empty DATA_DIR means the default


def test_data_dir_and_database_url_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "mine"))
    assert Settings.from_env().database_url.endswith(f"{tmp_path / 'mine' / 'mlmock.sqlite3'}")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://user:pw@db/mlmock")
    assert Settings.from_env().database_url == "postgresql+asyncpg://user:pw@db/mlmock"


def test_secrets_never_appear_in_repr_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://user:hunter2@db/mlmock")
    shown = repr(Settings.from_env()) + str(Settings.from_env())
    assert "very-secret-token" not in shown and "hunter2" not in shown
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:hunter2@db/mlmock")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    assert "hunter2" not in str(caught.value) and "postgresql+asyncpg://" in str(caught.value)
