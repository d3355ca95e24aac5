"""Settings from the environment (and an optional ``.env`` file), with laptop-friendly defaults.

Secrets are never logged: ``Settings.__repr__`` hides the token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")


def default_database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'mlmock.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    bank_path: Path | None = None  # None: the bundled bank
    discord_token: str | None = field(default=None, repr=False)
    discord_guild_id: int | None = None
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        values = dict(read_dotenv(dotenv or Path(".env")))
        values.update(os.environ if env is None else env)
        guild = values.get("DISCORD_GUILD_ID", "").strip()
        if guild and not guild.isdigit():
            raise ValueError(f"DISCORD_GUILD_ID must be a number (a server id), got {guild!r}")
        data_dir = Path(values.get("DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
        bank = values.get("BANK_PATH", "").strip()
        return cls(
            database_url=values.get("DATABASE_URL", "").strip() or default_database_url(data_dir),
            bank_path=Path(bank) if bank else None,
            discord_token=values.get("DISCORD_TOKEN", "").strip() or None,
            discord_guild_id=int(guild) if guild else None,
            log_level=values.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """Minimal KEY=VALUE reader (comments, blank lines, optional quotes); no interpolation."""
    if not path.is_file():
        return {}
    result: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        result[key.removeprefix("export ").strip()] = value
    return result
