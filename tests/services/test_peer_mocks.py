"""The peer-mock service: queue, invitations, rounds, feedback, no-shows and durability."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Difficulty, Track
from bot.core.session import ItemStatus, Scorecard
from bot.features.interviews.service import InterviewService
from bot.features.peer_mocks.models import PeerQueueEntry
from bot.features.peer_mocks.report import rounded_mean
from bot.features.peer_mocks.service import (
    INVITE_TTL,
    NO_SHOW_AFTER,
    InviteExpired,
    NotAllowed,
    PairClosed,
    PairFinished,
    PairState,
    PairView,
    PeerBusy,
    PeerError,
    PeerEvent,
    PeerMockService,
    PhaseAdvanced,
    RoundEnded,
    RoundProgress,
    RoundReminder,
    RoundStatus,
    RoundView,
)
from bot.scheduler import Scheduler
from bot.storage.database import Database
from tests.factories import question, technical_set

GUILD, CHANNEL, THREAD = 1001, 2002, 3003


@dataclass
class World:
    db: Database
    clock: FakeClock
    banks: BankRegistry
    dispatcher: Scheduler
    interviews: InterviewService
    peer: PeerMockService
    events: list[PeerEvent]
    users: dict[str, int]

    async def settle(self) -> None:
        await self.dispatcher.settled()
        await self.peer.timers.settled()


def _bank() -> BankRegistry:
    questions = technical_set() + [
        question(f"sd-{i}", track=Track.SYSTEM_DESIGN, topic="ranking") for i in range(3)
    ]
    return BankRegistry(QuestionBank(questions))


async def _world(db: Database, clock: FakeClock, banks: BankRegistry) -> World:
    dispatcher = Scheduler(db, clock, "discord")
    interviews = InterviewService(db, banks, clock, dispatcher, rng=random.Random(7))
    peer = PeerMockService(db, banks, clock, interviews, rng=random.Random(3))
    events: list[PeerEvent] = []

    async def record(event: PeerEvent) -> None:
        events.append(event)

    peer.subscribe(record)
    await dispatcher.start()
    await peer.start()
    users = {}
    for n, name in enumerate(("ann", "ben", "cat", "dan"), 1):
        users[name] = await interviews.ensure_user("discord", str(100 + n), name)
    return World(db, clock, banks, dispatcher, interviews, peer, events, users)


@pytest.fixture
async def w(db: Database, clock: FakeClock) -> AsyncIterator[World]:
    world = await _world(db, clock, _bank())
    yield world
    await world.peer.stop()
    await world.dispatcher.stop()


async def pair_up(
    w: World,
    a: str = "ann",
    b: str = "ben",
    track: Track = Track.TECHNICAL,
    difficulty: Difficulty | None = None,
) -> PairView:
    await w.peer.join_queue(GUILD, w.users[a], track, difficulty, channel_id=CHANNEL)
    result = await w.peer.join_queue(GUILD, w.users[b], track, difficulty, channel_id=CHANNEL)
    [pair] = result.pairs
    await w.peer.set_thread(pair.id, CHANNEL, THREAD)
    return pair


async def start_round(
    w: World,
    a: str = "ann",
    b: str = "ben",
    track: Track = Track.TECHNICAL,
    difficulty: Difficulty | None = None,
) -> RoundView:
    pair = await pair_up(w, a, b, track, difficulty)
    first = await w.peer.ready(pair.id, w.users[a])
    assert first.started is None and [m.name for m in first.waiting_for] == [b]
    second = await w.peer.ready(pair.id, w.users[b])
    assert second.started is not None
    return second.started


def _sid(view: RoundView) -> int:
    assert view.session_id is not None
    return view.session_id


async def scorecard(w: World, view: RoundView) -> Scorecard:
    return await w.interviews.scorecard(_sid(view))


async def give_feedback(
    w: World, view: RoundView, scores: tuple[int, ...] = (3, 4)
) -> RoundProgress:
    interviewer, candidate = view.interviewer.user_id, view.candidate.user_id
    sheet = await w.peer.score_sheet(view.id, interviewer)
    for slot, score in zip(sheet.slots, scores, strict=True):
        await w.peer.score_point(view.id, interviewer, slot.position, slot.point_index, score)
    await w.peer.feedback(view.id, interviewer, "Clear structure.", "Name the metric first.")
    return await w.peer.rate_interviewer(view.id, candidate, 5, "Good follow-ups.")


# -- queue ----------------------------------------------------------------------------------------


async def test_first_member_waits_second_is_paired(w: World, clock: FakeClock) -> None:
    first = await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL, channel_id=CHANNEL)
    assert first.pairs == () and first.spot is not None and first.waiting_ahead == 0
    assert first.spot.track is Track.TECHNICAL and not first.updated
    second = await w.peer.join_queue(GUILD, w.users["ben"], Track.TECHNICAL, channel_id=CHANNEL)
    [pair] = second.pairs
    assert second.spot is None
    assert [m.name for m in pair.members] == ["ann", "ben"]  # first come first
    assert pair.state is PairState.READY and pair.source == "queue" and pair.channel_id == CHANNEL
    status = await w.peer.queue_status(GUILD, w.users["ann"])
    assert status.waiting == () and status.spot is None and status.pair == pair
    assert await w.peer.timers.due_at(_idle(pair.id)) == clock.now() + NO_SHOW_AFTER


def _idle(pair_id: int) -> object:
    from bot.features.peer_mocks.timers import TimerKey

    return TimerKey("idle", pair_id)


async def test_different_tracks_wait_apart_and_status_lists_them(w: World) -> None:
    await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    other = await w.peer.join_queue(GUILD, w.users["ben"], Track.SYSTEM_DESIGN, Difficulty.HARD)
    assert other.pairs == () and other.waiting_ahead == 0
    status = await w.peer.queue_status(GUILD, w.users["cat"])
    assert [(s.member.name, s.track, s.difficulty) for s in status.waiting] == [
        ("ann", Track.TECHNICAL, None),
        ("ben", Track.SYSTEM_DESIGN, Difficulty.HARD),
    ]
    assert status.spot is None and status.pair is None
    third = await w.peer.join_queue(GUILD, w.users["cat"], Track.SYSTEM_DESIGN)
    assert [m.name for m in third.pairs[0].members] == ["ben", "cat"]


async def test_rejoin_updates_and_leave(w: World) -> None:
    await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    again = await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL, Difficulty.EASY)
    assert again.updated and again.spot is not None and again.spot.difficulty is Difficulty.EASY
    assert await w.peer.leave_queue(GUILD, w.users["ann"]) is True
    assert await w.peer.leave_queue(GUILD, w.users["ann"]) is False
    assert (await w.peer.queue_status(GUILD, w.users["ann"])).waiting == ()


async def test_queues_are_per_guild(w: World) -> None:
    await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    other = await w.peer.join_queue(GUILD + 1, w.users["ben"], Track.TECHNICAL)
    assert other.pairs == ()


async def test_paired_in_one_server_leaves_every_queue(w: World) -> None:
    await w.peer.join_queue(GUILD + 1, w.users["ann"], Track.TECHNICAL)
    await w.peer.join_queue(GUILD + 2, w.users["ben"], Track.TECHNICAL)
    await pair_up(w)  # ann and ben pair in GUILD
    for guild in (GUILD + 1, GUILD + 2):
        assert (await w.peer.queue_status(guild, w.users["cat"])).waiting == ()
    invite = await w.peer.invite(GUILD, w.users["cat"], w.users["dan"], Track.TECHNICAL)
    await w.peer.join_queue(GUILD + 1, w.users["cat"], Track.TECHNICAL)
    await w.peer.accept_invite(invite.id, w.users["dan"])
    assert (await w.peer.queue_status(GUILD + 1, w.users["ann"])).waiting == ()


async def test_member_in_a_mock_cannot_join_or_be_invited(w: World) -> None:
    pair = await pair_up(w)
    with pytest.raises(PeerBusy) as busy:
        await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    assert busy.value.pair.id == pair.id
    with pytest.raises(PeerError, match="ben is in a peer mock"):
        await w.peer.invite(GUILD, w.users["cat"], w.users["ben"], Track.TECHNICAL)


async def test_member_with_a_solo_interview_cannot_join(w: World) -> None:
    await w.interviews.start(w.users["ann"], Track.TECHNICAL, Length.SHORT, platform="discord")
    with pytest.raises(PeerError, match="/interview end"):
        await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)


async def test_same_pair_not_twice_in_a_row_while_someone_else_waits(w: World) -> None:
    pair = await pair_up(w)
    await w.peer.cancel_pair(pair.id)  # cancelled pairs never met: they do not count
    again = await pair_up(w)
    await _close_by_no_show(w, again)
    # ann and ben were each other's last partners; cat waits, so ann gets cat.
    await w.peer.join_queue(GUILD, w.users["cat"], Track.TECHNICAL)
    w.clock.advance(30)
    ann = await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    assert [m.name for m in ann.pairs[0].members] == ["cat", "ann"]
    ben = await w.peer.join_queue(GUILD, w.users["ben"], Track.TECHNICAL)
    assert ben.pairs == () and ben.spot is not None


async def test_repeat_pair_when_nobody_else_waits(w: World) -> None:
    pair = await pair_up(w)
    await _close_by_no_show(w, pair)
    await w.peer.join_queue(GUILD, w.users["ann"], Track.TECHNICAL)
    again = await w.peer.join_queue(GUILD, w.users["ben"], Track.TECHNICAL)
    assert [m.name for m in again.pairs[0].members] == ["ann", "ben"]


async def test_batch_of_waiting_members_respects_the_repeat_rule(
    w: World, clock: FakeClock
) -> None:
    """Entries left waiting together (e.g. by an older process) are paired as a batch."""
    pair = await pair_up(w)
    await _close_by_no_show(w, pair)
    async with w.db.transaction() as s:
        for n, name in enumerate(("ann", "ben")):
            s.add(
                PeerQueueEntry(
                    guild_id=GUILD,
                    user_id=w.users[name],
                    track="technical",
                    joined_at=clock.now() - timedelta(minutes=5 - n),
                )
            )
    result = await w.peer.join_queue(GUILD, w.users["cat"], Track.TECHNICAL)
    assert [[m.name for m in p.members] for p in result.pairs] == [["ann", "cat"]]
    status = await w.peer.queue_status(GUILD, w.users["ben"])
    assert status.spot is not None and [s.member.name for s in status.waiting] == ["ben"]


async def _close_by_no_show(w: World, pair: PairView) -> None:
    w.clock.advance(NO_SHOW_AFTER.total_seconds())
    await w.settle()
    assert (await w.peer.pair(pair.id)).state is PairState.CLOSED


# -- invitations ----------------------------------------------------------------------------------


async def test_invite_accept_creates_a_pair_and_clears_the_queue(
    w: World, clock: FakeClock
) -> None:
    await w.peer.join_queue(GUILD, w.users["ben"], Track.SYSTEM_DESIGN)
    invite = await w.peer.invite(
        GUILD, w.users["ann"], w.users["ben"], Track.TECHNICAL, Difficulty.HARD, channel_id=CHANNEL
    )
    assert invite.status == "pending" and invite.expires_at == clock.now() + INVITE_TTL
    await w.peer.set_invite_message(invite.id, CHANNEL, 555)
    with pytest.raises(NotAllowed, match="only they can answer"):
        await w.peer.accept_invite(invite.id, w.users["cat"])
    accepted, pair = await w.peer.accept_invite(invite.id, w.users["ben"])
    assert (
        accepted.status == "accepted" and accepted.pair_id == pair.id and accepted.message_id == 555
    )
    assert pair.source == "invite" and [m.name for m in pair.members] == ["ann", "ben"]
    assert (await w.peer.queue_status(GUILD, w.users["ben"])).waiting == ()
    with pytest.raises(PeerError, match="already accepted"):
        await w.peer.decline_invite(invite.id, w.users["ben"])
    started = await _ready_both(w, pair)
    assert started.question.difficulty is Difficulty.HARD  # the invitation's difficulty


async def _ready_both(w: World, pair: PairView) -> RoundView:
    for member in pair.members:
        result = await w.peer.ready(pair.id, member.user_id)
    assert result.started is not None
    return result.started


async def test_invite_decline_and_refusals(w: World) -> None:
    with pytest.raises(PeerError, match="can't invite yourself"):
        await w.peer.invite(GUILD, w.users["ann"], w.users["ann"], Track.TECHNICAL)
    invite = await w.peer.invite(GUILD, w.users["ann"], w.users["ben"], Track.TECHNICAL)
    with pytest.raises(PeerError, match="already have an invitation"):
        await w.peer.invite(GUILD, w.users["ann"], w.users["cat"], Track.TECHNICAL)
    declined = await w.peer.decline_invite(invite.id, w.users["ben"])
    assert declined.status == "declined"
    assert await w.peer.timers.due_at(_invite_key(invite.id)) is None
    await w.peer.invite(GUILD, w.users["ann"], w.users["cat"], Track.TECHNICAL)  # allowed now


def _invite_key(invite_id: int) -> object:
    from bot.features.peer_mocks.timers import TimerKey

    return TimerKey("invite", invite_id)


async def test_invite_expires_after_five_minutes(w: World, clock: FakeClock) -> None:
    invite = await w.peer.invite(GUILD, w.users["ann"], w.users["ben"], Track.TECHNICAL)
    clock.advance((INVITE_TTL - timedelta(seconds=1)).total_seconds())
    await w.settle()
    assert w.events == []
    clock.advance(seconds=1)
    await w.settle()
    [event] = w.events
    assert isinstance(event, InviteExpired) and event.invite.id == invite.id
    assert event.invite.status == "expired"
    with pytest.raises(PeerError, match="already expired"):
        await w.peer.accept_invite(invite.id, w.users["ben"])


async def test_invite_expiry_survives_a_restart(db: Database, clock: FakeClock) -> None:
    banks = _bank()
    first = await _world(db, clock, banks)
    invite = await first.peer.invite(GUILD, first.users["ann"], first.users["ben"], Track.TECHNICAL)
    await first.peer.stop()
    await first.dispatcher.stop()
    clock.advance(minutes=6)  # expired while the bot was down
    second = await _world(db, clock, banks)
    try:
        await second.settle()
        [event] = second.events
        assert isinstance(event, InviteExpired) and event.invite.id == invite.id
    finally:
        await second.peer.stop()
        await second.dispatcher.stop()


# -- rounds ---------------------------------------------------------------------------------------


async def test_both_ready_starts_round_one_as_a_peer_session(w: World) -> None:
    view = await start_round(w, difficulty=Difficulty.MEDIUM)
    assert {view.interviewer.name, view.candidate.name} == {"ann", "ben"}
    assert view.pair.state is PairState.ROUND and view.status is RoundStatus.ACTIVE
    assert view.question.track is Track.TECHNICAL
    assert view.question.difficulty is Difficulty.MEDIUM  # the candidate's wish
    assert view.item is not None and view.item.status is ItemStatus.ACTIVE
    session = await w.interviews.view(_sid(view))
    assert session.mode == "peer" and session.user_id == view.candidate.user_id
    assert session.channel_id == THREAD and session.guild_id == GUILD
    assert await w.peer.timers.due_at(_idle(view.pair.id)) is None  # the session's clock runs now
    with pytest.raises(PeerError, match="already started"):
        await w.peer.ready(view.pair.id, view.candidate.user_id)


async def test_only_pair_members_press_ready(w: World) -> None:
    pair = await pair_up(w)
    with pytest.raises(NotAllowed):
        await w.peer.ready(pair.id, w.users["cat"])


async def test_interviewer_material_and_reveals(w: World) -> None:
    view = await start_round(w)
    interviewer, candidate = view.interviewer.user_id, view.candidate.user_id
    with pytest.raises(NotAllowed, match="Only the interviewer"):
        await w.peer.kit(view.id, candidate)
    kit = await w.peer.kit(view.id, interviewer)
    assert kit.question.reference_answer.startswith("Reference for")
    hint = await w.peer.reveal(view.id, interviewer, "hint")
    assert (hint.number, hint.total, hint.text) == (1, 2, "Think about the gap.")
    with pytest.raises(NotAllowed):
        await w.peer.reveal(view.id, candidate, "hint")
    follow = await w.peer.reveal(view.id, interviewer, "follow_up")
    assert (follow.number, follow.total, follow.text) == (1, 1, "Why?")
    none_left = await w.peer.reveal(view.id, interviewer, "follow_up")
    assert none_left.text is None and none_left.round.follow_ups_revealed == 1
    card = await scorecard(w, view)
    assert card.items[0].hints_used == 1  # the hint caps the automatic score, as in solo


async def test_only_the_candidate_answers(w: World) -> None:
    view = await start_round(w)
    with pytest.raises(NotAllowed, match="Only the candidate"):
        await w.peer.answer(view.id, view.interviewer.user_id, "not mine", 0)
    saved = await w.peer.answer(view.id, view.candidate.user_id, "It is overfitting.", 0)
    assert saved.parts == 1


async def test_full_mock_two_rounds_swap_and_report(w: World) -> None:
    view = await start_round(w)
    await w.peer.answer(
        view.id, view.candidate.user_id, "Overfitting; use k-fold cross-validation.", 0
    )
    with pytest.raises(PeerError, match="when the round is over"):
        await w.peer.score_sheet(view.id, view.interviewer.user_id)
    ended = await w.peer.end_round(view.id, view.interviewer.user_id)
    assert ended.status is RoundStatus.FEEDBACK and ended.ended_by == "interviewer"
    assert ended.pair.state is PairState.FEEDBACK
    with pytest.raises(PeerError, match="already ended"):
        await w.peer.end_round(view.id, view.interviewer.user_id)
    sheet = await w.peer.score_sheet(view.id, view.interviewer.user_id)
    assert [s.label for s in sheet.slots] == ["Names overfitting", "Mentions cross-validation"]
    with pytest.raises(NotAllowed):
        await w.peer.score_point(view.id, view.candidate.user_id, 0, 0, 3)
    with pytest.raises(PeerError, match="1 \\(Strong No Hire\\) to 4"):
        await w.peer.score_point(view.id, view.interviewer.user_id, 0, 0, 5)
    with pytest.raises(NotAllowed, match="Only the candidate of this round"):
        await w.peer.rate_interviewer(view.id, view.interviewer.user_id, 4, "")
    progress = await give_feedback(w, view, (2, 3))
    assert progress.complete and progress.report is None
    card = await scorecard(w, view)
    assert card.items[0].status is ItemStatus.SUBMITTED
    assert card.items[0].peer_score == 3  # the mean 2.5 rounds half up
    assert card.items[0].auto_score is not None  # kept apart
    pair = await w.peer.pair(view.pair.id)
    assert pair.state is PairState.SWAP

    second = await w.peer.swap(pair.id, view.interviewer.user_id)
    assert second.number == 2
    assert second.interviewer == view.candidate and second.candidate == view.interviewer
    assert second.question.id != view.question.id and second.question.track is Track.TECHNICAL
    await w.peer.end_round(second.id, second.interviewer.user_id)
    final = await give_feedback(w, second, (4, 4))
    report = final.report
    assert report is not None and report.pair.state is PairState.FINISHED
    assert [r.number for r in report.rounds] == [1, 2]
    one = report.rounds[0]
    assert one.items[0].points == (("Names overfitting", 2), ("Mentions cross-validation", 3))
    assert one.peer_mean == 3.0 and one.strengths == "Clear structure." and one.rating == 5
    assert report.rounds[1].peer_mean == 4.0
    assert await w.peer.timers.due_at(_idle(pair.id)) is None
    refs = await w.peer.reference_questions(pair.id, view.candidate.user_id)
    assert [q.id for q in refs] == [view.question.id, second.question.id]
    summary = await w.peer.member_summary(view.candidate.user_id)
    assert (summary.mocks, summary.rounds_as_candidate, summary.rounds_as_interviewer) == (1, 1, 1)
    assert summary.mean_peer_score == 3.0 and summary.mean_rating_received == 5.0


async def test_rescoring_a_point_updates_the_peer_score(w: World) -> None:
    view = await start_round(w)
    await w.peer.end_round(view.id, view.interviewer.user_id)
    me = view.interviewer.user_id
    await w.peer.score_point(view.id, me, 0, 0, 1)
    progress = await w.peer.score_point(view.id, me, 0, 1, 1)
    assert progress.scores_done and not progress.complete
    await w.peer.score_point(view.id, me, 0, 1, 4)
    card = await scorecard(w, view)
    assert card.items[0].peer_score == 3  # (1 + 4) / 2 = 2.5, half up


async def test_reference_answers_wait_for_the_end(w: World) -> None:
    view = await start_round(w)
    with pytest.raises(PeerError, match="once the mock is over"):
        await w.peer.reference_questions(view.pair.id, view.candidate.user_id)


async def test_finish_after_round_one(w: World) -> None:
    view = await start_round(w)
    await w.peer.end_round(view.id, view.interviewer.user_id)
    with pytest.raises(PeerError, match="can be finished once"):
        await w.peer.finish(view.pair.id, view.candidate.user_id)
    await give_feedback(w, view)
    report = await w.peer.finish(view.pair.id, view.candidate.user_id)
    assert report.pair.state is PairState.FINISHED and len(report.rounds) == 1


async def test_round_times_out_with_reminder(w: World, clock: FakeClock) -> None:
    view = await start_round(w)
    assert view.item is not None
    clock.advance(minutes=view.item.minutes - 1)
    await w.settle()
    [reminder] = w.events
    assert isinstance(reminder, RoundReminder) and reminder.round.id == view.id
    clock.advance(minutes=1)
    await w.settle()
    ended = w.events[-1]
    assert isinstance(ended, RoundEnded) and ended.round.ended_by == "time"
    assert ended.round.status is RoundStatus.FEEDBACK
    card = await scorecard(w, view)
    assert card.items[0].status is ItemStatus.TIMED_OUT
    with pytest.raises(PeerError, match="already ended"):
        await w.peer.end_round(view.id, view.interviewer.user_id)


async def test_system_design_runs_phase_by_phase(w: World, clock: FakeClock) -> None:
    view = await start_round(w, track=Track.SYSTEM_DESIGN)
    assert view.item is not None and view.item.phase is not None
    assert view.item.phase.name == "clarify" and view.item.total_items == 6
    step = await w.peer.next_phase(view.id, view.interviewer.user_id, 0)
    assert not step.ended and step.round.item is not None and step.round.item.position == 1
    clock.advance(minutes=step.round.item.minutes)
    await w.settle()
    advanced = [e for e in w.events if isinstance(e, PhaseAdvanced)]
    assert advanced and advanced[-1].round.item is not None
    phase = advanced[-1].round.item.phase
    assert phase is not None and phase.name == "data-and-features"
    ended = await w.peer.end_round(view.id, view.interviewer.user_id)
    sheet = await w.peer.score_sheet(ended.id, ended.interviewer.user_id)
    assert [s.label for s in sheet.slots] == ["clarify", "metrics", "data-and-features"]
    card = await scorecard(w, view)
    assert [i.status for i in card.items][3:] == [ItemStatus.NOT_REACHED] * 3


# -- no-shows -------------------------------------------------------------------------------------


async def test_no_show_at_ready_closes_the_pair_and_offers_the_queue(
    w: World, clock: FakeClock
) -> None:
    pair = await pair_up(w)
    clock.advance(minutes=4)
    await w.peer.ready(pair.id, w.users["ben"])
    clock.advance(minutes=5, seconds=59)
    await w.settle()
    assert w.events == []  # ann's ten minutes count from the pairing
    clock.advance(seconds=1)
    await w.settle()
    [event] = w.events
    assert isinstance(event, PairClosed)
    assert [m.name for m in event.no_shows] == ["ann"] and [m.name for m in event.present] == [
        "ben"
    ]
    assert event.report is None and event.pair.state is PairState.CLOSED
    with pytest.raises(NotAllowed, match="did not respond"):
        await w.peer.requeue(pair.id, w.users["ann"], CHANNEL)
    again = await w.peer.requeue(pair.id, w.users["ben"], CHANNEL)
    assert again.spot is not None and again.spot.track is Track.TECHNICAL


async def test_no_show_in_feedback_counts_from_the_last_action(w: World, clock: FakeClock) -> None:
    view = await start_round(w)
    await w.peer.end_round(view.id, view.interviewer.user_id)
    await w.peer.rate_interviewer(view.id, view.candidate.user_id, 4, "Kind.")
    clock.advance(minutes=5)
    await w.peer.score_point(view.id, view.interviewer.user_id, 0, 0, 3)  # still acting
    clock.advance(minutes=6)
    await w.settle()
    assert w.events == []  # 6 minutes since the interviewer's last action
    clock.advance(minutes=4)
    await w.settle()
    [event] = w.events
    assert isinstance(event, PairClosed)
    assert [m.user_id for m in event.no_shows] == [view.interviewer.user_id]
    assert event.report is not None
    [round_report] = event.report.rounds
    assert round_report.status is RoundStatus.INCOMPLETE and round_report.rating == 4
    summary = await w.peer.member_summary(view.interviewer.user_id)
    assert summary.no_shows == 1 and summary.rounds_as_interviewer == 0


async def test_nobody_swaps_within_ten_minutes_finishes_the_mock(
    w: World, clock: FakeClock
) -> None:
    view = await start_round(w)
    await w.peer.end_round(view.id, view.interviewer.user_id)
    await give_feedback(w, view)
    clock.advance(NO_SHOW_AFTER.total_seconds())
    await w.settle()
    [event] = w.events
    assert isinstance(event, PairFinished) and len(event.report.rounds) == 1
    assert event.report.pair.state is PairState.FINISHED
    again = await w.peer.requeue(view.pair.id, view.interviewer.user_id, None)
    assert again.spot is not None


async def test_no_timer_while_the_round_runs(w: World, clock: FakeClock) -> None:
    view = await start_round(w)
    clock.advance(minutes=4)  # shorter than the question
    await w.settle()
    assert not any(isinstance(e, PairClosed) for e in w.events)
    assert (await w.peer.pair(view.pair.id)).state is PairState.ROUND


# -- question choice ------------------------------------------------------------------------------


async def test_questions_avoid_what_either_member_answered(w: World) -> None:
    technical = [q.id for q in technical_set() if q.difficulty is Difficulty.EASY]
    for qid in technical[:3]:  # ann answered three of the four easy ones recently
        q = w.banks.get(qid)
        assert q is not None
        await w.interviews.record_result(w.users["ann"], q, "something", mode="solo")
    view = await start_round(w, difficulty=Difficulty.EASY)
    assert view.question.id == technical[3]


async def test_no_question_left_keeps_the_pair_waiting(db: Database, clock: FakeClock) -> None:
    banks = BankRegistry(QuestionBank([question("only-one")]))
    world = await _world(db, clock, banks)
    try:
        view = await start_round(world)
        await world.peer.end_round(view.id, view.interviewer.user_id)
        await give_feedback(world, view)
        with pytest.raises(PeerError, match="no other technical question"):
            await world.peer.swap(view.pair.id, view.candidate.user_id)
        assert (await world.peer.pair(view.pair.id)).state is PairState.SWAP
    finally:
        await world.peer.stop()
        await world.dispatcher.stop()


def test_rounded_mean_goes_half_up() -> None:
    assert [rounded_mean(s) for s in ([2, 3], [1, 2], [3, 4], [1, 1, 2], [4])] == [3, 2, 4, 1, 4]


async def test_state_is_stored_not_cached(db: Database, clock: FakeClock) -> None:
    """A new service on the same database (a restart) continues a round in feedback."""
    banks = _bank()
    first = await _world(db, clock, banks)
    view = await start_round(first)
    await first.peer.end_round(view.id, view.interviewer.user_id)
    await first.peer.score_point(view.id, view.interviewer.user_id, 0, 0, 4)
    await first.peer.stop()
    await first.dispatcher.stop()
    second = await _world(db, clock, banks)
    try:
        sheet = await second.peer.score_sheet(view.id, view.interviewer.user_id)
        assert [s.score for s in sheet.slots] == [4, None]
        progress = await give_feedback(second, view, (4, 2))
        assert progress.complete
        assert (await second.peer.pair(view.pair.id)).state is PairState.SWAP
    finally:
        await second.peer.stop()
        await second.dispatcher.stop()
