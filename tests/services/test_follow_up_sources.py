"""The interview service chooses the follow-up source per session (FollowUpSources), passes it
what was asked already, stores who asked each follow-up and why the AI did not."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncIterator, Collection

import pytest

from bot.core.clock import FakeClock
from bot.core.follow_ups import DETERMINISTIC, FollowUp, FollowUpContext, FollowUpSource
from bot.core.formats import Length
from bot.core.questions import Question, Track
from bot.core.scoring import RubricResult
from bot.features.interviews import rows
from bot.features.interviews.service import InterviewService
from bot.scheduler import Scheduler
from bot.storage.database import Database
from tests.factories import ListBank, technical_set

WHY = "Why does that happen at all?"
CV = "How would cross-validation or k-fold show it?"
MODEL = "What would the learning curve look like here?"


class FakeModel:
    """An AI source: its own question, or (``down``) the bank's with a reason."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[tuple[str, str, frozenset[str]]] = []

    async def follow_up(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        *,
        asked: Collection[str] = (),
    ) -> FollowUp | None:
        self.calls.append((question.id, answer_text, frozenset(asked)))
        if self.down:
            picked = await DETERMINISTIC.follow_up(
                question, phase, answer_text, result, asked=asked
            )
            assert picked is not None
            return dataclasses.replace(picked, unavailable="server error (HTTP 503)")
        return FollowUp(f"{MODEL} ({question.id})", "ai", tokens=42)


class FakeSources:
    """The AI for user ``ai_user`` only; records every session it was asked about."""

    def __init__(self, model: FakeModel) -> None:
        self.model = model
        self.ai_user: int | None = None
        self.seen: list[FollowUpContext] = []

    async def source_for(self, session: FollowUpContext) -> FollowUpSource:
        self.seen.append(session)
        return self.model if session.user_id == self.ai_user else DETERMINISTIC


@pytest.fixture
def sources() -> FakeSources:
    return FakeSources(FakeModel())


@pytest.fixture
async def service(
    db: Database, clock: FakeClock, sources: FakeSources
) -> AsyncIterator[InterviewService]:
    bank = ListBank([dataclasses.replace(q, follow_ups=(WHY, CV)) for q in technical_set()])
    dispatcher = Scheduler(db, clock, "local")
    svc = InterviewService(db, bank, clock, dispatcher, rng=random.Random(3), follow_ups=sources)
    await dispatcher.start()
    yield svc
    await dispatcher.stop()


async def _start(svc: InterviewService, external: str, guild: int | None = None) -> tuple[int, int]:
    user = await svc.ensure_user("discord", external)
    view = await svc.start(
        user, Track.TECHNICAL, Length.STANDARD, platform="discord", guild_id=guild
    )
    return user, view.id


async def test_each_session_gets_its_own_source_and_who_asked_is_stored(
    service: InterviewService, sources: FakeSources, db: Database
) -> None:
    ai_user, ai_sid = await _start(service, "with-ai", guild=77)
    _, plain_sid = await _start(service, "without")
    sources.ai_user = ai_user

    await service.add_answer(ai_sid, "It is overfitting.")
    asked = await service.submit(ai_sid)
    assert asked.next_item is not None and asked.next_item.follow_up is not None
    assert asked.next_item.follow_up.startswith(MODEL)
    context = sources.seen[-1]
    assert (context.session_id, context.user_id, context.guild_id) == (ai_sid, ai_user, 77)
    assert context.platform == "discord"
    question_id, text, already = sources.model.calls[-1]
    assert text == "It is overfitting." and already == frozenset()
    assert asked.next_item.follow_up == f"{MODEL} ({question_id})"

    await service.add_answer(plain_sid, "It is overfitting.")
    plain = await service.submit(plain_sid)
    assert plain.next_item is not None and plain.next_item.follow_up == CV
    assert len(sources.model.calls) == 1  # the other member's session never reached the model

    await service.add_answer(ai_sid, "Training error low, validation error high.")
    await service.submit(ai_sid)  # the reply: no second follow-up on the same item
    assert len(sources.model.calls) == 1
    card = await service.scorecard(ai_sid)
    first = card.items[0]
    assert first.follow_up_by_ai and first.follow_up_by == "ai"
    assert first.follow_up_unavailable == ""
    other = (await service.scorecard(plain_sid)).items[0]
    assert other.follow_up == CV and other.follow_up_by == "bank" and not other.follow_up_by_ai
    async with db.reading() as s:
        row = await rows.session_row(s, ai_sid)
        assert (row.answers[0].follow_up_by, row.answers[0].follow_up_unavailable) == ("ai", None)


async def test_a_failing_model_asks_the_banks_follow_up_and_keeps_the_reason(
    service: InterviewService, sources: FakeSources
) -> None:
    ai_user, sid = await _start(service, "with-ai", guild=77)
    sources.ai_user = ai_user
    sources.model.down = True
    await service.add_answer(sid, "It is overfitting.")
    advance = await service.submit(sid)
    assert advance.next_item is not None and advance.next_item.follow_up == CV
    card = await service.scorecard(sid)
    item = card.items[0]
    assert item.follow_up == CV and item.follow_up_by == "bank" and not item.follow_up_by_ai
    assert item.follow_up_unavailable == "server error (HTTP 503)"
