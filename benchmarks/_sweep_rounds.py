"""Peer mocks and practice rounds for the crash sweep: scripted members and what counts as lost.

A member's event is *confirmed* when the bot told them it was saved (the reply they see), and
*lost* when it was confirmed but is not in the database after the sweep. A pair or a round that
is still open is *stuck* when nothing would ever close it: no pending timer of the shared
scheduler, or a timer that was due well before the final check (the bot ran, it never fired).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.loopback import FakeDiscord, FakeMessage

WAIT = 8.0  # seconds a member waits for one reply before taking the bot for dead
PAIR_DONE = ("finished", "closed", "cancelled")
ROUND_DONE = ("closed", "cancelled")
ANSWER = "Overfitting: a train/validation gap; cross-validate, regularise, stop early."


# -- counting (pure: tested) -------------------------------------------------------------------


@dataclass
class Ledger:
    """Events of one kind, by a unique key: sent by the member, confirmed by the bot."""

    sent: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)

    def lost(self, stored: set[str]) -> set[str]:
        return self.confirmed - stored


@dataclass(frozen=True)
class OpenCount:
    total: int
    done: int  # closed (finished, closed for no-show, voting over...)
    pending: int  # still open, with a timer that will close or move it on
    stuck: int  # still open, and nothing will ever close it


@dataclass(frozen=True)
class Openness:
    done: bool
    due_at: datetime | None  # the earliest pending (not failed) timer, if any


def count_open(items: Iterable[Openness], now: datetime, grace: timedelta) -> OpenCount:
    """A timer more than ``grace`` overdue at ``now`` (while the bot ran) never fired: stuck."""
    rows = list(items)
    done = sum(1 for r in rows if r.done)
    pending = sum(1 for r in rows if not r.done and r.due_at and r.due_at >= now - grace)
    return OpenCount(len(rows), done, pending, len(rows) - done - pending)


# -- reading the database after the sweep ------------------------------------------------------


def _texts(conn: sqlite3.Connection, query: str) -> str:
    return "\n".join(t for (t,) in conn.execute(query) if t)


def stored_peer_tags(db_path: Path, answers: set[str], feedback: set[str], ratings: set[str]):
    """(answers, feedback, ratings) whose tags are in the database."""
    with sqlite3.connect(db_path) as conn:
        answer_blob = _texts(conn, "SELECT text FROM answer_parts")
        feedback_blob = _texts(conn, "SELECT strengths FROM peer_rounds")
        rating_blob = _texts(
            conn, "SELECT rating_comment FROM peer_rounds WHERE rating IS NOT NULL"
        )
    return (
        {t for t in answers if t in answer_blob},
        {t for t in feedback if t in feedback_blob},
        {t for t in ratings if t in rating_blob},
    )


def stored_practice(db_path: Path, answers: set[str]) -> tuple[set[str], set[str]]:
    """Practice answers whose tags are stored, and votes stored as "round:voter:answer" keys."""
    with sqlite3.connect(db_path) as conn:
        blob = _texts(conn, "SELECT text FROM practice_round_answer_parts")
        votes = {
            f"{rid}:{ext}:{aid}"
            for rid, ext, aid in conn.execute(
                "SELECT v.round_id, u.external_id, v.answer_id FROM practice_round_votes v "
                "JOIN users u ON u.id = v.voter_id"
            )
        }
    return {t for t in answers if t in blob}, votes


def _pending(conn: sqlite3.Connection) -> dict[tuple[str, str], datetime]:
    rows = conn.execute("SELECT kind, key, due_at FROM scheduled_jobs WHERE failed_at IS NULL")
    return {(k, key): _utc(due) for k, key, due in rows}


def _utc(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def pair_openness(db_path: Path) -> list[Openness]:
    """Each pair: closed, or its idle timer (ready, feedback, swap) or its round's deadline."""
    with sqlite3.connect(db_path) as conn:
        jobs = _pending(conn)
        pairs = conn.execute("SELECT id, state FROM peer_pairs").fetchall()
        sessions = dict(
            conn.execute(
                "SELECT pair_id, session_id FROM peer_rounds WHERE status = 'active' "
                "AND session_id IS NOT NULL"
            ).fetchall()
        )
    out = []
    for pair_id, state in pairs:
        dues = [jobs[k] for k in [("peer.idle", str(pair_id))] if k in jobs]
        if (sid := sessions.get(pair_id)) is not None:
            dues += [
                d
                for (k, key), d in jobs.items()
                if k == "interview.answer" and key.startswith(f"{sid}:")
            ]
        out.append(Openness(state in PAIR_DONE, min(dues) if dues else None))
    return out


