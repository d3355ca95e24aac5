"""The round in Discord: the candidate's card, the interviewer's kit and reveals, phases, the
end of the round, the score sheet, feedback and rating, and the reports."""

from __future__ import annotations

from typing import Any

import discord

from bot.core.session import ItemView
from bot.discord.render import clip
from bot.features.interviews.types import StaleAction
from bot.features.peer_mocks import render
from bot.features.peer_mocks.common import MockBase, guarded, retire_buttons
from bot.features.peer_mocks.service import (
    NotAllowed,
    PairReport,
    PeerError,
    RoundProgress,
    RoundStatus,
    RoundView,
)
from bot.features.peer_mocks.views import (
    answer_modal,
    card_view,
    feedback_modal,
    modal_values,
    pair_view,
    rate_modal,
    round_view,
    score_messages,
)

ECHO_LIMIT = 1800
KIT_ACTIONS = ("hint", "follow")


class RoundFlow(MockBase):
    # -- posting to the pair's thread (also used for timer events) -----------------------------

    async def post_round_start(self, view: RoundView) -> None:
        thread = await self.channel(view.pair.thread_id)
        if thread is not None:
            await thread.send(render.round_intro(view))
            await thread.send(embed=render.candidate_card(view), view=card_view(view))
        await self.dm_kit(view)

    async def post_card(self, view: RoundView, note: str = "") -> None:
        thread = await self.channel(view.pair.thread_id)
        if thread is not None:
            await thread.send(note or None, embed=render.candidate_card(view), view=card_view(view))

    async def post_reminder(self, view: RoundView, item: ItemView) -> None:
        thread = await self.channel(view.pair.thread_id)
        if thread is not None:
            await thread.send(render.reminder_text(item))

    async def post_feedback_prompt(self, view: RoundView) -> None:
        thread = await self.channel(view.pair.thread_id)
        if thread is not None:
            await thread.send(
                render.feedback_prompt(view), view=round_view(view.id, "score", "feedback", "rate")
            )

    async def post_report(self, report: PairReport) -> None:
        thread = await self.channel(report.pair.thread_id)
        if thread is None:
            return
        groups = render.group_messages([render.round_embed(r) for r in report.rounds]) or [[]]
        for n, embeds in enumerate(groups):
            extra: dict[str, Any] = {"embeds": embeds}
            if n == len(groups) - 1:
                extra["view"] = pair_view(report.pair.id, "refs", "requeue")
            await thread.send(render.report_text(report) if n == 0 else None, **extra)

    async def post_progress(self, progress: RoundProgress) -> None:
        if not progress.complete:
            return
        if progress.report is not None:
            await self.post_report(progress.report)
            return
        thread = await self.channel(progress.round.pair.thread_id)
        if thread is not None:
            await thread.send(
                render.swap_prompt(progress.round),
                view=pair_view(progress.round.pair.id, "swap", "finish"),
            )

    async def dm_kit(self, view: RoundView) -> None:
        """The interviewer's notes by DM; the card's Interviewer kit button is the fallback."""
        groups = render.group_messages(render.kit_embeds(view))
        for n, embeds in enumerate(groups):
            extra = {"view": round_view(view.id, *KIT_ACTIONS)} if n == len(groups) - 1 else {}
            if not await self.dm(view.interviewer, embeds=embeds, **extra):
                return

    # -- buttons --------------------------------------------------------------------------------

    @guarded
    async def on_item_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int, position: int
    ) -> None:
        uid = await self.uid(interaction.user)
        if action == "answer":
            view = await self.service.round_view(round_id)
            if view.candidate.user_id != uid:
                raise NotAllowed(
                    f"Only the candidate ({view.candidate.name}) answers in this round."
                )
            if view.item is None or view.item.position != position:
                raise StaleAction("moved on")
            await interaction.response.send_modal(answer_modal(round_id, position))
            return
        await interaction.response.defer()
        step = await self.service.next_phase(round_id, uid, position)
        await retire_buttons(interaction)
        if step.ended:
            await self.post_feedback_prompt(step.round)
        else:
            await self.post_card(step.round, "⏭️ Next phase.")

    @guarded
    async def on_round_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int
    ) -> None:
        uid = await self.uid(interaction.user)
        if action == "kit":
            await self._send_kit(interaction, await self.service.kit(round_id, uid))
        elif action in KIT_ACTIONS:
            await self._reveal(
                interaction, round_id, uid, "hint" if action == "hint" else "follow_up"
            )
        elif action == "end":
            await interaction.response.defer()
            ended = await self.service.end_round(round_id, uid)
            await retire_buttons(interaction)
            await self.post_feedback_prompt(ended)
        elif action == "score":
            sheet = await self.service.score_sheet(round_id, uid)
            views = score_messages(sheet)
            if not views:
                await self._ack(interaction, "There is nothing to score: no question was reached.")
                return
            text = (
                "Score each point from 1 (Strong No Hire) to 4 (Strong Hire); only you see this. "
                "Change a score by choosing again."
            )
            await interaction.response.send_message(text, view=views[0], ephemeral=True)
            for more in views[1:]:
                await interaction.followup.send("More points:", view=more, ephemeral=True)
        elif action in ("feedback", "rate"):
            view = await self.service.round_view(round_id)
            owner = view.interviewer if action == "feedback" else view.candidate
            if owner.user_id != uid:
                role = "interviewer" if action == "feedback" else "candidate"
                raise NotAllowed(f"Only the {role} of this round ({owner.name}) can do that.")
            if view.status is not RoundStatus.FEEDBACK:
                raise PeerError("Feedback is open once the round is over, until the round counts.")
            modal = feedback_modal(round_id) if action == "feedback" else rate_modal(round_id)
            await interaction.response.send_modal(modal)

    async def _send_kit(self, interaction: discord.Interaction[Any], view: RoundView) -> None:
        groups = render.group_messages(render.kit_embeds(view))
        for n, embeds in enumerate(groups):
            extra: dict[str, Any] = {"ephemeral": True, "embeds": embeds}
            if n == len(groups) - 1 and view.status is RoundStatus.ACTIVE:
                extra["view"] = round_view(view.id, *KIT_ACTIONS)
            if n == 0:
                await interaction.response.send_message(**extra)
            else:
                await interaction.followup.send(**extra)

    async def _reveal(
        self, interaction: discord.Interaction[Any], round_id: int, uid: int, kind: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reveal = await self.service.reveal(round_id, uid, kind)
        what = "hint" if kind == "hint" else "follow-up"
        if reveal.text is None:
            await self._ack(interaction, f"No {what}s left for this question.")
            return
        thread = await self.channel(reveal.round.pair.thread_id)
        if thread is not None:
            icon = "💡" if kind == "hint" else "❓"
            await thread.send(
                f"{icon} **{what.capitalize()} {reveal.number}/{reveal.total}** from your "
                f"interviewer: {reveal.text}"
            )
        await self._ack(
            interaction, f"Shown to the candidate: {what} {reveal.number}/{reveal.total}."
        )

    # -- the score sheet and the forms ----------------------------------------------------------

    @guarded
    async def on_point(
        self,
        interaction: discord.Interaction[Any],
        round_id: int,
        position: int,
        index: int,
        score: int,
    ) -> None:
        uid = await self.uid(interaction.user)
        await interaction.response.defer(ephemeral=True, thinking=True)
        progress = await self.service.score_point(round_id, uid, position, index, score)
        note = f"Saved {score}/4. Scored {progress.scored} of {progress.to_score}."
        if progress.scores_done and not progress.feedback_done:
            note += " Now press **Write feedback** for strengths and improvements."
        await self._ack(interaction, note)
        await self.post_progress(progress)

    @guarded
    async def on_modal(
        self, interaction: discord.Interaction[Any], kind: str, round_id: int, position: int | None
    ) -> None:
        values = modal_values(interaction)
        uid = await self.uid(interaction.user)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if kind == "answer":
            await self._answer(interaction, round_id, uid, str(values.get("answer", "")), position)
            return
        if kind == "feedback":
            progress = await self.service.feedback(
                round_id, uid, str(values.get("strengths", "")), str(values.get("improvements", ""))
            )
            note = "Feedback saved."
            if not progress.scores_done:
                note += " Press **Score the candidate** to finish the score sheet."
        else:
            chosen = values.get("rating") or ["0"]
            rating = int(chosen[0]) if isinstance(chosen, list) else int(chosen)
            progress = await self.service.rate_interviewer(
                round_id, uid, rating, str(values.get("comment", ""))
            )
            note = f"Thanks: you rated your interviewer {rating}/5."
        await self._ack(interaction, note)
        await self.post_progress(progress)

    async def _answer(
        self,
        interaction: discord.Interaction[Any],
        round_id: int,
        uid: int,
        text: str,
        position: int | None,
    ) -> None:
        """Store the answer part and post it for the interviewer. Nothing written is lost: a
        phase that moved on takes it in the current phase; after the round it is only posted."""
        view = await self.service.round_view(round_id)
        if view.candidate.user_id != uid:
            raise NotAllowed(f"Only the candidate ({view.candidate.name}) answers in this round.")
        if not text.strip():
            raise PeerError("That answer was empty: nothing was added.")
        note = ""
        try:
            try:
                saved = await self.service.answer(round_id, uid, text, position)
            except StaleAction:
                saved = await self.service.answer(round_id, uid, text, None)
            ack = (
                f"Saved ({saved.characters} characters in {saved.parts} part(s)); it is scored "
                "automatically when the round ends. Press Answer again to add more."
            )
        except PeerError:
            note = " (after the round ended)"
            ack = (
                "The round had already ended, so this is not scored automatically; it is posted "
                "in the thread for your interviewer."
            )
        thread = await self.channel(view.pair.thread_id)
        if thread is not None:  # the interviewer reads along
            await thread.send(
                f"📝 **{view.candidate.name}** wrote{note}:\n>>> {clip(text, ECHO_LIMIT)}"
            )
        await self._ack(interaction, ack)

    @staticmethod
    async def _ack(interaction: discord.Interaction[Any], text: str) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
