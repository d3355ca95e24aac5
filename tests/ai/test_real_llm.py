"""One leg against a real OpenAI-compatible server, when ``TEST_LLM_BASE_URL`` is set.

It proves the real path (HTTP, the server's own JSON, usage figures, our parsing and fallbacks),
not grading quality: with a small base model the replies are often not JSON, and then the test
checks the fallback instead. ``TEST_LLM_MODEL`` names the model (default: the server's own).
"""

from __future__ import annotations

import os

import pytest

from bot.ai import AIInterviewer
from bot.ai.grounding import normalise
from bot.ai.settings import AISettings
from bot.core.scoring import score_for

from .questions import DESIGN, OVERFIT

URL = os.environ.get("TEST_LLM_BASE_URL", "")

pytestmark = pytest.mark.skipif(not URL, reason="TEST_LLM_BASE_URL not set")

ANSWER = (
    "The model memorises the training set and fails to generalise; I would add weight decay and "
    "collect more examples. I'd also make sure no rows of validation slipped into training."
)


async def test_real_server_round_trip() -> None:
    settings = AISettings(
        base_url=URL,
        model=os.environ.get("TEST_LLM_MODEL", ""),
        timeout_s=float(os.environ.get("TEST_LLM_TIMEOUT_S", "120")),
        max_retries=1,
    )
    interviewer = AIInterviewer.from_settings(settings)
    assert interviewer.client is not None
    try:
        done = await interviewer.client.complete(
            [{"role": "user", "content": "Name one regularisation method."}], max_tokens=24
        )
        assert isinstance(done.text, str) and done.attempts == 1
        det = score_for(OVERFIT, ANSWER)
        graded = await interviewer.grade(OVERFIT, None, ANSWER, det, guild_id=1)
        assert graded.result is not None and graded.result.caps == det.caps
        assert (graded.source == "ai") != bool(graded.flag)
        for decision in graded.decisions:
            if decision.decided_by == "ai":
                assert normalise(decision.quote) in normalise(ANSWER)
        ups = await interviewer.follow_ups(OVERFIT, None, ANSWER, det)
        assert ups.questions and all(len(q) <= 200 for q in ups.questions)
        reply = await interviewer.answer_clarifying_question(DESIGN, [], "How many users?")
        assert reply.text and len(reply.text) <= 500
        print(
            f"\nreal server: {done.total_tokens} tokens in {done.seconds:.2f} s; "
            f"grade {graded.source} {graded.flag!r}; follow-ups {ups.source}; "
            f"clarify {reply.source}; tokens used {interviewer.tokens_used}"
        )
    finally:
        await interviewer.close()
