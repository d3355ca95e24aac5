from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Difficulty, Track
from bot.core.session import ItemStatus, SessionStatus
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import (
    ActiveInterviewExists,
    InterviewError,
    NoQuestionsAvailable,
    ReminderDue,
    SessionNotFound,
    StaleAction,
    TimedOut,
)
from bot.scheduler import Scheduler
from bot.storage.database import Database
from tests.factories import ListBank, question, technical_set

GOOD = "It is overfitting; I would check with k-fold cross-validation."


@pytest.fixture
def bank() -> ListBank:
    return ListBank(
        technical_set()
        + [question(f"sd-{i}", track=Track.SYSTEM_DESIGN, topic="ranking") for i in range(2)]
    )


@pytest.fixture
async def service(
    db: Database, clock: FakeClock, bank: ListBank
) -> AsyncIterator[InterviewService]:
    dispatcher = Scheduler(db, clock, "local")
    svc = InterviewService(db, bank, clock, dispatcher, rng=random.Random(7))
    await dispatcher.start()
    yield svc
    await dispatcher.stop()


async def _start(svc: InterviewService, **kw: object) -> tuple[int, int]:
    user = await svc.ensure_user("local", "me")
    view = await svc.start(user, Track.TECHNICAL, Length.SHORT, platform="local", **kw)  # type: ignore[arg-type]
    return user, view.id


async def test_start_asks_first_question_with_deadline(
    service: InterviewService, clock: FakeClock
) -> None:
    _, sid = await _start(service)
    view = await service.view(sid)
    assert view.status is SessionStatus.ACTIVE
    assert view.total_items == 4
    item = view.current
    assert item is not None and item.position == 0 and item.status is ItemStatus.ACTIVE
    assert item.deadline_at == clock.now() + __import__("datetime").timedelta(minutes=item.minutes)
    assert item.title == "Question 1 of 4"


async def test_technical_difficulty_rises(service: InterviewService) -> None:
    _, sid = await _start(service)
    card = await service.scorecard(sid)
    ranks = [i.question.difficulty.rank for i in card.items]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 2


async def test_answer_parts_append_and_submit_scores(service: InterviewService) -> None:
    _, sid = await _start(service)
    await service.add_answer(sid, "It is overfitting.")
    saved = await service.add_answer(sid, "Check with k-fold cross-validation.")
    assert (saved.position, saved.parts) == (0, 2)
    item = (await service.view(sid)).current
    assert item is not None
    assert item.answer_text == "It is overfitting.\nCheck with k-fold cross-validation."
    advance = await service.submit(sid)
    assert advance.finished_item.status is ItemStatus.SUBMITTED
    assert advance.finished_item.auto_score == 4
    assert advance.finished_item.covered == ("Names overfitting", "Mentions cross-validation")
    assert advance.next_item is not None and advance.next_item.position == 1


async def test_missed_points_are_named(service: InterviewService) -> None:
    _, sid = await _start(service)
    await service.add_answer(sid, "The model overfits.")
    advance = await service.submit(sid)
    assert advance.finished_item.missed == ("Mentions cross-validation",)
    assert advance.finished_item.auto_score == 3


async def test_hints_lower_the_maximum_score(service: InterviewService) -> None:
    _, sid = await _start(service)
    first = await service.hint(sid)
    second = await service.hint(sid)
    third = await service.hint(sid)
    assert (first.text, first.max_score) == ("Think about the gap.", 3)
    assert (second.text, second.max_score) == ("Which error dominates?", 2)
    assert third.text is None and third.hints_used == 2
    await service.add_answer(sid, GOOD)
    advance = await service.submit(sid)
    assert advance.finished_item.auto_score == 2  # full coverage, capped by two hints
    assert advance.finished_item.hints_used == 2


async def test_empty_answer_rejected_and_skip_scores_one(service: InterviewService) -> None:
    _, sid = await _start(service)
    with pytest.raises(InterviewError, match="empty"):
        await service.add_answer(sid, "   ")
    advance = await service.skip(sid)
    assert advance.finished_item.status is ItemStatus.SKIPPED
    assert advance.finished_item.auto_score == 1


async def test_stale_position_is_refused(service: InterviewService) -> None:
    _, sid = await _start(service)
    await service.submit(sid, position=0)
    with pytest.raises(StaleAction):
        await service.submit(sid, position=0)  # a double click must not skip question 2
    assert (await service.view(sid)).current.position == 1  # type: ignore[union-attr]


