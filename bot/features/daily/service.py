"""Daily questions: guild schedules, DM subscriptions, deliveries, answers, streaks.

Exactly once per local day: a delivery is *claimed* by inserting its row into
``daily_deliveries`` (unique on target and local date) before anything is sent, sent with a
nonce derived from its id, and *confirmed* afterwards (delivered or failed). A second claim for
the same day finds the row and sends nothing, across restarts too. A claim a crash left
unconfirmed is reconciled (``reconcile.py``): sent again with the same nonce, which Discord
deduplicates, or looked up in the channel, so a crash at any instant gives one post.

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
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.daily_schedule import (
    InvalidSchedule,
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
from bot.core.scoring import Score, score_for
from bot.core.spaced_repetition import (
    daily_rubric,
)
from bot.features.config.service import GuildSettingsService
from bot.features.daily import rows
from bot.features.daily.cards import Cards
from bot.features.daily.deliveries import Deliveries
from bot.features.daily.models import DailyCard, DailySubscription
from bot.features.daily.picking import QuestionPicker
from bot.features.daily.types import (
    GUILD,
    USER,
    AnswerRef,
    AnswerResult,
    Claim,
    ClaimBatch,
    DailyError,
    GuildDailyView,
    Offer,
    Outcome,
    Schedule,
    ScheduleListener,
    ScheduleView,
    StreakView,
    Target,
    Unconfirmed,
)
from bot.storage.database import Database
from bot.storage.models import (
    DailyAnswer,
    DailyDelivery,
    Streak,
)

MAX_ANSWER_CHARS = 4000
UTC_ZONE = ZoneInfo("UTC")


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
        self._picker = QuestionPicker(banks, clock, self._rng)
        self._cards = Cards(self._insert)
        self._deliveries = Deliveries(
            db, clock, self._picker, self._rng, self._insert, guild_settings, self._changed
        )
        self._listeners: list[ScheduleListener] = []

    @property
    def db(self) -> Database:
        return self._db

    def on_schedule_change(self, listener: ScheduleListener) -> None:
        self._listeners.append(listener)

    def _changed(self, target: Target, schedule: Schedule | None) -> None:
        for listener in self._listeners:
            listener(target, schedule)

    # -- guild schedules ----------------------------------------------------------------------

    async def guild_daily(self, guild_id: int) -> GuildDailyView:
        config = await self._guild_settings.get(guild_id)
        schedule = rows.guild_schedule(config, self._clock.now())
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
        schedule = rows.guild_schedule(config, self._clock.now())
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
        return await self._deliveries.load()

    async def claim(self, wanted: Sequence[tuple[Schedule, date]]) -> ClaimBatch:
        """Choose each day's question and claim the deliveries (see ``Deliveries.claim``)."""
        return await self._deliveries.claim(wanted)

    async def finish(self, results: Sequence[tuple[Claim, Outcome]]) -> list[Target]:
        """Record how sends went, in one transaction; returns the targets switched off."""
        return await self._deliveries.finish(results)

    async def unconfirmed(
        self,
        active: Mapping[Target, Schedule],
        limit: int,
        *,
        after: int = 0,
        owned: Callable[[Target, date], bool] = lambda target, day: False,
    ) -> tuple[list[Unconfirmed], int]:
        """Claims a crash left unconfirmed (see ``Deliveries.unconfirmed``)."""
        return await self._deliveries.unconfirmed(active, limit, after=after, owned=owned)

    # -- answering ----------------------------------------------------------------------------

    async def offer(self, user_id: int, guild_id: int | None, track: Track | None = None) -> Offer:
        """A question for the member now, chosen by spaced repetition (``/daily question``)."""
        now = self._clock.now()
        async with self._db.transaction() as s:
            zone = await self._member_zone(s, user_id, guild_id)
            question = await self._picker.choose_for_member(
                s, user_id, guild_id, track, local_date(now, zone)
            )
            if question is None:
                raise DailyError(rows.no_questions(track))
            card_id = await self._cards.card_id(s, user_id, question.id, now)
        return Offer(AnswerRef("card", card_id), question)

    async def recorded_today(
        self, user_id: int, ref: AnswerRef, guild_id: int | None
    ) -> AnswerResult | None:
        """The member's answer to this question today, if there is one (before the modal)."""
        async with self._db.reading() as s:
            question, guild_id = await self._resolve(s, user_id, ref, guild_id)
            zone = await self._member_zone(s, user_id, guild_id)
            day = local_date(self._clock.now(), zone)
            existing = await rows.answer_on(s, user_id, question.id, day)
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
        # CPU work: not under the write lock. The whole-question rubric, else the first phase's.
        phase = None if daily_rubric(question) is question.rubric else question.phases[0].name
        result = score_for(question, text, phase=phase)
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
                stored = await rows.answer_on(s, user_id, question.id, day)
                assert stored is not None
                streak = await self._streak_view(s, user_id, day, zone)
                return AnswerResult(question, Score(stored), None, (), False, day, streak)
            await self._advance_streak(s, user_id, day)
            await self._cards.review(s, user_id, question.id, int(result.score), now)
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
            done = await rows.claimed(s, schedule.target, today)
        slot = first_slot(now, schedule.at, schedule.zone, since=schedule.since, done_today=done)
        return ScheduleView(schedule, slot, done)

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
