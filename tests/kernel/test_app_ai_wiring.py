"""The application builds the AI interviewer's parts only when an LLM is configured or asked for
(``--ai``); otherwise every session gets the bank's follow-ups and ``App.ai_marking`` is an off
interviewer built on first use, as ``AIInterviewer.from_env`` would have made it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ai import AIInterviewer
from bot.app import ai_configured, open_app
from bot.config import Settings
from bot.core.follow_ups import OnlyDeterministic
from bot.features.interviews.ai_follow_ups import InterviewerFollowUps

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"


@pytest.mark.parametrize("url", ["", "   ", "http://127.0.0.1:9/v1", "not-a-url"])
def test_ai_configured_agrees_with_the_interviewer(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", url)
    interviewer = AIInterviewer.from_env()
    assert ai_configured() == (interviewer.enabled or bool(interviewer.off_reason))


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/app.sqlite3", bank_path=MINI_BANK)


async def test_no_llm_bank_follow_ups_and_an_off_marking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    async with open_app(_settings(tmp_path), scope="local", start_scheduler=False) as app:
        assert isinstance(app.interviews._follow_ups, OnlyDeterministic)
        marking = app.ai_marking
        assert marking is app.ai_marking  # built once
        assert not marking.configured and not marking.interviewer.enabled


@pytest.mark.parametrize(("url", "local_ai"), [("http://127.0.0.1:9/v1", False), ("", True)])
async def test_llm_configured_or_asked_for_wires_the_interviewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, local_ai: bool
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", url)
    async with open_app(
        _settings(tmp_path), scope="local", start_scheduler=False, local_ai=local_ai
    ) as app:
        follow_ups = app.interviews._follow_ups
        assert isinstance(follow_ups, InterviewerFollowUps)
        assert follow_ups.marking is app.ai_marking and follow_ups.local is local_ai
        assert app.ai_marking.interviewer.enabled == bool(url)