async def test_one_open_interview_per_user(service: InterviewService) -> None:
    user, sid = await _start(service)
    with pytest.raises(ActiveInterviewExists) as exc:
        await service.start(user, Track.TECHNICAL, Length.SHORT, platform="local")
    assert exc.value.session.id == sid


async def test_full_session_to_scorecard_and_verdict(service: InterviewService) -> None:
    _, sid = await _start(service)
    for _ in range(4):
        await service.add_answer(sid, GOOD)
        advance = await service.submit(sid)
    assert advance.scorecard is not None
    card = advance.scorecard
    assert card.status is SessionStatus.FINISHED
    assert card.mean == 4.0 and card.verdict is not None and card.verdict.label == "Strong Hire"
    history = await service.history((await service.view(sid)).user_id)
    assert history[0].id == sid and history[0].mean_score == 4.0


async def test_self_score_takes_precedence_and_updates_stored_result(
    service: InterviewService,
) -> None:
    user, sid = await _start(service)
    for _ in range(4):
        await service.add_answer(sid, GOOD)
        await service.submit(sid)
    card = await service.set_self_score(sid, 0, 1)
    assert card.items[0].auto_score == 4 and card.items[0].self_score == 1
    assert card.items[0].score == 1
    card = await service.set_peer_score(sid, 0, 2)
    assert card.items[0].score == 2  # peer beats self
    assert (await service.history(user))[0].mean_score == card.mean
    with pytest.raises(InterviewError):
        await service.set_self_score(sid, 0, 5)


async def test_end_early_keeps_written_answer(service: InterviewService) -> None:
    _, sid = await _start(service)
    await service.add_answer(sid, "overfitting")
    card = await service.end(sid)
    assert card.ended_early and card.status is SessionStatus.FINISHED
    assert (
        card.items[0].status is ItemStatus.SUBMITTED and card.items[0].answer_text == "overfitting"
    )
    assert [i.status for i in card.items[1:]] == [ItemStatus.NOT_REACHED] * 3


async def test_timeout_moves_on_and_keeps_text(
    service: InterviewService, clock: FakeClock, db: Database
) -> None:
    events: list[object] = []

    async def listen(event: object) -> None:
        events.append(event)

    service.subscribe(listen)  # type: ignore[arg-type]
    _, sid = await _start(service)
    await service.add_answer(sid, "half an answer about overfitting")
    minutes = (await service.view(sid)).current.minutes  # type: ignore[union-attr]
    clock.advance(minutes=minutes - 1)
    await service._deadlines.settled()
    assert isinstance(events[-1], ReminderDue) and events[-1].item.position == 0
    clock.advance(minutes=1)
    await service._deadlines.settled()
    timed_out = events[-1]
    assert isinstance(timed_out, TimedOut)
    assert timed_out.item.status is ItemStatus.TIMED_OUT
    assert timed_out.item.answer_text == "half an answer about overfitting"
    assert timed_out.next_item is not None and timed_out.next_item.position == 1


async def test_restart_fires_overdue_deadline(
    db: Database, clock: FakeClock, bank: ListBank
) -> None:
    first = Scheduler(db, clock, "local")
    svc = InterviewService(db, bank, clock, first)
    await first.start()
    _, sid = await _start(svc)
    await svc.add_answer(sid, "written before the crash")
    await first.stop()  # the process dies

    clock.advance(hours=1)  # ... and comes back an hour later
    second = Scheduler(db, clock, "local")
    svc2 = InterviewService(db, bank, clock, second)
    await second.start()
    await second.settled()
    card = await svc2.scorecard(sid)
    assert card.items[0].status is ItemStatus.TIMED_OUT
    assert card.items[0].answer_text == "written before the crash"
    # Only the overdue question timed out; the next one got a fresh deadline from "now".
    assert [i.status for i in card.items] == [
        ItemStatus.TIMED_OUT,
        ItemStatus.ACTIVE,
        ItemStatus.PENDING,
        ItemStatus.PENDING,
    ]
    current = (await svc2.view(sid)).current
    assert current is not None and current.asked_at == clock.now()
    await second.stop()


