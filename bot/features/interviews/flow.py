"""Interview flow in Discord: translate interactions to service calls and render the results.

Private thread first, then a DM, then ephemeral messages when the bot lacks permission (the user
is told why). Every handler answers within Discord's 3 seconds: fast paths respond at once,
anything that writes more than one message defers first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot import logs
from bot.core.bank_registry import BankRegistry
from bot.core.formats import (
    FOLLOW_UP_ALLOWANCE_SECONDS,
    FOLLOW_UP_MAX_SECONDS,
    TYPED_WORDS_PER_MINUTE,
    Length,
)
from bot.core.questions import Difficulty, Track
from bot.core.session import ItemView, Scorecard, SessionView
from bot.discord import render
from bot.discord.components import PLATFORM, modal_value
from bot.discord.guard import handler_guard, reply
from bot.features.interviews.ai_flow import AIFlow, ai_embeds, is_clarify, send_ai_embeds
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import (
    ActiveInterviewExists,
    Advance,
    Event,
    InterviewError,
    NotYourInterview,
    ReminderDue,
    SessionNotFound,
    SessionSummary,
    StaleAction,
    TimedOut,
)
from bot.features.interviews.views import (
    ANSWER_MODAL_RE,
    ASK_MODAL_RE,
    AnswerModal,
    AskModal,
    SelfScoreSelect,
    question_view,
    scorecard_view,
)

log = logging.getLogger(__name__)
HISTORY_LIMIT = 15  # sessions listed by /interview history


def _explain(exc: Exception) -> str | None:
    if isinstance(exc, NotYourInterview):
        return (
            "Only the candidate can use this interview's buttons. "
            "Start your own with /interview start."
        )
    if isinstance(exc, StaleAction):
        return "That question has already moved on; use the newest message."
    if isinstance(exc, InterviewError | _Refused):
        return str(exc)
    return None


guarded = handler_guard(
    explain=_explain,
    sorry="Something went wrong on our side; your answers are saved. "
    "Try again, or use /interview status.",
)


class _Refused(Exception):
    pass


class InterviewFlow:
    def __init__(
        self,
        client: discord.Client,
        service: InterviewService,
        banks: BankRegistry,
        *,
        ai: AIFlow | None = None,
    ) -> None:
        self.client = client
        self.service = service
        self.banks = banks
        self.ai = ai  # the AI interviewer's parts (grading, feedback, clarify replies)
        self._user_ids: dict[int, int] = {}
        service.subscribe(self.on_event)

    async def user_id(self, user: discord.abc.User) -> int:
        cached = self._user_ids.get(user.id)
        if cached is None:
            cached = await self.service.ensure_user(PLATFORM, str(user.id), user.display_name)
            self._user_ids[user.id] = cached
        return cached

    def forget_user(self, discord_id: int) -> None:
        """After a privacy deletion: the cached users.id of this member is gone."""
        self._user_ids.pop(discord_id, None)

    async def _own_session(
        self, interaction: discord.Interaction[Any], session_id: int
    ) -> SessionView:
        session = await self.service.view(session_id)
        if session.user_id != await self.user_id(interaction.user):
            raise _Refused(
                "Only the candidate can use this interview's buttons. "
                "Start your own with /interview start."
            )
        return session

    # -- slash commands ---------------------------------------------------------------------

    @guarded
    async def start(
        self,
        interaction: discord.Interaction[Any],
        track: Track,
        length: Length,
        topic: str | None,
        difficulty: Difficulty | None,
        follow_ups: bool | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        uid = await self.user_id(interaction.user)
        try:
            session = await self.service.start(
                uid,
                track,
                length,
                platform=PLATFORM,
                topic=topic,
                difficulty=difficulty,
                guild_id=interaction.guild_id,
                bank=self.banks.for_guild(interaction.guild_id),
                follow_ups=follow_ups,
            )
        except ActiveInterviewExists as exc:
            where = _link(exc.session)
            await interaction.followup.send(
                f"You already have an interview in progress{where}. Finish it or use "
                "/interview end first.",
                ephemeral=True,
            )
            return
        channel, why = await self._open_and_announce(interaction, session)
        assert session.current is not None
        if channel is None:  # ephemeral mode
            await self.service.set_channel(session.id, interaction.guild_id, None)
            await interaction.followup.send(
                f"{why} Your interview runs in messages only you can see; a time-out shows up "
                "when you next press a button.",
                ephemeral=True,
            )
            await self._send_item(interaction.followup, session.current, ephemeral=True)
            return
        # The member had the question first; recording the channel need not come before it.
        await self.service.set_channel(session.id, interaction.guild_id, channel.id)
        note = f" ({why})" if why else ""
        await interaction.followup.send(
            f"Your {track.value} interview is ready in {_where(channel)}{note}. Good luck!",
            ephemeral=True,
        )
        notice = await self.ai.notice(uid, interaction.guild_id) if self.ai else None
        if notice:  # once per member and server, before any answer is graded by the model
            await interaction.followup.send(notice, ephemeral=True)

    async def _announce_and_send(
        self, channel: discord.abc.Messageable, session: SessionView
    ) -> None:
        """The interview's shape above its first question, in one message: under Discord's
        global limit every request counts when many members start at once."""
        assert session.current is not None
        await self._send_item(channel, session.current, content=self._announcement(session))

    @staticmethod
    def _announcement(session: SessionView) -> str:
        """What the interview holds and how it is timed, before the first question (from the
        session's view: no second read of the session)."""
        questions, minutes = session.questions, session.total_minutes
        shape = f"{questions} question{'s' if questions != 1 else ''}"
        if session.total_items != questions:
            shape += f" in {session.total_items} timed phases"
        text = (
            f"**{session.length.value.capitalize()} {session.track.value} interview:** {shape}, "
            f"{minutes} minutes in all. Time limits are set for typing: a reference-length "
            f"answer fits at {TYPED_WORDS_PER_MINUTE} words a minute."
        )
        if session.follow_ups:
            text += (
                " After an answer you submit, the interviewer may ask one follow-up: your reply "
                f"extends the same answer, with the time left plus "
                f"{FOLLOW_UP_ALLOWANCE_SECONDS // 60} minutes (at most "
                f"{FOLLOW_UP_MAX_SECONDS // 60}); **Skip follow-up** passes it without penalty."
            )
        return text

    async def _open_and_announce(
        self, interaction: discord.Interaction[Any], session: SessionView
    ) -> tuple[discord.Thread | discord.DMChannel | None, str]:
        """Open the member's private channel and post the announcement and first question
        there; ``None`` (and why) when neither a private thread nor a DM is possible."""
        channel = interaction.channel
        name = f"mock-{session.track.value}-{interaction.user.name}"[:100]
        why = "Private threads aren't available in this kind of channel."
        if isinstance(channel, discord.TextChannel):
            try:
                thread = await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=1440,
                )
                # Discord allows posting before the member is added (they then see the
                # thread's history): one round trip less before the question.
                joined, _ = await asyncio.gather(
                    self._add_member(thread, interaction.user),
                    self._announce_and_send(thread, session),
                )
                if joined:
                    return thread, ""
            except discord.HTTPException as exc:
                log.info("private thread refused in %s: %s", channel.id, exc)
            why = (
                "I can't create private threads here (I need Create Private Threads and "
                "Send Messages in Threads)."
            )
        elif isinstance(channel, discord.DMChannel):
            await self._announce_and_send(channel, session)
            return channel, ""
        try:
            dm = await interaction.user.create_dm()
            await dm.send(f"Here is your mock interview. {why}")
        except discord.HTTPException:
            return None, why + " I can't DM you either (your privacy settings block it)."
        await self._announce_and_send(dm, session)
        return dm, f"{why} I sent it to your DMs instead"

    @staticmethod
    async def _add_member(thread: discord.Thread, user: discord.abc.Snowflake) -> bool:
        try:
            await thread.add_user(user)
            return True
        except discord.HTTPException as exc:
            log.info("could not add %s to thread %s: %s", user.id, thread.id, exc)
            return False

    @guarded
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        session = await self.service.open_session(await self.user_id(interaction.user))
        if session is None or session.current is None:
            await reply(
                interaction, "You have no interview in progress. Start one with /interview start."
            )
            return
        if session.mode != "solo":
            await reply(interaction, _not_solo(session))
            return
        # The question comes with its buttons: a member whose thread or message is out of
        # reach (or whose time-out post Discord refused) can go on from here.
        item = session.current
        await interaction.response.send_message(
            render.status_text(item, session.channel_id),
            embed=render.question_embed(item),
            view=_buttons(item),
            ephemeral=True,
        )

    @guarded
    async def end(self, interaction: discord.Interaction[Any]) -> None:
        session = await self.service.open_session(await self.user_id(interaction.user))
        if session is None:
            await reply(interaction, "You have no interview in progress.")
            return
        if session.mode != "solo":  # a peer round: its interviewer ends it, privately
            await reply(interaction, _not_solo(session))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        card = await self.service.end(session.id)
        channel = await self.channel(session.channel_id)
        if channel is None:
            await interaction.followup.send(render.ended_early_text(card), ephemeral=True)
            await self._send_scorecard(interaction.followup, card, ephemeral=True)
            return
        await self._send_scorecard(channel, card)
        await interaction.followup.send(
            f"{render.ended_early_text(card)} Your scorecard is in <#{session.channel_id}>.",
            ephemeral=True,
        )

    @guarded
    async def history(self, interaction: discord.Interaction[Any]) -> None:
        summaries = await self.service.history(
            await self.user_id(interaction.user), limit=HISTORY_LIMIT
        )
        if not summaries:
            await reply(interaction, "You have no interviews yet. Start one with /interview start.")
            return
        await interaction.response.send_message(embed=history_embed(summaries), ephemeral=True)

    # -- buttons and modals -----------------------------------------------------------------

    @guarded
    async def on_button(
        self,
        interaction: discord.Interaction[Any],
        action: str,
        session_id: int,
        position: int,
        *,
        stage: str | None = None,
    ) -> None:
        # Ownership and position come from the service's cache: no database round trip before
        # the modal (which must be the first response) or the deferral.
        current = await self.service.current_position(
            session_id, await self.user_id(interaction.user)
        )
        if current != position:
            raise StaleAction("moved on")
        # Ephemeral mode runs in the original channel; threads and DMs are private already.
        ephemeral = not isinstance(interaction.channel, discord.Thread | discord.DMChannel)
        if action == "answer":
            title = f"Your answer · item {position + 1}"
            await interaction.response.send_modal(AnswerModal(session_id, position, title))
        elif action == "ask":
            await interaction.response.send_modal(AskModal(session_id, position))
        elif action == "hint":
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            hint = await self.service.hint(session_id, position=position)
            if hint.text is None:
                await interaction.followup.send("No more hints for this question.", ephemeral=True)
            else:
                await interaction.followup.send(
                    f"💡 **Hint {hint.hints_used}/{hint.hints_available}:** {hint.text}\n"
                    f"-# Best score reachable on this question is now {int(hint.max_score)}/4.",
                    ephemeral=ephemeral,
                )
        elif action in ("next", "skip"):
            await interaction.response.defer()
            op = self.service.submit if action == "next" else self.service.skip
            on_follow_up = {"q": False, "f": True}.get(stage or "")
            advance = await op(session_id, position=position, on_follow_up=on_follow_up)
            if action == "next":
                note = "Submitted; a follow-up comes next" if advance.follow_up else "Submitted"
            else:
                note = "Skipped"
            await asyncio.gather(  # the next question need not wait for the old one to close
                self._close_question_message(interaction, note),
                self._after_advance(interaction.followup, advance, ephemeral=ephemeral),
            )
        elif action == "end":
            await interaction.response.defer()
            card = await self.service.end(session_id)
            await self._close_question_message(interaction, "Interview ended")
            await interaction.followup.send(render.ended_early_text(card), ephemeral=ephemeral)
            await self._send_scorecard(interaction.followup, card, ephemeral=ephemeral)

    @guarded
    async def on_scenario(
        self, interaction: discord.Interaction[Any], session_id: int, position: int
    ) -> None:
        """The full scenario of a system-design phase's question, only for the candidate."""
        session = await self._own_session(interaction, session_id)
        current = session.current
        if current is not None and current.position == position:
            question = current.question
        else:  # an older phase message: the item is in the session all the same
            card = await self.service.scorecard(session_id)
            found = [i.question for i in card.items if i.position == position]
            if not found:
                raise _Refused("That item is not part of this interview.")
            question = found[0]
        await interaction.response.send_message(
            embed=render.scenario_embed(question), ephemeral=True
        )

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer-modal submissions, matched by custom_id so they survive restarts."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        match = ANSWER_MODAL_RE.fullmatch(str(data.get("custom_id", "")))
        if match:
            await self.on_answer(
                interaction, int(match["sid"]), int(match["pos"]), modal_value(interaction)
            )
            return
        match = ASK_MODAL_RE.fullmatch(str(data.get("custom_id", "")))
        if match:
            text = modal_value(interaction, "question")
            await self.on_ask(interaction, int(match["sid"]), int(match["pos"]), text)

    @guarded
    async def on_ask(
        self, interaction: discord.Interaction[Any], session_id: int, position: int, text: str
    ) -> None:
        """A clarifying question: kept in the answer (asking is part of clarifying), answered
        after the deferral (the model may take seconds)."""
        current = await self.service.current_position(
            session_id, await self.user_id(interaction.user)
        )
        if current != position:
            raise StaleAction("moved on")
        ephemeral = not isinstance(interaction.channel, discord.Thread | discord.DMChannel)
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        await self.service.add_answer(session_id, text, position=position)
        session = await self.service.view(session_id)
        if session.current is None or not is_clarify(session.current) or self.ai is None:
            raise _Refused("Questions to the interviewer are for the clarify phase.")
        reply_text = await self.ai.clarify_reply(
            session.current, session.guild_id, session.user_id, text
        )
        await interaction.followup.send(reply_text, ephemeral=ephemeral)

    @guarded
    async def on_answer(
        self, interaction: discord.Interaction[Any], session_id: int, position: int, text: str
    ) -> None:
        current = await self.service.current_position(
            session_id, await self.user_id(interaction.user)
        )
        if current != position:
            raise StaleAction("moved on")
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.service.add_answer(session_id, text, position=position)
        parts = "part" if saved.parts == 1 else "parts"
        await interaction.followup.send(
            f"Saved ({saved.characters} characters in {saved.parts} {parts}). Press **Answer** "
            "to add more, or **Next** when you're done.",
            ephemeral=True,
        )

    @guarded
    async def on_rate_button(self, interaction: discord.Interaction[Any], session_id: int) -> None:
        await self._own_session(interaction, session_id)
        card = await self.service.scorecard(session_id)
        selects = [
            SelfScoreSelect(session_id, i.position, f"{n}. {i.label}", i.self_score)
            for n, i in enumerate(card.items, 1)
            if i.status.value != "not_reached"
        ]
        if not selects:
            await reply(interaction, "There is nothing to rate: no question was answered.")
            return
        for start in range(0, len(selects), 5):  # five selects per message at most
            view = discord.ui.View(timeout=None)
            for select in selects[start : start + 5]:
                view.add_item(select)
            text = (
                "Rate each answer yourself (1 Strong No Hire … 4 Strong Hire); it replaces the "
                "automatic score in your result."
            )
            if start == 0 and not interaction.response.is_done():
                await interaction.response.send_message(text, view=view, ephemeral=True)
            else:
                await interaction.followup.send(text, view=view, ephemeral=True)

    @guarded
    async def on_self_score(
        self, interaction: discord.Interaction[Any], session_id: int, position: int, score: int
    ) -> None:
        await self._own_session(interaction, session_id)
        card = await self.service.set_self_score(session_id, position, score)
        verdict = card.verdict
        result = (
            f" Session result now: {verdict.label} (mean {card.mean:.2f})."
            if verdict and card.mean
            else ""
        )
        await interaction.response.send_message(
            f"Saved your score {score}/4 for item {position + 1}.{result}", ephemeral=True
        )

    # -- engine events (time-outs, reminders) ------------------------------------------------

    async def on_event(self, event: Event) -> None:
        try:
            session = await self.service.view(event.session_id)
            if session.platform != PLATFORM or session.mode != "solo":
                return  # other modes (peer mocks) render their own events
            channel = await self.channel(session.channel_id)
            if channel is None:
                return  # ephemeral mode: the user sees it on their next click
            if isinstance(event, ReminderDue):
                await channel.send(f"⏳ One minute left on {event.item.title.lower()}.")
            elif isinstance(event, TimedOut):
                # The notice rides on the message that follows it: under Discord's global
                # limit, many interviews timing out together cost one request each, not two.
                notice = (
                    f"⏰ Time is up for item {event.item.position + 1}: what you wrote was kept."
                )
                await self._after_advance(
                    channel, Advance(event.item, event.next_item, event.scorecard), content=notice
                )
        except SessionNotFound:
            return
        except Exception:
            log.exception("could not post interview event %s", logs.label(event))

    # -- rendering helpers ------------------------------------------------------------------

    async def channel(self, channel_id: int | None) -> discord.abc.Messageable | None:
        if channel_id is None:
            return None
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.HTTPException:
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _send_item(
        self, target: Any, item: ItemView, *, ephemeral: bool = False, content: str | None = None
    ) -> None:
        kwargs = {"ephemeral": True} if ephemeral else {}
        await target.send(
            content,
            embed=render.question_embed(item),
            view=_buttons(item),
            **kwargs,
        )

    async def _send_scorecard(
        self, target: Any, card: Scorecard, *, ephemeral: bool = False, content: str | None = None
    ) -> None:
        kwargs = {"ephemeral": True} if ephemeral else {}
        marks = None
        if self.ai is not None:  # grading and feedback by the model, when on for this server
            card, marks = await self.ai.marked(card)
        await target.send(
            content,
            embed=render.scorecard_embed(card, ai=marks),
            view=scorecard_view(card.session_id),
            **kwargs,
        )
        for embeds in render.reference_embeds(card):
            await target.send(embeds=embeds, **kwargs)
        await send_ai_embeds(target, ai_embeds(card, marks), **kwargs)

    async def _after_advance(
        self, target: Any, advance: Advance, *, ephemeral: bool = False, content: str | None = None
    ) -> None:
        if advance.next_item is not None:
            await self._send_item(target, advance.next_item, ephemeral=ephemeral, content=content)
        elif advance.scorecard is not None:
            await self._send_scorecard(
                target, advance.scorecard, ephemeral=ephemeral, content=content
            )

    async def _close_question_message(
        self, interaction: discord.Interaction[Any], note: str
    ) -> None:
        """Remove the buttons from the answered question so old clicks can't confuse anyone."""
        message = interaction.message
        if message is None:
            return
        embeds = [render.closed_footer(e, note) for e in message.embeds]
        try:
            await interaction.edit_original_response(embeds=embeds, view=None)
        except discord.HTTPException:
            log.info("could not close question message %s", message.id)


