"""Posting what the practice-round service announces: reveals, scoring, results.

The service calls this for each stage a round reached (from a command, a button, or its timer)
and marks the stage shown only when this returned, so a Discord failure is retried later. A
channel that is gone (deleted, or the bot lost access) is skipped with a warning instead.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.practice_rounds import RoundKind, RoundStatus, RoundView, pack
from bot.discord.render import EMBED_TOTAL_LIMIT
from bot.features.practice_rounds import render
from bot.features.practice_rounds.service import Announcement, PracticeRoundService
from bot.features.practice_rounds.views import buttons, vote_buttons

log = logging.getLogger(__name__)
Target = discord.TextChannel | discord.Thread


async def resolve_channel(client: discord.Client, channel_id: int | None) -> Target | None:
    """The channel or thread, from the cache or the API; None when it is gone or hidden."""
    if channel_id is None:
        return None
    channel: Any = client.get_channel(channel_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(channel_id)
        except (discord.NotFound, discord.Forbidden):
            return None
    return channel if isinstance(channel, discord.TextChannel | discord.Thread) else None


async def send_embeds(
    target: Target,
    embeds: list[discord.Embed],
    *,
    content: str | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Send embeds in as few messages as Discord allows; content on the first, view on the
    last."""
    groups = pack([len(e) for e in embeds], limit=EMBED_TOTAL_LIMIT, max_items=10)
    for n, group in enumerate(groups):
        kwargs: dict[str, Any] = {"embeds": [embeds[i] for i in group]}
        if n == 0 and content:
            kwargs["content"] = content
        if n == len(groups) - 1 and view is not None:
            kwargs["view"] = view
        await target.send(**kwargs)


class RoundAnnouncer:
    def __init__(self, client: discord.Client, service: PracticeRoundService) -> None:
        self.client = client
        self.service = service

    async def __call__(self, announcement: Announcement) -> None:
        round_id, kind = announcement.round.id, announcement.round.kind
        for stage in announcement.stages:
            view = await self.service.view(round_id)  # fresh: an earlier stage opened a thread
            if stage is RoundStatus.VOTING:
                await self._reveal(view)
            elif stage is RoundStatus.SCORING:
                await self._open_scoring(view)
            elif stage is RoundStatus.CLOSED and kind is RoundKind.ROUND:
                await self._round_results(view)
            elif stage is RoundStatus.CLOSED:
                await self._panel_results(view)

    # -- rounds -----------------------------------------------------------------------------

    async def _reveal(self, view: RoundView) -> None:
        channel = await resolve_channel(self.client, view.channel_id)
        if channel is None:
            log.warning("practice round %s: its channel is gone; nothing revealed", view.id)
            return
        data = await self.service.reveal_data(view.id)
        target = await self._round_thread(view, channel)
        voting = view.status is RoundStatus.VOTING
        await send_embeds(
            target,
            render.question_and_reference(view),
            content=render.reveal_intro(view, len(data.answers), voting),
        )
        points = len(view.rubric)
        embeds = [render.answer_embed(n, a, points) for n, a in enumerate(data.answers, 1)]
        for group in render.answer_groups(embeds):
            ui = None
            if voting:
                ui = vote_buttons(
                    view.id,
                    [
                        (data.answers[i].answer_id, f"{i + 1}. {data.answers[i].author}")
                        for i in group
                    ],
                )
            kwargs: dict[str, Any] = {"embeds": [embeds[i] for i in group]}
            if ui is not None:
                kwargs["view"] = ui
            await target.send(**kwargs)
        note = (
            f"⏰ Time is up: the answers are revealed in {target.mention}."
            if target is not channel
            else "⏰ Time is up: the answers are revealed below."
        )
        await self._close_question(channel, view.message_id, note)

    async def _round_thread(self, view: RoundView, channel: Target) -> Target:
        """The round's answer thread (created from the question message), or the channel when
        threads are refused."""
        if view.thread_id is not None:
            existing = await resolve_channel(self.client, view.thread_id)
            if existing is not None:
                return existing
        if not isinstance(channel, discord.TextChannel):
            return channel
        name = f"Answers · {view.question.topic}"[:100]
        try:
            if view.message_id is not None:
                thread = await channel.get_partial_message(view.message_id).create_thread(name=name)
            else:
                thread = await channel.create_thread(
                    name=name, type=discord.ChannelType.public_thread
                )
        except discord.HTTPException as exc:
            log.info("practice round %s: no thread (%s); revealing in the channel", view.id, exc)
            return channel
        await self.service.attach_messages(view.id, thread_id=thread.id)
        return thread

    async def _round_results(self, view: RoundView) -> None:
        results = await self.service.results(view.id)
        if not results.answers:
            return  # the reveal already said nobody answered
        target = await self._target(view)
        if target is not None:
            await target.send(embed=render.results_embed(results))

    # -- panels -----------------------------------------------------------------------------

    async def _open_scoring(self, view: RoundView) -> None:
        target = await self._target(view)
        if target is None:
            log.warning("panel %s: its thread is gone; scoring not announced", view.id)
            return
        await send_embeds(
            target,
            render.question_and_reference(view),
            content=render.scoring_text(view),
            view=buttons(view.id, "score"),
        )
        await self._close_question(target, view.message_id, "Answering is over.")

    async def _panel_results(self, view: RoundView) -> None:
        target = await self._target(view)
        if target is not None:
            await target.send(
                embed=render.panel_results_embed(await self.service.panel_results(view.id))
            )

    # -- helpers ----------------------------------------------------------------------------

    async def _target(self, view: RoundView) -> Target | None:
        return await resolve_channel(self.client, view.thread_id) or await resolve_channel(
            self.client, view.channel_id
        )

    async def _close_question(self, where: Target, message_id: int | None, note: str) -> None:
        """Take the buttons off the question message, so nobody presses a stale one."""
        if message_id is None:
            return
        try:
            await where.get_partial_message(message_id).edit(content=note, view=None)
        except discord.HTTPException as exc:
            log.info("could not close practice question message %s: %s", message_id, exc)
