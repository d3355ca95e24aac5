"""PracticeRoundService on SQLite (and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from bot.core.clock import FakeClock
from bot.core.practice_rounds import RoundKind, RoundStatus
from bot.core.questions import Question, Track
from bot.features.interviews.service import InterviewService
from bot.features.practice_rounds.models import (
    PracticePanelBallot,
    PracticeRoundAnswer,
    PracticeRoundVote,
)
from bot.features.practice_rounds.service import (
    Announcement,
    NotAllowed,
    PracticeRoundService,
    RoundError,
    RoundNotOpen,
    RoundRunning,
)
from bot.scheduler import Scheduler
from bot.scheduler.models import ScheduledJob
from bot.storage.database import Database
from bot.storage.models import Answer, InterviewSession
from tests.factories import ListBank, technical_set

GOOD = "It is overfitting; I would check with k-fold cross-validation."
GUILD, CHANNEL, OTHER_CHANNEL = 1000, 2000, 2001


class Banks:
    """The registry surface over one list bank."""

    def __init__(self, bank: ListBank) -> None:
        self.bank = bank

    def for_guild(self, guild_id: int | None) -> ListBank:
        return self.bank

    def get(self, question_id: str) -> Question | None:
        return self.bank.get(question_id)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Announcement] = []
        self.fail = 0

    async def __call__(self, announcement: Announcement) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("discord is down")
        self.seen.append(announcement)

    def stages(self, round_id: int) -> list[RoundStatus]:
        return [s for a in self.seen if a.round.id == round_id for s in a.stages]


@pytest.fixture
def bank() -> ListBank:
    return ListBank(technical_set())


@pytest.fixture
async def interviews(
    db: Database, clock: FakeClock, bank: ListBank
) -> AsyncIterator[InterviewService]:
    dispatcher = Scheduler(db, clock, "discord")
    svc = InterviewService(db, bank, clock, dispatcher, rng=random.Random(3))
    await dispatcher.start()
    yield svc
    await dispatcher.stop()


def make_service(
    db: Database, clock: FakeClock, bank: ListBank, interviews: InterviewService
) -> PracticeRoundService:
    return PracticeRoundService(db, Banks(bank), clock, interviews, rng=random.Random(5))


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def service(
    db: Database,
    clock: FakeClock,
    bank: ListBank,
    interviews: InterviewService,
    recorder: Recorder,
) -> AsyncIterator[PracticeRoundService]:
    svc = make_service(db, clock, bank, interviews)
    svc.subscribe(recorder)
    await svc.start()
    yield svc
    await svc.stop()


async def users(interviews: InterviewService, *names: str) -> list[int]:
    return [await interviews.ensure_user("discord", name, name) for name in names]


async def start(
    svc: PracticeRoundService, starter: int, channel: int = CHANNEL, **kw: object
) -> int:
    view = await svc.start_round(
        kw.pop("kind", RoundKind.ROUND),  # type: ignore[arg-type]
        guild_id=GUILD,
        channel_id=channel,
        starter_id=starter,
        track=Track.TECHNICAL,
        **kw,  # type: ignore[arg-type]
    )
    return view.id


async def count(db: Database, model: type, *where: object) -> int:
    async with db.reading() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# -- starting -------------------------------------------------------------------------------


async def test_start_picks_a_question_and_sets_the_deadline(
    service: PracticeRoundService, interviews: InterviewService, clock: FakeClock
) -> None:
    [alice] = await users(interviews, "alice")
    view = await service.start_round(
        RoundKind.ROUND,
        guild_id=GUILD,
        channel_id=CHANNEL,
        starter_id=alice,
        track=Track.TECHNICAL,
        topic="probability",
        minutes=3,
    )
    assert view.status is RoundStatus.ANSWERING and view.question.topic == "probability"
    assert view.answer_due_at == clock.now() + timedelta(minutes=3) == view.due_at
    assert (await service.running_in(CHANNEL)) == view
    assert await service.running_in(OTHER_CHANNEL) is None


async def test_unknown_topic_and_bad_minutes_are_refused(
    service: PracticeRoundService, interviews: InterviewService
) -> None:
    [alice] = await users(interviews, "alice")
    with pytest.raises(RoundError, match="No questions match track technical, topic astrology"):
        await start(service, alice, topic="astrology")
    with pytest.raises(RoundError, match="1 to 60 minutes"):
        await start(service, alice, minutes=0)
    assert await service.running_in(CHANNEL) is None  # nothing left behind


async def test_one_round_per_channel_even_when_starts_race(
    service: PracticeRoundService, interviews: InterviewService
) -> None:
    ids = await users(interviews, *(f"u{i}" for i in range(6)))
    results = await asyncio.gather(*(start(service, uid) for uid in ids), return_exceptions=True)
    started = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, RoundRunning)]
    assert len(started) == 1 and len(refused) == 5
    assert all(r.round.id == started[0] for r in refused)  # each refusal names the running one
    other = await start(service, ids[0], OTHER_CHANNEL)  # another channel is free
    assert other != started[0]


async def test_practice_round_questions_rotate_within_a_guild(
    service: PracticeRoundService, interviews: InterviewService
) -> None:
    [alice] = await users(interviews, "alice")
    seen = []
    for _ in range(4):
        rid = await start(service, alice, topic="probability")
        seen.append((await service.view(rid)).question.id)
        await service.reveal(rid)  # nobody answered: closes and frees the channel
    assert len(set(seen)) == len(seen)  # 6 probability questions: no repeat in 4 rounds


# -- answering ------------------------------------------------------------------------------


async def test_answers_append_parts_and_stay_one_per_member(
    service: PracticeRoundService, interviews: InterviewService, db: Database
) -> None:
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(service, alice)
    first = await service.add_answer(rid, bob, "It is overfitting.")
    second = await service.add_answer(rid, bob, "\nCheck with k-fold cross-validation.\n")
    assert (first.part, second.part) == (1, 2)
    assert second.characters == len("It is overfitting.") + len(
        "Check with k-fold cross-validation."
    )
    data = await service.reveal_data(rid)
    assert [a.text for a in data.answers] == [
        "It is overfitting.\nCheck with k-fold cross-validation."
    ]
    assert await count(db, PracticeRoundAnswer) == 1
    with pytest.raises(RoundError, match="empty"):
        await service.add_answer(rid, bob, "  \n ")


async def test_thirty_members_answer_at_once_each_stored_once(
    service: PracticeRoundService, interviews: InterviewService, db: Database
) -> None:
    [alice] = await users(interviews, "alice")
    members = await users(interviews, *(f"m{i}" for i in range(30)))
    rid = await start(service, alice)
    # Every member submits twice at the same moment: 30 answers of 2 parts, nothing lost.
    saved = await asyncio.gather(
        *(service.add_answer(rid, m, f"answer {k} of {m}") for m in members for k in (1, 2))
    )
    assert len(saved) == 60
    assert await count(db, PracticeRoundAnswer, PracticeRoundAnswer.round_id == rid) == 30
    data = await service.reveal_data(rid)
    for answer in data.answers:
        assert sorted(answer.text.split("\n")) == [
            f"answer 1 of {answer.user_id}",
            f"answer 2 of {answer.user_id}",
        ]


async def test_answers_close_at_the_deadline_even_before_the_timer_runs(
    service: PracticeRoundService, interviews: InterviewService, clock: FakeClock
) -> None:
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(service, alice, minutes=2)
    clock.advance(minutes=2)
    with pytest.raises(RoundNotOpen, match="Time is up"):
        await service.add_answer(rid, bob, GOOD)


# -- reveal, results, votes -----------------------------------------------------------------


async def test_time_up_reveals_and_records_results(
    service: PracticeRoundService,
    interviews: InterviewService,
    clock: FakeClock,
    db: Database,
    recorder: Recorder,
) -> None:
    alice, bob, carol = await users(interviews, "alice", "bob", "carol")
    rid = await start(service, alice, minutes=5)
    await service.add_answer(rid, bob, GOOD)
    await service.add_answer(rid, carol, "No idea.")
    clock.advance(minutes=4)
    await service.settled()
    assert (await service.view(rid)).status is RoundStatus.ANSWERING
    clock.advance(minutes=1)
    await service.settled()
    view = await service.view(rid)
    assert view.status is RoundStatus.VOTING
    assert view.due_at == clock.now() + timedelta(minutes=10)
    assert recorder.stages(rid) == [RoundStatus.VOTING]
    data = await service.reveal_data(rid)
    scores = {a.author: (a.auto_score, a.covered) for a in data.answers}
    assert scores == {"bob": (4, 2), "carol": (1, 0)}
    async with db.reading() as s:
        rows = (
            await s.execute(
                select(InterviewSession.user_id, InterviewSession.mode, InterviewSession.status)
                .where(InterviewSession.guild_id == GUILD, InterviewSession.channel_id == CHANNEL)
                .order_by(InterviewSession.user_id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(bob, "round", "finished"), (carol, "round", "finished")]


async def test_reveal_with_no_answers_closes_and_frees_the_channel(
    service: PracticeRoundService, interviews: InterviewService, recorder: Recorder
) -> None:
    [alice] = await users(interviews, "alice")
    rid = await start(service, alice)
    view = await service.reveal(rid)
    assert view.status is RoundStatus.CLOSED
    assert recorder.stages(rid) == [RoundStatus.VOTING, RoundStatus.CLOSED]
    assert await service.running_in(CHANNEL) is None
    with pytest.raises(RoundNotOpen, match="already revealed"):
        await service.reveal(rid)


async def test_voting_rules_and_results(
    service: PracticeRoundService,
    interviews: InterviewService,
    db: Database,
    recorder: Recorder,
) -> None:
    alice, bob, carol, dave = await users(interviews, "alice", "bob", "carol", "dave")
    rid = await start(service, alice)
    for uid in (bob, carol):
        await service.add_answer(rid, uid, f"answer of {uid}")
    answers = {a.user_id: a.answer_id for a in (await service.reveal_data(rid)).answers}
    with pytest.raises(RoundNotOpen):
        await service.vote(rid, dave, answers[bob])  # not revealed yet
    await service.reveal(rid)

    with pytest.raises(NotAllowed, match="your own answer"):
        await service.vote(rid, bob, answers[bob])
    first = await service.vote(rid, dave, answers[bob])
    assert (first.author, first.previous_author) == ("bob", None)
    changed = await service.vote(rid, dave, answers[carol])  # dave changes his mind
    assert (changed.author, changed.previous_author) == ("carol", "bob")
    await service.vote(rid, bob, answers[carol])
    await service.vote(rid, carol, answers[bob])
    await service.vote(rid, alice, answers[carol])
    assert await count(db, PracticeRoundVote, PracticeRoundVote.round_id == rid) == 4
    with pytest.raises(RoundError, match="not part of this round"):
        await service.vote(rid, alice, 999_999)

    await service.close(rid)
    assert recorder.stages(rid) == [RoundStatus.VOTING, RoundStatus.CLOSED]
    results = await service.results(rid)
    assert [(a.author, a.votes) for a in results.answers] == [("carol", 3), ("bob", 1)]
    assert results.tally.winners == (answers[carol],) and results.voters == 4
    assert await service.helpful_votes(GUILD) == {carol: 3, bob: 1}
    with pytest.raises(RoundNotOpen, match="closed"):
        await service.vote(rid, dave, answers[bob])
    with pytest.raises(RoundNotOpen, match="already closed"):
        await service.close(rid)
    assert await service.running_in(CHANNEL) is None


async def test_voting_ends_on_its_own(
    service: PracticeRoundService, interviews: InterviewService, clock: FakeClock
) -> None:
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(service, alice, minutes=1)
    await service.add_answer(rid, bob, GOOD)
    clock.advance(minutes=1)
    await service.settled()
    await service.vote(rid, alice, (await service.reveal_data(rid)).answers[0].answer_id)
    clock.advance(minutes=10)
    await service.settled()
    assert (await service.view(rid)).status is RoundStatus.CLOSED
    assert (await service.results(rid)).answers[0].votes == 1


# -- panels ---------------------------------------------------------------------------------


async def test_panel_ballots_aggregate_into_a_peer_score(
    service: PracticeRoundService,
    interviews: InterviewService,
    db: Database,
    recorder: Recorder,
) -> None:
    alice, bob, carol, dave, erin = await users(interviews, "alice", "bob", "carol", "dave", "erin")
    rid = await start(service, alice, kind=RoundKind.PANEL, candidate_id=bob)
    view = await service.view(rid)
    assert view.candidate_name == "bob" and len(view.rubric) == 2
    with pytest.raises(NotAllowed, match="Only the panel's candidate"):
        await service.add_answer(rid, carol, "me too")
    await service.add_answer(rid, bob, GOOD)
    with pytest.raises(RoundNotOpen, match="opens when the candidate"):
        await service.score_point(rid, carol, 0, 3)

    await service.reveal(rid)
    assert (await service.view(rid)).status is RoundStatus.SCORING
    assert recorder.stages(rid) == [RoundStatus.SCORING]
    assert await count(db, InterviewSession) == 0  # stored once scored
    with pytest.raises(NotAllowed, match="candidate"):
        await service.score_point(rid, bob, 0, 4)
    with pytest.raises(RoundError, match="1 to 4"):
        await service.score_point(rid, carol, 0, 5)
    with pytest.raises(RoundError, match="not part of this question"):
        await service.score_point(rid, carol, 2, 3)

    await service.score_point(rid, carol, 0, 1)
    progress = await service.score_point(rid, carol, 1, 3)
    assert (progress.scored, progress.points, progress.complete) == (2, 2, True)
    await service.score_point(rid, carol, 0, 4)  # a new score replaces the old one
    assert await service.ballot(rid, carol) == [4, 3]
    await asyncio.gather(service.score_point(rid, dave, 0, 2), service.score_point(rid, dave, 1, 2))
    partial = await service.score_point(rid, erin, 0, 4)  # erin never finishes
    assert not partial.complete and await service.ballot(rid, erin) == [4, None]
    assert await count(db, PracticePanelBallot, PracticePanelBallot.round_id == rid) == 3

    await service.close(rid)
    results = await service.panel_results(rid)
    agg = results.aggregate
    assert (agg.ballots, agg.incomplete) == (2, 1)
    assert agg.mean == pytest.approx(2.75) and agg.peer_score == 3
    assert [(p.low, p.high) for p in agg.points] == [(2, 4), (2, 3)]
    assert results.answer is not None and results.answer.auto_score == 4
    async with db.reading() as s:
        stored = (
            await s.execute(
                select(InterviewSession.mode, InterviewSession.user_id, Answer.peer_score).join(
                    Answer, Answer.session_id == InterviewSession.id
                )
            )
        ).all()
    assert [tuple(r) for r in stored] == [("panel", bob, 3)]
    assert recorder.stages(rid) == [RoundStatus.SCORING, RoundStatus.CLOSED]


async def test_panel_without_ballots_stores_the_answer_without_peer_score(
    service: PracticeRoundService, interviews: InterviewService, db: Database
) -> None:
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(service, alice, kind=RoundKind.PANEL, candidate_id=bob)
    await service.add_answer(rid, bob, GOOD)
    await service.reveal(rid)
    await service.close(rid)
    async with db.reading() as s:
        peer = (await s.execute(select(Answer.peer_score, Answer.auto_score))).all()
    assert [tuple(r) for r in peer] == [(None, 4)]


# -- durability -----------------------------------------------------------------------------


async def test_a_restart_catches_up_on_overdue_rounds(
    db: Database,
    clock: FakeClock,
    bank: ListBank,
    interviews: InterviewService,
) -> None:
    first = make_service(db, clock, bank, interviews)
    await first.start()
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(first, alice, minutes=5)
    await first.add_answer(rid, bob, GOOD)
    await first.stop()  # the process goes down...
    clock.advance(minutes=30)  # ...and comes back after the reveal was due
    second = make_service(db, clock, bank, interviews)
    recorder = Recorder()
    second.subscribe(recorder)
    await second.start()
    await second.settled()
    assert recorder.stages(rid) == [RoundStatus.VOTING]
    assert (await second.view(rid)).status is RoundStatus.VOTING
    await second.stop()


async def test_rounds_without_a_job_get_one_at_start(
    db: Database,
    clock: FakeClock,
    bank: ListBank,
    interviews: InterviewService,
) -> None:
    """A round written before rounds had scheduler jobs (its due time only in its row) still
    reveals on time once the service starts."""
    first = make_service(db, clock, bank, interviews)
    await first.start()
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(first, alice, minutes=5)
    await first.add_answer(rid, bob, GOOD)
    await first.stop()
    async with db.transaction() as s:  # as a database from before the scheduler holds it
        await s.execute(delete(ScheduledJob).where(ScheduledJob.kind == "practice.round"))
    second = make_service(db, clock, bank, interviews)
    recorder = Recorder()
    second.subscribe(recorder)
    await second.start()
    async with db.reading() as s:
        (job,) = (await s.scalars(select(ScheduledJob))).all()
    assert (job.kind, job.key) == ("practice.round", str(rid))
    clock.advance(minutes=5)
    await second.settled()
    assert recorder.stages(rid) == [RoundStatus.VOTING]
    await second.stop()


async def test_failed_announcements_are_retried_and_results_stored_once(
    service: PracticeRoundService,
    interviews: InterviewService,
    clock: FakeClock,
    db: Database,
    recorder: Recorder,
) -> None:
    alice, bob = await users(interviews, "alice", "bob")
    rid = await start(service, alice, minutes=5)
    await service.add_answer(rid, bob, GOOD)
    recorder.fail = 1  # Discord refuses the first attempt
    clock.advance(minutes=5)
    await service.settled()
    assert (await service.view(rid)).status is RoundStatus.VOTING
    assert recorder.stages(rid) == []  # not shown yet
    clock.advance(seconds=30)  # the timer's retry
    await service.settled()
    assert recorder.stages(rid) == [RoundStatus.VOTING]
    assert await count(db, InterviewSession) == 1  # the result was not stored twice
