"""Which question a guild or a member gets: recent guild posts avoided, a member's cards and
weak topics first (spaced repetition)."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bank import QuestionBank
from bot.core.bank_registry import BankRegistry
from bot.core.clock import Clock
from bot.core.questions import Question, Track
from bot.core.spaced_repetition import (
    RECENT_GUILD_DAYS,
    choose_for_member,
    choose_guild_question,
    topic_averages,
)
from bot.features.daily import rows
from bot.features.daily.models import DailyCard
from bot.features.daily.types import GUILD, Schedule
from bot.storage.models import Answer, DailyAnswer, DailyDelivery, InterviewSession

TRACK_SIZES_KEPT = 256  # banks whose per-track sizes are remembered (one per guild bank)


class QuestionPicker:
    def __init__(self, banks: BankRegistry, clock: Clock, rng: random.Random) -> None:
        self._banks = banks
        self._clock = clock
        self._rng = rng
        # id(bank) -> (the bank, kept so its id is not reused; its questions per track)
        self._sizes: OrderedDict[int, tuple[QuestionBank, dict[Track, int]]] = OrderedDict()

    def choose_for_guild(
        self, guild_id: int | None, track: Track | None, last_posted: Mapping[str, date], day: date
    ) -> Question | None:
        """A question not posted in the guild in the last ``RECENT_GUILD_DAYS`` days, uniformly
        at random (as ``choose_guild_question``), in time that does not grow with the bank: a
        track drawn by its number of such questions, then a draw from the bank's index. When
        every candidate was posted recently (a bank smaller than the window), the one posted
        longest ago, from the short list."""
        bank = self._banks.for_guild(guild_id)
        recent = {
            qid for qid, posted in last_posted.items() if (day - posted).days <= RECENT_GUILD_DAYS
        }
        tracks = [track] if track else list(Track)
        sizes = self._track_sizes(bank)
        fresh = {t: sizes.get(t, 0) for t in tracks}
        for qid in recent:
            if (q := bank.get(qid)) is not None and q.track in fresh:
                fresh[q.track] -= 1
        while any(fresh.values()):
            [chosen] = self._rng.choices(list(fresh), weights=list(fresh.values()))
            found = bank.sample(chosen, exclude_ids=recent, rng=self._rng)
            if found is not None:
                return found
            fresh[chosen] = 0  # cannot happen while the counts hold; never loop on it
        candidates = self.candidates(guild_id, track)
        return choose_guild_question(candidates, last_posted, day, rng=self._rng)

    def _track_sizes(self, bank: QuestionBank) -> dict[Track, int]:
        kept = self._sizes.get(id(bank))
        if kept is not None and kept[0] is bank:
            self._sizes.move_to_end(id(bank))
            return kept[1]
        sizes = {t: n for t in Track if (n := len(bank.select(t)))}
        self._sizes[id(bank)] = (bank, sizes)
        if len(self._sizes) > TRACK_SIZES_KEPT:
            self._sizes.popitem(last=False)
        return sizes

    def question(self, question_id: str) -> Question | None:
        return self._banks.get(question_id)

    def candidates(self, guild_id: int | None, track: Track | None) -> Sequence[Question]:
        bank = self._banks.for_guild(guild_id)
        return bank.select(track) if track else tuple(bank)

    async def recent_guild_posts(
        self, s: AsyncSession, wanted: Sequence[tuple[Schedule, date]]
    ) -> dict[int, dict[str, date]]:
        """guild id -> question id -> last local date it was posted, within the recent days."""
        guild_ids = [sch.target.id for sch, _ in wanted if sch.target.kind == GUILD]
        if not guild_ids:
            return {}
        since = min(day for _, day in wanted) - timedelta(days=RECENT_GUILD_DAYS)
        found = await s.execute(
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
        for guild_id, question_id, day in found.all():
            posted.setdefault(guild_id, {})[question_id] = day
        return posted

    async def choose_for_member(
        self,
        s: AsyncSession,
        user_id: int,
        guild_id: int | None,
        track: Track | None,
        today: date,
    ) -> Question | None:
        cards = {
            row.question_id: rows.card_state(row)
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
            self.candidates(guild_id, track),
            cards,
            await self.topic_averages(s, user_id),
            self._clock.now(),
            answered_today=answered_today,
            rng=self._rng,
        )

    async def topic_averages(self, s: AsyncSession, user_id: int) -> dict[str, float]:
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
