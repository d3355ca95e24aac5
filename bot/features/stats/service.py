"""Progress stats for one member and leaderboards for a guild.

What belongs to a guild: sessions whose ``guild_id`` is the guild, and daily answers linked to a
daily question the guild's channel received (``daily_answers.delivery_id`` -> a delivery with
``target_kind = 'guild'``). Daily answers to questions sent by DM belong to no guild: a member's
private practice never shows up on a server they did not do it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.questions import Question
from bot.core.session import ItemStatus, SessionStatus
from bot.core.stats import (
    DEFAULT_MIN_SESSIONS,
    LEADERBOARD_SIZE,
    UNKNOWN_TOPIC,
    MemberStats,
    Metric,
    Period,
    Ranked,
    ScoreTotals,
    SessionPoint,
    Standing,
    Streak,
    live_streak,
    member_stats_from_totals,
    period_start,
    rank_standings,
)
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    DailyAnswer,
    DailyDelivery,
    InterviewSession,
)
from bot.storage.models import (
    Streak as StreakRow,
)
from bot.storage.models import (
    User as UserRow,
)

ANSWERED = (ItemStatus.SUBMITTED.value, ItemStatus.SKIPPED.value, ItemStatus.TIMED_OUT.value)


class QuestionLookup(Protocol):
    def get(self, question_id: str) -> Question | None: ...


async def lookup_user_id(s: AsyncSession, platform: str, external_id: str) -> int | None:
    """The member's users.id, without creating one: reading stats must not store anyone."""
    return await s.scalar(
        select(UserRow.id).where(UserRow.platform == platform, UserRow.external_id == external_id)
    )


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    user_id: int
    external_id: str
    display_name: str
    value: float
    sessions: int
    best_streak: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    period: Period
    metric: Metric
    since: datetime | None  # UTC start of the period; None for all time
    min_sessions: int
    top: list[LeaderboardEntry]
    ranked_count: int
    caller: LeaderboardEntry | None  # the caller's own line when ranked
    caller_sessions: int  # what the caller has in the period (to explain a missing rank)
    caller_streak: int


