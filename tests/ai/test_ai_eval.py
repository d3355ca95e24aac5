"""benchmarks/ai_eval.py: without a server it explains itself; with one it prints its figures."""

from __future__ import annotations

import re

import pytest

from benchmarks import ai_eval
from benchmarks.scoring_eval import DEFAULT_GRADED, load_graded
from bot.core.bank import bundled_bank_path, load_bank

from .fake_llm import FakeLLM, Reply, Request


def test_without_a_server_it_says_how_to_run_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    assert ai_eval.main([]) == 0
    out = capsys.readouterr().out
    assert "LLM_BASE_URL is not set" in out and "ollama pull" in out


def _grant_first_point(request: Request) -> Reply:
    """A model that says P1 is stated correctly, quoting the answer's first eight words, and
    that every other point is not stated."""
    user = request.messages[-1]["content"]
    answer = re.search(r"<<<DATA \w+>>>\n(.*)\n<<<END", user, re.DOTALL)
    assert answer is not None
    ids = re.findall(r"^P(\d+)\. ", user, re.MULTILINE)
    quote = " ".join(answer[1].split()[:8])
    points = [{"id": "P1", "verdict": "stated_correctly", "quote": quote}]
    points += [{"id": f"P{i}", "verdict": "not_stated", "quote": ""} for i in ids[1:]]
    usage = {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050}
    return Reply.json({"points": points}, usage=usage)


async def test_with_a_server_it_compares_the_two(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", fake_llm.base_url)
    monkeypatch.setenv("LLM_MODEL", "fake-model")
    fake_llm.responder = _grant_first_point
    bank = load_bank([bundled_bank_path()])
    answers, _ = load_graded(DEFAULT_GRADED, {q.id: q for q in bank.questions})
    sample = ai_eval.spread(answers, 12)
    assert len(sample) == 12 and len({a.kind for a in sample}) >= 4
    figures, text = await ai_eval.run(sample, details=True)
    assert figures["answers"] == 12 and figures["usable_replies"] == 12
    assert figures["tokens_per_reply"] == 1050
    assert len(fake_llm.requests) == 12
    for label in ("QWK vs human grade", "gamed (scored 3-4)", "missed (scored 1-2)"):
        assert label in text
    assert "scorer+AI" in text and "tokens per model reply (mean)" in text
    rows = figures["rows"]
    # On answers capped for gaming or a misconception the model's credit is refused.
    capped = [r for r in rows if {"stuffing", "echo", "misconception"} & set(r["caps"])]
    assert capped
    assert all(r["ai"] == r["scorer"] and r["granted"] == 0 for r in capped)
    assert sum(r["granted"] for r in rows) >= 1


def test_scoring_eval_ai_without_a_server_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import scoring_eval

    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    assert scoring_eval.main(["--ai"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert "set LLM_BASE_URL" in line and "benchmarks/scoring_eval.py --ai" in line


async def test_scoring_eval_ai_prints_both_scorers(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from benchmarks import scoring_eval

    monkeypatch.setenv("LLM_BASE_URL", fake_llm.base_url)
    monkeypatch.setenv("LLM_MODEL", "fake-model")
    fake_llm.responder = _grant_first_point
    # main() runs its own event loop: off this test's loop, in a thread.
    code = await asyncio.to_thread(scoring_eval.main, ["--ai", "--limit", "6"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Graded answers: 6 answers" in out
    for label in ("QWK vs human grade", "gamed (scored 3-4)", "missed (scored 1-2)"):
        assert re.search(rf"{re.escape(label)}\s+\S+\s+\S+", out)
    assert "tokens per model reply (mean)" in out and "seconds per answer (mean)" in out
    assert len(fake_llm.requests) == 6
