"""Marking an interview's items: the automatic score of an answer, closing a session.

Scores are written on the answer rows; the session's mean and verdict on closing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

from bot.core.scoring import Score, preparation, score_for
from bot.core.session import ItemStatus, SessionStatus, phase_for
from bot.features.interviews.snapshots import Snapshots, scored_text
from bot.features.interviews.timers import DeadlineKey, InterviewTimers
from bot.features.interviews.types import InterviewError
from bot.storage.models import Answer, InterviewSession

log = logging.getLogger(__name__)


class Marking:
    def __init__(self, snapshots: Snapshots) -> None:
        self._snap = snapshots
        self._prepared: set[str] = set()  # question ids; bounded by the banks
        self._preparing: set[asyncio.Task[None]] = set()

    def prepare(self, question_ids: Iterable[str]) -> None:
        """Compile these questions' scoring in the background, a cue at a time, while the
        member reads and types: the answer is then scored in about a millisecond inside its
        transaction instead of many (the first answer to a question paid for compiling it)."""
        todo = [qid for qid in dict.fromkeys(question_ids) if qid not in self._prepared]
        if not todo:
            return
        self._prepared.update(todo)
        task = asyncio.create_task(self._prepare(todo), name="prepare-scoring")
        self._preparing.add(task)
        task.add_done_callback(self._preparing.discard)

    async def _prepare(self, question_ids: list[str]) -> None:
        try:
            for question_id in question_ids:
                for _ in preparation(self._snap.question(question_id)):
                    await asyncio.sleep(0)  # one cue at a time: the event loop stays free
        except Exception:  # only a cache warm-up: scoring compiles whatever is missing
            log.exception("could not prepare the scoring of %s", question_ids)

    def score(self, answer: Answer, status: ItemStatus, now: datetime) -> None:
        text = scored_text(answer)
        rubric = self._snap.rubric(answer)
        result_score = Score.STRONG_NO_HIRE
        covered: tuple[str, ...] = ()
        missed: tuple[str, ...] = tuple(p.point for p in rubric)
        coverage = 0.0
        if text.strip():
            # score_for, not the bare rubric: the prompt (echo) and the question's
            # misconceptions count, exactly as on the scorecard's explanation.
            question = self._snap.question(answer.question_id)
            phase = phase_for(question, answer.phase)
            result = score_for(
                question, text, phase=phase.name if phase else None, hints_used=answer.hints_used
            )
            result_score, coverage = result.score, result.coverage
            covered, missed = result.covered, result.missed
        answer.status = status.value
        answer.answered_at = now
        answer.auto_score = int(result_score)
        answer.coverage = coverage
        answer.covered_points = list(covered)
        answer.missed_points = list(missed)

    def close_open_items(self, row: InterviewSession, now: datetime) -> list[DeadlineKey]:
        """Ending early: score what was written; an untouched current item counts as not reached."""
        cancelled: list[DeadlineKey] = []
        for answer in row.answers:
            if answer.status in (ItemStatus.ACTIVE, ItemStatus.PAUSED):
                cancelled += InterviewTimers.keys(row.id, answer.position)
                if answer.parts:
                    self.score(answer, ItemStatus.SUBMITTED, now)
                else:
                    answer.status = ItemStatus.NOT_REACHED.value
            elif answer.status == ItemStatus.PENDING:
                answer.status = ItemStatus.NOT_REACHED.value
        return cancelled

    def close(self, row: InterviewSession, status: SessionStatus, now: datetime) -> None:
        row.status = status.value
        row.ended_at = now
        card = self._snap.scorecard(row)
        row.mean_score = card.mean
        row.verdict = int(card.verdict) if card.verdict else None

    def human_score(self, row: InterviewSession, position: int, score: int, *, peer: bool) -> None:
        """A self or peer score on one item; a closed session's mean and verdict follow."""
        if not 0 <= position < len(row.answers):
            raise InterviewError("There is no such question in this interview.")
        answer = row.answers[position]
        if answer.status == ItemStatus.NOT_REACHED:
            raise InterviewError("That question was never asked, so it cannot be scored.")
        if peer:
            answer.peer_score = score
        else:
            answer.self_score = score
        if not SessionStatus(row.status).is_open:
            card = self._snap.scorecard(row)
            row.mean_score = card.mean
            row.verdict = int(card.verdict) if card.verdict else None
