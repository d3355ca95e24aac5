"""The review queue in Discord: /bank review, Approve / Edit and approve / Reject, author DMs.

After a decision the review message moves on to the next suggestion, so a moderator can work
through the queue from one message. The author hears the outcome by DM; when DMs are closed the
outcome still stands (logged at INFO).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord.guard import reply
from bot.features.bank import ids, render
from bot.features.bank.common import BankContext, RefuseForm, guarded
from bot.features.bank.form import FormInvalid, QuestionForm, form_of
from bot.features.bank.types import BankAdminError, ReviewOutcome
from bot.features.bank.views import (
    QuestionModal,
    RejectModal,
    review_view,
    too_long_to_edit,
)
from bot.features.config.access import Refused

log = logging.getLogger(__name__)


class BankReview:
    """Suggestions under review: the queue, approve (as is or edited), reject, tell the author."""

    def __init__(self, ctx: BankContext, refuse_form: RefuseForm) -> None:
        self._ctx = ctx
        self._refuse_form = refuse_form  # hands a refused form back (the flow owns drafts)

    @guarded
    async def review(self, interaction: discord.Interaction[Any]) -> None:
        guild = await self._ctx.require_moderator(interaction)
        suggestion = await self._ctx.service.next_suggestion(guild.id)
        if suggestion is None:
            await reply(
                interaction,
                "No suggestions are waiting. Members propose questions with /suggest.",
            )
            return
        groups = render.suggestion_embeds(suggestion)
        await interaction.response.send_message(
            embeds=groups[0], view=review_view(suggestion.row_id), ephemeral=True
        )
        for embeds in groups[1:]:
            await interaction.followup.send(embeds=embeds, ephemeral=True)

    @guarded
    async def on_review(self, interaction: discord.Interaction[Any], action: str, row: int) -> None:
        if action == "approve":
            await self.approve(interaction, row, None, "")
            return
        guild = await self._ctx.require_moderator(interaction)
        info = await self._ctx.service.suggestion(guild.id, row)  # refuses if already decided
        if action == "reject":
            await interaction.response.send_modal(RejectModal(row, info.question.id))
            return
        if info.question.is_phased:
            raise Refused("System-design suggestions cannot be edited in a form; approve first.")
        values = form_of(info.question).texts
        if too_long := too_long_to_edit(values):
            raise Refused(f"The {', '.join(too_long)} is too long for a form; approve it first.")
        title = f"Edit and approve {info.question.id}"
        await interaction.response.send_modal(QuestionModal(ids.review_edit_id(row), title, values))

    @guarded
    async def approve(
        self,
        interaction: discord.Interaction[Any],
        row: int,
        form: QuestionForm | None,
        custom_id: str,
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        await _defer_update(interaction)
        try:
            outcome = await self._ctx.service.approve(
                guild.id, await self._ctx.actor(interaction), row, form
            )
        except FormInvalid as exc:
            assert form is not None  # only edited text can be invalid
            await self._refuse_form(interaction, custom_id, form.texts, exc.problems)
            return
        except BankAdminError as exc:
            if form is None:
                raise
            await self._refuse_form(interaction, custom_id, form.texts, [str(exc)])  # keep edits
            return
        edits = f" with your edits ({', '.join(outcome.changed)})" if outcome.changed else ""
        await self._show_next(interaction, guild.id, f"Approved `{outcome.question_id}`{edits}.")
        await self._tell_author(outcome, guild.name)

    @guarded
    async def on_reject_form(
        self, interaction: discord.Interaction[Any], row: int, reason: str
    ) -> None:
        guild = await self._ctx.require_moderator(interaction)
        await _defer_update(interaction)
        outcome = await self._ctx.service.reject(
            guild.id, await self._ctx.actor(interaction), row, reason
        )
        note = f"Rejected `{outcome.question_id}`; the author is told why."
        await self._show_next(interaction, guild.id, note)
        await self._tell_author(outcome, guild.name)

    async def _show_next(
        self, interaction: discord.Interaction[Any], guild_id: int, note: str
    ) -> None:
        """Turn the review message into the next suggestion (or say the queue is empty)."""
        suggestion = await self._ctx.service.next_suggestion(guild_id)
        if suggestion is None:
            await interaction.edit_original_response(
                content=f"{note} No more suggestions are waiting.", embeds=[], view=None
            )
            return
        await interaction.edit_original_response(
            content=f"{note} Next suggestion:",
            embeds=render.suggestion_embeds(suggestion)[0],
            view=review_view(suggestion.row_id),
        )

    async def _tell_author(self, outcome: ReviewOutcome, guild_name: str) -> None:
        author = outcome.author
        if author is None or author.platform != "discord":
            return
        if outcome.status == "rejected":
            text = (
                f"Your suggested question `{outcome.question_id}` was not accepted in "
                f"**{guild_name}**. The moderator's reason: {outcome.reason}"
            )
        else:
            text = (
                f"Good news: your suggested question `{outcome.question_id}` was approved in "
                f"**{guild_name}** and is now used in its interviews."
            )
        try:
            user_id = int(author.external_id)
            user = self._ctx.bot.get_user(user_id) or await self._ctx.bot.fetch_user(user_id)
            await user.send(render.clip_message(text))
        except (discord.HTTPException, ValueError) as exc:
            log.info("could not DM %s the outcome of %s: %s", author.external_id, outcome, exc)


async def _defer_update(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge without a new message when there is a review message to update."""
    if interaction.message is not None:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=True, thinking=True)
