"""Daily question in Discord: translate interactions to DailyService calls and render results.

Privacy: everything a member does here is answered ephemerally; answers and scores are never
shown to others. Handlers that write to the database defer first (Discord wants a response
within 3 seconds); the Answer button opens its modal straight away (a modal must be the first
response), after one read that spares a member typing an answer that would not count.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.core.daily_schedule import InvalidSchedule
from bot.core.questions import Track
from bot.discord.guard import explain_as_str, handler_guard, reply
from bot.features.config.permissions import NOT_A_MODERATOR, is_moderator
from bot.features.daily import render
from bot.features.daily.reconcile import nonce_for
from bot.features.daily.service import DailyService
from bot.features.daily.types import (
    GUILD,
    USER,
    AnswerRef,
    Claim,
    DailyError,
    NotSent,
    Outcome,
    SendFailed,
    Sent,
)
from bot.features.daily.views import DailyAnswerModal, answer_custom_id, answer_view

if TYPE_CHECKING:
    from bot.discord.client import MockInterviewBot


SCAN_LIMIT = 500  # messages looked through for a post a crash left unrecorded
UNKNOWN_MESSAGE = 10008  # a repeated nonce whose first message was deleted
TOO_MANY_REQUESTS, SERVER_ERROR = 429, 500

guarded = handler_guard(
    explain=explain_as_str(DailyError, InvalidSchedule),
    sorry="Something went wrong on our side; nothing you wrote was lost. Try again.",
    what="daily interaction",
)


class DailyFlow:
    def __init__(self, bot: MockInterviewBot, service: DailyService) -> None:
        self.bot = bot
        self.service = service

    async def _user_id(self, interaction: discord.Interaction[Any]) -> int:
        return await self.bot.flow.user_id(interaction.user)

    async def _moderator_guild(self, interaction: discord.Interaction[Any]) -> int | None:
        """The guild id when a moderator asks; otherwise refuses (ephemeral) and returns None."""
        if interaction.guild_id is None:
            await reply(interaction, "Use this command in a server channel.")
            return None
        if not await is_moderator(interaction, self.bot.app.guild_settings):
            await reply(interaction, NOT_A_MODERATOR)
            return None
        return interaction.guild_id

    # -- moderators -------------------------------------------------------------------------

    @guarded
    async def setup(
        self,
        interaction: discord.Interaction[Any],
        channel_id: int | None,
        time_text: str | None,
        zone_name: str | None,
        track: str | None,
    ) -> None:
        guild_id = await self._moderator_guild(interaction)
        if guild_id is None:
            return
        if channel_id is None and time_text is None and zone_name is None and track is None:
            await reply(interaction, render.guild_setting(await self.service.guild_daily(guild_id)))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.service.configure_guild(
            guild_id,
            await self._user_id(interaction),
            channel_id=channel_id,
            time_text=time_text,
            zone_name=zone_name,
            track=Track(track) if track and track != "any" else None,
            any_track=track == "any",
        )
        await reply(interaction, "Saved. " + render.guild_setting(view))

    @guarded
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = await self._moderator_guild(interaction)
        if guild_id is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.service.stop_guild(guild_id, await self._user_id(interaction)):
            text = "The daily question is off. Members keep their streaks and subscriptions."
        else:
            text = f"The daily question was not on. Start it with `{render.SETUP_EXAMPLE}`."
        await reply(interaction, text)

    # -- members ----------------------------------------------------------------------------

    @guarded
    async def question(self, interaction: discord.Interaction[Any], track: str | None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        offer = await self.service.offer(
            await self._user_id(interaction),
            interaction.guild_id,
            Track(track) if track else None,
        )
        await interaction.followup.send(
            embed=render.personal_question(offer.question),
            view=answer_view(offer.ref),
            ephemeral=True,
        )

    @guarded
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        time_text: str,
        zone_name: str,
        track: str | None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.service.subscribe(
            await self._user_id(interaction),
            interaction.guild_id,
            time_text,
            zone_name,
            Track(track) if track else None,
        )
        await reply(interaction, render.subscription(view))

    @guarded
    async def unsubscribe(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.service.unsubscribe(await self._user_id(interaction)):
            text = "Unsubscribed: no more daily DMs. Your streak is kept."
        else:
            text = "You were not subscribed. Subscribe with `/daily subscribe`."
        await reply(interaction, text)

    @guarded
    async def streak(self, interaction: discord.Interaction[Any]) -> None:
        view = await self.service.streak(await self._user_id(interaction), interaction.guild_id)
        await reply(interaction, render.streak_text(view))

    # -- the Answer button and modal --------------------------------------------------------

    @guarded
    async def on_answer_button(self, interaction: discord.Interaction[Any], ref: AnswerRef) -> None:
        user_id = await self._user_id(interaction)
        existing = await self.service.recorded_today(user_id, ref, interaction.guild_id)
        if existing is not None:
            await reply(interaction, render.already_recorded(existing))
            return
        await interaction.response.send_modal(DailyAnswerModal(ref, "Daily question · your answer"))

    @guarded
    async def on_answer(
        self, interaction: discord.Interaction[Any], ref: AnswerRef, text: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.answer(
            await self._user_id(interaction), ref, text, interaction.guild_id
        )
        if not result.recorded:
            await reply(interaction, render.already_recorded(result))
            return
        await interaction.followup.send(embeds=render.answer_embeds(result), ephemeral=True)


class DailySender:
    """Sends a claimed daily question (a guild channel post or a DM) and finds it again.

    Sending needs no cache: a partial channel for posts, a DM channel opened by user id. Each
    post carries its delivery's nonce with ``enforce_nonce`` (discord.py sets it whenever a
    nonce is given), so sending a claim twice within Discord's window gives one message.
    A channel or user that no longer exists is a permanent failure; anything else Discord
    refuses (missing permissions, closed DMs) is recorded and tried again the next day.
    """

    def __init__(self, bot: MockInterviewBot) -> None:
        self.bot = bot

    async def __call__(self, claim: Claim) -> Outcome:
        schedule = claim.schedule
        view = answer_view(AnswerRef("delivery", claim.delivery_id))
        nonce = nonce_for(claim.delivery_id)
        try:
            channel = await self._channel(claim)
            if schedule.target.kind == GUILD:
                embed = render.guild_post(claim.question, claim.local_date)
            else:
                embed = render.dm_post(claim.question, claim.local_date)
            message = await channel.send(embed=embed, view=view, nonce=nonce)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:  # the nonce's first post was deleted since
                return NotSent("it was posted, then deleted")
            return SendFailed(f"{exc.status} {exc.code}: {exc.text}", permanent=True)
        except discord.HTTPException as exc:
            busy = exc.status == TOO_MANY_REQUESTS or exc.status >= SERVER_ERROR
            return SendFailed(f"{exc.status} {exc.code}: {exc.text}", False, transient=busy)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:  # Discord unreachable
            return SendFailed(repr(exc), permanent=False, transient=True)
        return Sent(message.id)

    async def find(self, claim: Claim, since: datetime) -> Outcome | None:
        """The bot's post of this delivery among the first ``SCAN_LIMIT`` messages after
        ``since`` (its Answer button names the delivery), or None."""
        marker = answer_custom_id(AnswerRef("delivery", claim.delivery_id))
        me = self.bot.user
        try:
            channel = await self._channel(claim)
            after = discord.Object(id=discord.utils.time_snowflake(since))
            async for message in channel.history(limit=SCAN_LIMIT, after=after, oldest_first=True):
                if me is not None and message.author.id == me.id and _has(message, marker):
                    return Sent(message.id)
        except discord.NotFound as exc:
            return SendFailed(f"{exc.status} {exc.code}: {exc.text}", permanent=True)
        except discord.HTTPException as exc:  # e.g. no Read Message History: cannot tell
            busy = exc.status == TOO_MANY_REQUESTS or exc.status >= SERVER_ERROR
            return SendFailed(f"{exc.status} {exc.code}: {exc.text}", False, transient=busy)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return SendFailed(repr(exc), permanent=False, transient=True)
        return None

    async def _channel(self, claim: Claim) -> discord.abc.Messageable:
        schedule = claim.schedule
        if schedule.target.kind == GUILD:
            assert schedule.channel_id is not None
            return self.bot.get_partial_messageable(
                schedule.channel_id, guild_id=schedule.target.id
            )
        assert schedule.target.kind == USER and claim.recipient is not None
        return await self.bot.create_dm(discord.Object(id=int(claim.recipient)))


def _has(message: discord.Message, custom_id: str) -> bool:
    for row in message.components:
        for child in getattr(row, "children", ()):
            if getattr(child, "custom_id", None) == custom_id:
                return True
    return False