async def test_pause_and_resume_keep_remaining_time(
    service: InterviewService, clock: FakeClock
) -> None:
    _, sid = await _start(service)
    clock.advance(minutes=2)
    await service.pause(sid)
    clock.advance(hours=5)
    await service._deadlines.settled()
    view = await service.resume(sid)
    assert view.current is not None and view.current.position == 0
    remaining = (view.current.deadline_at - clock.now()).total_seconds()  # type: ignore[operator]
    assert remaining == view.current.minutes * 60 - 120


async def test_recent_questions_avoided(service: InterviewService, db: Database) -> None:
    user = await service.ensure_user("local", "me")
    seen: set[str] = set()
    for _ in range(3):
        view = await service.start(
            user,
            Track.TECHNICAL,
            Length.SHORT,
            platform="local",
            difficulty=Difficulty.EASY,
            questions=2,
        )
        await service.add_answer(view.id, GOOD)  # an empty session would not count
        card = await service.end(view.id)
        ids = {i.question.id for i in card.items if i.status is not ItemStatus.NOT_REACHED}
        assert not ids & seen
        seen |= ids


async def test_filters_and_no_questions_message(service: InterviewService) -> None:
    user = await service.ensure_user("local", "me")
    with pytest.raises(NoQuestionsAvailable, match="topic nlp"):
        await service.start(user, Track.TECHNICAL, Length.SHORT, platform="local", topic="nlp")
    view = await service.start(
        user,
        Track.TECHNICAL,
        Length.SHORT,
        platform="local",
        topic="probability",
        difficulty=Difficulty.HARD,
    )
    card = await service.scorecard(view.id)
    assert {(i.question.topic, i.question.difficulty) for i in card.items} == {
        ("probability", Difficulty.HARD)
    }


async def test_system_design_runs_phase_by_phase(service: InterviewService) -> None:
    user = await service.ensure_user("local", "me")
    view = await service.start(user, Track.SYSTEM_DESIGN, Length.SHORT, platform="local")
    assert view.total_items == 6
    card = await service.scorecard(view.id)
    assert sum(i.minutes for i in card.items) == 25  # short: 45 written minutes scaled to 25
    assert view.current is not None and view.current.phase is not None
    assert view.current.title == "Phase 1 of 6: clarify"
    await service.add_answer(view.id, GOOD)
    advance = await service.submit(view.id)
    assert advance.next_item is not None and advance.next_item.phase.name == "metrics"  # type: ignore[union-attr]


async def test_record_result_stores_a_scored_one_question_session(
    service: InterviewService,
) -> None:
    user = await service.ensure_user("discord", "42")
    q = question("t-easy-0")
    sid = await service.record_result(user, q, GOOD, mode="round", guild_id=7, peer_score=2)
    card = await service.scorecard(sid)
    assert card.status is SessionStatus.FINISHED
    assert (
        card.items[0].auto_score == 4 and card.items[0].peer_score == 2 and card.items[0].score == 2
    )
    assert (await service.view(sid)).mode == "round"


async def test_fixed_questions_skip_selection(service: InterviewService) -> None:
    user = await service.ensure_user("discord", "43")
    q = question("t-hard-1", difficulty=Difficulty.HARD)
    view = await service.start(
        user, Track.TECHNICAL, Length.SHORT, platform="discord", fixed_questions=[q], mode="peer"
    )
    assert (
        view.total_items == 1
        and view.current is not None
        and view.current.question.id == "t-hard-1"
    )
    assert view.mode == "peer"


async def test_a_known_member_is_found_without_a_write(
    service: InterviewService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ensure_user runs on every member's first interaction after a start: a member already
    known under the same name costs a read, not the single SQLite writer; a new name is kept."""
    first = await service.ensure_user("discord", "42", "Ada")
    writes = 0
    transaction = db.transaction

    def counted() -> object:
        nonlocal writes
        writes += 1
        return transaction()

    monkeypatch.setattr(db, "transaction", counted)
    assert await service.ensure_user("discord", "42", "Ada") == first
    assert await service.ensure_user("discord", "42") == first  # no name given: keep it
    assert writes == 0
    assert await service.ensure_user("discord", "42", "Ada L.") == first
    assert writes == 1
    assert await service.ensure_user("discord", "43", "Grace") != first
    assert writes == 2


async def test_set_channel_on_a_missing_session_says_so(service: InterviewService) -> None:
    with pytest.raises(SessionNotFound):
        await service.set_channel(999_999, 1, 2)
