"""Which follow-up source serves a session: the AI interviewer where it is on, the bank elsewhere.

The AI interviewer asks a session's follow-ups when

- Discord: the session's server has the AI on (``/config ai on``, with LLM settings) and the
  member was told that their answers go to the model server (the notice at ``/interview
  start``); a session in DMs, or started before a moderator turned the AI on, stays with the
  bank's follow-ups;
- terminal: the run was started with ``mlmock practice --ai`` (``local=True``).

Its follow-ups count against the server's daily token budget (``ai_token_usage``), like the
grading does. Anything else gets ``bot.core.follow_ups.DETERMINISTIC``.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.ai.follow_up_source import AIFollowUps
from bot.core.follow_ups import (
    DETERMINISTIC,
    FollowUp,
    FollowUpContext,
    FollowUpSource,
)
from bot.core.questions import Question
from bot.core.scoring import RubricResult
from bot.features.config.service import GuildSettingsService
from bot.features.interviews.ai_marking import AIMarking

LOCAL_PLATFORM = "local"


async def ai_on_for_member(
    marking: AIMarking, guild_settings: GuildSettingsService, guild_id: int | None, user_id: int
) -> bool:
    """On for the guild (LLM settings and ``/config ai on``), and the member was told."""
    if guild_id is None or not marking.configured:
        return False
    if not (await guild_settings.get(guild_id)).ai_enabled:
        return False
    return not await marking.notice_due(user_id, guild_id)


class InterviewerFollowUps:
    """The process's ``FollowUpSources``: the AI's source for sessions it is on for."""

    def __init__(
        self,
        marking: AIMarking,
        guild_settings: GuildSettingsService,
        *,
        local: bool = False,
    ) -> None:
        self.marking = marking
        self.guild_settings = guild_settings
        self.local = local  # the terminal run asked for the AI interviewer (--ai)

    async def ai_on(self, session: FollowUpContext) -> bool:
        if session.guild_id is None:
            return self.local and session.platform == LOCAL_PLATFORM
        return await ai_on_for_member(
            self.marking, self.guild_settings, session.guild_id, session.user_id
        )

    async def source_for(self, session: FollowUpContext) -> FollowUpSource:
        if not await self.ai_on(session):
            return DETERMINISTIC
        return _Budgeted(self.marking, session.guild_id)


class _Budgeted:
    """``AIFollowUps`` with the daily budget read from, and the tokens written to, the database."""

    def __init__(self, marking: AIMarking, guild_id: int | None) -> None:
        self._marking = marking
        self._guild_id = guild_id
        self._source = AIFollowUps(marking.interviewer, DETERMINISTIC, guild_id=guild_id)

    async def follow_up(
        self,
        question: Question,
        phase: str | None,
        answer_text: str,
        result: RubricResult,
        *,
        asked: Collection[str] = (),
    ) -> FollowUp | None:
        await self._marking.top_up_budget(self._guild_id)
        picked = await self._source.follow_up(question, phase, answer_text, result, asked=asked)
        if picked is not None and picked.tokens:
            await self._marking.record_tokens(self._guild_id, picked.tokens)
        return picked
