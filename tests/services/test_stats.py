"""StatsService on real data made through the InterviewService (SQLite, and PostgreSQL)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Question, Track
from bot.core.stats import UNKNOWN_TOPIC, Average, Metric, Period
from bot.features.interviews.service import InterviewService
from bot.features.stats.service import Leaderboard, StatsService
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.models import DailyAnswer, DailyDelivery, Streak
from tests.factories import ListBank, question

GUILD, OTHER_GUILD = 111, 222
GOOD = "It is overfitting; I would check with k-fold cross-validation."  # auto 4
HALF = "It is overfitting."  # auto 3
BAD = "No idea at all."  # auto 1

QUESTIONS = {
    "bv-1": question("bv-1", topic="bias-variance"),
    "bv-2": question("bv-2", topic="bias-variance"),
    "pr-1": question("pr-1", topic="probability"),
    "pr-2": question("pr-2", topic="probability"),
    "sd-1": question("sd-1", track=Track.SYSTEM_DESIGN, topic="ranking"),
}


@pytest.fixture
def bank() -> ListBank:
    return ListBank(QUESTIONS.values())


@pytest.fixture
async def dispatcher(db: Database, clock: FakeClock) -> AsyncIterator[Scheduler]:
    deadlines = Scheduler(db, clock, "discord")
    yield deadlines
    await deadlines.stop()


@pytest.fixture
async def interviews(
    db: Database, clock: FakeClock, bank: ListBank, dispatcher: Scheduler
) -> InterviewService:
    service = InterviewService(db, bank, clock, dispatcher, rng=random.Random(3))
    await dispatcher.start()
    return service


@pytest.fixture
def stats(db: Database, clock: FakeClock, bank: ListBank) -> StatsService:
    return StatsService(db, bank, clock)


async def user(svc: InterviewService, name: str) -> int:
    return await svc.ensure_user("discord", f"id-{name}", name)


async def interview(
    svc: InterviewService,
    user_id: int,
    answers: Sequence[tuple[str, str]],
    *,
    guild_id: int | None = GUILD,
    mode: str = "solo",
) -> int:
    """A finished session of the given (question id, answer text) pairs."""
    view = await svc.start(
        user_id,
        Track.TECHNICAL,
        Length.SHORT,
        platform="discord",
        guild_id=guild_id,
        fixed_questions=[QUESTIONS[qid] for qid, _ in answers],
        mode=mode,
    )
    for _, text in answers:
        await svc.add_answer(view.id, text)
        await svc.submit(view.id)
    return view.id


async def daily(
    db: Database,
    user_id: int,
    question_id: str,
    auto_score: int,
    at: datetime,
    *,
    guild_id: int | None = None,
    text: str = "my daily answer",
) -> None:
    """A daily answer; with ``guild_id`` it answers that guild's delivery of the day."""
    async with db.transaction() as s:
        delivery_id = None
        if guild_id is not None:
            delivery = DailyDelivery(
                target_kind="guild",
                target_id=guild_id,
                local_date=at.date(),
                question_id=question_id,
                claimed_at=at,
                delivered_at=at,
            )
            s.add(delivery)
            await s.flush()
            delivery_id = delivery.id
        s.add(
            DailyAnswer(
                user_id=user_id,
                delivery_id=delivery_id,
                question_id=question_id,
                text=text,
                auto_score=auto_score,
                local_date=at.date(),
                answered_at=at,
            )
        )


async def streak(db: Database, user_id: int, current: int, best: int, last: date) -> None:
    async with db.transaction() as s:
        s.add(Streak(user_id=user_id, current=current, best=best, last_local_date=last))


def q(qid: str) -> Question:
    return QUESTIONS[qid]


# -- member stats ------------------------------------------------------------------------------


async def _alice_history(interviews: InterviewService, db: Database, clock: FakeClock) -> int:
    alice = await user(interviews, "alice")
    first = await interview(interviews, alice, [("bv-1", GOOD), ("pr-1", BAD)])  # 4, 1
    await interviews.set_self_score(first, 0, 3)
    clock.advance(days=1)
    await interview(interviews, alice, [("bv-2", HALF), ("pr-2", BAD)])  # 3, 1
    clock.advance(days=1)
    peer = await interview(interviews, alice, [("pr-1", GOOD)], guild_id=OTHER_GUILD, mode="peer")
    await interviews.set_peer_score(peer, 0, 2)  # auto 4, peer 2
    await interviews.record_result(
        alice, q("bv-1"), HALF, mode="panel", guild_id=GUILD, peer_score=3
    )
    await daily(db, alice, "pr-2", 2, clock.now(), guild_id=GUILD)
    await daily(db, alice, "gone-question", 1, clock.now())  # by DM, question left the bank
    await streak(db, alice, 4, 6, clock.now().date() - timedelta(days=1))
    return alice


