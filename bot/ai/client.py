"""One async client for OpenAI-compatible chat-completions servers (Ollama, llama.cpp, vLLM...).

It uses the ``openai`` package (the ``ai`` extra), imported only when a client is built, with
its own bounded retry loop instead of the library's: 429, 5xx, timeouts and refused connections
are retried up to ``max_retries`` times with exponential backoff (a server's ``Retry-After`` is
honoured when it is short, and ends the attempt when it is longer than ``max_wait_s``). Every
failure surfaces as ``AIUnavailable`` with a short reason a scorecard can show; callers turn
that into the deterministic result.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ai.settings import AISettings

Message = Mapping[str, str]


class AIUnavailable(Exception):
    """The model could not give a usable answer; ``reason`` is short and user-presentable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    finish_reason: str
    attempts: int
    seconds: float
    usage_reported: bool = True


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), as seconds."""
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ChatClient:
    """Chat completions against ``settings.base_url``; one instance per process is enough."""

    def __init__(
        self,
        settings: AISettings,
        *,
        backoff_s: float = 0.5,
        max_wait_s: float = 10.0,
    ) -> None:
        if not settings.enabled:
            raise ValueError("LLM_BASE_URL is not set")
        try:
            import openai
        except ImportError as exc:  # the bot runs without the extra; say how to get it
            raise AIUnavailable('the "ai" extra is not installed (pip install ".[ai]")') from exc
        self.settings = settings
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self._openai = openai
        key = settings.api_key.get_secret_value() if settings.api_key else ""
        # An explicit key, even a dummy one: the library would otherwise read OPENAI_API_KEY
        # from the environment and send it to whatever server LLM_BASE_URL names.
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=key or "no-key",
            timeout=settings.timeout_s,
            max_retries=0,
        )
        self._json_mode = True

    @property
    def model(self) -> str:
        return self.settings.model or "default"

    async def close(self) -> None:
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 400,
        json_mode: bool = False,
        temperature: float = 0.0,
    ) -> Completion:
        """One chat completion, retried on transient failures; raises ``AIUnavailable``."""
        start = time.monotonic()
        attempts = 0
        last = "no attempt made"
        while attempts <= self.settings.max_retries:
            attempts += 1
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    response = await self._create(messages, max_tokens, json_mode, temperature)
            except TimeoutError:
                last, wait = f"timeout after {self.settings.timeout_s:g} s", None
            except _Retry as retry:
                last, wait = retry.reason, retry.wait
            else:
                return _completion(response, attempts, time.monotonic() - start)
            if attempts > self.settings.max_retries:
                break
            if wait is not None and wait > self.max_wait_s:
                raise AIUnavailable(f"{last}; server asks to wait {wait:.0f} s")
            backoff = self.backoff_s * 2 ** (attempts - 1) * (1 + random.random() / 4)
            await asyncio.sleep(wait if wait is not None else backoff)
        suffix = f" ({attempts} attempts)" if attempts > 1 else ""
        raise AIUnavailable(last + suffix)

    async def _create(
        self, messages: Sequence[Message], max_tokens: int, json_mode: bool, temperature: float
    ) -> Any:
        openai = self._openai
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_mode and self._json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            try:
                return await self._client.chat.completions.create(**kwargs)
            except openai.BadRequestError:
                if "response_format" not in kwargs:
                    raise
                # Some servers refuse response_format; ask once without it and remember.
                del kwargs["response_format"]
                response = await self._client.chat.completions.create(**kwargs)
                self._json_mode = False
                return response
        except openai.APITimeoutError as exc:
            raise _Retry(f"timeout after {self.settings.timeout_s:g} s") from exc
        except openai.APIConnectionError as exc:
            raise _Retry("model server unreachable") from exc
        except openai.RateLimitError as exc:
            wait = retry_after_seconds(exc.response.headers)
            raise _Retry("rate limited (HTTP 429)", wait) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise _Retry(f"server error (HTTP {exc.status_code})") from exc
            raise AIUnavailable(f"request refused (HTTP {exc.status_code})") from exc
        except openai.APIResponseValidationError as exc:
            raise AIUnavailable("malformed response from the model server") from exc
        except (ValueError, TypeError, KeyError) as exc:  # a body that is not the protocol
            raise AIUnavailable("malformed response from the model server") from exc


def _completion(response: Any, attempts: int, seconds: float) -> Completion:
    choices = getattr(response, "choices", None)
    if not choices:
        raise AIUnavailable("malformed response: no choices")
    message = getattr(choices[0], "message", None)
    text = getattr(message, "content", None)
    if not isinstance(text, str):
        raise AIUnavailable("malformed response: no message text")
    usage = getattr(response, "usage", None)
    prompt = _int(getattr(usage, "prompt_tokens", None))
    completion = _int(getattr(usage, "completion_tokens", None))
    total = _int(getattr(usage, "total_tokens", None)) or prompt + completion
    return Completion(
        text=text,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total,
        finish_reason=str(getattr(choices[0], "finish_reason", "") or ""),
        attempts=attempts,
        seconds=seconds,
        usage_reported=usage is not None and total > 0,
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
