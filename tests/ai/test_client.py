"""The chat client against the fake server: the real ``openai`` package over real HTTP."""

from __future__ import annotations

import time

import pytest

from bot.ai.client import AIUnavailable, ChatClient

from .conftest import settings_for
from .fake_llm import FakeLLM, Reply, unused_port

HELLO = [{"role": "user", "content": "Say hello."}]


def client_for(url: str, **overrides: object) -> ChatClient:
    return ChatClient(settings_for(url, **overrides), backoff_s=0.01, max_wait_s=2.0)


async def test_completion_and_request_shape(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    fake_llm.script(
        Reply("hello", usage={"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9})
    )
    client = client_for(fake_llm.base_url)
    try:
        done = await client.complete(HELLO, max_tokens=50, json_mode=True)
    finally:
        await client.close()
    assert (done.text, done.prompt_tokens, done.completion_tokens, done.total_tokens) == (
        "hello",
        7,
        2,
        9,
    )
    assert done.attempts == 1 and done.usage_reported and done.finish_reason == "stop"
    (request,) = fake_llm.requests
    assert request.body["model"] == "fake-model"
    assert request.body["messages"] == HELLO
    assert request.body["max_tokens"] == 50 and request.body["temperature"] == 0
    assert request.body["response_format"] == {"type": "json_object"}
    # No key configured: a dummy one, never the environment's OpenAI key.
    assert request.headers["Authorization"] == "Bearer no-key"


async def test_api_key_is_sent_as_bearer(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply("ok"))
    client = client_for(fake_llm.base_url, api_key="secret-123")
    try:
        await client.complete(HELLO)
    finally:
        await client.close()
    assert fake_llm.requests[0].headers["Authorization"] == "Bearer secret-123"
    assert "response_format" not in fake_llm.requests[0].body


async def test_missing_usage_is_reported_as_such(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply("ok", usage=None))
    client = client_for(fake_llm.base_url)
    try:
        done = await client.complete(HELLO)
    finally:
        await client.close()
    assert done.total_tokens == 0 and not done.usage_reported


async def test_429_is_retried_after_the_servers_wait(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(429, headers={"retry-after-ms": "400"}), Reply("ok"))
    client = client_for(fake_llm.base_url)
    start = time.monotonic()
    try:
        done = await client.complete(HELLO)
    finally:
        await client.close()
    assert done.text == "ok" and done.attempts == 2
    first, second = fake_llm.requests
    assert second.at - first.at >= 0.39
    assert time.monotonic() - start < 2


async def test_429_with_a_long_wait_gives_up_at_once(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(429, headers={"retry-after": "120"}))
    client = client_for(fake_llm.base_url)
    start = time.monotonic()
    with pytest.raises(
        AIUnavailable, match=r"rate limited \(HTTP 429\); server asks to wait 120 s"
    ):
        await client.complete(HELLO)
    await client.close()
    assert len(fake_llm.requests) == 1 and time.monotonic() - start < 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retried_then_succeeds(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.script(Reply.error(status), Reply("ok"))
    client = client_for(fake_llm.base_url)
    try:
        done = await client.complete(HELLO)
    finally:
        await client.close()
    assert done.text == "ok" and done.attempts == 2


async def test_retries_are_bounded(fake_llm: FakeLLM) -> None:
    fake_llm.script(*(Reply.error(500) for _ in range(3)))
    client = client_for(fake_llm.base_url, max_retries=2)
    with pytest.raises(AIUnavailable, match=r"^server error \(HTTP 500\) \(3 attempts\)$"):
        await client.complete(HELLO)
    await client.close()
    assert len(fake_llm.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_4xx_is_not_retried(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.script(Reply.error(status))
    client = client_for(fake_llm.base_url)
    with pytest.raises(AIUnavailable, match=rf"request refused \(HTTP {status}\)"):
        await client.complete(HELLO)
    await client.close()
    assert len(fake_llm.requests) == 1


async def test_server_refusing_response_format_is_asked_again_without_it(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(
        Reply.error(400, "response_format not supported"), Reply('{"a": 1}'), Reply("x")
    )
    client = client_for(fake_llm.base_url)
    try:
        assert (await client.complete(HELLO, json_mode=True)).text == '{"a": 1}'
        await client.complete(HELLO, json_mode=True)  # remembered: not sent again
    finally:
        await client.close()
    formats = [r.body.get("response_format") for r in fake_llm.requests]
    assert formats == [{"type": "json_object"}, None, None]


async def test_timeout_is_retried_and_reported(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply("warm"), Reply("late", delay=3), Reply("late", delay=3))
    client = client_for(fake_llm.base_url, timeout_s=0.3, max_retries=1)
    await client.complete(HELLO)  # the first request of a client pays for its setup
    start = time.monotonic()
    with pytest.raises(AIUnavailable, match=r"^timeout after 0.3 s \(2 attempts\)$"):
        await client.complete(HELLO)
    await client.close()
    assert len(fake_llm.requests) == 3 and time.monotonic() - start < 1.5


async def test_slow_then_fast(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply("warm"), Reply("late", delay=3), Reply("ok"))
    client = client_for(fake_llm.base_url, timeout_s=0.3)
    try:
        await client.complete(HELLO)
        done = await client.complete(HELLO)
    finally:
        await client.close()
    assert done.text == "ok" and done.attempts == 2


async def test_server_down() -> None:
    client = client_for(f"http://127.0.0.1:{unused_port()}/v1", max_retries=1)
    with pytest.raises(AIUnavailable, match=r"^model server unreachable \(2 attempts\)$"):
        await client.complete(HELLO)
    await client.close()


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body="<html>Bad gateway page</html>"),  # 200 that is not JSON
        Reply(body='{"id": "x", "object": "chat.completion"}'),  # no choices
        Reply(choices=[]),
        Reply(content=None),  # a message without text
        Reply(body='{"choices": [{"message": {"role": "assistant", "content": '),  # cut short
    ],
)
async def test_malformed_bodies(fake_llm: FakeLLM, reply: Reply) -> None:
    fake_llm.script(reply)
    client = client_for(fake_llm.base_url)
    with pytest.raises(AIUnavailable, match="malformed"):
        await client.complete(HELLO)
    await client.close()
    assert len(fake_llm.requests) == 1


def test_bot_runs_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from bot.ai import AIInterviewer

    monkeypatch.setitem(sys.modules, "openai", None)  # import openai -> ImportError
    with pytest.raises(AIUnavailable, match='"ai" extra is not installed'):
        client_for("http://127.0.0.1:9/v1")
    interviewer = AIInterviewer.from_settings(settings_for("http://127.0.0.1:9/v1"))
    assert not interviewer.enabled and "extra is not installed" in interviewer.off_reason


async def test_the_fake_server_refuses_what_the_real_api_refuses(fake_llm: FakeLLM) -> None:
    """The fake is only useful if a client that broke the protocol would fail against it."""
    import openai

    client = openai.AsyncOpenAI(base_url=fake_llm.base_url, api_key="k", max_retries=0)
    try:
        models = await client.models.list()
        assert [m.id for m in models.data] == ["fake-model"]
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(
                model="fake-model",
                messages=[{"role": "robot", "content": "hi"}],  # type: ignore[list-item]
            )
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(model="", messages=[])
    finally:
        await client.close()
    assert fake_llm.protocol_errors == [
        "bad message {'role': 'robot', 'content': 'hi'}",
        "model must be a non-empty string",
    ]
    assert fake_llm.requests == []
    fake_llm.protocol_errors.clear()  # expected here; the fixture fails a test on any other
