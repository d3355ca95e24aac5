"""Daily questions: guild schedules, DM subscriptions, deliveries, answers, streaks.

Exactly once per local day: a delivery is *claimed* by inserting its row into
``daily_deliveries`` (unique on target and local date) before anything is sent, and marked
delivered afterwards. A second claim for the same day finds the row and sends nothing, across
restarts too. A crash between claim and send loses that day's post rather than risking a
duplicate.

A failed send is recorded (the delivery stays undelivered, an ``audit_log`` entry holds the
error) and is not retried that day. A target that is gone (unknown channel or user) is switched
off at once; any other failure is tried again on the next day, and after
``FAILED_DAYS_TO_STOP`` failed days in a row the schedule is switched off too. Either way the
audit log says why.

Streaks and answer dates use the member's own day: the zone of their subscription, else the
guild's daily zone, else UTC.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.daily_schedule import (
    InvalidSchedule,
    Slot,
    StreakState,
    advance_streak,
    first_slot,
    format_time,
    live_streak,
    local_date,
    parse_time,
    parse_zone,
)
from bot.core.questions import Question, Track
from bot.core.scoring import Score, score_answer
from bot.core.spaced_repetition import (
    RECENT_GUILD_DAYS,
    CardState,
    choose_for_member,
    choose_guild_question,
    daily_rubric,
    new_card,
    review,
    topic_averages,
)
from bot.features.config.service import GuildConfig, GuildSettingsService
from bot.features.daily.models import DailyCard, DailySubscription
from bot.storage.database import Database
from bot.storage.models import (
    Answer,
    AuditEntry,
    DailyAnswer,
    DailyDelivery,
    GuildSettings,
    InterviewSession,
    Streak,
    User,
)
from bot.storage.types import UTCDateTime

GUILD = "guild"  # target id: the Discord guild id
USER = "user"  # target id: users.id
FAILED_DAYS_TO_STOP = 3
MAX_ANSWER_CHARS = 4000
UTC_ZONE = ZoneInfo("UTC")


class DailyError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # GUILD | USER
    id: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and where a target gets its daily question."""

    target: Target
    at: time
    zone: ZoneInfo
    track: Track | None
    guild_id: int | None  # whose bank (for a guild: itself)
    channel_id: int | None  # guild posts only
    since: datetime  # when it was last set: a slot before that is not owed

    @property
    def zone_name(self) -> str:
        return self.zone.key


@dataclass(frozen=True, slots=True)
class ScheduleView:
    schedule: Schedule
    next_slot: Slot
    done_today: bool


@dataclass(frozen=True, slots=True)
class GuildDailyView:
    """A guild's daily setting; ``active`` is None when it is off."""

    config: GuildConfig
    active: ScheduleView | None


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    schedule: Schedule
    local_date: date
    question: Question
    recipient: str | None  # a user target's Discord id


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    claims: list[Claim]
    no_question: list[Schedule]  # the bank has no question for these schedules' tracks


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int


@dataclass(frozen=True, slots=True)
class SendFailed:
    error: str
    permanent: bool  # the channel or user is gone: switch the schedule off now


Outcome = Sent | SendFailed


@dataclass(frozen=True, slots=True)
class AnswerRef:
    """What an Answer button points at: a delivery (guild post, DM) or a personal card."""

    kind: str  # "delivery" | "card"
    id: int


@dataclass(frozen=True, slots=True)
class Offer:
    ref: AnswerRef
    question: Question


@dataclass(frozen=True, slots=True)
class StreakView:
    current: int
    best: int
    last_local_date: date | None
    today: date
    zone_name: str

    @property
    def answered_today(self) -> bool:
        return self.last_local_date == self.today


@dataclass(frozen=True, slots=True)
class AnswerResult:
    question: Question
    score: Score
    coverage: float | None  # None when it was already recorded
    missed: tuple[str, ...]
    recorded: bool  # False: an answer for this question today already existed (kept as is)
    local_date: date
    streak: StreakView


ScheduleListener = Callable[[Target, Schedule | None], None]


class DailyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        banks: BankRegistry,
        guild_settings: GuildSettingsService,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._banks = banks
        self._guild_settings = guild_settings
        self._rng = rng or random.Random()
        self._listeners: list[ScheduleListener] = []

    def on_schedule_change(self, listener: ScheduleListener) -> None:
        self._listeners.append(listener)

    def _changed(self, target: Target, schedule: Schedule | None) -> None:
        for listener in self._listeners:
            listener(target, schedule)

    # -- guild schedules ----------------------------------------------------------------------

    async def guild_daily(self, guild_id: int) -> GuildDailyView:
        config = await self._guild_settings.get(guild_id)
        schedule = _guild_schedule(config, self._clock.now())
        return GuildDailyView(config, await self._view(schedule) if schedule else None)

    async def configure_guild(
        self,
        guild_id: int,
        actor_user_id: int | None,
        *,
        channel_id: int | None = None,
        time_text: str | None = None,
        zone_name: str | None = None,
        track: Track | None = None,
        any_track: bool = False,
    ) -> GuildDailyView:
        """Set (or change part of) the guild's daily post; missing parts keep their value."""
        config = await self._guild_settings.get(guild_id)
        changes: dict[str, Any] = {}
        if channel_id is not None:
            changes["daily_channel_id"] = channel_id
        if time_text is not None:
            changes["daily_time"] = format_time(parse_time(time_text))
        if zone_name is not None:
            changes["daily_timezone"] = parse_zone(zone_name).key
        if track is not None or any_track:
            changes["daily_track"] = None if any_track else track.value if track else None
        merged = {
            "channel": changes.get("daily_channel_id", config.daily_channel_id),
            "time": changes.get("daily_time", config.daily_time),
            "timezone": changes.get("daily_timezone", config.daily_timezone),
        }
        if missing := [name for name, value in merged.items() if value is None]:
            raise DailyError(
                "To start the daily question, give "
                + ", ".join(f"`{name}`" for name in missing)
                + " (for example channel:#general time:09:00 timezone:Europe/Berlin)."
            )
        if changes:
            config = await self._guild_settings.update(guild_id, actor_user_id, **changes)
        schedule = _guild_schedule(config, self._clock.now())
        assert schedule is not None
        self._changed(schedule.target, schedule)
        return GuildDailyView(config, await self._view(schedule))

    async def stop_guild(self, guild_id: int, actor_user_id: int | None) -> bool:
        """Turn the guild's post off (its time and zone are kept for a later setup)."""
        config = await self._guild_settings.get(guild_id)
        if config.daily_channel_id is None:
            return False
        await self._guild_settings.update(guild_id, actor_user_id, daily_channel_id=None)
        self._changed(Target(GUILD, guild_id), None)
        return True

    # -- subscriptions ------------------------------------------------------------------------

    async def subscribe(
        self,
        user_id: int,
        guild_id: int | None,
        time_text: str,
        zone_name: str,
        track: Track | None = None,
    ) -> ScheduleView:
        at, zone = parse_time(time_text), parse_zone(zone_name)
        now = self._clock.now()
        values = {
            "guild_id": guild_id,
            "time": format_time(at),
            "timezone": zone.key,
            "track": track.value if track else None,
            "updated_at": now,
        }
        async with self._db.transaction() as s:
            stmt = self._insert(DailySubscription).values(user_id=user_id, created_at=now, **values)
            await s.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))
        schedule = Schedule(Target(USER, user_id), at, zone, track, guild_id, None, now)
        self._changed(schedule.target, schedule)
        return await self._view(schedule)

    async def unsubscribe(self, user_id: int) -> bool:
        async with self._db.transaction() as s:
            result = await s.execute(
                delete(DailySubscription).where(DailySubscription.user_id == user_id)
            )
        removed = bool(getattr(result, "rowcount", 0))
        if removed:
            self._changed(Target(USER, user_id), None)
        return removed

    # -- the scheduler's side -----------------------------------------------------------------

    async def load(self) -> tuple[list[Schedule], set[tuple[Target, date]]]:
        """Every active schedule, and the (target, local date) pairs already claimed lately."""
        since = self._clock.now().date() - timedelta(days=2)
        async with self._db.reading() as s:
            guilds = (
                await s.scalars(
                    select(GuildSettings).where(GuildSettings.daily_channel_id.is_not(None))
                )
            ).all()
            schedules = [
                g
                for row in guilds
                if (g := _guild_schedule(_guild_config(row), row.updated_at)) is not None
            ]
            rows = (await s.scalars(select(DailySubscription))).all()
            schedules += [_user_schedule(r) for r in rows]
            claimed = (
                await s.execute(
                    select(
                        DailyDelivery.target_kind,
                        DailyDelivery.target_id,
                        DailyDelivery.local_date,
                    ).where(DailyDelivery.local_date >= since)
                )
            ).all()
        return schedules, {(Target(k, i), d) for k, i, d in claimed}

    async def claim(self, wanted: Sequence[tuple[Schedule, date]]) -> ClaimBatch:
        """Choose each day's question and claim the deliveries, in one transaction.

        A (schedule, day) already claimed gets no Claim (it was sent, or its send crashed:
        never twice); nor does a member who no longer exists, or a schedule whose bank has no
        question for its track (listed in ``no_question``).
        """
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        chosen: dict[tuple[str, int, date], tuple[Schedule, Question, str | None]] = {}
        no_question: list[Schedule] = []
        async with self._db.transaction() as s:
            posted = await self._recent_guild_posts(s, wanted)
            recipients = await _discord_ids(
                s, [sch.target.id for sch, _ in wanted if sch.target.kind == USER]
            )
            for schedule, day in wanted:
                target = schedule.target
                question: Question | None
                if target.kind == GUILD:
                    candidates = self._candidates(schedule.guild_id, schedule.track)
                    last_posted = posted.get(target.id, {})
                    question = choose_guild_question(candidates, last_posted, day, rng=self._rng)
                elif target.id in recipients:
                    question = await self._choose_for_member(
                        s, target.id, schedule.guild_id, schedule.track, day
                    )
                else:
                    continue  # the member was deleted
                if question is None:
                    no_question.append(schedule)
                    continue
                key = (target.kind, target.id, day)
                chosen[key] = (schedule, question, recipients.get(target.id))
                rows.append(
                    {
                        "target_kind": target.kind,
                        "target_id": target.id,
                        "local_date": day,
                        "question_id": question.id,
                        "claimed_at": now,
                    }
                )
            inserted: Sequence[Any] = ()
            if rows:
                stmt = self._insert(DailyDelivery).values(rows)
                stmt = stmt.on_conflict_do_nothing(
                    index_elements=["target_kind", "target_id", "local_date"]
                ).returning(
                    DailyDelivery.id,
                    DailyDelivery.target_kind,
                    DailyDelivery.target_id,
                    DailyDelivery.local_date,
                )
                inserted = (await s.execute(stmt)).all()
        claims = []
        for delivery_id, kind, target_id, day in inserted:
            schedule, question, recipient = chosen[(kind, target_id, day)]
            claims.append(Claim(delivery_id, schedule, day, question, recipient))
        return ClaimBatch(claims, no_question)

    async def finish(self, results: Sequence[tuple[Claim, Outcome]]) -> list[Target]:
        """Record how sends went, in one transaction; returns the targets switched off."""
        now = self._clock.now()
        switched_off: list[Target] = []
        delivered = [
            {"b_id": claim.delivery_id, "b_message": outcome.message_id, "b_at": now}
            for claim, outcome in results
            if isinstance(outcome, Sent)
        ]
        async with self._db.transaction() as s:
            if delivered:  # executemany of a primary-key update: one round trip
                await (await s.connection()).execute(_MARK_DELIVERED, delivered)
            for claim, outcome in results:
                if isinstance(outcome, SendFailed) and await self._record_failure(
                    s, claim, outcome, now
                ):
                    switched_off.append(claim.schedule.target)
        for target in switched_off:
            if target.kind == GUILD:
                await self._guild_settings.update(target.id, None, daily_channel_id=None)
            self._changed(target, None)
        return switched_off

    async def _record_failure(
        self, s: AsyncSession, claim: Claim, failure: SendFailed, now: datetime
    ) -> bool:
        """Audit a failed send; True when the schedule must be switched off (the target is gone,
        or the last ``FAILED_DAYS_TO_STOP`` days all failed)."""
        target = claim.schedule.target
        recent = (
            await s.scalars(
                select(DailyDelivery.delivered_at)
                .where(
                    DailyDelivery.target_kind == target.kind,
                    DailyDelivery.target_id == target.id,
                )
                .order_by(DailyDelivery.local_date.desc())
                .limit(FAILED_DAYS_TO_STOP)
            )
        ).all()
        stop = failure.permanent or (
            len(recent) == FAILED_DAYS_TO_STOP and all(d is None for d in recent)
        )
        s.add(
            AuditEntry(
                guild_id=target.id if target.kind == GUILD else None,
                actor_id=None,
                action="daily-failed",
                target=f"{target.kind}:{target.id}",
                details={
                    "local_date": claim.local_date.isoformat(),
                    "question_id": claim.question.id,
                    "error": failure.error[:500],
                    "switched_off": stop,
                },
                created_at=now,
            )
        )
        if stop and target.kind == USER:
            await s.execute(delete(DailySubscription).where(DailySubscription.user_id == target.id))
        return stop

    # -- answering ----------------------------------------------------------------------------

    async def offer(self, user_id: int, guild_id: int | None, track: Track | None = None) -> Offer:
        """A question for the member now, chosen by spaced repetition (``/daily question``)."""
        now = self._clock.now()
        async with self._db.transaction() as s:
            zone = await self._member_zone(s, user_id, guild_id)
            question = await self._choose_for_member(
                s, user_id, guild_id, track, local_date(now, zone)
            )
            if question is None:
                raise DailyError(_no_questions(track))
            card_id = await self._card_id(s, user_id, question.id, now)
        return Offer(AnswerRef("card", card_id), question)

    async def recorded_today(
        self, user_id: int, ref: AnswerRef, guild_id: int | None
    ) -> AnswerResult | None:
        """The member's answer to this question today, if there is one (before the modal)."""
        async with self._db.reading() as s:
            question, guild_id = await self._resolve(s, user_id, ref, guild_id)
            zone = await self._member_zone(s, user_id, guild_id)
            day = local_date(self._clock.now(), zone)
            existing = await _answer_on(s, user_id, question.id, day)
            if existing is None:
                return None
            streak = await self._streak_view(s, user_id, day, zone)
        return AnswerResult(question, Score(existing), None, (), False, day, streak)

    async def answer(
        self, user_id: int, ref: AnswerRef, text: str, guild_id: int | None
    ) -> AnswerResult:
        """Score and store the member's answer, and advance their streak, in one transaction."""
        text = text.strip()
        if not text:
            raise DailyError("That answer was empty: nothing was recorded.")
        if len(text) > MAX_ANSWER_CHARS:
            raise DailyError(f"An answer can hold at most {MAX_ANSWER_CHARS} characters.")
        async with self._db.reading() as s:
            question, guild_id = await self._resolve(s, user_id, ref, guild_id)
        result = score_answer(text, daily_rubric(question))  # CPU work: not under the write lock
        now = self._clock.now()
        async with self._db.transaction() as s:
            zone = await self._member_zone(s, user_id, guild_id)
            day = local_date(now, zone)
            stmt = self._insert(DailyAnswer).values(
                user_id=user_id,
                delivery_id=ref.id if ref.kind == "delivery" else None,
                question_id=question.id,
                text=text,
                auto_score=int(result.score),
                local_date=day,
                answered_at=now,
            )
            stmt = stmt.on_conflict_do_nothing(
                index_elements=["user_id", "question_id", "local_date"]
            )
            inserted = await s.scalar(stmt.returning(DailyAnswer.id))
            if inserted is None:
                stored = await _answer_on(s, user_id, question.id, day)
                assert stored is not None
                streak = await self._streak_view(s, user_id, day, zone)
                return AnswerResult(question, Score(stored), None, (), False, day, streak)
            await self._advance_streak(s, user_id, day)
            await self._review_card(s, user_id, question.id, int(result.score), now)
            streak = await self._streak_view(s, user_id, day, zone)
        return AnswerResult(
            question, result.score, result.coverage, result.missed, True, day, streak
        )

    async def streak(self, user_id: int, guild_id: int | None) -> StreakView:
        async with self._db.reading() as s:
            zone = await self._member_zone(s, user_id, guild_id)
            return await self._streak_view(s, user_id, local_date(self._clock.now(), zone), zone)

    # -- helpers ------------------------------------------------------------------------------

    def _insert(self, model: Any) -> Any:
        dialect = self._db.engine.dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)

    async def _view(self, schedule: Schedule) -> ScheduleView:
        now = self._clock.now()
        today = local_date(now, schedule.zone)
        async with self._db.reading() as s:
            done = await _claimed(s, schedule.target, today)
        slot = first_slot(now, schedule.at, schedule.zone, since=schedule.since, done_today=done)
        return ScheduleView(schedule, slot, done)

    def _candidates(self, guild_id: int | None, track: Track | None) -> Sequence[Question]:
        bank = self._banks.for_guild(guild_id)
        return bank.select(track) if track else tuple(bank)

    async def _recent_guild_posts(
        self, s: AsyncSession, wanted: Sequence[tuple[Schedule, date]]
    ) -> dict[int, dict[str, date]]:
        """guild id -> question id -> last local date it was posted, within the recent days."""
        guild_ids = [sch.target.id for sch, _ in wanted if sch.target.kind == GUILD]
        if not guild_ids:
            return {}
        since = min(day for _, day in wanted) - timedelta(days=RECENT_GUILD_DAYS)
        rows = await s.execute(
            select(
                DailyDelivery.target_id,
                DailyDelivery.question_id,
                func.max(DailyDelivery.local_date),
            )
            .where(
                DailyDelivery.target_kind == GUILD,
                DailyDelivery.target_id.in_(guild_ids),
                DailyDelivery.local_date >= since,
            )
            .group_by(DailyDelivery.target_id, DailyDelivery.question_id)
        )
        posted: dict[int, dict[str, date]] = {}
        for guild_id, question_id, day in rows.all():
            posted.setdefault(guild_id, {})[question_id] = day
        return posted

    async def _choose_for_member(
        self,
        s: AsyncSession,
        user_id: int,
        guild_id: int | None,
        track: Track | None,
        today: date,
    ) -> Question | None:
        cards = {
            row.question_id: _card_state(row)
            for row in (await s.scalars(select(DailyCard).where(DailyCard.user_id == user_id)))
        }
        answered_today = set(
            await s.scalars(
                select(DailyAnswer.question_id).where(
                    DailyAnswer.user_id == user_id, DailyAnswer.local_date == today
                )
            )
        )
        return choose_for_member(
            self._candidates(guild_id, track),
            cards,
            await self._topic_averages(s, user_id),
            self._clock.now(),
            answered_today=answered_today,
            rng=self._rng,
        )

    async def _topic_averages(self, s: AsyncSession, user_id: int) -> dict[str, float]:
        """Mean score per topic over the member's daily answers and interview answers."""
        daily = await s.execute(
            select(DailyAnswer.question_id, func.sum(DailyAnswer.auto_score), func.count())
            .where(DailyAnswer.user_id == user_id)
            .group_by(DailyAnswer.question_id)
        )
        score = func.coalesce(Answer.peer_score, Answer.self_score, Answer.auto_score)
        interviews = await s.execute(
            select(Answer.question_id, func.sum(score), func.count())
            .join(InterviewSession, Answer.session_id == InterviewSession.id)
            .where(InterviewSession.user_id == user_id, Answer.auto_score.is_not(None))
            .group_by(Answer.question_id)
        )
        sums = [
            (question.topic, float(total), int(count))
            for qid, total, count in [*daily.all(), *interviews.all()]
            if (question := self._banks.get(qid)) is not None
        ]
        return topic_averages(sums)

    async def _card_id(self, s: AsyncSession, user_id: int, question_id: str, now: datetime) -> int:
        card = new_card(now)
        stmt = self._insert(DailyCard).values(
            user_id=user_id,
            question_id=question_id,
            state=card.state,
            step=card.step,
            due=card.due,
            reviews=0,
        )
        await s.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "question_id"]))
        card_id = await s.scalar(
            select(DailyCard.id).where(
                DailyCard.user_id == user_id, DailyCard.question_id == question_id
            )
        )
        assert card_id is not None
        return card_id

    async def _review_card(
        self, s: AsyncSession, user_id: int, question_id: str, score: int, now: datetime
    ) -> None:
        await self._card_id(s, user_id, question_id, now)
        row = await s.scalar(
            select(DailyCard)
            .where(DailyCard.user_id == user_id, DailyCard.question_id == question_id)
            .with_for_update()
        )
        assert row is not None
        card = review(_card_state(row), score, now)
        row.state, row.step, row.due = card.state, card.step, card.due
        row.stability, row.difficulty = card.stability, card.difficulty
        row.last_review, row.reviews, row.last_score = card.last_review, card.reviews, score

    async def _advance_streak(self, s: AsyncSession, user_id: int, day: date) -> None:
        # Insert-if-missing, then lock the row: concurrent answers cannot lose an update.
        stmt = self._insert(Streak).values(user_id=user_id, current=0, best=0)
        await s.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))
        row = await s.scalar(select(Streak).where(Streak.user_id == user_id).with_for_update())
        assert row is not None
        state = advance_streak(StreakState(row.current, row.best, row.last_local_date), day)
        row.current, row.best = state.current, state.best
        row.last_local_date = state.last_local_date

    async def _streak_view(
        self, s: AsyncSession, user_id: int, today: date, zone: ZoneInfo
    ) -> StreakView:
        row = await s.get(Streak, user_id, populate_existing=True)
        state = StreakState(row.current, row.best, row.last_local_date) if row else StreakState()
        return StreakView(
            live_streak(state, today), state.best, state.last_local_date, today, zone.key
        )

    async def _member_zone(self, s: AsyncSession, user_id: int, guild_id: int | None) -> ZoneInfo:
        subscribed = await s.scalar(
            select(DailySubscription.timezone).where(DailySubscription.user_id == user_id)
        )
        name = subscribed
        if name is None and guild_id is not None:
            name = (await self._guild_settings.get(guild_id)).daily_timezone
        if name is None:
            return UTC_ZONE
        try:
            return parse_zone(name)
        except InvalidSchedule:
            return UTC_ZONE

    async def _resolve(
        self, s: AsyncSession, user_id: int, ref: AnswerRef, guild_id: int | None
    ) -> tuple[Question, int | None]:
        """The question an Answer button points at, and the guild whose zone applies."""
        if ref.kind == "card":
            card = await s.get(DailyCard, ref.id)
            if card is None or card.user_id != user_id:
                raise DailyError("That question was given to someone else; use /daily question.")
            question_id = card.question_id
        else:
            delivery = await s.get(DailyDelivery, ref.id)
            if delivery is None:
                raise DailyError("That daily question no longer exists.")
            if delivery.target_kind == USER and delivery.target_id != user_id:
                raise DailyError("That question was sent to someone else; use /daily question.")
            if delivery.target_kind == GUILD:
                guild_id = delivery.target_id
            question_id = delivery.question_id
        question = self._banks.get(question_id)
        if question is None:
            raise DailyError("That question is no longer in the bank; try /daily question.")
        return question, guild_id


