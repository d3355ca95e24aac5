"""LLM_* settings: off unless LLM_BASE_URL is set, the key kept secret, bad values refused."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.ai import AIInterviewer
from bot.ai.settings import AISettings

ENV = ("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY", "LLM_TIMEOUT_S", "LLM_DAILY_TOKEN_BUDGET")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENV, "LLM_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)


def test_off_without_base_url() -> None:
    settings = AISettings()
    assert not settings.enabled
    assert settings.describe() == "AI interviewer off (LLM_BASE_URL not set)"
    interviewer = AIInterviewer.from_env()
    assert not interviewer.enabled and interviewer.off_reason == ""


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("LLM_MODEL", "qwen2.5:3b-instruct")
    monkeypatch.setenv("LLM_API_KEY", "sk-local-secret")
    monkeypatch.setenv("LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("LLM_DAILY_TOKEN_BUDGET", "5000")
    settings = AISettings()
    assert settings.base_url == "http://127.0.0.1:11434/v1"
    assert settings.model == "qwen2.5:3b-instruct"
    assert settings.timeout_s == 7.5 and settings.daily_token_budget == 5000
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-local-secret"
    assert "sk-local-secret" not in repr(settings) and "sk-local-secret" not in settings.describe()
    interviewer = AIInterviewer.from_env()
    assert interviewer.enabled and interviewer.budget is not None
    assert interviewer.budget.daily_limit == 5000


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("LLM_BASE_URL", "localhost:8080", "LLM_BASE_URL"),
        ("LLM_TIMEOUT_S", "0", "LLM_TIMEOUT_S"),
        ("LLM_DAILY_TOKEN_BUDGET", "-5", "LLM_DAILY_TOKEN_BUDGET"),
    ],
)
def test_bad_values_leave_the_ai_off_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        AISettings()
    interviewer = AIInterviewer.from_env()
    assert not interviewer.enabled
    assert interviewer.off_reason.startswith(f"invalid LLM_* settings ({field}")


def test_importing_bot_ai_loads_nothing_of_the_extra() -> None:
    """The bot runs without the extra: nothing of it is imported until LLM_BASE_URL is set."""
    code = (
        "import sys, bot.ai\n"
        "i = bot.ai.interviewer()\n"
        "assert not i.enabled\n"
        "bad = [m for m in ('openai', 'pydantic_settings') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
