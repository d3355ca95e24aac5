"""Grounded AI grading and written feedback for a finished interview.

When the AI interviewer is on for an interview (the terminal's ``--ai``, a guild's switch), the
scorecard is preceded by ``mark_session``: every answered item that has no mark yet is graded
by the model (``bot.ai.AIInterviewer.grade``: per-point verdicts with quotes checked by code and
combined with the deterministic scorer by the rules of ``bot.ai.grounding``) and gets a feedback
paragraph, then the session gets one. The combined score replaces the item's automatic score
(the scorer's own is kept in ``ai_marks.scorer_score``), and the session's mean and verdict
follow.

No model call runs inside a database transaction (a slow model must not hold the writer), and
none runs before Discord's deferral: the flows call this after they deferred. Whatever the
model does, the result is usable: a failure leaves the scorer's score and says why
(``unavailable``), which the scorecards show as one "AI unavailable: <reason>" line.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from bot.ai import AIInterviewer
from bot.ai.interviewer import AIGrade, Feedback
from bot.core.ai_marks import ItemMark, PointMark, SessionMarks
from bot.core.clock import Clock
from bot.core.questions import Question
from bot.core.scoring import RubricResult, score_for
from bot.core.session import ItemStatus, phase_for
from bot.features.interviews import rows
from bot.features.interviews.ai_models import AIMark, AISessionNote
from bot.features.interviews.ai_usage import AIUsage
from bot.features.interviews.snapshots import Snapshots, answer_text
from bot.features.interviews.types import QuestionSourceWithLookup
from bot.storage.database import Database

GRADED = (ItemStatus.SUBMITTED, ItemStatus.TIMED_OUT, ItemStatus.SKIPPED)


@dataclass(frozen=True, slots=True)
class _Todo:
    answer_id: int
    position: int
    question: Question
    phase: str | None
    text: str
    hints_used: int


class AIMarking:
    def __init__(
        self,
        db: Database,
        bank: QuestionSourceWithLookup,
        clock: Clock,
        interviewer: AIInterviewer,
    ) -> None:
        self._db = db
        self._snap = Snapshots(bank)
        self._clock = clock
        self.interviewer = interviewer
        self.usage = AIUsage(db)
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def configured(self) -> bool:
        """Whether the process has LLM settings (it may still be unusable: ``off_reason``)."""
        return self.interviewer.enabled or bool(self.interviewer.off_reason)

    @property
    def host(self) -> str:
        """The model server's host, as members are told where their answers go."""
        client = self.interviewer.client
        if client is None:
            return ""
        return urlsplit(client.settings.base_url).netloc or client.settings.base_url

    # -- reading ------------------------------------------------------------------------------

    async def marks(self, session_id: int) -> SessionMarks | None:
        """What the AI said about a session, or None when it was never marked."""
        async with self._db.reading() as s:
            row = await rows.session_row(s, session_id)
            by_answer = {a.id: a.position for a in row.answers}
            found = (
                await s.scalars(select(AIMark).where(AIMark.answer_id.in_(list(by_answer))))
            ).all()
            note = await s.get(AISessionNote, session_id)
            follow_up = next(
                (a.follow_up_unavailable for a in row.answers if a.follow_up_unavailable), ""
            )
        if note is None and not found and not follow_up:
            return None
        items = {by_answer[m.answer_id]: _item_mark(by_answer[m.answer_id], m) for m in found}
        return SessionMarks(
            items=dict(sorted(items.items())),
            feedback=note.feedback if note else "",
            unavailable=note.unavailable if note else "",
            tokens=(note.tokens if note else 0) + sum(m.tokens for m in found),
            follow_up_unavailable=follow_up,
        )

    # -- marking ------------------------------------------------------------------------------

    async def mark_session(self, session_id: int, *, guild_id: int | None) -> SessionMarks:
        """Grade and comment every answered item not marked yet, then the session (idempotent)."""
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        async with lock:  # a time-out and an /interview end may both ask for the scorecard
            todo, results, has_note = await self._pending(session_id)
            for item in todo:
                results.append(await self._mark_item(session_id, item, guild_id))
            if not has_note and results:
                await self._note_session(session_id, results, guild_id)
        marks = await self.marks(session_id)
        return marks if marks is not None else SessionMarks()

    async def _pending(
        self, session_id: int
    ) -> tuple[list[_Todo], list[tuple[Question, RubricResult]], bool]:
        async with self._db.reading() as s:
            row = await rows.session_row(s, session_id)
            ids = [a.id for a in row.answers]
            marked = set(
                (await s.scalars(select(AIMark.answer_id).where(AIMark.answer_id.in_(ids)))).all()
            )
            has_note = await s.get(AISessionNote, session_id) is not None
            todo: list[_Todo] = []
            done: list[tuple[Question, RubricResult]] = []
            for answer in row.answers:
                text = answer_text(answer)
                if ItemStatus(answer.status) not in GRADED or not text.strip():
                    continue
                question = self._snap.question(answer.question_id)
                phase = phase_for(question, answer.phase)
                item = _Todo(
                    answer.id,
                    answer.position,
                    question,
                    phase.name if phase else None,
                    text,
                    answer.hints_used,
                )
                if answer.id in marked:
                    done.append((question, _result(item)))
                else:
                    todo.append(item)
        return todo, done, has_note

    async def _mark_item(
        self, session_id: int, item: _Todo, guild_id: int | None
    ) -> tuple[Question, RubricResult]:
        det = _result(item)
        await self.top_up_budget(guild_id)
        ai = self.interviewer
        graded: AIGrade = await ai.grade(
            item.question, item.phase, item.text, det, guild_id=guild_id
        )
        result = graded.result or det
        note: Feedback = await ai.feedback(
            item.question, item.phase, item.text, result, guild_id=guild_id
        )
        tokens = graded.tokens + note.tokens
        await self.usage.add(guild_id, ai.today(), tokens)
        decisions = [
            {
                "point": d.point,
                "covered": d.covered,
                "decided_by": d.decided_by,
                "scorer_covered": d.scorer_covered,
                "verdict": d.ai_verdict,
                "quote": d.quote,
                "note": d.note,
            }
            for d in graded.decisions
        ]
        now = self._clock.now()
        async with self._db.transaction() as s:
            if await s.get(AIMark, item.answer_id) is not None:
                return item.question, result  # marked meanwhile by another process
            row = await rows.session_row(s, session_id)
            answer = next(a for a in row.answers if a.id == item.answer_id)
            s.add(
                AIMark(
                    answer_id=item.answer_id,
                    scorer_score=int(det.score),
                    decisions=decisions,
                    feedback=note.text,
                    unavailable=(graded.unavailable or note.unavailable)[:200],
                    tokens=tokens,
                    created_at=now,
                )
            )
            if graded.changed:
                answer.auto_score = int(result.score)
                answer.coverage = result.coverage
                answer.covered_points = list(result.covered)
                answer.missed_points = list(result.missed)
                card = self._snap.scorecard(row)
                if row.ended_at is not None:  # a closed session's mean and verdict follow
                    row.mean_score = card.mean
                    row.verdict = int(card.verdict) if card.verdict else None
        return item.question, result

    async def _note_session(
        self,
        session_id: int,
        results: list[tuple[Question, RubricResult]],
        guild_id: int | None,
    ) -> None:
        await self.top_up_budget(guild_id)
        note = await self.interviewer.session_feedback(results, guild_id=guild_id)
        await self.usage.add(guild_id, self.interviewer.today(), note.tokens)
        async with self._db.transaction() as s:
            if await s.get(AISessionNote, session_id) is not None:
                return
            s.add(
                AISessionNote(
                    session_id=session_id,
                    feedback=note.text,
                    unavailable=note.unavailable[:200],
                    tokens=note.tokens,
                    created_at=self._clock.now(),
                )
            )

    async def record_tokens(self, guild_id: int | None, tokens: int) -> None:
        """Count tokens spent outside marking (follow-ups) in today's stored usage."""
        await self.usage.add(guild_id, self.interviewer.today(), tokens)

    async def top_up_budget(self, guild_id: int | None) -> None:
        """Bring the in-memory budget up to what the database says today's usage is."""
        budget = self.interviewer.budget
        if budget is None:
            return
        day = self.interviewer.today()
        stored = await self.usage.used(guild_id, day)
        missing = stored - budget.used(guild_id, day)
        if missing > 0:
            budget.record(guild_id, day, missing)

    # -- the notice to members ----------------------------------------------------------------

    async def notice_due(self, user_id: int, guild_id: int) -> bool:
        return not await self.usage.notified(user_id, guild_id)

    async def record_notice(self, user_id: int, guild_id: int) -> bool:
        return await self.usage.record_notice(user_id, guild_id, self._clock.now())

    def notice_text(self) -> str:
        return (
            f"🤖 This server has the AI interviewer on: your answers (and the questions, rubrics "
            f"and reference answers) are sent to the model server at **{self.host}**: after "
            "each answer when the interview asks follow-ups (the model writes the follow-up), "
            "and when it ends, to check the grading and write feedback. Nothing about your "
            "account is sent. You are told this once."
        )


def _result(item: _Todo) -> RubricResult:
    return score_for(item.question, item.text, phase=item.phase, hints_used=item.hints_used)


def _item_mark(position: int, mark: AIMark) -> ItemMark:
    points = tuple(
        PointMark(
            point=str(d.get("point", "")),
            covered=bool(d.get("covered")),
            decided_by="ai" if d.get("decided_by") == "ai" else "scorer",
            scorer_covered=bool(d.get("scorer_covered")),
            quote=str(d.get("quote", "")),
            note=str(d.get("note", "")),
        )
        for d in (mark.decisions or [])
        if isinstance(d, dict)
    )
    return ItemMark(
        position, mark.scorer_score, points, mark.feedback, mark.unavailable, mark.tokens
    )
