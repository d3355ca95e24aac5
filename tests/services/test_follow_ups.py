"""Follow-ups in the interview service: asked after a submitted answer, answered into the same
item, skipped without penalty, durable across a restart; and the cap on one answer's length."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Question, Track
from bot.core.session import ItemStatus
from bot.features.interviews import rows
from bot.features.interviews.service import MAX_ANSWER_CHARS, MAX_PART_CHARS, InterviewService
from bot.features.interviews.types import InterviewError, StaleAction, TimedOut
from bot.scheduler import Scheduler
from bot.storage.database import Database
from tests.factories import ListBank, question, technical_set

WHY = "Why does that happen at all?"
CV = "How would cross-validation or k-fold show it?"


def _with_follow_ups(q: Question) -> Question:
    return dataclasses.replace(q, follow_ups=(WHY, CV))


@pytest.fixture
def bank() -> ListBank:
    return ListBank(
        [_with_follow_ups(q) for q in technical_set()]
        + [_with_follow_ups(question("sd-0", track=Track.SYSTEM_DESIGN, topic="ranking"))]
    )


@pytest.fixture
async def service(
    db: Database, clock: FakeClock, bank: ListBank
) -> AsyncIterator[InterviewService]:
    dispatcher = Scheduler(db, clock, "local")
    svc = InterviewService(db, bank, clock, dispatcher, rng=random.Random(3))
    await dispatcher.start()
    yield svc
    await dispatcher.stop()


async def _start(svc: InterviewService, length: Length = Length.STANDARD, **kw: object) -> int:
    user = await svc.ensure_user("local", "me")
    view = await svc.start(user, Track.TECHNICAL, length, platform="local", **kw)  # type: ignore[arg-type]
    return view.id


async def test_standard_asks_the_follow_up_aimed_at_the_missed_point(
    service: InterviewService, clock: FakeClock
) -> None:
    sid = await _start(service)
    assert (await service.view(sid)).follow_ups is True
    await service.add_answer(sid, "It is overfitting.")  # misses cross-validation
    clock.advance(minutes=1)
    first = await service.view(sid)
    assert first.current is not None and first.current.deadline_at is not None
    remaining = (first.current.deadline_at - clock.now()).total_seconds()
    advance = await service.submit(sid)
    assert advance.follow_up and advance.scorecard is None
    item = advance.next_item
    assert item is not None and item.position == 0
    assert item.follow_up == CV
    assert item.title == "Follow-up on question 1 of 7"
    # The reply gets the remaining time plus two minutes, at most five.
    expected = min(remaining + 120, 300)
    assert item.deadline_at == clock.now() + timedelta(seconds=expected)

    await service.add_answer(sid, "k-fold cross-validation: train error low, validation high.")
    done = await service.submit(sid)
    assert not done.follow_up
    assert done.next_item is not None and done.next_item.position == 1
    scored = done.finished_item
    assert scored.status is ItemStatus.SUBMITTED
    assert scored.follow_up == CV
    assert scored.first_answer == "It is overfitting."
    assert scored.follow_up_reply.startswith("k-fold")
    assert "It is overfitting." in scored.answer_text and "k-fold" in scored.answer_text
    assert scored.missed == ()  # the reply earned the missed point: one answer, scored together


async def test_skipping_the_follow_up_keeps_the_first_answers_score(
    service: InterviewService,
) -> None:
    sid = await _start(service)
    await service.add_answer(sid, "It is overfitting; check it with k-fold cross-validation.")
    advance = await service.submit(sid)
    assert advance.follow_up and advance.next_item is not None
    assert advance.next_item.follow_up == WHY  # nothing missed: the first follow-up
    done = await service.skip(sid)
    item = done.finished_item
    assert item.status is ItemStatus.SUBMITTED  # not "skipped": no penalty
    assert item.follow_up_skipped and item.auto_score == 4
    assert done.next_item is not None and done.next_item.position == 1


async def test_short_interviews_have_none_unless_asked(service: InterviewService) -> None:
    sid = await _start(service, Length.SHORT)
    await service.add_answer(sid, "It is overfitting.")
    assert not (await service.submit(sid)).follow_up
    await service.end(sid)
    sid = await _start(service, Length.SHORT, follow_ups=True)
    await service.add_answer(sid, "It is overfitting.")
    assert (await service.submit(sid)).follow_up


async def test_no_follow_up_after_an_empty_answer_a_skip_or_a_time_out(
    service: InterviewService, clock: FakeClock
) -> None:
    events: list[object] = []

    async def listen(event: object) -> None:
        events.append(event)

    service.subscribe(listen)  # type: ignore[arg-type]
    sid = await _start(service)
    assert not (await service.submit(sid)).follow_up  # nothing written
    assert not (await service.skip(sid)).follow_up
    await service.add_answer(sid, "overfitting")
    view = await service.view(sid)
    clock.advance(minutes=view.current.minutes)  # type: ignore[union-attr]
    await service._deadlines.settled()
    timed_out = [e for e in events if isinstance(e, TimedOut)]
    assert timed_out and timed_out[-1].next_item is not None
    assert timed_out[-1].next_item.follow_up is None and timed_out[-1].next_item.position == 3


async def test_a_follow_up_survives_a_restart_and_times_out_with_the_reply(
    db: Database, clock: FakeClock, bank: ListBank
) -> None:
    first = Scheduler(db, clock, "local")
    svc = InterviewService(db, bank, clock, first)
    await first.start()
    sid = await _start(svc)
    await svc.add_answer(sid, "It is overfitting.")
    await svc.submit(sid)
    await svc.add_answer(sid, "half a reply about k-fold")
    await first.stop()  # the process dies during the follow-up

    second = Scheduler(db, clock, "local")
    svc2 = InterviewService(db, bank, clock, second)
    await second.start()
    view = await svc2.view(sid)
    assert view.current is not None and view.current.follow_up == CV
    assert view.current.answer_text == "It is overfitting.\nhalf a reply about k-fold"
    clock.advance(minutes=6)  # past the follow-up's deadline (at most five minutes)
    await second.settled()
    card = await svc2.scorecard(sid)
    assert card.items[0].status is ItemStatus.TIMED_OUT
    assert card.items[0].follow_up_reply == "half a reply about k-fold"
    assert card.items[1].status is ItemStatus.ACTIVE
    await second.stop()


async def test_system_design_phase_asks_only_a_targeted_follow_up_once(
    service: InterviewService,
) -> None:
    user = await service.ensure_user("local", "me")
    view = await service.start(user, Track.SYSTEM_DESIGN, Length.STANDARD, platform="local")
    await service.add_answer(view.id, "overfitting")  # misses cross-validation
    advance = await service.submit(view.id)
    assert advance.follow_up and advance.next_item.follow_up == CV  # type: ignore[union-attr]
    await service.submit(view.id)
    await service.add_answer(view.id, "overfitting")
    advance = await service.submit(view.id)  # CV was asked already; WHY targets nothing
    assert not advance.follow_up


async def test_one_answer_is_capped_with_a_clear_message(service: InterviewService) -> None:
    sid = await _start(service)
    part = "x" * MAX_PART_CHARS
    for _ in range(MAX_ANSWER_CHARS // MAX_PART_CHARS):
        await service.add_answer(sid, part)
    with pytest.raises(InterviewError, match=r"12,000 characters.*0 characters are left"):
        await service.add_answer(sid, "one more")
    item = (await service.view(sid)).current
    assert item is not None and len(item.answer_text) == MAX_ANSWER_CHARS + 2  # two joins


async def test_empty_sessions_do_not_use_up_the_recent_window(
    service: InterviewService, db: Database
) -> None:
    user = await service.ensure_user("local", "me")
    answered = await service.start(
        user, Track.TECHNICAL, Length.SHORT, platform="local", questions=1
    )
    await service.add_answer(answered.id, "overfitting")
    seen = (await service.end(answered.id)).items[0].question.id
    for _ in range(4):  # more sessions ended before any word than the window holds
        empty = await service.start(
            user, Track.TECHNICAL, Length.SHORT, platform="local", questions=1
        )
        assert empty.current is not None and empty.current.question.id != seen
        await service.end(empty.id)
    async with db.reading() as s:
        assert await rows.recent_question_ids(s, user, Track.TECHNICAL) == {seen}
    history = await service.history(user)
    assert [h.ended_early for h in history] == [True] * 5


async def test_a_click_from_the_wrong_message_is_refused(service: InterviewService) -> None:
    """Next from the question's message after its follow-up was asked (a double click) is
    refused; Next from a follow-up's message when none is open is stale; unknown: no check."""
    sid = await _start(service)
    await service.add_answer(sid, "It is overfitting.")
    with pytest.raises(StaleAction):
        await service.submit(sid, position=0, on_follow_up=True)
    asked = await service.submit(sid, position=0, on_follow_up=False)
    assert asked.follow_up
    with pytest.raises(InterviewError, match="asked a follow-up"):
        await service.submit(sid, position=0, on_follow_up=False)
    with pytest.raises(InterviewError, match="asked a follow-up"):
        await service.skip(sid, position=0, on_follow_up=False)
    assert (await service.view(sid)).current.position == 0  # type: ignore[union-attr]
    done = await service.skip(sid, position=0, on_follow_up=True)
    assert done.next_item is not None and done.next_item.position == 1


async def test_next_reads_nothing_before_its_write_when_follow_ups_are_off(
    service: InterviewService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switch is cached with the session (it never changes): a session without
    follow-ups does not read its row again before the write of each Next."""
    reads = 0
    reading = db.reading

    def counted() -> object:
        nonlocal reads
        reads += 1
        return reading()

    off = await _start(service, Length.SHORT)
    await service.add_answer(off, "It is overfitting.")
    monkeypatch.setattr(db, "reading", counted)
    await service.submit(off)
    assert reads == 0
    await service.end(off)
    on = await _start(service, Length.STANDARD)
    await service.add_answer(on, "It is overfitting.")
    await service.submit(on)
    assert reads >= 1
