"""SHARD_COUNT, SHARD_IDS, METRICS_PORT and DISCORD_RATE_LIMIT: parsed from the environment, mistakes in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

NAMES = ("SHARD_COUNT", "SHARD_IDS", "METRICS_PORT", "DISCORD_RATE_LIMIT", "DATABASE_URL")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))


def test_unset_means_automatic_sharding_and_no_metrics() -> None:
    settings = Settings.from_env()
    assert settings.shard_count is None and settings.shard_ids is None
    assert settings.metrics_port is None and settings.discord_rate_limit is None


def test_shard_ids_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", " 2, 3 ")
    monkeypatch.setenv("METRICS_PORT", "9100")
    monkeypatch.setenv("DISCORD_RATE_LIMIT", "20")
    settings = Settings.from_env()
    assert settings.shard_count == 4 and settings.shard_ids == (2, 3)
    assert settings.metrics_port == 9100 and settings.discord_rate_limit == 20


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_COUNT": "four"}, "SHARD_COUNT must be a whole number, got 'four'"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be between 1 and 65536, got 0"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0;1"}, "SHARD_IDS must be shard numbers separated"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3,4,7"}, "got 4, 7"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "1,1"}, "SHARD_IDS lists a shard twice"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT must be a TCP port (1-65535), got 70000"),
        ({"METRICS_PORT": "on"}, "METRICS_PORT must be a whole number"),
        ({"DISCORD_RATE_LIMIT": "fast"}, "DISCORD_RATE_LIMIT must be a whole number"),
        ({"DISCORD_RATE_LIMIT": "0"}, "DISCORD_RATE_LIMIT must be between 1 and 100000"),
    ],
)
def test_mistakes_are_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    text = str(caught.value)
    assert message in text and "\n" not in text