class StatsService:
    def __init__(
        self,
        db: Database,
        bank: QuestionLookup,
        clock: Clock,
        *,
        min_sessions: int = DEFAULT_MIN_SESSIONS,
    ) -> None:
        self._db = db
        self._bank = bank
        self._clock = clock
        self.min_sessions = min_sessions

    async def find_user(self, platform: str, external_id: str) -> int | None:
        async with self._db.reading() as s:
            return await lookup_user_id(s, platform, external_id)

    # -- one member -------------------------------------------------------------------------

    async def member_stats(
        self, user_id: int | None, *, guild_id: int | None = None
    ) -> MemberStats:
        """Everything the member did, or (``guild_id`` given) only what belongs to that guild.

        The database aggregates (counts and sums per question), so the work left in Python
        grows with the questions the member met, not with their whole history."""
        if user_id is None:
            return member_stats_from_totals({}, [], [], [], Streak(0, 0))
        async with self._db.reading() as s:
            counts = await s.execute(self._finished_counts_query(user_id, guild_id))
            timeline = await s.execute(self._timeline_query(user_id, guild_id))
            answers = await s.execute(self._answers_query(user_id, guild_id))
            daily = await s.execute(self._daily_query(user_id, guild_id))
            streak_row = await s.get(StreakRow, user_id)
            finished = {(track, mode): int(n) for track, mode, n in counts}
            points = [SessionPoint(at, track, float(mean)) for at, track, mean in timeline]
            scored = [
                ScoreTotals(
                    track,
                    self._topic(qid),
                    int(n),
                    (int(auto_n), float(auto_sum or 0)),
                    (int(own_n), float(own_sum or 0)),
                    (int(peer_n), float(peer_sum or 0)),
                )
                for qid, track, n, auto_n, auto_sum, own_n, own_sum, peer_n, peer_sum in answers
            ]
            daily_scored = [
                self._daily_totals(qid, int(n), float(total or 0)) for qid, n, total in daily
            ]
        return member_stats_from_totals(
            finished, points, scored, daily_scored, self._streak(streak_row)
        )

    def _mine(self, query: Any, user_id: int, guild_id: int | None) -> Any:
        query = query.where(InterviewSession.user_id == user_id)
        return query if guild_id is None else query.where(InterviewSession.guild_id == guild_id)

    def _finished_counts_query(self, user_id: int, guild_id: int | None) -> Any:
        query = select(InterviewSession.track, InterviewSession.mode, func.count()).where(
            InterviewSession.status == SessionStatus.FINISHED.value
        )
        return self._mine(query, user_id, guild_id).group_by(
            InterviewSession.track, InterviewSession.mode
        )

    def _timeline_query(self, user_id: int, guild_id: int | None) -> Any:
        query = select(
            InterviewSession.started_at, InterviewSession.track, InterviewSession.mean_score
        ).where(
            InterviewSession.status == SessionStatus.FINISHED.value,
            InterviewSession.mean_score.is_not(None),
        )
        return self._mine(query, user_id, guild_id).order_by(
            InterviewSession.started_at, InterviewSession.id
        )

    def _answers_query(self, user_id: int, guild_id: int | None) -> Any:
        query = (
            select(
                Answer.question_id,
                InterviewSession.track,
                func.count(),
                func.count(Answer.auto_score),
                func.sum(Answer.auto_score),
                func.count(Answer.self_score),
                func.sum(Answer.self_score),
                func.count(Answer.peer_score),
                func.sum(Answer.peer_score),
            )
            .join(InterviewSession, Answer.session_id == InterviewSession.id)
            .where(Answer.status.in_(ANSWERED))
        )
        return self._mine(query, user_id, guild_id).group_by(
            Answer.question_id, InterviewSession.track
        )

    def _daily_query(self, user_id: int, guild_id: int | None) -> Any:
        query = select(
            DailyAnswer.question_id, func.count(), func.sum(DailyAnswer.auto_score)
        ).where(DailyAnswer.user_id == user_id)
        if guild_id is not None:
            query = query.join(DailyDelivery, DailyAnswer.delivery_id == DailyDelivery.id).where(
                *_guild_delivery(guild_id)
            )
        return query.group_by(DailyAnswer.question_id)

    def _topic(self, question_id: str) -> str:
        question = self._bank.get(question_id)
        return question.topic if question else UNKNOWN_TOPIC

    def _daily_totals(self, question_id: str, count: int, total: float) -> ScoreTotals:
        """Daily answers always carry an automatic score."""
        question = self._bank.get(question_id)
        if question is None:
            return ScoreTotals(None, UNKNOWN_TOPIC, count, (count, total))
        return ScoreTotals(question.track.value, question.topic, count, (count, total))

    def _streak(self, row: StreakRow | None) -> Streak:
        if row is None:
            return Streak(0, 0)
        today = self._clock.now().date()
        return Streak(live_streak(row.current, row.last_local_date, today), row.best)

    # -- a guild ----------------------------------------------------------------------------

    async def leaderboard(
        self,
        guild_id: int,
        period: Period,
        metric: Metric,
        *,
        caller_user_id: int | None = None,
        min_sessions: int | None = None,
        size: int = LEADERBOARD_SIZE,
    ) -> Leaderboard:
        minimum = self.min_sessions if min_sessions is None else min_sessions
        since = period_start(period, self._clock.now())
        async with self._db.reading() as s:
            if metric is Metric.STREAK:
                standings = await self._streak_standings(s, guild_id)
            else:
                standings = await self._activity_standings(s, guild_id, since)
            ranked = rank_standings(standings.values(), metric, min_sessions=minimum)
            mine = next((r for r in ranked if r.standing.user_id == caller_user_id), None)
            shown = ranked[:size]
            wanted = {r.standing.user_id for r in [*shown, *([mine] if mine else [])]}
            names = await self._names(s, wanted)
        caller = standings.get(caller_user_id) if caller_user_id is not None else None
        return Leaderboard(
            period=period,
            metric=metric,
            since=since,
            min_sessions=minimum,
            top=[_entry(r, names) for r in shown],
            ranked_count=len(ranked),
            caller=_entry(mine, names) if mine else None,
            caller_sessions=caller.sessions if caller else 0,
            caller_streak=caller.streak if caller else 0,
        )

    async def _activity_standings(
        self, s: AsyncSession, guild_id: int, since: datetime | None
    ) -> dict[int, Standing]:
        """Finished, scored sessions of the guild plus the guild's daily answers, per member."""
        sessions = select(
            InterviewSession.user_id,
            func.count(),
            func.sum(InterviewSession.mean_score),
        ).where(
            InterviewSession.guild_id == guild_id,
            InterviewSession.status == SessionStatus.FINISHED.value,
            InterviewSession.mean_score.is_not(None),
        )
        daily = (
            select(DailyAnswer.user_id, func.count(), func.sum(DailyAnswer.auto_score))
            .join(DailyDelivery, DailyAnswer.delivery_id == DailyDelivery.id)
            .where(*_guild_delivery(guild_id))
        )
        if since is not None:
            sessions = sessions.where(InterviewSession.started_at >= since)
            daily = daily.where(DailyAnswer.answered_at >= since)
        totals: dict[int, tuple[int, float]] = {}
        for query in (
            sessions.group_by(InterviewSession.user_id),
            daily.group_by(DailyAnswer.user_id),
        ):
            for user_id, count, total in await s.execute(query):
                before = totals.get(user_id, (0, 0.0))
                totals[user_id] = (before[0] + int(count), before[1] + float(total or 0))
        return {uid: Standing(uid, n, total) for uid, (n, total) in totals.items()}

    async def _streak_standings(self, s: AsyncSession, guild_id: int) -> dict[int, Standing]:
        """Current streaks of the members active in the guild (a session or a daily answer)."""
        members = union(
            select(InterviewSession.user_id).where(InterviewSession.guild_id == guild_id),
            select(DailyAnswer.user_id)
            .join(DailyDelivery, DailyAnswer.delivery_id == DailyDelivery.id)
            .where(*_guild_delivery(guild_id)),
        ).subquery()
        rows = await s.execute(
            select(
                StreakRow.user_id, StreakRow.current, StreakRow.best, StreakRow.last_local_date
            ).join(members, members.c.user_id == StreakRow.user_id)
        )
        today = self._clock.now().date()
        return {
            uid: Standing(uid, streak=live_streak(current, last, today), best_streak=best)
            for uid, current, best, last in rows
        }

    async def _names(self, s: AsyncSession, user_ids: set[int]) -> dict[int, tuple[str, str]]:
        if not user_ids:
            return {}
        rows = await s.execute(
            select(UserRow.id, UserRow.external_id, UserRow.display_name).where(
                UserRow.id.in_(user_ids)
            )
        )
        return {uid: (external, name) for uid, external, name in rows}


def _guild_delivery(guild_id: int) -> Sequence[Any]:
    return (DailyDelivery.target_kind == "guild", DailyDelivery.target_id == guild_id)


def _entry(ranked: Ranked, names: dict[int, tuple[str, str]]) -> LeaderboardEntry:
    standing = ranked.standing
    external_id, name = names.get(standing.user_id, ("", ""))
    return LeaderboardEntry(
        rank=ranked.rank,
        user_id=standing.user_id,
        external_id=external_id,
        display_name=name,
        value=ranked.value,
        sessions=standing.sessions,
        best_streak=standing.best_streak,
    )
