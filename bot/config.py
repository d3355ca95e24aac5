"""Settings from the environment (and an optional ``.env`` file), typed and validated.

Every mistake a user can make in them (a synchronous database driver, a missing bank folder, a
data folder that cannot be written) becomes a ``ConfigError``: one line that names the fix, which
the command line prints before exiting with code 2. The Discord token is a ``SecretStr``: it is
never printed, not even in ``repr(settings)``.

By default the SQLite database lives in the user's data folder (``platformdirs``), so it is the
same file whichever folder ``mlmock`` is started from; ``DATA_DIR`` or ``DATABASE_URL`` override.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_dir
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

APP_NAME = "mlmock"
DB_FILE = "mlmock.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_SHARDS = 65_536  # far above any real bot; bounds what a typo can ask for
MAX_RATE_LIMIT = 100_000  # Discord raises the global limit for very large bots on request


class ConfigError(Exception):
    """A setting the user got wrong; the message is one line naming the fix."""


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_url(data_dir: Path | None = None) -> str:
    return f"sqlite+aiosqlite:///{(data_dir or default_data_dir()) / DB_FILE}"


class Settings(BaseSettings):
    """``DATABASE_URL``, ``DATA_DIR``, ``BANK_PATH``, ``DISCORD_TOKEN``, ``DISCORD_GUILD_ID``,
    ``LOG_LEVEL``, ``SHARD_COUNT``, ``SHARD_IDS``, ``METRICS_PORT``, ``DISCORD_RATE_LIMIT``
    (environment first, then ``.env`` in the working directory)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        str_strip_whitespace=True,
        frozen=True,
    )

    data_dir: Path | None = None  # None: the user data folder
    database_url: str = Field(default="", repr=False)  # may hold a password; empty: SQLite
    bank_path: Path | None = None  # None: the bundled bank
    discord_token: SecretStr | None = Field(default=None, repr=False)
    discord_guild_id: int | None = None
    log_level: str = "INFO"
    # Gateway sharding: both unset, Discord says how many shards (GET /gateway/bot) and this
    # process runs them all; SHARD_COUNT alone runs every shard of that count here; with
    # SHARD_IDS ("0,1") this process runs those shards only (several processes, one database).
    shard_count: int | None = None
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    metrics_port: int | None = None  # Prometheus /metrics and /healthz; None: off
    # Requests per second this process sends under Discord's global limit (bot/discord/pacing.py);
    # None: its part of the shards of 45 (Discord allows 50 per bot, every process together).
    discord_rate_limit: int | None = None

    @field_validator("shard_count", "metrics_port", "discord_rate_limit", mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            name = str(info.field_name).upper()
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = [p.strip() for p in value.split(",")]
        if not all(p.isdigit() for p in parts):
            raise ValueError(
                f"SHARD_IDS must be shard numbers separated by commas (e.g. 0,1), got {value!r}"
            )
        return tuple(int(p) for p in parts)

    @field_validator("discord_guild_id", mode="before")
    @classmethod
    def _guild_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(f"DISCORD_GUILD_ID must be a number (a server id), got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: Any) -> Any:
        level = str(value).strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
        return level

    @field_validator("bank_path")
    @classmethod
    def _bank_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(
                f"BANK_PATH {value} does not exist; point it at a question-bank folder or YAML "
                "file, or unset it to use the bundled bank"
            )
        return value

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        count, ids, port = self.shard_count, self.shard_ids, self.metrics_port
        if count is not None and not 1 <= count <= MAX_SHARDS:
            raise ValueError(f"SHARD_COUNT must be between 1 and {MAX_SHARDS}, got {count}")
        if ids is not None:
            if count is None:
                raise ValueError(
                    "SHARD_IDS needs SHARD_COUNT (the total number of shards across every process)"
                )
            if too_big := sorted(i for i in ids if i >= count):
                raise ValueError(
                    f"SHARD_IDS must be below SHARD_COUNT ({count}): shard ids run from 0 to "
                    f"{count - 1}, got {', '.join(map(str, too_big))}"
                )
            if len(set(ids)) != len(ids):
                raise ValueError(f"SHARD_IDS lists a shard twice: {', '.join(map(str, ids))}")
        if port is not None and not 1 <= port <= 65_535:
            raise ValueError(f"METRICS_PORT must be a TCP port (1-65535), got {port}")
        rate = self.discord_rate_limit
        if rate is not None and not 1 <= rate <= MAX_RATE_LIMIT:
            raise ValueError(
                f"DISCORD_RATE_LIMIT must be between 1 and {MAX_RATE_LIMIT} requests per second, "
                f"got {rate}"
            )
        return self

    @model_validator(mode="after")
    def _database(self) -> Settings:
        if not self.database_url:
            data_dir = self.data_dir or default_data_dir()
            _check_writable(data_dir, "DATA_DIR", "set DATA_DIR to a folder you can write to")
            object.__setattr__(self, "database_url", default_database_url(data_dir))
        else:
            _check_database_url(self.database_url)
        return self

    @property
    def effective_data_dir(self) -> Path:
        return self.data_dir or default_data_dir()

    @property
    def token(self) -> str | None:
        return self.discord_token.get_secret_value() if self.discord_token else None

    @property
    def logging_level(self) -> int:
        return int(getattr(logging, self.log_level, logging.INFO))

    @classmethod
    def from_env(cls, dotenv: Path | None = None) -> Settings:
        """Read and check the settings; raises ConfigError (one line) on a mistake."""
        try:
            return cls(_env_file=dotenv or Path(".env"))  # type: ignore[call-arg]
        except ValidationError as exc:
            raise ConfigError(_first_message(exc)) from None


def _first_message(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    message = str(error.get("msg", exc))
    message = message.removeprefix("Value error, ")
    name = ".".join(str(p) for p in error.get("loc", ())).upper()
    if name and name not in message:
        message = f"{name}: {message}"
    return message


_SYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+pg8000": "postgresql+asyncpg",
}
_ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def _check_database_url(url: str) -> None:
    # The URL may hold a password: messages name its scheme only, never the whole URL.
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ValueError(
            "DATABASE_URL is not a database URL; use sqlite+aiosqlite:///path/to/mlmock.sqlite3 "
            "or postgresql+asyncpg://user:password@host/dbname"
        )
    if scheme in _SYNC_DRIVERS:
        fixed = _SYNC_DRIVERS[scheme]
        example = (
            "sqlite+aiosqlite:///path/to/mlmock.sqlite3"
            if fixed.startswith("sqlite")
            else "postgresql+asyncpg://user:password@host/dbname"
        )
        raise ValueError(
            f"DATABASE_URL uses the synchronous driver {scheme!r}; the bot needs an async one: "
            f"use {fixed}://... (for example {example})"
        )
    if scheme not in _ASYNC_DRIVERS:
        raise ValueError(
            f"DATABASE_URL scheme {scheme!r} is not supported; use "
            "sqlite+aiosqlite:///path/to/mlmock.sqlite3 or postgresql+asyncpg://user@host/dbname"
        )
    if scheme.startswith("sqlite"):
        database = rest[1:] if rest.startswith("/") else rest  # sqlite:///rel, sqlite:////abs
        database, _, query = database.partition("?")
        if "uri=true" in query:  # file:/path?mode=ro&uri=true: the path is after "file:"
            database = database.removeprefix("file:")
        if database and database != ":memory:" and "mode=memory" not in rest:
            _check_writable(
                Path(database).expanduser().parent,
                "DATABASE_URL's folder",
                "point DATABASE_URL at a file in a folder you can write to",
            )


def _check_writable(folder: Path, name: str, fix: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"{name} {folder} cannot be created ({exc.strerror or exc}); {fix}"
        ) from None
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {folder} is not a writable folder; {fix}")
