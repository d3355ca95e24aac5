"""Daily rows: schedules read from settings and subscriptions, claims, answers, the statements
that mark deliveries done."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.daily_schedule import InvalidSchedule, parse_time, parse_zone
from bot.core.questions import Track
from bot.core.spaced_repetition import CardState
from bot.features.config.service import GuildConfig
from bot.features.daily.models import DailyCard, DailySubscription
from bot.features.daily.types import GUILD, USER, Schedule, Target
from bot.storage.models import DailyAnswer, DailyDelivery, GuildSettings, User
from bot.storage.types import UTCDateTime


def guild_schedule(config: GuildConfig, since: datetime) -> Schedule | None:
    if not (config.daily_channel_id and config.daily_time and config.daily_timezone):
        return None
    try:
        at, zone = parse_time(config.daily_time), parse_zone(config.daily_timezone)
    except InvalidSchedule:
        return None  # set outside /daily-admin setup with a bad value: treated as off
    track = Track(config.daily_track) if config.daily_track else None
    target = Target(GUILD, config.guild_id)
    return Schedule(target, at, zone, track, config.guild_id, config.daily_channel_id, since)


def user_schedule(row: DailySubscription) -> Schedule:
    track = Track(row.track) if row.track else None
    target = Target(USER, row.user_id)
    at, zone = parse_time(row.time), parse_zone(row.timezone)
    return Schedule(target, at, zone, track, row.guild_id, None, row.updated_at)


def guild_config(row: GuildSettings) -> GuildConfig:
    return GuildConfig(
        row.guild_id,
        daily_channel_id=row.daily_channel_id,
        daily_time=row.daily_time,
        daily_timezone=row.daily_timezone,
        daily_track=row.daily_track,
    )


def card_state(row: DailyCard) -> CardState:
    return CardState(
        due=row.due,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        last_review=row.last_review,
        reviews=row.reviews,
    )


async def claimed(s: AsyncSession, target: Target, day: date) -> bool:
    found = await s.scalar(
        select(DailyDelivery.id).where(
            DailyDelivery.target_kind == target.kind,
            DailyDelivery.target_id == target.id,
            DailyDelivery.local_date == day,
        )
    )
    return found is not None


async def discord_ids(s: AsyncSession, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await s.execute(select(User.id, User.external_id).where(User.id.in_(user_ids)))
    return {user_id: external_id for user_id, external_id in rows.all()}


async def answer_on(s: AsyncSession, user_id: int, question_id: str, day: date) -> int | None:
    return await s.scalar(
        select(DailyAnswer.auto_score).where(
            DailyAnswer.user_id == user_id,
            DailyAnswer.question_id == question_id,
            DailyAnswer.local_date == day,
        )
    )


def no_questions(track: Track | None) -> str:
    where = f" in the {track.value} track" if track else ""
    return f"There are no questions{where} in this server's bank yet."


DELIVERIES: Table = DailyDelivery.__table__  # type: ignore[assignment]
# A Core statement: the bulk ORM update does not take executemany parameters.
MARK_DELIVERED = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"))
    .values(
        delivered_at=bindparam("b_at", type_=UTCDateTime()),
        confirmed_at=bindparam("b_at", type_=UTCDateTime()),
        message_id=bindparam("b_message"),
    )
)