def round_openness(db_path: Path) -> list[Openness]:
    with sqlite3.connect(db_path) as conn:
        jobs = _pending(conn)
        rounds = conn.execute("SELECT id, status FROM practice_rounds").fetchall()
    return [Openness(s in ROUND_DONE, jobs.get(("practice.round", str(r)))) for r, s in rounds]


def overdue_timers(db_path: Path) -> int:
    """Pending timers of peer mocks and practice rounds already due (the bot should fire them)."""
    now = datetime.now(UTC)
    with sqlite3.connect(db_path) as conn:
        jobs = _pending(conn)
    return sum(
        1
        for (kind, _), due in jobs.items()
        if kind.startswith(("peer.", "practice.")) and due <= now
    )


# -- scripted members --------------------------------------------------------------------------


def _cid(message: FakeMessage, prefix: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(prefix))


def _debug(what: str, exc: BaseException) -> None:
    if os.environ.get("SWEEP_DEBUG"):
        print(f"{what} stopped:", repr(exc)[:300], flush=True)


@dataclass
class PeerLedgers:
    answers: Ledger = field(default_factory=Ledger)
    feedback: Ledger = field(default_factory=Ledger)
    ratings: Ledger = field(default_factory=Ledger)


async def peer_mock(
    fake: FakeDiscord,
    a: Any,
    b: Any,
    channel: Any,
    pairing: asyncio.Lock,
    ledgers: PeerLedgers,
    until_up: Callable[[Any, Any], Awaitable[bool]],
) -> None:
    """Two members queue and get paired, press Ready, the candidate answers, the interviewer
    ends the round, scores and writes feedback, the candidate rates; then Finish. Stops at the
    first reply lost (the bot was killed under it): the pair's timers must close it."""
    if not await until_up(a, channel):
        return
    try:
        async with pairing:  # two by two: never paired across scripted pairs
            for member in (a, b):
                joined = await fake.slash(
                    member, channel, "mock queue join", options={"track": "technical"}
                )
                reply = await joined.final_message(WAIT)
            if "paired with" not in reply.content:
                raise RuntimeError(f"not paired: {reply.content[:200]}")
        thread = next(
            t for t in reversed(fake.threads(channel)) if {a.user.id, b.user.id} <= t.members
        )
        welcome = await fake.wait_until(
            lambda: next(
                (
                    m
                    for m in fake.messages_in(thread)
                    if any(c.startswith("mlmock:mock:ready:") for c in m.custom_ids())
                ),
                None,
            ),
            WAIT,
            "the welcome",
        )
        for member in (a, b):
            await (await fake.click(member, welcome, _cid(welcome, "mlmock:mock:ready:"))).response(
                WAIT
            )

        def round_card() -> FakeMessage | None:
            for m in reversed(fake.messages_in(thread)):
                if any(c.startswith("mlmock:mock:end:") for c in m.custom_ids()):
                    return m
            return None

        card = await fake.wait_until(round_card, WAIT, "the round card")
        kit = await fake.wait_for_message(
            lambda m: (
                m.channel.recipient is not None
                and m.id > card.id
                and m.channel.recipient.id in (a.user.id, b.user.id)
                and any(c.startswith("mlmock:mock:hint:") for c in m.custom_ids())
            ),
            timeout=WAIT,
        )
        interviewer, candidate = (a, b) if kit.channel.recipient.id == a.user.id else (b, a)
        tag = f"[peer-answer-{candidate.user.id}]"
        opener = await fake.click(candidate, card, _cid(card, "mlmock:mock:answer:"))
        modal = (await opener.response(WAIT)).data
        ledgers.answers.sent.add(tag)
        saved = await fake.submit_modal(
            candidate, thread, modal["custom_id"], {"answer": f"{ANSWER} {tag}"}
        )
        if (await saved.final_message(WAIT)).content.startswith("Saved"):
            ledgers.answers.confirmed.add(tag)
        await (await fake.click(interviewer, card, _cid(card, "mlmock:mock:end:"))).response(WAIT)
        prompt = await fake.wait_for_message(
            lambda m: m.channel is thread and "Round 1 is over" in m.content, timeout=WAIT
        )
        sheet = await (
            await fake.click(interviewer, prompt, _cid(prompt, "mlmock:mock:score:"))
        ).final_message(WAIT)
        for select_id in sheet.custom_ids():
            await (await fake.select(interviewer, sheet, select_id, ["3"])).final_message(WAIT)
        tag = f"[peer-feedback-{interviewer.user.id}]"
        opener = await fake.click(interviewer, prompt, _cid(prompt, "mlmock:mock:feedback:"))
        modal = (await opener.response(WAIT)).data
        ledgers.feedback.sent.add(tag)
        done = await fake.submit_modal(
            interviewer,
            thread,
            modal["custom_id"],
            {"strengths": f"Named the problem. {tag}", "improvements": "Quantify the gap."},
        )
        if "Feedback saved" in (await done.final_message(WAIT)).content:
            ledgers.feedback.confirmed.add(tag)
        tag = f"[peer-rating-{candidate.user.id}]"
        opener = await fake.click(candidate, prompt, _cid(prompt, "mlmock:mock:rate:"))
        modal = (await opener.response(WAIT)).data
        ledgers.ratings.sent.add(tag)
        rated = await fake.submit_modal(
            candidate, thread, modal["custom_id"], {"rating": ["4"], "comment": f"Helpful {tag}"}
        )
        if "rated your interviewer" in (await rated.final_message(WAIT)).content:
            ledgers.ratings.confirmed.add(tag)
        offer = await fake.wait_for_message(
            lambda m: m.channel is thread and "Round 1 is complete" in m.content, timeout=WAIT
        )
        await (await fake.click(candidate, offer, _cid(offer, "mlmock:mock:finish:"))).response(
            WAIT
        )
    except Exception as exc:
        _debug("peer mock", exc)


