"""A member's own history as CSV: one row per answer, interview answers and daily answers.

The file is written with the csv module (RFC 4180: fields quoted when they hold a comma, quote
or line break; CRLF row ends), UTF-8 with a byte-order mark so spreadsheet programs pick the
right encoding. Covered and missed rubric points are one per line inside their cell.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.features.stats.service import QuestionLookup, lookup_user_id
from bot.storage.database import Database
from bot.storage.models import Answer, DailyAnswer, InterviewSession

COLUMNS = (
    "session_id",
    "started_at",
    "mode",
    "track",
    "question_id",
    "phase",
    "topic",
    "status",
    "auto_score",
    "self_score",
    "peer_score",
    "covered_points",
    "missed_points",
    "answer_text",
)
DAILY_MODE = "daily"
ENCODING = "utf-8-sig"

Row = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HistoryExport:
    filename: str
    data: bytes
    sessions: int
    answers: int
    daily_answers: int

    @property
    def rows(self) -> int:
        return self.answers + self.daily_answers


def iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def write_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """Header plus rows, encoded; newline="" lets the writer own the line endings."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode(ENCODING)


def fit_attachment(data: bytes, filename: str, limit: int) -> tuple[bytes, str] | None:
    """The file as is, gzipped when too big for the upload limit (CSV shrinks about 5x), or
    None when even that does not fit."""
    if len(data) <= limit:
        return data, filename
    packed = gzip.compress(data, mtime=0)
    return (packed, f"{filename}.gz") if len(packed) <= limit else None


def _cell(value: object) -> str:
    return "" if value is None else str(value)


class HistoryExportService:
    def __init__(self, db: Database, bank: QuestionLookup) -> None:
        self._db = db
        self._bank = bank

    async def export(self, platform: str, external_id: str) -> HistoryExport:
        async with self._db.reading() as s:
            user_id = await lookup_user_id(s, platform, external_id)
            sessions: Sequence[InterviewSession] = ()
            daily: Sequence[DailyAnswer] = ()
            if user_id is not None:
                sessions = (
                    await s.scalars(
                        select(InterviewSession)
                        .where(InterviewSession.user_id == user_id)
                        .order_by(InterviewSession.started_at, InterviewSession.id)
                        .options(selectinload(InterviewSession.answers).selectinload(Answer.parts))
                    )
                ).all()
                daily = (
                    await s.scalars(
                        select(DailyAnswer)
                        .where(DailyAnswer.user_id == user_id)
                        .order_by(DailyAnswer.answered_at, DailyAnswer.id)
                    )
                ).all()
        dated = [(sess.started_at, row) for sess in sessions for row in self._session_rows(sess)]
        dated += [(d.answered_at, self._daily_row(d)) for d in daily]
        dated.sort(key=lambda pair: pair[0])  # stable: a session's answers stay in order
        data = await asyncio.to_thread(write_csv, [row for _, row in dated])
        return HistoryExport(
            filename=f"mlmock-history-{external_id}.csv",
            data=data,
            sessions=len(sessions),
            answers=sum(len(sess.answers) for sess in sessions),
            daily_answers=len(daily),
        )

    def _topic_and_track(self, question_id: str) -> tuple[str, str]:
        question = self._bank.get(question_id)
        return (question.topic, question.track.value) if question else ("unknown", "")

    def _session_rows(self, session: InterviewSession) -> list[Row]:
        rows: list[Row] = []
        for answer in session.answers:
            topic, _ = self._topic_and_track(answer.question_id)
            rows.append(
                (
                    str(session.id),
                    iso_utc(session.started_at),
                    session.mode,
                    session.track,
                    answer.question_id,
                    _cell(answer.phase),
                    topic,
                    answer.status,
                    _cell(answer.auto_score),
                    _cell(answer.self_score),
                    _cell(answer.peer_score),
                    "\n".join(answer.covered_points or ()),
                    "\n".join(answer.missed_points or ()),
                    "\n".join(part.text for part in answer.parts),
                )
            )
        return rows

    def _daily_row(self, daily: DailyAnswer) -> Row:
        topic, track = self._topic_and_track(daily.question_id)
        return (
            "",  # a daily answer belongs to no session
            iso_utc(daily.answered_at),
            DAILY_MODE,
            track,
            daily.question_id,
            "",
            topic,
            "submitted",
            str(daily.auto_score),
            "",
            "",
            "",  # daily answers keep their score, not the rubric breakdown
            "",
            daily.text,
        )
