"""Peer mocks: the interviewer's scores and feedback, the candidate's rating, the reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.questions import Question
from bot.core.scoring import weighted_mean
from bot.features.peer_mocks import store
from bot.features.peer_mocks.base import (
    FEEDBACK_LIMIT,
    IDLE,
    RATING_RANGE,
    ROUNDS,
    PeerCore,
)
from bot.features.peer_mocks.models import PeerPair, PeerPointScore, PeerRound
from bot.features.peer_mocks.records import (
    NotAllowed,
    PairReport,
    PairState,
    PeerError,
    PeerSummary,
    RoundProgress,
    RoundStatus,
    RoundView,
    ScoreSheet,
    ScoreSlot,
)
from bot.features.peer_mocks.report import item_peer_score, round_report, score_slots
from bot.features.peer_mocks.timers import TimerKey


class FeedbackOps:
    def __init__(self, core: PeerCore) -> None:
        self._core = core

    async def score_sheet(self, round_id: int, user_id: int) -> ScoreSheet:
        view = await self._core.round_view(round_id)
        self._core.only_interviewer(view, user_id)
        if view.status not in (RoundStatus.FEEDBACK, RoundStatus.COMPLETE):
            raise PeerError("Scoring opens when the round is over.")
        return ScoreSheet(view, await self._slots(view))

    async def score_point(
        self, round_id: int, user_id: int, position: int, point_index: int, score: int
    ) -> RoundProgress:
        if score not in (1, 2, 3, 4):
            raise PeerError("A score is 1 (Strong No Hire) to 4 (Strong Hire).")
        view = await self._feedback_round(round_id, user_id, interviewer=True)
        slots = await self._slots(view)
        slot = next(
            (x for x in slots if (x.position, x.point_index) == (position, point_index)), None
        )
        if slot is None:
            raise PeerError("That point is not on this round's score sheet.")
        now = self._core.clock.now()
        async with self._core.lock("pair", view.pair.id):
            async with self._core.db.transaction() as s:
                existing = await s.scalar(
                    select(PeerPointScore).where(
                        PeerPointScore.round_id == round_id,
                        PeerPointScore.position == position,
                        PeerPointScore.point_index == point_index,
                    )
                )
                if existing is None:
                    s.add(
                        PeerPointScore(
                            round_id=round_id,
                            position=position,
                            point_index=point_index,
                            label=slot.label,
                            score=score,
                            scored_at=now,
                        )
                    )
                else:
                    existing.score, existing.scored_at = score, now
                await s.flush()
                step = await self._after_contribution(s, view, user_id, now)
            self._core.timers.committed(*step)
            # Under the lock, from the stored scores: two quick changes cannot leave a stale one.
            item_score = item_peer_score(await self._slots(view), position)
            if item_score is not None and view.session_id is not None:
                await self._core.interviews.set_peer_score(view.session_id, position, item_score)
        return await self._progress(round_id)

    async def feedback(
        self, round_id: int, user_id: int, strengths: str, improvements: str
    ) -> RoundProgress:
        strengths, improvements = strengths.strip(), improvements.strip()
        if not strengths or not improvements:
            raise PeerError("Write both strengths and improvements (a sentence each is enough).")
        view = await self._feedback_round(round_id, user_id, interviewer=True)
        now = self._core.clock.now()
        async with self._core.lock("pair", view.pair.id):
            async with self._core.db.transaction() as s:
                row = await s.get(PeerRound, round_id)
                assert row is not None
                row.strengths = strengths[:FEEDBACK_LIMIT]
                row.improvements = improvements[:FEEDBACK_LIMIT]
                row.feedback_at = now
                step = await self._after_contribution(s, view, user_id, now)
            self._core.timers.committed(*step)
        return await self._progress(round_id)

    async def rate_interviewer(
        self, round_id: int, user_id: int, rating: int, comment: str
    ) -> RoundProgress:
        if rating not in RATING_RANGE:
            raise PeerError("Rate your interviewer from 1 (not helpful) to 5 (excellent).")
        view = await self._feedback_round(round_id, user_id, interviewer=False)
        now = self._core.clock.now()
        async with self._core.lock("pair", view.pair.id):
            async with self._core.db.transaction() as s:
                row = await s.get(PeerRound, round_id)
                assert row is not None
                row.rating, row.rating_comment = rating, comment.strip()[:FEEDBACK_LIMIT] or None
                row.rated_at = now
                step = await self._after_contribution(s, view, user_id, now)
            self._core.timers.committed(*step)
        return await self._progress(round_id)

    async def _feedback_round(self, round_id: int, user_id: int, *, interviewer: bool) -> RoundView:
        view = await self._core.round_view(round_id)
        if interviewer:
            self._core.only_interviewer(view, user_id)
        elif view.candidate.user_id != user_id:
            raise NotAllowed(
                f"Only the candidate of this round ({view.candidate.name}) rates the interviewer."
            )
        if view.status is RoundStatus.ACTIVE:
            raise PeerError("Feedback opens when the round is over.")
        if view.status is not RoundStatus.FEEDBACK:
            raise PeerError("This round's feedback is closed.")
        return view

    async def _after_contribution(
        self, s: AsyncSession, view: RoundView, user_id: int, now: datetime
    ) -> tuple[dict[TimerKey, datetime], list[TimerKey]]:
        """Note who acted; when all three parts are in, the round counts and the pair moves on
        (swap offer after round 1, finished after round 2). Returns the timer changes."""
        pair = await self._core.pair_row(s, view.pair.id)
        row = await s.get(PeerRound, view.id)
        assert row is not None
        self._core.touch(pair, user_id, now)
        if not await self._core.owing(s, pair, row):
            row.status = RoundStatus.COMPLETE.value
            if row.number < ROUNDS:
                pair.state, pair.state_since = PairState.SWAP.value, now
            else:
                pair.state, pair.ended_at = PairState.FINISHED.value, now
        return await self._core.reschedule_idle(s, pair, row)

    async def _progress(self, round_id: int) -> RoundProgress:
        view = await self._core.round_view(round_id)
        async with self._core.db.reading() as s:
            row = await s.get(PeerRound, round_id)
            assert row is not None
            scored = await store.scored_count(s, round_id)
        complete = view.status is RoundStatus.COMPLETE
        report = None
        if complete and view.pair.state is PairState.FINISHED:
            report = await self.report(view.pair.id)
        return RoundProgress(
            view,
            scored,
            row.score_slots,
            row.feedback_at is not None,
            row.rated_at is not None,
            complete,
            report,
        )

    async def _slots(self, view: RoundView) -> tuple[ScoreSlot, ...]:
        if view.session_id is None:
            return ()
        card = await self._core.interviews.scorecard(view.session_id)
        async with self._core.db.reading() as s:
            return score_slots(card, await store.point_scores(s, view.id))

    async def finish(self, pair_id: int, user_id: int) -> PairReport:
        async with self._core.lock("pair", pair_id):
            key = TimerKey(IDLE, pair_id)
            async with self._core.db.transaction() as s:
                row = await self._core.member_pair(s, pair_id, user_id)
                if row.state != PairState.SWAP:
                    raise PeerError(
                        "This mock can be finished once a round's feedback is complete."
                    )
                row.state, row.ended_at = PairState.FINISHED.value, self._core.clock.now()
                await self._core.timers.cancel_in(s, key)
            self._core.timers.committed({}, [key])
        return await self.report(pair_id)

    async def report(self, pair_id: int) -> PairReport:
        async with self._core.db.reading() as s:
            pair = await store.pair_view(s, await self._core.pair_row(s, pair_id))
            rounds = await store.rounds_of(s, pair_id)
            scores = {r.id: await store.point_scores(s, r.id) for r in rounds}
        people = {m.user_id: m for m in pair.members}
        reports = []
        for row in rounds:
            card = await self._core.interviews.scorecard(row.session_id) if row.session_id else None
            reports.append(
                round_report(
                    row,
                    self._core.question(row.question_id),
                    people[row.interviewer_id],
                    people[row.candidate_id],
                    card,
                    scores[row.id],
                )
            )
        return PairReport(pair, tuple(reports))

    async def reference_questions(self, pair_id: int, user_id: int) -> tuple[Question, ...]:
        """The pair's questions with their reference answers, once the mock is over."""
        async with self._core.db.reading() as s:
            row = await self._core.member_pair(s, pair_id, user_id)
            if PairState(row.state).is_active:
                raise PeerError("Reference answers open once the mock is over.")
            rounds = await store.rounds_of(s, pair_id)
        return tuple(self._core.question(r.question_id) for r in rounds)

    async def member_summary(self, user_id: int) -> PeerSummary:
        """A member's peer mocks for /stats: peer scores stay apart from automatic ones."""
        async with self._core.db.reading() as s:
            rounds = (
                await s.scalars(
                    select(PeerRound).where(
                        (PeerRound.candidate_id == user_id) | (PeerRound.interviewer_id == user_id)
                    )
                )
            ).all()
            no_shows = (
                await s.scalars(
                    select(PeerPair.no_show_ids).where(
                        (PeerPair.member_a_id == user_id) | (PeerPair.member_b_id == user_id),
                        PeerPair.state == PairState.CLOSED.value,
                    )
                )
            ).all()
        complete = [r for r in rounds if r.status == RoundStatus.COMPLETE]
        as_candidate = [r for r in complete if r.candidate_id == user_id]
        peer_means: list[tuple[float, float]] = []
        for r in as_candidate:
            if r.session_id is None:
                continue
            card = await self._core.interviews.scorecard(r.session_id)
            mean = weighted_mean(
                (float(i.peer_score), float(i.minutes))
                for i in card.items
                if i.peer_score is not None
            )
            if mean is not None:
                peer_means.append((mean, 1.0))
        ratings = [
            (float(r.rating), 1.0)
            for r in complete
            if r.interviewer_id == user_id and r.rating is not None
        ]
        return PeerSummary(
            mocks=len({r.pair_id for r in rounds}),
            rounds_as_candidate=len(as_candidate),
            rounds_as_interviewer=len(complete) - len(as_candidate),
            mean_peer_score=weighted_mean(peer_means),
            mean_rating_received=weighted_mean(ratings),
            no_shows=sum(1 for ids in no_shows if str(user_id) in (ids or ())),
        )