async def test_own_stats_cover_everything_with_kinds_apart(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    alice = await _alice_history(interviews, db, clock)
    result = await stats.member_stats(alice)

    assert result.sessions_by_track == {"technical": {"panel": 1, "peer": 1, "solo": 2}}
    bv, pr = result.by_topic["bias-variance"], result.by_topic["probability"]
    assert bv.automatic == Average(pytest.approx(10 / 3), 3)  # 4, 3, 3
    assert bv.peer == Average(3.0, 1) and bv.self_assessed == Average(3.0, 1)
    assert pr.automatic == Average(2.0, 4)  # 1, 1, 4, daily 2
    assert pr.peer == Average(2.0, 1) and pr.self_assessed is None
    assert result.by_topic[UNKNOWN_TOPIC].automatic == Average(1.0, 1)
    technical = result.by_track["technical"]
    assert technical.automatic == Average(pytest.approx(18 / 7), 7)
    assert [topic for topic, _ in result.weakest] == ["probability", "bias-variance"]
    assert (result.streak.current, result.streak.best) == (4, 6)
    assert (result.session_answers, result.daily_answers) == (6, 2)
    # Session means use the human score where there is one: self 3 replaces auto 4 on bv-1.
    assert [p.mean_score for p in result.timeline] == [2.0, 2.0, 2.0, 3.0]
    assert all(p.track == "technical" for p in result.timeline)


async def test_guild_view_shows_only_that_guild(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    alice = await _alice_history(interviews, db, clock)
    result = await stats.member_stats(alice, guild_id=GUILD)

    assert result.sessions_by_track == {"technical": {"panel": 1, "solo": 2}}
    pr = result.by_topic["probability"]
    assert pr.automatic == Average(pytest.approx(4 / 3), 3)  # 1, 1, guild daily 2
    assert pr.peer is None  # the peer mock was in the other guild
    assert UNKNOWN_TOPIC not in result.by_topic  # the DM daily answer stays private
    assert result.daily_answers == 1
    assert len(result.timeline) == 3
    other = await stats.member_stats(alice, guild_id=999)
    assert other.sessions_by_track == {} and other.session_answers == 0


async def test_broken_streak_shows_zero_but_keeps_best(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    bob = await user(interviews, "bob")
    await streak(db, bob, 9, 12, clock.now().date() - timedelta(days=5))
    result = await stats.member_stats(bob)
    assert (result.streak.current, result.streak.best) == (0, 12)
    assert not result.is_empty


async def test_unknown_member_has_empty_stats(stats: StatsService) -> None:
    assert await stats.find_user("discord", "nobody") is None
    assert (await stats.member_stats(None)).is_empty


async def test_open_and_unreached_answers_do_not_count(
    interviews: InterviewService, stats: StatsService
) -> None:
    carol = await user(interviews, "carol")
    view = await interviews.start(
        carol,
        Track.TECHNICAL,
        Length.SHORT,
        platform="discord",
        guild_id=GUILD,
        fixed_questions=[q("bv-1"), q("pr-1")],
    )
    await interviews.add_answer(view.id, GOOD)
    await interviews.submit(view.id)
    result = await stats.member_stats(carol)
    assert result.sessions_by_track == {}  # still open
    assert result.by_topic["bias-variance"].automatic == Average(4.0, 1)
    assert "probability" not in result.by_topic  # the open item has no score yet
    await interviews.end(view.id)
    ended = await stats.member_stats(carol)
    assert ended.sessions_by_track == {"technical": {"solo": 1}}
    assert "probability" not in ended.by_topic  # never reached


# -- leaderboard -------------------------------------------------------------------------------

WEDNESDAY = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # the week started Monday 12 January


async def _results(
    svc: InterviewService, user_id: int, texts: Sequence[str], at: datetime, guild: int = GUILD
) -> None:
    for text in texts:
        await svc.record_result(
            user_id, q("bv-1"), text, mode="round", guild_id=guild, started_at=at
        )


async def _league(interviews: InterviewService, db: Database, clock: FakeClock) -> dict[str, int]:
    clock.set(WEDNESDAY)
    ids = {n: await user(interviews, n) for n in ("ann", "ben", "cat", "dan", "eve")}
    this_week = WEDNESDAY - timedelta(days=1)
    await _results(interviews, ids["ann"], [GOOD, GOOD, HALF], this_week)  # 3.67 (3)
    await _results(interviews, ids["ben"], [GOOD, GOOD], this_week)  # 4.00 (2) ...
    await daily(db, ids["ben"], "pr-1", 4, this_week, guild_id=GUILD)  # ... + a daily: (3)
    await _results(interviews, ids["cat"], [GOOD] * 3, datetime(2025, 12, 20, tzinfo=UTC))
    await _results(interviews, ids["dan"], [BAD] * 3, datetime(2026, 1, 5, tzinfo=UTC))
    await _results(interviews, ids["eve"], [GOOD] * 5, this_week, guild=OTHER_GUILD)
    await daily(db, ids["eve"], "pr-1", 4, this_week)  # by DM: belongs to no guild
    return ids


async def test_leaderboard_average_with_minimum_and_periods(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    ids = await _league(interviews, db, clock)
    names = {v: k for k, v in ids.items()}

    def table(board: Leaderboard) -> list[tuple[int, str, float]]:
        return [(e.rank, names[e.user_id], round(e.value, 2)) for e in board.top]

    week = await stats.leaderboard(GUILD, Period.WEEK, Metric.AVERAGE)
    assert week.since == datetime(2026, 1, 12, tzinfo=UTC) and week.min_sessions == 3
    assert table(week) == [(1, "ben", 4.0), (2, "ann", 3.67)]
    month = await stats.leaderboard(GUILD, Period.MONTH, Metric.AVERAGE)
    assert month.since == datetime(2026, 1, 1, tzinfo=UTC)
    assert table(month) == [(1, "ben", 4.0), (2, "ann", 3.67), (3, "dan", 1.0)]
    ever = await stats.leaderboard(GUILD, Period.ALL, Metric.AVERAGE)
    assert ever.since is None
    assert table(ever) == [(1, "ben", 4.0), (1, "cat", 4.0), (3, "ann", 3.67), (4, "dan", 1.0)]
    strict = await stats.leaderboard(GUILD, Period.ALL, Metric.AVERAGE, min_sessions=4)
    assert strict.top == [] and strict.min_sessions == 4

    # Ben without his daily answer would have only 2 sessions: the daily answer counts as one.
    by_count = await stats.leaderboard(GUILD, Period.WEEK, Metric.SESSIONS)
    # A tie on sessions shares the rank; the better average is listed first.
    assert [(e.rank, names[e.user_id], e.value) for e in by_count.top] == [
        (1, "ben", 3.0),
        (1, "ann", 3.0),
    ]
    assert ids["eve"] not in {e.user_id for e in ever.top}  # her practice was elsewhere


async def test_leaderboard_caller_line_and_explanations(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    ids = await _league(interviews, db, clock)
    mine = await stats.leaderboard(GUILD, Period.WEEK, Metric.AVERAGE, caller_user_id=ids["ann"])
    assert mine.caller is not None and mine.caller.rank == 2
    assert mine.caller.external_id == "id-ann" and mine.caller.display_name == "ann"
    dan = await stats.leaderboard(GUILD, Period.WEEK, Metric.AVERAGE, caller_user_id=ids["dan"])
    assert dan.caller is None and dan.caller_sessions == 0
    await _results(interviews, ids["dan"], [GOOD], WEDNESDAY)
    again = await stats.leaderboard(GUILD, Period.WEEK, Metric.AVERAGE, caller_user_id=ids["dan"])
    assert again.caller is None and again.caller_sessions == 1  # "1 of the 3 needed"


async def test_leaderboard_shows_top_ten_and_the_callers_rank_below(
    interviews: InterviewService, stats: StatsService, clock: FakeClock
) -> None:
    clock.set(WEDNESDAY)
    members = [await user(interviews, f"m{n:02d}") for n in range(12)]
    for n, member in enumerate(members):  # m00 has 12 sessions ... m11 has 1
        await _results(interviews, member, [HALF] * (12 - n), WEDNESDAY)
    board = await stats.leaderboard(GUILD, Period.WEEK, Metric.SESSIONS, caller_user_id=members[-1])
    assert [e.user_id for e in board.top] == members[:10]
    assert board.ranked_count == 12
    assert board.caller is not None and board.caller.rank == 12 and board.caller.value == 1
    assert board.caller.external_id == "id-m11"


async def test_leaderboard_streaks_of_guild_members_only(
    interviews: InterviewService, stats: StatsService, db: Database, clock: FakeClock
) -> None:
    ids = await _league(interviews, db, clock)
    today = clock.now().date()
    await streak(db, ids["ann"], 5, 5, today)
    await streak(db, ids["ben"], 2, 8, today - timedelta(days=1))
    await streak(db, ids["dan"], 7, 7, today - timedelta(days=10))  # broken
    await streak(db, ids["eve"], 30, 30, today)  # active elsewhere only
    board = await stats.leaderboard(GUILD, Period.MONTH, Metric.STREAK, caller_user_id=ids["dan"])
    assert [(e.rank, e.user_id, e.value, e.best_streak) for e in board.top] == [
        (1, ids["ann"], 5, 5),
        (2, ids["ben"], 2, 8),
    ]
    assert board.caller is None and board.caller_streak == 0


async def test_unfinished_and_unscored_sessions_do_not_rank(
    interviews: InterviewService, stats: StatsService, clock: FakeClock
) -> None:
    clock.set(WEDNESDAY)
    fay = await user(interviews, "fay")
    open_one = await interviews.start(
        fay,
        Track.TECHNICAL,
        Length.SHORT,
        platform="discord",
        guild_id=GUILD,
        fixed_questions=[q("bv-1")],
    )
    board = await stats.leaderboard(GUILD, Period.WEEK, Metric.SESSIONS)
    assert board.top == []
    await interviews.end(open_one.id)  # ended with nothing written: no score
    board = await stats.leaderboard(GUILD, Period.WEEK, Metric.SESSIONS)
    assert board.top == []
