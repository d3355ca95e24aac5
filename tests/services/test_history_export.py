"""CSV export of a member's own history, parsed back with csv.reader."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.features.interviews.service import InterviewService
from bot.features.stats.export import COLUMNS, HistoryExportService, fit_attachment
from bot.storage.database import Database
from tests.factories import ListBank
from tests.services import test_stats as data
from tests.services.test_stats import GOOD, GUILD, daily, interview, q, user

# Fixtures shared with the stats tests (same data builders, same bank).
bank = data.bank
dispatcher = data.dispatcher
interviews = data.interviews

TRICKY = 'It is "overfitting", clearly;\nthen k-fold cross-validation, 5 folds — naïve?'


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


async def test_export_has_one_row_per_answer_and_daily_rows(
    interviews: InterviewService, db: Database, clock: FakeClock, bank: ListBank
) -> None:
    alice = await user(interviews, "alice")
    bob = await user(interviews, "bob")
    view = await interviews.start(
        alice,
        Track.TECHNICAL,
        Length.SHORT,
        platform="discord",
        guild_id=GUILD,
        fixed_questions=[q("bv-1"), q("pr-1"), q("pr-2")],
    )
    first, second = TRICKY.split("\n")
    await interviews.add_answer(view.id, first)
    await interviews.add_answer(view.id, second)
    await interviews.submit(view.id)
    await interviews.skip(view.id)
    await interviews.end(view.id)  # the third question is never reached
    await interviews.set_self_score(view.id, 0, 2)
    clock.advance(hours=2)
    peer = await interview(interviews, alice, [("pr-2", GOOD)], mode="peer")
    await interviews.set_peer_score(peer, 0, 3)
    clock.advance(days=1)
    await daily(db, alice, "bv-2", 3, clock.now(), text="Daily, with\r\nCRLF inside")
    await daily(db, alice, "gone", 1, clock.now() + timedelta(minutes=1))
    await interview(interviews, bob, [("bv-1", "Bob's private answer")])

    export = await HistoryExportService(db, bank).export("discord", "id-alice")
    rows = parse(export.data)
    assert (export.sessions, export.answers, export.daily_answers, export.rows) == (2, 4, 2, 6)
    assert len(rows) == 6
    assert all("Bob" not in r["answer_text"] for r in rows)

    one, skipped, unreached, peer_row, daily_row, unknown = rows
    assert one["session_id"] == str(view.id) and one["mode"] == "solo"
    assert one["started_at"] == "2026-01-05T09:00:00+00:00"
    assert (one["track"], one["question_id"], one["topic"]) == (
        "technical",
        "bv-1",
        "bias-variance",
    )
    assert one["answer_text"] == TRICKY  # quotes, commas, newline and accents survive
    assert (one["status"], one["auto_score"], one["self_score"], one["peer_score"]) == (
        "submitted",
        "4",
        "2",
        "",
    )
    assert one["covered_points"].split("\n") == ["Names overfitting", "Mentions cross-validation"]
    assert one["missed_points"] == ""
    assert (skipped["status"], skipped["auto_score"], skipped["answer_text"]) == (
        "skipped",
        "1",
        "",
    )
    assert skipped["missed_points"].split("\n") == [
        "Names overfitting",
        "Mentions cross-validation",
    ]
    assert (unreached["status"], unreached["auto_score"]) == ("not_reached", "")
    assert (peer_row["mode"], peer_row["peer_score"], peer_row["auto_score"]) == ("peer", "3", "4")
    assert peer_row["started_at"] == "2026-01-05T11:00:00+00:00"
    assert daily_row["session_id"] == "" and daily_row["mode"] == "daily"
    assert (daily_row["question_id"], daily_row["topic"], daily_row["track"]) == (
        "bv-2",
        "bias-variance",
        "technical",
    )
    assert daily_row["auto_score"] == "3" and daily_row["started_at"] == "2026-01-06T11:00:00+00:00"
    assert daily_row["answer_text"] == "Daily, with\r\nCRLF inside"
    assert (unknown["topic"], unknown["track"]) == ("unknown", "")


async def test_export_of_a_stranger_is_just_the_header(db: Database, bank: ListBank) -> None:
    export = await HistoryExportService(db, bank).export("discord", "nobody")
    assert export.rows == 0 and parse(export.data) == []


def test_fit_attachment_compresses_only_when_needed() -> None:
    data = b"session_id,answer\n" + b"1,a fairly repetitive answer\n" * 2000
    assert fit_attachment(data, "h.csv", len(data)) == (data, "h.csv")
    packed = fit_attachment(data, "h.csv", len(data) // 4)
    assert packed is not None and packed[1] == "h.csv.gz"
    assert gzip.decompress(packed[0]) == data
    assert fit_attachment(data, "h.csv", 10) is None
