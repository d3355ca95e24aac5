"""Settings of the optional AI interviewer, read from the environment (``LLM_*``).

Nothing leaves the machine unless ``LLM_BASE_URL`` is set: without it the AI interviewer is off
and every function of ``bot.ai`` returns its deterministic result. This module needs the ``ai``
extra (``pydantic-settings``); ``bot.ai.load_settings`` imports it only when the URL is set.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_DAILY_TOKEN_BUDGET = 200_000


class AISettings(BaseSettings):
    """``LLM_BASE_URL``, ``LLM_MODEL``, ``LLM_API_KEY``, ``LLM_TIMEOUT_S``,
    ``LLM_DAILY_TOKEN_BUDGET`` (per guild and UTC day), ``LLM_MAX_RETRIES``."""

    model_config = SettingsConfigDict(env_prefix="LLM_", extra="ignore", frozen=True)

    base_url: str = ""
    model: str = ""
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=600)
    daily_token_budget: int = Field(default=DEFAULT_DAILY_TOKEN_BUDGET, ge=1)
    max_retries: int = Field(default=2, ge=0, le=5)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("LLM_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)

    def describe(self) -> str:
        """One line for logs and the terminal: where answers go, never the key."""
        if not self.enabled:
            return "AI interviewer off (LLM_BASE_URL not set)"
        model = self.model or "(server default)"
        return f"AI interviewer on: model {model} at {self.base_url}"
