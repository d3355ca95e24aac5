"""The AI interviewer in Discord: the notice to members, the marked scorecard, clarify questions.

Every model call here runs after the interaction was deferred (or outside any interaction, on a
time-out), so Discord's 3-second deadline never waits for the model. The AI is on for a guild
when the bot has LLM settings and a moderator turned it on (``/config ai on``); in DMs it is off.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.ai import AIInterviewer
from bot.core.ai_marks import ItemMark, SessionMarks
from bot.core.questions import Track
from bot.core.session import ItemView, Scorecard
from bot.discord.limits import clip
from bot.features.config.service import GuildSettingsService
from bot.features.interviews.ai_follow_ups import ai_on_for_member
from bot.features.interviews.ai_marking import AIMarking
from bot.features.interviews.service import InterviewService

log = logging.getLogger(__name__)

CLARIFY = "clarify"
MAX_HISTORY = 20  # clarify exchanges kept per item, in memory
MAX_SESSIONS = 500  # clarify conversations kept at once (oldest dropped)
DESCRIPTION_LIMIT = 4000
OFF = AIInterviewer()  # no client: deterministic replies, nothing sent anywhere


def is_clarify(item: ItemView) -> bool:
    return (
        item.question.track is Track.SYSTEM_DESIGN
        and item.phase is not None
        and item.phase.name == CLARIFY
    )


class AIFlow:
    def __init__(
        self,
        service: InterviewService,
        marking: AIMarking,
        guild_settings: GuildSettingsService,
    ) -> None:
        self.service = service
        self.marking = marking
        self.guild_settings = guild_settings
        self._clarify: dict[tuple[int, int], list[tuple[str, str]]] = {}

    async def on_for(self, guild_id: int | None) -> bool:
        if guild_id is None or not self.marking.configured:
            return False
        return (await self.guild_settings.get(guild_id)).ai_enabled

    async def on_for_member(self, guild_id: int | None, user_id: int) -> bool:
        """On for the guild, and the member was told: an interview started before a moderator
        turned the AI on stays with the rubric scorer (its member was never told)."""
        return await ai_on_for_member(self.marking, self.guild_settings, guild_id, user_id)

    async def notice(self, user_id: int, guild_id: int | None) -> str | None:
        """The one-time notice that answers go to the model server, when it is due (recorded)."""
        if guild_id is None or not await self.on_for(guild_id):
            return None
        if not await self.marking.record_notice(user_id, guild_id):
            return None
        return self.marking.notice_text()

    async def marked(self, card: Scorecard) -> tuple[Scorecard, SessionMarks | None]:
        """The scorecard with the AI's marks when the AI is on for its guild (else unchanged)."""
        session = await self.service.view(card.session_id)
        if not await self.on_for_member(session.guild_id, session.user_id):
            return card, await self.marking.marks(card.session_id)
        marks = await self.marking.mark_session(card.session_id, guild_id=session.guild_id)
        return await self.service.scorecard(card.session_id), marks

    async def clarify_reply(
        self, item: ItemView, guild_id: int | None, user_id: int, question: str
    ) -> str:
        """The interviewer's answer (the model's when on, else the scenario's own words)."""
        on = await self.on_for_member(guild_id, user_id)
        interviewer = self.marking.interviewer if on else OFF
        key = (item.session_id, item.position)
        history = self._clarify.setdefault(key, [])
        if len(self._clarify) > MAX_SESSIONS:
            self._clarify.pop(next(iter(self._clarify)))
        reply = await interviewer.answer_clarifying_question(
            item.question, history[-MAX_HISTORY:], question, guild_id=guild_id
        )
        history.append((question, reply.text))
        flag = f"\n-# {reply.flag}" if reply.flag else ""
        return f"**You asked:** {clip(question, 500)}\n**Interviewer:** {reply.text}{flag}"


def ai_embeds(card: Scorecard, marks: SessionMarks | None) -> list[discord.Embed]:
    """The interviewer's written feedback, spoilered: one embed for the session, one per item."""
    if marks is None:
        return []
    embeds: list[discord.Embed] = []
    head = marks.feedback and f"||{clip(marks.feedback, DESCRIPTION_LIMIT - 10)}||"
    summary = discord.Embed(
        title="Interviewer's feedback",
        description=head or "No written feedback.",
        colour=discord.Colour.purple(),
    )
    if marks.flag:
        summary.set_footer(text=marks.flag)
    embeds.append(summary)
    for n, item in enumerate(card.items, 1):
        mark = marks.items.get(item.position)
        if mark is None or not mark.feedback:
            continue
        embeds.append(_item_embed(n, item.label, mark))
    return embeds


def _item_embed(n: int, label: str, mark: ItemMark) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"{n}. {label}", 250),
        description=f"||{clip(mark.feedback, DESCRIPTION_LIMIT - 10)}||",
        colour=discord.Colour.purple(),
    )
    if mark.flag:
        embed.set_footer(text=mark.flag)
    return embed


async def send_ai_embeds(target: Any, embeds: list[discord.Embed], **kwargs: Any) -> None:
    """Up to ten embeds and 6,000 characters per message, as Discord allows."""
    batch: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        if batch and (len(batch) == 10 or size + len(embed) > 5_900):
            await target.send(embeds=batch, **kwargs)
            batch, size = [], 0
        batch.append(embed)
        size += len(embed)
    if batch:
        await target.send(embeds=batch, **kwargs)
