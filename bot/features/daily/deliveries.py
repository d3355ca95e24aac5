"""Daily deliveries: what the scheduler loads, claims, finishes and reconciles.

A claim inserts the delivery row (unique on target and local date) before anything is sent, so
a day is never claimed twice; ``finish`` confirms every outcome: it marks sends done, or audits a
failure and switches a schedule off when its target is gone or failed ``FAILED_DAYS_TO_STOP``
days in a row. A claim a crash left unconfirmed is handed out by ``unconfirmed`` to be
reconciled (see ``reconcile``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.questions import Question
from bot.features.config.service import GuildSettingsService
from bot.features.daily import rows
from bot.features.daily.models import DailySubscription
from bot.features.daily.picking import QuestionPicker
from bot.features.daily.types import (
    GUILD,
    USER,
    Claim,
    ClaimBatch,
    NotSent,
    Outcome,
    Schedule,
    SendFailed,
    Sent,
    Target,
    Unconfirmed,
)
from bot.storage.database import Database
from bot.storage.models import AuditEntry, DailyDelivery, GuildSettings

FAILED_DAYS_TO_STOP = 3


class Deliveries:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        picker: QuestionPicker,
        rng: random.Random,
        insert: Callable[[Any], Any],
        guild_settings: GuildSettingsService,
        changed: Callable[[Target, Schedule | None], None],
    ) -> None:
        self._db = db
        self._clock = clock
        self._picker = picker
        self._rng = rng
        self._insert = insert
        self._guild_settings = guild_settings
        self._changed = changed

    async def load(self) -> tuple[list[Schedule], set[tuple[Target, date]]]:
        """Every active schedule, and the (target, local date) pairs done lately (claimed and
        confirmed; a claim left unconfirmed is still to be reconciled by its slot's batch)."""
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
                if (g := rows.guild_schedule(rows.guild_config(row), row.updated_at)) is not None
            ]
            subscriptions = (await s.scalars(select(DailySubscription))).all()
            schedules += [rows.user_schedule(r) for r in subscriptions]
            claimed = (
                await s.execute(
                    select(
                        DailyDelivery.target_kind,
                        DailyDelivery.target_id,
                        DailyDelivery.local_date,
                    ).where(
                        DailyDelivery.local_date >= since, DailyDelivery.confirmed_at.is_not(None)
                    )
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
        values: list[dict[str, Any]] = []
        chosen: dict[tuple[str, int, date], tuple[Schedule, Question, str | None]] = {}
        no_question: list[Schedule] = []
        async with self._db.transaction() as s:
            posted = await self._picker.recent_guild_posts(s, wanted)
            recipients = await rows.discord_ids(
                s, [sch.target.id for sch, _ in wanted if sch.target.kind == USER]
            )
            for schedule, day in wanted:
                target = schedule.target
                question: Question | None
                if target.kind == GUILD:
                    question = self._picker.choose_for_guild(
                        schedule.guild_id, schedule.track, posted.get(target.id, {}), day
                    )
                elif target.id in recipients:
                    question = await self._picker.choose_for_member(
                        s, target.id, schedule.guild_id, schedule.track, day
                    )
                else:
                    continue  # the member was deleted
                if question is None:
                    no_question.append(schedule)
                    continue
                key = (target.kind, target.id, day)
                chosen[key] = (schedule, question, recipients.get(target.id))
                values.append(
                    {
                        "target_kind": target.kind,
                        "target_id": target.id,
                        "local_date": day,
                        "question_id": question.id,
                        "claimed_at": now,
                        "channel_id": schedule.channel_id,
                    }
                )
            inserted: Sequence[Any] = ()
            if values:
                stmt = self._insert(DailyDelivery).values(values)
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
        made = {(c.schedule.target, c.local_date) for c in claims}
        left = [(sch, day) for sch, day in wanted if (sch.target, day) not in made]
        return ClaimBatch(claims, no_question, await self._left_unconfirmed(left))

    async def _left_unconfirmed(self, wanted: Sequence[tuple[Schedule, date]]) -> list[Unconfirmed]:
        """Of the (schedule, day) pairs claimed before, those never confirmed: a process died
        between its claim and its record, and the caller, holding the slots' jobs, owns them."""
        if not wanted:
            return []
        schedules = {(sch.target, day): sch for sch, day in wanted}
        days = {day for _, day in wanted}
        ids = {sch.target.id for sch, _ in wanted}
        async with self._db.reading() as s:
            found = (
                await s.scalars(
                    select(DailyDelivery).where(
                        DailyDelivery.confirmed_at.is_(None),
                        DailyDelivery.local_date.in_(days),
                        DailyDelivery.target_id.in_(ids),
                    )
                )
            ).all()
            wanted_rows = [
                row
                for row in found
                if (Target(row.target_kind, row.target_id), row.local_date) in schedules
            ]
            recipients = await rows.discord_ids(
                s, [d.target_id for d in wanted_rows if d.target_kind == USER]
            )
        active = {target: sch for (target, _), sch in schedules.items()}
        return await self._pending(wanted_rows, active, recipients)

    async def finish(self, results: Sequence[tuple[Claim, Outcome]]) -> list[Target]:
        """Record how sends went and confirm the claims, in one transaction; returns the
        targets switched off."""
        now = self._clock.now()
        switched_off: list[Target] = []
        delivered = [
            {"b_id": claim.delivery_id, "b_message": outcome.message_id, "b_at": now}
            for claim, outcome in results
            if isinstance(outcome, Sent)
        ]
        settled = [c.delivery_id for c, outcome in results if not isinstance(outcome, Sent)]
        async with self._db.transaction() as s:
            if delivered:  # executemany of a primary-key update: one round trip
                await (await s.connection()).execute(rows.MARK_DELIVERED, delivered)
            if settled:
                await self._confirm(s, settled, now)
            for claim, outcome in results:
                if isinstance(outcome, NotSent):
                    self._audit(s, claim, "daily-not-sent", {"reason": outcome.reason}, now)
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
        details = {"error": failure.error[:500], "switched_off": stop}
        self._audit(s, claim, "daily-failed", details, now)
        if stop and target.kind == USER:
            await s.execute(delete(DailySubscription).where(DailySubscription.user_id == target.id))
        return stop

    def _audit(
        self, s: AsyncSession, claim: Claim, action: str, details: dict[str, Any], now: datetime
    ) -> None:
        target = claim.schedule.target
        s.add(
            AuditEntry(
                guild_id=target.id if target.kind == GUILD else None,
                actor_id=None,
                action=action,
                target=f"{target.kind}:{target.id}",
                details={
                    "local_date": claim.local_date.isoformat(),
                    "question_id": claim.question.id,
                    **details,
                },
                created_at=now,
            )
        )

    @staticmethod
    async def _confirm(s: AsyncSession, delivery_ids: Sequence[int], now: datetime) -> None:
        await s.execute(
            update(DailyDelivery)
            .where(DailyDelivery.id.in_(delivery_ids))
            .values(confirmed_at=now)
            .execution_options(synchronize_session=False)
        )

    # -- claims a crash left unconfirmed ----------------------------------------------------

    async def unconfirmed(
        self,
        active: Mapping[Target, Schedule],
        limit: int,
        *,
        after: int = 0,
        owned: Callable[[Target, date], bool] = lambda target, day: False,
    ) -> tuple[list[Unconfirmed], int]:
        """Claims never confirmed, oldest first, from those of id above ``after`` (up to
        ``limit`` looked at), to reconcile; and the last id looked at (0: none left).

        A claim ``owned`` elsewhere (its slot's job still waits on that day: the batch that
        takes the job reconciles it) is skipped. A claim whose target has no schedule any more,
        or whose question left the bank, has nothing left to send: it is confirmed here (not
        sent) and not returned.
        """
        async with self._db.reading() as s:
            found = (
                await s.scalars(
                    select(DailyDelivery)
                    .where(DailyDelivery.confirmed_at.is_(None), DailyDelivery.id > after)
                    .order_by(DailyDelivery.id)
                    .limit(limit)
                )
            ).all()
            last = found[-1].id if found else 0
            found = [
                d for d in found if not owned(Target(d.target_kind, d.target_id), d.local_date)
            ]
            recipients = await rows.discord_ids(
                s, [d.target_id for d in found if d.target_kind == USER]
            )
        return await self._pending(found, active, recipients), last

    async def _pending(
        self,
        found: Sequence[DailyDelivery],
        active: Mapping[Target, Schedule],
        recipients: Mapping[int, str],
    ) -> list[Unconfirmed]:
        pending: list[Unconfirmed] = []
        settled: list[int] = []
        for row in found:
            schedule = active.get(Target(row.target_kind, row.target_id))
            question = self._picker.question(row.question_id)
            recipient = recipients.get(row.target_id) if row.target_kind == USER else None
            if schedule is None or question is None or (row.target_kind == USER and not recipient):
                settled.append(row.id)
                continue
            if row.channel_id is not None:  # where it was sent, if the channel changed since
                schedule = replace(schedule, channel_id=row.channel_id)
            claim = Claim(row.id, schedule, row.local_date, question, recipient)
            pending.append(Unconfirmed(claim, row.claimed_at))
        if settled:
            async with self._db.transaction() as s:
                await self._confirm(s, settled, self._clock.now())
        return pending