def history_line(summary: SessionSummary) -> str:
    """One past session: when, what, how it ended, the result."""
    if summary.ended_early:
        state = "ended early"
    elif summary.status.is_open:
        state = "in progress"
    else:
        state = summary.status.value
    result = (
        f"{summary.verdict.label} (mean {summary.mean_score:.2f})"
        if summary.verdict is not None and summary.mean_score is not None
        else "no verdict"
    )
    return (
        f"`#{summary.id}` {render.timestamp(summary.started_at, 'd')} · "
        f"{summary.track.value} ({summary.length.value}) · **{state}** · {result}"
    )


def history_embed(summaries: list[SessionSummary]) -> discord.Embed:
    embed = discord.Embed(
        title="Your interviews",
        description=render.clip("\n".join(map(history_line, summaries)), 4096),
        colour=render.ACCENT,
    )
    embed.set_footer(
        text=f"Newest first, at most {HISTORY_LIMIT}. An interview ended early counts the items "
        "it never reached as the lowest score (1/4). /stats shows your progress."
    )
    return embed


def _not_solo(session: SessionView) -> str:
    where = f" in <#{session.channel_id}>" if session.channel_id else ""
    return f"Your peer mock round runs{where}; the interviewer ends it there."


def _link(session: SessionView) -> str:
    if session.channel_id is None:
        return ""
    return f": <#{session.channel_id}>"


def _where(channel: discord.Thread | discord.DMChannel) -> str:
    return channel.mention if isinstance(channel, discord.Thread) else "your DMs"


def _buttons(item: ItemView) -> discord.ui.View:
    """The item's buttons, as on its own message (Ask in a clarify phase, Scenario in a phase,
    Skip follow-up on a follow-up)."""
    return question_view(
        item.session_id,
        item.position,
        clarify=is_clarify(item),
        follow_up=bool(item.follow_up),
        scenario=item.phase is not None,
    )
