"""Peer mocks: from Ready to the end of a round (question, timed session, reveals, phases)."""

from __future__ import annotations

import logging

from bot.core.questions import Difficulty, Track
from bot.features.interviews.types import (
    ActiveInterviewExists,
    AnswerSaved,
    InterviewError,
    StaleAction,
)
from bot.features.peer_mocks import store
from bot.features.peer_mocks.base import (
    IDLE,
    ROUND_LENGTH,
    PeerCore,
)
from bot.features.peer_mocks.models import PeerRound
from bot.features.peer_mocks.questions import choose_question, recent_question_ids
from bot.features.peer_mocks.records import (
    Member,
    NotAllowed,
    PairState,
    PairView,
    PeerError,
    ReadyResult,
    Reveal,
    RoundStatus,
    RoundStep,
    RoundView,
)
from bot.features.peer_mocks.report import score_slots
from bot.features.peer_mocks.timers import TimerKey

log = logging.getLogger(__name__)


class RoundOps:
    def __init__(self, core: PeerCore) -> None:
        self._core = core

    async def set_thread(self, pair_id: int, channel_id: int | None, thread_id: int) -> None:
        async with self._core.db.transaction() as s:
            row = await self._core.pair_row(s, pair_id)
            row.channel_id, row.thread_id = channel_id or row.channel_id, thread_id

    async def cancel_pair(self, pair_id: int) -> PairView:
        """No private thread could be created: the pair never met (it is not a 'last pair')."""
        async with self._core.lock("pair", pair_id):
            key = TimerKey(IDLE, pair_id)
            async with self._core.db.transaction() as s:
                row = await self._core.pair_row(s, pair_id)
                row.state, row.ended_at = PairState.CANCELLED.value, self._core.clock.now()
                await self._core.timers.cancel_in(s, key)
                view = await store.pair_view(s, row)
            self._core.timers.committed({}, [key])
        return view

    async def ready(self, pair_id: int, user_id: int) -> ReadyResult:
        await self._core.refuse_open_interview(user_id, ready=True)
        async with self._core.lock("pair", pair_id):
            now = self._core.clock.now()
            async with self._core.db.transaction() as s:
                row = await self._core.member_pair(s, pair_id, user_id)
                if row.state != PairState.READY:
                    if PairState(row.state).is_active:
                        raise PeerError("This mock has already started.")
                    raise PeerError(
                        "This mock is over; join the queue again with /mock queue join."
                    )
                if row.member_a_id == user_id:
                    row.a_ready_at = row.a_ready_at or now
                else:
                    row.b_ready_at = row.b_ready_at or now
                self._core.touch(row, user_id, now)
                both = row.a_ready_at is not None and row.b_ready_at is not None
                scheduled, cancelled = await self._core.reschedule_idle(s, row, None)
                view = await store.pair_view(s, row)
            self._core.timers.committed(scheduled, cancelled)
            if not both:
                waiting = tuple(m for m in view.members if m.user_id not in view.ready_ids)
                return ReadyResult(view, None, waiting)
            a, b = view.members
            interviewer, candidate = (a, b) if self._core.rng.random() < 0.5 else (b, a)
            try:
                started = await self._start_round(pair_id, 1, interviewer.user_id, candidate)
            except PeerError:
                await self._unready(pair_id, candidate.user_id)
                raise
        return ReadyResult(started.pair, started, ())

    async def _unready(self, pair_id: int, user_id: int) -> None:
        """Round 1 could not start because of this member: they owe Ready again."""
        async with self._core.db.transaction() as s:
            row = await self._core.pair_row(s, pair_id)
            if row.member_a_id == user_id:
                row.a_ready_at = None
            else:
                row.b_ready_at = None
            step = await self._core.reschedule_idle(s, row, None)
        self._core.timers.committed(*step)

    async def swap(self, pair_id: int, user_id: int) -> RoundView:
        async with self._core.lock("pair", pair_id):
            async with self._core.db.reading() as s:
                row = await self._core.member_pair(s, pair_id, user_id)
                if row.state != PairState.SWAP:
                    raise PeerError("Roles can be swapped once round 1's feedback is complete.")
                first = (await store.rounds_of(s, pair_id))[-1]
                people = await store.members(s, [first.interviewer_id])
            return await self._start_round(
                pair_id, first.number + 1, first.candidate_id, people[first.interviewer_id]
            )

    async def _start_round(
        self, pair_id: int, number: int, interviewer_id: int, candidate: Member
    ) -> RoundView:
        """Pick a question new to both, start the candidate's timed session, record the round."""
        async with self._core.db.reading() as s:
            row = await self._core.pair_row(s, pair_id)
            wish = row.difficulty_a if row.member_a_id == candidate.user_id else row.difficulty_b
            track = Track(row.track)
            recent = await recent_question_ids(s, (row.member_a_id, row.member_b_id), track)
            used = {r.question_id for r in await store.rounds_of(s, pair_id)}
        question = choose_question(
            self._core.banks.for_guild(row.guild_id),
            track,
            Difficulty(wish) if wish else None,
            recent=recent,
            used=used,
            rng=self._core.rng,
        )
        if question is None:
            raise PeerError(f"This server's bank has no other {track.value} question left.")
        try:
            session = await self._core.interviews.start(
                candidate.user_id,
                track,
                ROUND_LENGTH,
                platform=self._core.platform,
                mode="peer",
                fixed_questions=[question],
                guild_id=row.guild_id,
                channel_id=row.thread_id,
            )
        except ActiveInterviewExists as exc:
            raise PeerError(
                f"{candidate.name} has an interview in progress; they can end it with "
                "/interview end, then press the button again."
            ) from exc
        try:
            round_id = await self._record_round(
                pair_id, number, interviewer_id, candidate.user_id, question.id, session.id
            )
        except BaseException:
            await self._core.interviews.abandon(session.id)  # never leave the candidate blocked
            raise
        return await self._core.round_view(round_id)

    async def _record_round(
        self,
        pair_id: int,
        number: int,
        interviewer_id: int,
        candidate_id: int,
        question_id: str,
        session_id: int,
    ) -> int:
        now = self._core.clock.now()
        key = TimerKey(IDLE, pair_id)
        async with self._core.db.transaction() as s:
            pair = await self._core.pair_row(s, pair_id)
            new = PeerRound(
                pair_id=pair_id,
                number=number,
                interviewer_id=interviewer_id,
                candidate_id=candidate_id,
                question_id=question_id,
                session_id=session_id,
                status=RoundStatus.ACTIVE.value,
                hints_revealed=0,
                follow_ups_revealed=0,
                score_slots=0,
                started_at=now,
            )
            s.add(new)
            pair.state, pair.state_since = PairState.ROUND.value, now
            await self._core.timers.cancel_in(s, key)  # the session's own deadlines run the round
            await s.flush()
        self._core.timers.committed({}, [key])
        return new.id

    async def kit(self, round_id: int, user_id: int) -> RoundView:
        """The interviewer's material (question, reference, rubric, follow-ups, hints)."""
        view = await self._core.round_view(round_id)
        self._core.only_interviewer(view, user_id)
        return view

    async def reveal(self, round_id: int, user_id: int, kind: str) -> Reveal:
        """Show the candidate the next hint or follow-up question (kind: hint|follow_up)."""
        if kind not in ("hint", "follow_up"):
            raise ValueError(f"nothing to reveal of kind {kind!r}")
        view = await self._core.round_view(round_id)
        self._core.only_interviewer(view, user_id)
        items = view.question.hints if kind == "hint" else view.question.follow_ups
        async with self._core.lock("pair", view.pair.id), self._core.db.transaction() as s:
            row = await s.get(PeerRound, round_id)
            assert row is not None
            if row.status != RoundStatus.ACTIVE:
                raise PeerError("The round is over; nothing more can be revealed.")
            shown = row.hints_revealed if kind == "hint" else row.follow_ups_revealed
            if shown >= len(items):
                return Reveal(view, kind, 0, len(items), None)
            if kind == "hint":
                row.hints_revealed += 1
            else:
                row.follow_ups_revealed += 1
        if kind == "hint" and view.session_id is not None:
            try:  # a hint caps the automatic score, as in solo interviews
                await self._core.interviews.hint(view.session_id)
            except InterviewError:
                log.info("hint of round %s not counted: the item moved on", round_id)
        return Reveal(
            await self._core.round_view(round_id), kind, shown + 1, len(items), items[shown]
        )

    async def answer(
        self, round_id: int, user_id: int, text: str, position: int | None = None
    ) -> AnswerSaved:
        view = await self._core.round_view(round_id)
        if view.candidate.user_id != user_id:
            raise NotAllowed(f"Only the candidate ({view.candidate.name}) answers in this round.")
        if view.status != RoundStatus.ACTIVE or view.session_id is None:
            raise PeerError("This round is over; answers can no longer be added.")
        return await self._core.interviews.add_answer(view.session_id, text, position=position)

    async def next_phase(self, round_id: int, user_id: int, position: int) -> RoundStep:
        view = await self._active_round_for_interviewer(round_id, user_id)
        assert view.session_id is not None
        advance = await self._core.interviews.submit(view.session_id, position=position)
        if advance.next_item is not None:
            return RoundStep(await self._core.round_view(round_id), ended=False)
        ended = await self._enter_feedback(round_id, "interviewer")
        if ended is None:
            raise PeerError("This round has already ended.")
        return RoundStep(ended, ended=True)

    async def end_round(self, round_id: int, user_id: int) -> RoundView:
        view = await self._active_round_for_interviewer(round_id, user_id)
        assert view.session_id is not None
        await self._finish_session(view.session_id)
        ended = await self._enter_feedback(round_id, "interviewer")
        if ended is None:
            raise PeerError("This round has already ended: time was up.")
        return ended

    async def _finish_session(self, session_id: int) -> None:
        """Submit what the candidate has (the spoken answer counts as answered, not 'not
        reached'), then close any phases left."""
        session = await self._core.interviews.view(session_id)
        if session.status.is_open and session.current is not None:
            try:
                await self._core.interviews.submit(session_id, position=session.current.position)
            except StaleAction:
                pass  # the clock moved it on meanwhile
        if (await self._core.interviews.view(session_id)).status.is_open:
            await self._core.interviews.end(session_id)

    async def _enter_feedback(self, round_id: int, ended_by: str) -> RoundView | None:
        """The round is over: open the feedback step. None when it was already over."""
        async with self._core.db.reading() as s:
            first = await s.get(PeerRound, round_id)
            if first is None or first.status != RoundStatus.ACTIVE:
                return None
            pair_id, session_id = first.pair_id, first.session_id
        card = await self._core.interviews.scorecard(session_id) if session_id else None
        slots = len(score_slots(card)) if card else 0
        async with self._core.lock("pair", pair_id):
            now = self._core.clock.now()
            async with self._core.db.transaction() as s:
                row = await s.get(PeerRound, round_id)
                if row is None or row.status != RoundStatus.ACTIVE:
                    return None
                row.status, row.ended_by, row.ended_at = RoundStatus.FEEDBACK.value, ended_by, now
                row.score_slots = slots
                pair = await self._core.pair_row(s, pair_id)
                pair.state, pair.state_since = PairState.FEEDBACK.value, now
                scheduled, cancelled = await self._core.reschedule_idle(s, pair, row)
            self._core.timers.committed(scheduled, cancelled)
        return await self._core.round_view(round_id)

    async def _active_round_for_interviewer(self, round_id: int, user_id: int) -> RoundView:
        view = await self._core.round_view(round_id)
        self._core.only_interviewer(view, user_id)
        if view.status != RoundStatus.ACTIVE or view.session_id is None:
            raise PeerError("This round has already ended.")
        return view
