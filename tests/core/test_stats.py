"""Pure stats helpers: averages by kind, weakest topics, streaks, periods and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.stats import (
    UNKNOWN_TOPIC,
    Average,
    Metric,
    Period,
    ScoredAnswer,
    SessionRecord,
    Standing,
    Streak,
    averages_by,
    build_member_stats,
    live_streak,
    period_start,
    rank_standings,
    weakest_topics,
)


def _a(topic: str, auto: int | None, *, track: str = "technical", **kw: int) -> ScoredAnswer:
    return ScoredAnswer(track, topic, auto, kw.get("own"), kw.get("peer"))


def test_averages_keep_automatic_peer_and_self_apart() -> None:
    answers = [
        _a("probability", 2, peer=4),
        _a("probability", 3, own=3),
        _a("probability", 1),
        _a("ranking", 4, track="system-design"),
    ]
    by_topic = averages_by(answers, lambda a: a.topic)
    assert list(by_topic) == ["probability", "ranking"]
    prob = by_topic["probability"]
    assert prob.automatic == Average(2.0, 3)
    assert prob.peer == Average(4.0, 1)
    assert prob.self_assessed == Average(3.0, 1)
    assert by_topic["ranking"].peer is None and by_topic["ranking"].self_assessed is None


def test_group_key_none_is_skipped() -> None:
    answers = [ScoredAnswer(None, UNKNOWN_TOPIC, 2), _a("x", 3)]
    assert list(averages_by(answers, lambda a: a.track)) == ["technical"]


def test_weakest_topics_need_two_answers_and_skip_unknown() -> None:
    answers = [
        _a("a", 1),  # one answer only: not comparable
        _a("b", 2),
        _a("b", 2),
        _a("c", 3),
        _a("c", 2),
        _a("d", 4),
        _a("d", 4),
        _a("e", 2),
        _a("e", 2),
        _a("e", 2),
        _a(UNKNOWN_TOPIC, 1),
        _a(UNKNOWN_TOPIC, 1),
    ]
    weakest = weakest_topics(averages_by(answers, lambda a: a.topic))
    # b and e tie at 2.0: more answers first (a firmer signal), then c.
    assert [(t, a.mean, a.count) for t, a in weakest] == [
        ("e", 2.0, 3),
        ("b", 2.0, 2),
        ("c", 2.5, 2),
    ]


def test_weakest_topics_ignore_peer_only_answers() -> None:
    answers = [_a("p", None, peer=1), _a("p", None, peer=1)]
    assert weakest_topics(averages_by(answers, lambda a: a.topic)) == []


def test_live_streak_allows_one_day_of_time_zone_slack() -> None:
    today = date(2026, 3, 10)
    assert live_streak(5, date(2026, 3, 10), today) == 5
    assert live_streak(5, date(2026, 3, 8), today) == 5  # a day behind UTC, answered yesterday
    assert live_streak(5, date(2026, 3, 7), today) == 0
    assert live_streak(5, None, today) == 0


def test_member_stats_counts_finished_sessions_by_mode_and_charts_them() -> None:
    t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    sessions = [
        SessionRecord("technical", "solo", "finished", 3.0, t.replace(day=7)),
        SessionRecord("technical", "peer", "finished", 2.0, t.replace(day=6)),
        SessionRecord("technical", "solo", "abandoned", 1.0, t),
        SessionRecord("technical", "solo", "active", None, t),
        SessionRecord("system-design", "solo", "finished", None, t),  # nothing answered
    ]
    stats = build_member_stats(
        sessions, [_a("p", 3)], [ScoredAnswer(None, UNKNOWN_TOPIC, 1)], Streak(2, 4)
    )
    assert stats.sessions_by_track == {
        "system-design": {"solo": 1},
        "technical": {"peer": 1, "solo": 1},
    }
    assert [(p.started_at.day, p.mean_score) for p in stats.timeline] == [(6, 2.0), (7, 3.0)]
    assert stats.by_topic[UNKNOWN_TOPIC].automatic == Average(1.0, 1)
    assert list(stats.by_track) == ["technical"]  # the unknown daily question has no track
    assert (stats.session_answers, stats.daily_answers) == (1, 1)
    assert not stats.is_empty
    assert build_member_stats([], [], [], Streak(0, 0)).is_empty


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period.WEEK, datetime(2026, 1, 12, tzinfo=UTC)),  # Monday
        (Period.MONTH, datetime(2026, 1, 1, tzinfo=UTC)),
        (Period.ALL, None),
    ],
)
def test_period_start_is_calendar_utc(period: Period, expected: datetime | None) -> None:
    sunday_night = datetime(2026, 1, 18, 23, 30, tzinfo=UTC)
    assert period_start(period, sunday_night) == expected


def test_period_start_converts_to_utc_first() -> None:
    from zoneinfo import ZoneInfo

    # Monday 01:00 in Berlin is still Sunday in UTC: the previous week.
    berlin_monday = datetime(2026, 1, 19, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert period_start(Period.WEEK, berlin_monday) == datetime(2026, 1, 12, tzinfo=UTC)


def test_rank_average_applies_minimum_and_shares_ranks() -> None:
    standings = [
        Standing(1, sessions=3, score_total=9.0),  # 3.00
        Standing(2, sessions=2, score_total=8.0),  # 4.00 but too few sessions
        Standing(3, sessions=4, score_total=12.0),  # 3.00, more sessions: listed first
        Standing(4, sessions=5, score_total=10.0),  # 2.00
    ]
    ranked = rank_standings(standings, Metric.AVERAGE, min_sessions=3)
    assert [(r.rank, r.standing.user_id, r.value) for r in ranked] == [
        (1, 3, 3.0),
        (1, 1, 3.0),
        (3, 4, 2.0),
    ]
    lenient = rank_standings(standings, Metric.AVERAGE, min_sessions=2)
    assert lenient[0].standing.user_id == 2


def test_rank_sessions_and_streak() -> None:
    standings = [
        Standing(1, sessions=2, score_total=4.0, streak=0, best_streak=9),
        Standing(2, sessions=5, score_total=5.0, streak=3, best_streak=3),
        Standing(3, sessions=0, streak=3, best_streak=7),
    ]
    by_sessions = rank_standings(standings, Metric.SESSIONS)
    assert [(r.rank, r.standing.user_id) for r in by_sessions] == [(1, 2), (2, 1)]
    by_streak = rank_standings(standings, Metric.STREAK)
    # Equal current streaks share the rank; the better best streak is listed first.
    assert [(r.rank, r.standing.user_id, r.value) for r in by_streak] == [(1, 3, 3), (1, 2, 3)]
