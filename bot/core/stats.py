"""Progress statistics and leaderboard ranking: pure aggregation over already-loaded records.

Scores stay apart by who gave them: *automatic* (the rubric matcher), *peer* (another member in a
study-group mock or a panel) and *self* (the candidate's own rating). Mixing them would hide
exactly what a candidate wants to know: how a human judged them versus the cue matcher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

UNKNOWN_TOPIC = "unknown"  # answers to questions no longer in any bank
WEAKEST_LIMIT = 3
WEAKEST_MIN_ANSWERS = 2
DEFAULT_MIN_SESSIONS = 3
LEADERBOARD_SIZE = 10
# A streak is "current" while the last daily answer is at most this many UTC days old: local
# dates run up to a day behind or ahead of UTC, so one day of slack keeps every time zone's
# streak alive through the member's next local day.
STREAK_GRACE_DAYS = 2


# -- averages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Average:
    mean: float
    count: int


def average(values: Iterable[float]) -> Average | None:
    items = list(values)
    return Average(sum(items) / len(items), len(items)) if items else None


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    """One answer as stats see it: where it belongs and the scores it got (1-4, or None)."""

    track: str | None  # None for a daily answer whose question left the bank
    topic: str
    automatic: int | None
    self_score: int | None = None
    peer: int | None = None


@dataclass(frozen=True, slots=True)
class KindAverages:
    automatic: Average | None
    peer: Average | None
    self_assessed: Average | None


def _kind_averages(answers: Sequence[ScoredAnswer]) -> KindAverages:
    return KindAverages(
        automatic=average(a.automatic for a in answers if a.automatic is not None),
        peer=average(a.peer for a in answers if a.peer is not None),
        self_assessed=average(a.self_score for a in answers if a.self_score is not None),
    )


def averages_by(
    answers: Iterable[ScoredAnswer], key: Callable[[ScoredAnswer], str | None]
) -> dict[str, KindAverages]:
    """Averages of each score kind per group, groups sorted by name; a None key is skipped."""
    groups: dict[str, list[ScoredAnswer]] = defaultdict(list)
    for answer in answers:
        group = key(answer)
        if group is not None:
            groups[group].append(answer)
    return {name: _kind_averages(groups[name]) for name in sorted(groups)}


def weakest_topics(
    by_topic: Mapping[str, KindAverages],
    *,
    limit: int = WEAKEST_LIMIT,
    min_answers: int = WEAKEST_MIN_ANSWERS,
) -> list[tuple[str, Average]]:
    """Lowest automatic average first, among topics with enough answers to mean something.

    Automatic scores are the one kind every answer has, so topics compare on equal terms.
    "unknown" is left out: there is nothing to practise under that name.
    """
    candidates = [
        (topic, kinds.automatic)
        for topic, kinds in by_topic.items()
        if topic != UNKNOWN_TOPIC
        and kinds.automatic is not None
        and kinds.automatic.count >= min_answers
    ]
    candidates.sort(key=lambda pair: (pair[1].mean, -pair[1].count, pair[0]))
    return candidates[:limit]


# -- a member's stats ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRecord:
    track: str
    mode: str
    status: str
    mean_score: float | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class SessionPoint:
    """One point of the progress chart: a finished session's mean score."""

    started_at: datetime
    track: str
    mean_score: float


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    best: int


@dataclass(frozen=True, slots=True)
class MemberStats:
    sessions_by_track: dict[str, dict[str, int]]  # track -> mode -> finished sessions
    by_track: dict[str, KindAverages]
    by_topic: dict[str, KindAverages]
    weakest: list[tuple[str, Average]]
    streak: Streak
    timeline: list[SessionPoint]
    session_answers: int
    daily_answers: int

    @property
    def is_empty(self) -> bool:
        activity = self.sessions_by_track or self.session_answers or self.daily_answers
        return not activity and self.streak.best == 0


def live_streak(current: int, last_date: date | None, today: date) -> int:
    """The stored streak, or 0 once the member has missed a day (see STREAK_GRACE_DAYS)."""
    if last_date is None or (today - last_date).days > STREAK_GRACE_DAYS:
        return 0
    return current


@dataclass(frozen=True, slots=True)
class ScoreTotals:
    """Counts and sums of the scores of a group of answers, by kind: what a database returns
    from ``GROUP BY`` instead of one row per answer."""

    track: str | None
    topic: str
    answers: int
    automatic: tuple[int, float] = (0, 0.0)  # (count, sum)
    self_score: tuple[int, float] = (0, 0.0)
    peer: tuple[int, float] = (0, 0.0)


def totals_of(answers: Iterable[ScoredAnswer]) -> list[ScoreTotals]:
    """Per-answer records folded into totals (one per track and topic)."""
    groups: dict[tuple[str | None, str], list[ScoredAnswer]] = defaultdict(list)
    for a in answers:
        groups[(a.track, a.topic)].append(a)

    def kind(values: list[int]) -> tuple[int, float]:
        return len(values), float(sum(values))

    return [
        ScoreTotals(
            track,
            topic,
            len(group),
            kind([a.automatic for a in group if a.automatic is not None]),
            kind([a.self_score for a in group if a.self_score is not None]),
            kind([a.peer for a in group if a.peer is not None]),
        )
        for (track, topic), group in groups.items()
    ]