@dataclass
class PracticeLedgers:
    answers: Ledger = field(default_factory=Ledger)
    votes: Ledger = field(default_factory=Ledger)  # "round:voter discord id:answer id"


async def practice_round(
    fake: FakeDiscord,
    starter: Any,
    members: list[Any],
    channel: Any,
    ledgers: PracticeLedgers,
    until_up: Callable[[Any, Any], Awaitable[bool]],
    reveal_wait: float,
) -> None:
    """A one-minute round: the starter posts it, members answer; the timer reveals the answers
    (across restarts), then each member votes for the next member's answer. Every action is
    retried while the bot is down; a confirmed one is never repeated."""
    if not await until_up(starter, channel):
        return

    def question() -> FakeMessage | None:
        for m in fake.messages_in(channel):
            if any(c.startswith("mlmock:pr:answer:") for c in m.custom_ids()):
                return m
        return None

    try:
        for _ in range(5):
            if question() is not None:
                break
            try:
                started = await fake.slash(
                    starter,
                    channel,
                    "practice start",
                    options={"track": "technical", "minutes": 1},
                )
                await started.final_message(WAIT)
            except Exception as exc:
                _debug("practice start", exc)
                await until_up(starter, channel)
        posted = await fake.wait_until(question, WAIT, "the practice question")
        round_id = _cid(posted, "mlmock:pr:answer:").rsplit(":", 1)[-1]
        await asyncio.gather(
            *(_practice_answer(fake, m, posted, ledgers, until_up) for m in members)
        )

        def vote_buttons() -> dict[str, tuple[FakeMessage, str]] | None:
            thread = next(iter(fake.threads(channel)), None)
            if thread is None:
                return None
            found = {}
            for message in fake.messages_in(thread):
                for cid in message.custom_ids():
                    component = message.find_component(cid)
                    if cid.startswith("mlmock:pr:vote:") and component:
                        found[component["label"].rsplit(". ", 1)[-1]] = (message, cid)
            return found or None

        buttons = await fake.wait_until(vote_buttons, reveal_wait, "the reveal")
        authors = [m for m in members if m.name in buttons]
        for n, voter in enumerate(authors):
            if len(authors) < 2:
                break
            target = authors[(n + 1) % len(authors)]
            message, cid = buttons[target.name]
            key = f"{round_id}:{voter.user.id}:{cid.rsplit(':', 1)[-1]}"
            ledgers.votes.sent.add(key)
            for _ in range(5):
                try:
                    reply = await (await fake.click(voter, message, cid)).final_message(WAIT)
                    if "is saved" in reply.content:
                        ledgers.votes.confirmed.add(key)
                    break
                except Exception as exc:
                    _debug("practice vote", exc)
                    await until_up(voter, channel)
    except Exception as exc:
        _debug("practice round", exc)


async def _practice_answer(
    fake: FakeDiscord,
    member: Any,
    question: FakeMessage,
    ledgers: PracticeLedgers,
    until_up: Callable[[Any, Any], Awaitable[bool]],
) -> None:
    for attempt in range(5):
        if not question.components:
            return  # revealed already: too late to answer
        tag = f"[practice-{member.user.id}-{attempt}]"
        try:
            opened = await fake.click(member, question, _cid(question, "mlmock:pr:answer:"))
            modal = (await opened.response(WAIT)).data
            ledgers.answers.sent.add(tag)
            saved = await fake.submit_modal(
                member, question.channel, modal["custom_id"], {"answer": f"{ANSWER} {tag}"}
            )
            if (await saved.final_message(WAIT)).content.startswith("Saved privately"):
                ledgers.answers.confirmed.add(tag)
                return
        except Exception as exc:
            _debug("practice answer", exc)
            await until_up(member, question.channel)
