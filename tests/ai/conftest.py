"""Fixtures: a fake chat-completions server and interviewers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date

import pytest

from bot.ai import AIInterviewer
from bot.ai.budget import TokenBudget
from bot.ai.client import ChatClient
from bot.ai.settings import AISettings

from .fake_llm import FakeLLM

DAY = date(2026, 1, 5)
LLM_ENV = ("BASE_URL", "MODEL", "API_KEY", "TIMEOUT_S", "DAILY_TOKEN_BUDGET", "MAX_RETRIES")


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own LLM_* settings must not leak into these tests."""
    for name in LLM_ENV:
        monkeypatch.delenv(f"LLM_{name}", raising=False)


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    server = FakeLLM()
    await server.start()
    yield server
    await server.stop()
    assert not server.protocol_errors, server.protocol_errors
    assert not server.unscripted, f"{server.unscripted} request(s) had no scripted reply"


def settings_for(url: str, **overrides: object) -> AISettings:
    values: dict[str, object] = {
        "base_url": url,
        "model": "fake-model",
        "timeout_s": 2.0,
        "max_retries": 2,
        "daily_token_budget": 1_000_000,
        **overrides,
    }
    return AISettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def make_interviewer(fake_llm: FakeLLM) -> AsyncIterator[Callable[..., AIInterviewer]]:
    """Build interviewers on the fake server (tiny backoff); their clients close afterwards."""
    made: list[AIInterviewer] = []

    def make(budget: int = 1_000_000, **overrides: object) -> AIInterviewer:
        settings = settings_for(fake_llm.base_url, daily_token_budget=budget, **overrides)
        client = ChatClient(settings, backoff_s=0.01)
        interviewer = AIInterviewer(client, TokenBudget(budget), today=lambda: DAY)
        made.append(interviewer)
        return interviewer

    yield make
    for interviewer in made:
        await interviewer.close()
