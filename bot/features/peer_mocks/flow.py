"""The peer mock's life in Discord: queue, invitations, the private thread, Ready, swap and
finish, and what timers and the interview clock announce on their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.core.questions import Difficulty, Track
from bot.discord.guard import reply
from bot.discord.render import timestamp
from bot.features.peer_mocks import render
from bot.features.peer_mocks.common import MockBase, guarded, log, retire_buttons
from bot.features.peer_mocks.round_flow import RoundFlow
from bot.features.peer_mocks.service import (
    InviteExpired,
    InviteView,
    JoinResult,
    PairClosed,
    PairFinished,
    PairView,
    PeerError,
    PeerEvent,
    PeerMockService,
    PhaseAdvanced,
    RoundEnded,
    RoundReminder,
)
from bot.features.peer_mocks.views import invite_view, pair_view

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot

NO_THREAD = (
    "I can't open a private thread for you two here (I need Create Private Threads and Send "
    "Messages in Threads in this channel), so the pairing was cancelled."
)


class MockFlow(MockBase):
    def __init__(self, bot: MockInterviewBot, service: PeerMockService, rounds: RoundFlow) -> None:
        super().__init__(bot, service)
        self.rounds = rounds
        service.subscribe(self.on_event)

    # -- the queue ------------------------------------------------------------------------------

    @guarded
    async def join(
        self, interaction: discord.Interaction[Any], track: Track, difficulty: Difficulty | None
    ) -> None:
        assert interaction.guild_id is not None  # the command group is guild-only
        await interaction.response.defer(ephemeral=True, thinking=True)
        uid = await self.uid(interaction.user)
        result = await self.service.join_queue(
            interaction.guild_id, uid, track, difficulty, channel_id=interaction.channel_id
        )
        await interaction.followup.send(
            await self._after_join(interaction, uid, result), ephemeral=True
        )

    async def _after_join(
        self, interaction: discord.Interaction[Any], uid: int, result: JoinResult
    ) -> str:
        """Open a thread for every new pair; say what happened to the member who joined."""
        said = ""
        for pair in result.pairs:
            mine = pair.has(uid)
            thread = await self.open_pair(pair, interaction.channel if mine else None, uid)
            if mine:
                other = pair.other(uid)
                said = (
                    f"You're paired with {render.mention(other)}! Your mock is in "
                    f"{thread.mention}: press **Ready** there."
                    if thread is not None
                    else NO_THREAD + " Try /mock queue join in another channel."
                )
        if said:
            return said
        spot = result.spot
        assert spot is not None
        verb = "updated your place in" if result.updated else "joined"
        return (
            f"You {verb} the queue for a {render.wish(spot.track, spot.difficulty)} partner. I'll "
            "open a private thread and ping you as soon as someone joins; /mock queue leave stops "
            "waiting."
        )

    @guarded
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        left = await self.service.leave_queue(
            interaction.guild_id, await self.uid(interaction.user)
        )
        await reply(
            interaction,
            "You left the queue." if left else "You weren't in the queue; nothing changed.",
        )

    @guarded
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        status = await self.service.queue_status(
            interaction.guild_id, await self.uid(interaction.user)
        )
        await reply(interaction, render.queue_status_text(status))

    # -- invitations ----------------------------------------------------------------------------

    @guarded
    async def invite(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | discord.User,
        track: Track,
        difficulty: Difficulty | None,
    ) -> None:
        assert interaction.guild_id is not None
        if member.bot:
            raise PeerError("Bots don't do mock interviews; invite a member of this server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        inviter = await self.uid(interaction.user)
        invite = await self.service.invite(
            interaction.guild_id,
            inviter,
            await self.uid(member),
            track,
            difficulty,
            channel_id=interaction.channel_id,
        )
        channel = interaction.channel
        try:
            if not isinstance(channel, discord.abc.Messageable):
                raise PeerError("Invitations can only be posted in a text channel.")
            message = await channel.send(render.invite_text(invite), view=invite_view(invite.id))
        except (discord.HTTPException, PeerError):
            await self.service.withdraw_invite(invite.id, inviter)
            raise PeerError(
                "I can't post the invitation in this channel; try a channel where I can send "
                "messages."
            ) from None
        await self.service.set_invite_message(invite.id, message.channel.id, message.id)
        await interaction.followup.send(
            f"Invitation sent to {member.mention}; it expires {timestamp(invite.expires_at)}.",
            ephemeral=True,
        )

    @guarded
    async def on_invite_button(
        self, interaction: discord.Interaction[Any], action: str, invite_id: int
    ) -> None:
        uid = await self.uid(interaction.user)
        if action == "decline":
            declined = await self.service.decline_invite(invite_id, uid)
            await interaction.response.edit_message(
                content=render.invite_closed_text(declined), view=None
            )
            return
        invite, pair = await self.service.accept_invite(invite_id, uid)
        await interaction.response.edit_message(
            content=render.invite_closed_text(invite), view=None
        )
        thread = await self.open_pair(pair, interaction.channel, uid)
        text = (
            f"Your mock is in {thread.mention}: press **Ready** there."
            if thread is not None
            else NO_THREAD
        )
        await interaction.followup.send(text, ephemeral=True)

    # -- the pair's thread ----------------------------------------------------------------------

    async def open_pair(
        self, pair: PairView, preferred: Any, trigger_uid: int | None
    ) -> discord.Thread | None:
        """A private thread for the pair, both members in it, and the Ready button."""
        channel = _text_channel(preferred) or _text_channel(await self.channel(pair.channel_id))
        a, b = pair.members
        try:
            if channel is None:
                raise PeerError("no text channel to open the thread in")
            thread = await channel.create_thread(
                name=f"mock-{pair.track.value}-{a.name}-{b.name}"[:100],
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=1440,
            )
            for member in pair.members:
                await thread.add_user(discord.Object(id=int(member.external_id)))
        except (discord.HTTPException, PeerError) as exc:
            log.info("no thread for peer mock %s: %s", pair.id, exc)
            await self.service.cancel_pair(pair.id)
            for member in pair.members:
                if member.user_id != trigger_uid:
                    await self.dm(
                        member,
                        content=f"Your peer mock with {pair.other(member.user_id).name} could not "
                        "start: I can't open a private thread in that channel. Join the queue "
                        "again with /mock queue join from another channel.",
                    )
            return None
        await self.service.set_thread(pair.id, channel.id, thread.id)
        await thread.send(render.welcome_text(pair), view=pair_view(pair.id, "ready"))
        return thread

    @guarded
    async def on_pair_button(
        self, interaction: discord.Interaction[Any], action: str, pair_id: int
    ) -> None:
        uid = await self.uid(interaction.user)
        if action == "refs":
            questions = await self.service.reference_questions(pair_id, uid)
            await interaction.response.send_message(
                embeds=render.reference_embeds(questions)[:10], ephemeral=True
            )
        elif action == "requeue":
            await interaction.response.defer(ephemeral=True, thinking=True)
            result = await self.service.requeue(pair_id, uid)
            await interaction.followup.send(
                await self._after_join(interaction, uid, result), ephemeral=True
            )
        elif action == "ready":
            await interaction.response.defer()
            ready = await self.service.ready(pair_id, uid)
            me = next(m for m in ready.pair.members if m.user_id == uid)
            await interaction.followup.send(render.ready_text(ready.pair, ready.waiting_for, me))
            if ready.started is not None:
                await retire_buttons(interaction)
                await self.rounds.post_round_start(ready.started)
        elif action == "swap":
            await interaction.response.defer()
            started = await self.service.swap(pair_id, uid)
            await retire_buttons(interaction)
            await self.rounds.post_round_start(started)
        elif action == "finish":
            await interaction.response.defer()
            report = await self.service.finish(pair_id, uid)
            await retire_buttons(interaction)
            await self.rounds.post_report(report)

    # -- what happens on its own ----------------------------------------------------------------

    async def on_event(self, event: PeerEvent) -> None:
        if isinstance(event, PhaseAdvanced):
            await self.rounds.post_card(event.round, "⏰ Time is up for that phase; next phase.")
        elif isinstance(event, RoundReminder):
            await self.rounds.post_reminder(event.round, event.item)
        elif isinstance(event, RoundEnded):
            await self.rounds.post_feedback_prompt(event.round)
        elif isinstance(event, InviteExpired):
            await self._close_invite_message(event.invite)
        elif isinstance(event, PairClosed):
            thread = await self.channel(event.pair.thread_id)
            if thread is not None:
                text = render.closed_text(event.pair, event.no_shows, event.present)
                if event.present:  # only those who were there are offered the queue again
                    await thread.send(text, view=pair_view(event.pair.id, "requeue"))
                else:
                    await thread.send(text)
            if event.report is not None:
                await self.rounds.post_report(event.report)
        elif isinstance(event, PairFinished):
            thread = await self.channel(event.report.pair.thread_id)
            if thread is not None:
                await thread.send("Nobody swapped roles for 10 minutes, so the mock is finished.")
            await self.rounds.post_report(event.report)

    async def _close_invite_message(self, invite: InviteView) -> None:
        channel = await self.channel(invite.channel_id)
        if invite.message_id is None or not isinstance(
            channel, discord.TextChannel | discord.Thread | discord.DMChannel
        ):
            return
        try:
            await channel.get_partial_message(invite.message_id).edit(
                content=render.invite_closed_text(invite), view=None
            )
        except discord.HTTPException as exc:
            log.info("could not close invitation message %s: %s", invite.message_id, exc)


def _text_channel(channel: Any) -> discord.TextChannel | None:
    """Where a pair's private thread can hang: a text channel, or the parent of a thread."""
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    return channel if isinstance(channel, discord.TextChannel) else None
