"""Practice buttons, selects and the answer modal: Answer, Done, Score, Vote, rubric points.

An answer is acknowledged only to its author (ephemeral) and never shown to anyone else before
the reveal; a refused answer is given back to its author so nothing they wrote is lost.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.practice_rounds import RoundKind, RoundStatus, RoundView
from bot.discord.components import modal_value
from bot.discord.guard import reply
from bot.discord.render import timestamp
from bot.features.practice_rounds import render
from bot.features.practice_rounds.announce import resolve_channel
from bot.features.practice_rounds.common import PracticeBase, Refused, guarded
from bot.features.practice_rounds.service import RoundError, RoundNotOpen
from bot.features.practice_rounds.views import (
    ANSWER_MODAL_RE,
    PointSelect,
    PracticeAnswerModal,
)

log = logging.getLogger(__name__)


class PracticeButtons(PracticeBase):
    @guarded
    async def on_round_button(
        self, interaction: discord.Interaction[Any], action: str, round_id: int
    ) -> None:
        view = await self.service.view(round_id)
        uid = await self.user_id(interaction.user)
        if action == "answer":
            await self._open_answer_box(interaction, view, uid)
        elif action == "done":
            if view.status is not RoundStatus.ANSWERING:
                raise Refused("Answering is already over; scoring is open in this thread.")
            if uid != view.candidate_id and not await self.may_steer(interaction, view):
                raise Refused(
                    "Only the candidate, the member who started the panel or a moderator can "
                    "end the answering."
                )
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.service.reveal(round_id)
            await interaction.followup.send("Answering is over: scoring is open.", ephemeral=True)
        elif action == "score":
            await self._send_ballot(interaction, view, uid)

    async def _open_answer_box(
        self, interaction: discord.Interaction[Any], view: RoundView, uid: int
    ) -> None:
        if (
            view.status is not RoundStatus.ANSWERING
            or view.answer_due_at <= self.bot.app.clock.now()
        ):
            raise RoundNotOpen("Time is up for this round: answers are closed.")
        if view.kind is RoundKind.PANEL:
            if uid != view.candidate_id:
                raise Refused(
                    f"Only {view.candidate_name} answers in this panel; you score the answer "
                    "once they are done."
                )
            title = "Your answer · shown to the panel"
        else:
            title = "Your answer · hidden until the reveal"
        await interaction.response.send_modal(PracticeAnswerModal(view.id, title))

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        """Answer-modal submissions, matched by custom_id so they survive restarts."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        match = ANSWER_MODAL_RE.fullmatch(str(data.get("custom_id", "")))
        if match:
            await self.on_answer(interaction, int(match["rid"]), modal_value(interaction))

    @guarded
    async def on_answer(
        self, interaction: discord.Interaction[Any], round_id: int, text: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        uid = await self.user_id(interaction.user)
        try:
            saved = await self.service.add_answer(round_id, uid, text)
        except RoundError as exc:
            await self._give_back(interaction, str(exc), text)
            return
        view = await self.service.view(round_id)
        if view.kind is RoundKind.PANEL:
            shown = await self._post_panel_part(view, saved.part, text)
            where = (
                "the panel sees it in the thread"
                if shown
                else "I couldn't post it in the thread, but it is saved and will be scored"
            )
            await interaction.followup.send(
                f"Added part {saved.part}; {where}. Press **Answer** to add more, or **Done** "
                "when you have finished.",
                ephemeral=True,
            )
            return
        parts = "part" if saved.part == 1 else "parts"
        await interaction.followup.send(
            f"Saved privately: {saved.characters} characters in {saved.part} {parts}. Nobody "
            f"sees it before the reveal {timestamp(view.answer_due_at)}. Press **Answer** again "
            "to add more: new submissions are appended to your answer, never replace it.",
            ephemeral=True,
        )

    async def _give_back(self, interaction: discord.Interaction[Any], why: str, text: str) -> None:
        """A refused answer goes back to its author (only them), so nothing is lost."""
        embed = discord.Embed(title="What you wrote (not saved)", description=text[:4000] or "—")
        await interaction.followup.send(
            f"{why} Your text is below so you can keep it.", embed=embed, ephemeral=True
        )

    async def _post_panel_part(self, view: RoundView, part: int, text: str) -> bool:
        thread = await resolve_channel(self.bot, view.thread_id)
        if thread is None:
            return False
        try:
            await thread.send(embed=render.panel_part_embed(view.candidate_name, part, text))
        except discord.HTTPException as exc:
            log.info("panel %s: could not post an answer part: %s", view.id, exc)
            return False
        return True

    @guarded
    async def on_vote(
        self, interaction: discord.Interaction[Any], round_id: int, answer_id: int
    ) -> None:
        saved = await self.service.vote(round_id, await self.user_id(interaction.user), answer_id)
        moved = f" (moved from {saved.previous_author}'s)" if saved.previous_author else ""
        closes = f" until voting closes {timestamp(saved.closes_at)}" if saved.closes_at else ""
        await reply(
            interaction,
            f"Your vote for **{saved.author}**'s answer is saved{moved}. One vote each: press "
            f"another answer's button to move it{closes}. Counts are shown when voting closes.",
        )

    async def _send_ballot(
        self, interaction: discord.Interaction[Any], view: RoundView, uid: int
    ) -> None:
        if view.status is not RoundStatus.SCORING:
            raise RoundNotOpen("Scoring is closed for this panel.")
        if uid == view.candidate_id:
            raise Refused("You're the candidate: the rest of the group scores your answer.")
        if not view.rubric:
            raise Refused("This question has no rubric left in the bank, so it can't be scored.")
        current = await self.service.ballot(view.id, uid)
        selects = [
            PointSelect(view.id, i, point.point, current[i]) for i, point in enumerate(view.rubric)
        ]
        scored = sum(1 for s in current if s is not None)
        for start in range(0, len(selects), 5):  # five selects per message at most
            ui = discord.ui.View(timeout=None)
            for select in selects[start : start + 5]:
                ui.add_item(select)
            text = render.ballot_text(view, scored)
            if start == 0:
                await interaction.response.send_message(text, view=ui, ephemeral=True)
            else:
                await interaction.followup.send(text, view=ui, ephemeral=True)

    @guarded
    async def on_point(
        self, interaction: discord.Interaction[Any], round_id: int, index: int, score: int
    ) -> None:
        progress = await self.service.score_point(
            round_id, await self.user_id(interaction.user), index, score
        )
        view = await self.service.view(round_id)
        await interaction.response.edit_message(content=render.ballot_text(view, progress.scored))