def _guild_schedule(config: GuildConfig, since: datetime) -> Schedule | None:
    if not (config.daily_channel_id and config.daily_time and config.daily_timezone):
        return None
    try:
        at, zone = parse_time(config.daily_time), parse_zone(config.daily_timezone)
    except InvalidSchedule:
        return None  # set outside /daily setup with a bad value: treated as off
    track = Track(config.daily_track) if config.daily_track else None
    target = Target(GUILD, config.guild_id)
    return Schedule(target, at, zone, track, config.guild_id, config.daily_channel_id, since)


def _user_schedule(row: DailySubscription) -> Schedule:
    track = Track(row.track) if row.track else None
    target = Target(USER, row.user_id)
    at, zone = parse_time(row.time), parse_zone(row.timezone)
    return Schedule(target, at, zone, track, row.guild_id, None, row.updated_at)


def _guild_config(row: GuildSettings) -> GuildConfig:
    return GuildConfig(
        row.guild_id,
        daily_channel_id=row.daily_channel_id,
        daily_time=row.daily_time,
        daily_timezone=row.daily_timezone,
        daily_track=row.daily_track,
    )


def _card_state(row: DailyCard) -> CardState:
    return CardState(
        due=row.due,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        last_review=row.last_review,
        reviews=row.reviews,
    )


