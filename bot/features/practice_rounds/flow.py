"""The `/practice` commands in Discord: parse, check who may steer, call the service, reply.

A round's question is posted in the channel; a panel gets a thread of its own. If the bot
cannot post there, the round is cancelled at once so the channel is not blocked.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.practice_rounds import RoundKind, RoundStatus, RoundView
from bot.core.questions import Track
from bot.discord.render import timestamp
from bot.features.practice_rounds import render
from bot.features.practice_rounds.common import NOT_STEERING, PracticeBase, Refused, guarded
from bot.features.practice_rounds.service import RoundRunning
from bot.features.practice_rounds.views import buttons

log = logging.getLogger(__name__)


class PracticeFlow(PracticeBase):
    async def _running_here(self, interaction: discord.Interaction[Any]) -> RoundView:
        view = await self.service.running_in(interaction.channel_id or 0)
        if view is None:
            raise Refused(
                "No practice round or panel is running here. Start one with /practice start "
                "or /practice panel."
            )
        return view

    # -- slash commands ---------------------------------------------------------------------

    @guarded
    async def start(
        self,
        interaction: discord.Interaction[Any],
        track: Track,
        topic: str | None,
        minutes: int | None,
    ) -> None:
        channel = self._text_channel(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self._start_round(
            interaction, RoundKind.ROUND, track, topic, minutes, candidate=None
        )
        if view is None:
            return
        try:
            message = await channel.send(
                embed=render.round_question_embed(view, interaction.user.display_name),
                view=buttons(view.id, "answer"),
            )
        except discord.HTTPException as exc:
            await self._abandon(interaction, view, exc)
            return
        await self.service.attach_messages(view.id, message_id=message.id)
        await interaction.followup.send(
            f"Round started: {message.jump_url}. Answers are revealed "
            f"{timestamp(view.answer_due_at)}; reveal earlier with /practice reveal.",
            ephemeral=True,
        )

    @guarded
    async def panel(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | discord.User,
        track: Track,
        topic: str | None,
        minutes: int | None,
    ) -> None:
        channel = self._text_channel(interaction)
        if member.bot:
            raise Refused("Pick a member of the group as the candidate, not a bot.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self._start_round(
            interaction, RoundKind.PANEL, track, topic, minutes, candidate=member
        )
        if view is None:
            return
        intro: discord.Message | None = None
        try:
            intro = await channel.send(
                f"🎤 **Panel:** {member.mention} answers a {view.question.track.value} question "
                "in the thread below while the rest of the group scores the answer with the "
                "rubric. Join in!"
            )
            thread = await intro.create_thread(
                name=f"Panel · {member.display_name} · {view.question.topic}"[:100]
            )
            message = await thread.send(
                embed=render.panel_question_embed(view), view=buttons(view.id, "answer", "done")
            )
        except discord.HTTPException as exc:
            if intro is not None:  # take back the announcement of a panel that never started
                try:
                    await intro.delete()
                except discord.HTTPException:
                    log.info("could not delete the announcement of panel %s", view.id)
            await self._abandon(interaction, view, exc)
            return
        await self.service.attach_messages(view.id, message_id=message.id, thread_id=thread.id)
        await interaction.followup.send(f"Panel started in {thread.mention}.", ephemeral=True)

    async def _start_round(
        self,
        interaction: discord.Interaction[Any],
        kind: RoundKind,
        track: Track,
        topic: str | None,
        minutes: int | None,
        *,
        candidate: discord.abc.User | None,
    ) -> RoundView | None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        try:
            return await self.service.start_round(
                kind,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                starter_id=await self.user_id(interaction.user),
                track=track,
                topic=topic,
                minutes=minutes,
                candidate_id=await self.user_id(candidate) if candidate else None,
            )
        except RoundRunning as exc:
            running = exc.round
            await interaction.followup.send(
                f"A practice {render.kind_name(running)} is already running in this channel: "
                f"{render.where(running)}. One at a time per channel: join it, or start yours "
                "in another channel.",
                ephemeral=True,
            )
            return None

    async def _abandon(
        self, interaction: discord.Interaction[Any], view: RoundView, exc: discord.HTTPException
    ) -> None:
        log.info("practice round %s could not be posted: %s", view.id, exc)
        await self.service.cancel(view.id)
        await interaction.followup.send(
            "I can't post here (I need Send Messages, Create Public Threads and Send Messages in "
            "Threads in this channel), so nothing was started.",
            ephemeral=True,
        )

    @staticmethod
    def _text_channel(interaction: discord.Interaction[Any]) -> discord.TextChannel:
        channel = interaction.channel
        if interaction.guild_id is None or not isinstance(channel, discord.TextChannel):
            raise Refused("Practice rounds run in a server's text channel, not here.")
        return channel

    @guarded
    async def reveal(self, interaction: discord.Interaction[Any]) -> None:
        view = await self._running_here(interaction)
        if view.status is not RoundStatus.ANSWERING:
            raise Refused(
                f"This {render.kind_name(view)} is past answering: end it with /practice close."
            )
        if not await self.may_steer(interaction, view):
            raise Refused(NOT_STEERING.format(kind=render.kind_name(view)))
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.service.reveal(view.id)
        done = "Answers revealed" if view.kind is RoundKind.ROUND else "Scoring is open"
        await interaction.followup.send(f"{done}: {render.where(view)}.", ephemeral=True)

    @guarded
    async def close(self, interaction: discord.Interaction[Any]) -> None:
        view = await self._running_here(interaction)
        if view.status is RoundStatus.ANSWERING:
            raise Refused(
                f"This {render.kind_name(view)} is still in its answering time: use "
                "/practice reveal first."
            )
        if not await self.may_steer(interaction, view):
            raise Refused(NOT_STEERING.format(kind=render.kind_name(view)))
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.service.close(view.id)
        await interaction.followup.send(
            f"Closed; the results are in {render.where(view)}.", ephemeral=True
        )