def _merged_averages(
    totals: Iterable[ScoreTotals], key: Callable[[ScoreTotals], str | None]
) -> dict[str, KindAverages]:
    sums: dict[str, list[list[float]]] = {}
    for t in totals:
        group = key(t)
        if group is None:
            continue
        acc = sums.setdefault(group, [[0, 0.0], [0, 0.0], [0, 0.0]])
        for slot, (count, total) in zip(acc, (t.automatic, t.peer, t.self_score), strict=True):
            slot[0] += count
            slot[1] += total

    def avg(slot: list[float]) -> Average | None:
        return Average(slot[1] / slot[0], int(slot[0])) if slot[0] else None

    return {
        name: KindAverages(avg(sums[name][0]), avg(sums[name][1]), avg(sums[name][2]))
        for name in sorted(sums)
    }


def build_member_stats(
    sessions: Iterable[SessionRecord],
    session_answers: Sequence[ScoredAnswer],
    daily_answers: Sequence[ScoredAnswer],
    streak: Streak,
) -> MemberStats:
    """Sessions count once finished; every scored answer counts, daily answers included."""
    finished = [s for s in sessions if s.status == "finished"]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in finished:
        counts[(s.track, s.mode)] += 1
    timeline = [
        SessionPoint(s.started_at, s.track, s.mean_score)
        for s in finished
        if s.mean_score is not None
    ]
    return member_stats_from_totals(
        counts, timeline, totals_of(session_answers), totals_of(daily_answers), streak
    )


def member_stats_from_totals(
    finished_sessions: Mapping[tuple[str, str], int],
    timeline: Iterable[SessionPoint],
    session_totals: Sequence[ScoreTotals],
    daily_totals: Sequence[ScoreTotals],
    streak: Streak,
) -> MemberStats:
    """The member's stats from aggregates: finished sessions per (track, mode), the finished
    sessions' mean scores, and score totals per (track, topic) of interview and daily answers."""
    by_mode: dict[str, dict[str, int]] = defaultdict(dict)
    for (track, mode), count in sorted(finished_sessions.items()):
        if count:
            by_mode[track][mode] = count
    totals = [*session_totals, *daily_totals]
    by_topic = _merged_averages(totals, lambda t: t.topic)
    return MemberStats(
        sessions_by_track={t: dict(sorted(m.items())) for t, m in sorted(by_mode.items())},
        by_track=_merged_averages(totals, lambda t: t.track),
        by_topic=by_topic,
        weakest=weakest_topics(by_topic),
        streak=streak,
        timeline=sorted(timeline, key=lambda p: p.started_at),
        session_answers=sum(t.answers for t in session_totals),
        daily_answers=sum(t.answers for t in daily_totals),
    )


# -- leaderboard -----------------------------------------------------------------------------


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class Metric(StrEnum):
    AVERAGE = "average"
    SESSIONS = "sessions"
    STREAK = "streak"


def period_start(period: Period, now: datetime) -> datetime | None:
    """Calendar periods in UTC: the week starts Monday 00:00, the month on the 1st at 00:00."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.WEEK:
        return midnight - timedelta(days=midnight.weekday())
    if period is Period.MONTH:
        return midnight.replace(day=1)
    return None


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's activity in a guild over a period.

    ``sessions`` counts finished sessions with a score plus daily answers (a daily answer is a
    one-question session, like a practice round); ``score_total`` sums their mean scores.
    """

    user_id: int
    sessions: int = 0
    score_total: float = 0.0
    streak: int = 0
    best_streak: int = 0

    @property
    def average(self) -> float | None:
        return self.score_total / self.sessions if self.sessions else None


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    standing: Standing
    value: float


def metric_value(standing: Standing, metric: Metric) -> float:
    if metric is Metric.AVERAGE:
        return standing.average or 0.0
    if metric is Metric.SESSIONS:
        return float(standing.sessions)
    return float(standing.streak)


def is_ranked(standing: Standing, metric: Metric, min_sessions: int) -> bool:
    if metric is Metric.AVERAGE:
        return standing.sessions >= min_sessions
    if metric is Metric.SESSIONS:
        return standing.sessions > 0
    return standing.streak > 0


def rank_standings(
    standings: Iterable[Standing], metric: Metric, *, min_sessions: int = DEFAULT_MIN_SESSIONS
) -> list[Ranked]:
    """Everyone eligible, best first, with competition ranks ("1, 2, 2, 4").

    Equal shown values (averages to two decimals) share a rank; the order among them prefers
    more practice (sessions, or best streak for streaks), then the older account.
    """

    def shown(s: Standing) -> float:
        return round(metric_value(s, metric), 2)

    def tie_break(s: Standing) -> float:
        return float(s.best_streak if metric is Metric.STREAK else s.sessions)

    eligible = [s for s in standings if is_ranked(s, metric, min_sessions)]
    eligible.sort(key=lambda s: (-shown(s), -tie_break(s), -(s.average or 0.0), s.user_id))
    ranked: list[Ranked] = []
    for position, standing in enumerate(eligible, 1):
        value = shown(standing)
        rank = ranked[-1].rank if ranked and ranked[-1].value == value else position
        ranked.append(Ranked(rank, standing, value))
    return ranked