async def _claimed(s: AsyncSession, target: Target, day: date) -> bool:
    found = await s.scalar(
        select(DailyDelivery.id).where(
            DailyDelivery.target_kind == target.kind,
            DailyDelivery.target_id == target.id,
            DailyDelivery.local_date == day,
        )
    )
    return found is not None


async def _discord_ids(s: AsyncSession, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await s.execute(select(User.id, User.external_id).where(User.id.in_(user_ids)))
    return {user_id: external_id for user_id, external_id in rows.all()}


async def _answer_on(s: AsyncSession, user_id: int, question_id: str, day: date) -> int | None:
    return await s.scalar(
        select(DailyAnswer.auto_score).where(
            DailyAnswer.user_id == user_id,
            DailyAnswer.question_id == question_id,
            DailyAnswer.local_date == day,
        )
    )


def _no_questions(track: Track | None) -> str:
    where = f" in the {track.value} track" if track else ""
    return f"There are no questions{where} in this server's bank yet."


_DELIVERIES: Table = DailyDelivery.__table__  # type: ignore[assignment]
# A Core statement: the bulk ORM update does not take executemany parameters.
_MARK_DELIVERED = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("b_id"))
    .values(delivered_at=bindparam("b_at", type_=UTCDateTime()), message_id=bindparam("b_message"))
)
