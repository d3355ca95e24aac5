"""The bundled bank plus each guild's own questions.

Question ids are unique across all of them, so a lookup by id needs no guild; selection for an
interview or a daily question uses ``for_guild``: bundled plus that guild's active questions,
or only the guild's when the guild turned bundled questions off.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from bot.core.bank import QuestionBank
from bot.core.questions import Difficulty, Question, Track


class BankRegistry:
    def __init__(self, bundled: QuestionBank) -> None:
        self._bundled = bundled
        self._guild_questions: dict[int, QuestionBank] = {}
        self._retired: dict[str, Question] = {}  # still resolvable for past sessions
        self._bundled_off: set[int] = set()
        self._views: dict[int, QuestionBank] = {}

    @property
    def bundled(self) -> QuestionBank:
        return self._bundled

    # -- lookup by id (any guild, retired included) ----------------------------------------

    def get(self, question_id: str) -> Question | None:
        found = self._bundled.get(question_id)
        if found is not None:
            return found
        for bank in self._guild_questions.values():
            found = bank.get(question_id)
            if found is not None:
                return found
        return self._retired.get(question_id)

    def guild(self, guild_id: int) -> QuestionBank | None:
        """The guild's own active questions, or None if the guild was never set."""
        return self._guild_questions.get(guild_id)

    def known_ids(self) -> dict[str, str]:
        """Every id in use (bundled, guild, retired) and where it is defined."""
        ids = {q.id: q.origin or "bundled bank" for q in self._bundled}
        for guild_id, bank in self._guild_questions.items():
            ids.update({q.id: q.origin or f"guild {guild_id}" for q in bank})
        ids.update({qid: q.origin or "a retired question" for qid, q in self._retired.items()})
        return ids

    # -- selection ---------------------------------------------------------------------------

    def for_guild(self, guild_id: int | None) -> QuestionBank:
        if guild_id is None:
            return self._bundled
        view = self._views.get(guild_id)
        if view is None:
            own = self._guild_questions.get(guild_id, QuestionBank())
            base = QuestionBank() if guild_id in self._bundled_off else self._bundled
            view = base.with_questions(own) if len(own) else base
            self._views[guild_id] = view
        return view

    def select(
        self,
        track: Track | str,
        topics: Iterable[str] | None = None,
        difficulties: Iterable[Difficulty | str] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
    ) -> tuple[Question, ...]:
        """Outside any guild (terminal practice): the bundled bank."""
        return self._bundled.select(track, topics, difficulties, exclude_ids)

    def sample(
        self,
        track: Track | str,
        topics: Iterable[str] | None = None,
        difficulties: Iterable[Difficulty | str] | None = None,
        exclude_ids: AbstractSet[str] = frozenset(),
        avoid_topics: AbstractSet[str] = frozenset(),
        rng: random.Random | None = None,
    ) -> Question | None:
        """Outside any guild (terminal practice): one draw from the bundled bank."""
        return self._bundled.sample(track, topics, difficulties, exclude_ids, avoid_topics, rng)

    def topics(self, track: Track | str) -> list[str]:
        return self._bundled.topics(track)

    # -- updates (from the bank admin service) ---------------------------------------------

    def set_guild(
        self,
        guild_id: int,
        active: Iterable[Question],
        retired: Iterable[Question] = (),
        *,
        use_bundled: bool = True,
    ) -> None:
        # A prebuilt bank (e.g. indexed in a worker thread) is taken as is.
        bank = active if isinstance(active, QuestionBank) else QuestionBank(active)
        self._guild_questions[guild_id] = bank
        for q in retired:
            self._retired[q.id] = q
        if use_bundled:
            self._bundled_off.discard(guild_id)
        else:
            self._bundled_off.add(guild_id)
        self._views.pop(guild_id, None)
