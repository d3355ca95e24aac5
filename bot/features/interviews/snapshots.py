"""What callers see of an interview: views and scorecards built from its rows and the bank."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.formats import Length
from bot.core.questions import Question, RubricPoint, Track, missing_question
from bot.core.session import (
    ItemStatus,
    ItemView,
    Scorecard,
    ScorecardItem,
    SessionStatus,
    SessionView,
    phase_for,
)
from bot.features.interviews.types import QuestionSourceWithLookup
from bot.storage.models import Answer, AnswerPart, InterviewSession


class Snapshots:
    """Turns rows into the immutable views the adapters render; questions come from the bank
    (a question no longer in it shows as a placeholder, so old sessions still render)."""

    def __init__(self, bank: QuestionSourceWithLookup) -> None:
        self._bank = bank

    def question(self, question_id: str) -> Question:
        question = self._bank.get(question_id)
        if question is None:
            return missing_question(question_id)
        return question

    def rubric(self, answer: Answer) -> Sequence[RubricPoint]:
        question = self.question(answer.question_id)
        phase = phase_for(question, answer.phase)
        return phase.rubric if phase else question.rubric

    def item_view(self, row: InterviewSession, answer: Answer) -> ItemView:
        question = self.question(answer.question_id)
        question_ids = list(dict.fromkeys(a.question_id for a in row.answers))
        return ItemView(
            session_id=row.id,
            position=answer.position,
            total_items=len(row.answers),
            question_number=question_ids.index(answer.question_id) + 1,
            question_count=len(question_ids),
            question=question,
            phase=phase_for(question, answer.phase),
            minutes=answer.minutes,
            status=ItemStatus(answer.status),
            asked_at=answer.asked_at,
            deadline_at=answer.deadline_at,
            remaining_seconds=answer.remaining_seconds,
            answer_text=answer_text(answer),
            hints_used=answer.hints_used,
            follow_up=answer.follow_up,
        )

    def view(self, row: InterviewSession) -> SessionView:
        status = SessionStatus(row.status)
        current = (
            self.item_view(row, row.answers[row.current_position])
            if status.is_open and row.answers
            else None
        )
        return SessionView(
            id=row.id,
            user_id=row.user_id,
            platform=row.platform,
            track=Track(row.track),
            length=Length(row.length),
            status=status,
            started_at=row.started_at,
            ended_at=row.ended_at,
            mode=row.mode,
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            current=current,
            total_items=len(row.answers),
            follow_ups=row.follow_ups,
            questions=len({a.question_id for a in row.answers}),
            total_minutes=sum(a.minutes for a in row.answers),
        )

    def scorecard_item(self, answer: Answer) -> ScorecardItem:
        question = self.question(answer.question_id)
        return ScorecardItem(
            position=answer.position,
            question=question,
            phase=phase_for(question, answer.phase),
            minutes=answer.minutes,
            status=ItemStatus(answer.status),
            answer_text=scored_text(answer),
            hints_used=answer.hints_used,
            auto_score=answer.auto_score,
            covered=tuple(answer.covered_points or ()),
            missed=tuple(answer.missed_points or ()),
            self_score=answer.self_score,
            peer_score=answer.peer_score,
            follow_up=answer.follow_up,
            first_answer=_join(answer.parts[: _cut(answer)]),
            follow_up_reply=_join(answer.parts[_cut(answer) :]),
            follow_up_skipped=answer.follow_up_skipped,
            follow_up_by=answer.follow_up_by,
            follow_up_unavailable=answer.follow_up_unavailable or "",
        )

    def scorecard(self, row: InterviewSession) -> Scorecard:
        return Scorecard(
            session_id=row.id,
            track=Track(row.track),
            length=Length(row.length),
            status=SessionStatus(row.status),
            ended_early=row.ended_early,
            items=tuple(self.scorecard_item(a) for a in row.answers),
        )


def answer_text(answer: Answer) -> str:
    """Everything written for this item, follow-up reply included."""
    return _join(answer.parts)


def scored_text(answer: Answer) -> str:
    """What the item is scored on: the whole answer, follow-up reply included, unless the
    follow-up was skipped (then the first answer alone: skipping costs nothing)."""
    if answer.follow_up_skipped:
        return _join(answer.parts[: _cut(answer)])
    return _join(answer.parts)


def _cut(answer: Answer) -> int:
    """Where the follow-up reply starts among the parts (the end when there was none)."""
    return len(answer.parts) if answer.follow_up_from is None else answer.follow_up_from


def _join(parts: Sequence[AnswerPart]) -> str:
    return "\n".join(p.text for p in parts)
