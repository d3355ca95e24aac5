"""Texts and embeds of the peer mocks: pure functions of service results.

Privacy is decided here: ``candidate_card`` is the only rendering of a round that goes where
the candidate can see it, and it shows the current prompt and the timer, nothing else. The
interviewer's kit and score sheet are only ever sent ephemerally or by DM to the interviewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from bot.core.questions import Difficulty, Question, Track
from bot.core.scoring import Score
from bot.core.session import ItemView
from bot.discord.limits import fit_embed
from bot.discord.render import EMBED_TOTAL_LIMIT, FIELD_LIMIT, clip, timestamp
from bot.features.peer_mocks.service import (
    InviteView,
    Member,
    PairReport,
    PairView,
    QueueStatus,
    RoundReport,
    RoundView,
    ScoreSlot,
)

ACCENT = discord.Colour.teal()
KIT_COLOUR = discord.Colour.dark_gold()
DESCRIPTION_LIMIT = 4000


def mention(member: Member) -> str:
    return f"<@{member.external_id}>"


def wish(track: Track, difficulty: Difficulty | None) -> str:
    return f"**{track.value}**" + (f" ({difficulty.value})" if difficulty else "")


# -- queue and invitations ---------------------------------------------------------------------


def queue_status_text(status: QueueStatus) -> str:
    lines: list[str] = []
    if status.pair is not None:
        where = f" in <#{status.pair.thread_id}>" if status.pair.thread_id else ""
        lines.append(f"You are in a {status.pair.track.value} peer mock{where}.")
    elif status.spot is not None:
        lines.append(
            f"You are waiting for a {wish(status.spot.track, status.spot.difficulty)} partner "
            f"since {timestamp(status.spot.joined_at, 't')}."
        )
    else:
        lines.append("You are not in the queue. Join it with /mock queue join.")
    by_track: dict[Track, int] = {}
    for spot in status.waiting:
        by_track[spot.track] = by_track.get(spot.track, 0) + 1
    if by_track:
        counts = ", ".join(f"{track.value}: {n}" for track, n in by_track.items())
        lines.append(f"Waiting in this server: {counts}.")
    else:
        lines.append("Nobody is waiting in this server right now.")
    return "\n".join(lines)


def invite_text(invite: InviteView) -> str:
    return (
        f"{mention(invite.invitee)}, {mention(invite.inviter)} invites you to a peer mock "
        f"interview: {wish(invite.track, invite.difficulty)}. You take turns as interviewer and "
        f"candidate in a private thread. Answer {timestamp(invite.expires_at)}."
    )


def invite_closed_text(invite: InviteView) -> str:
    verbs = {
        "accepted": "accepted",
        "declined": "declined",
        "expired": "was not answered in time (the invitation expired)",
    }
    what = verbs.get(invite.status, invite.status)
    return (
        f"{mention(invite.inviter)}'s invitation to {mention(invite.invitee)} for a "
        f"{invite.track.value} peer mock: {what}."
    )


# -- the pair's thread -------------------------------------------------------------------------


def welcome_text(pair: PairView) -> str:
    a, b = pair.members
    return (
        f"{mention(a)} and {mention(b)}: welcome to your **{pair.track.value}** peer mock. "
        "Two rounds: one of you interviews, the other answers, then you swap roles. Press "
        "**Ready** within 10 minutes to start; roles for round 1 are drawn at random."
    )


def ready_text(pair: PairView, waiting_for: Sequence[Member], who: Member) -> str:
    if waiting_for:
        return f"✅ {who.name} is ready; waiting for {', '.join(mention(m) for m in waiting_for)}."
    return "✅ Both ready."


def round_intro(view: RoundView) -> str:
    return (
        f"**Round {view.number}**: {mention(view.interviewer)} interviews, "
        f"{mention(view.candidate)} answers. Interviewer: your notes (question, reference "
        "answer, rubric, follow-ups, hints) are in your DMs, or press **Interviewer kit**: only "
        "you can see them."
    )


def candidate_card(view: RoundView) -> discord.Embed:
    """What both members see while the round runs: the prompt and the timer, nothing else."""
    item = view.item
    if item is None:
        return discord.Embed(title=f"Round {view.number}", description="This round is over.")
    embed = discord.Embed(
        title=f"Round {view.number} · {item_name(item)}", description=item.prompt, colour=ACCENT
    )
    if item.deadline_at is not None:
        embed.add_field(
            name="Time", value=f"{item.minutes} min, ends {timestamp(item.deadline_at)}"
        )
    embed.add_field(name="Candidate", value=view.candidate.name)
    embed.add_field(name="Interviewer", value=view.interviewer.name)
    embed.set_footer(
        text="Candidate: answer aloud or in this thread; Answer also stores it for the automatic "
        "score. Interviewer: Interviewer kit, Next phase, End round."
    )
    return fit_embed(embed)  # a server's own prompt or a long name could pass a limit


def item_name(item: ItemView) -> str:
    """A phase says where it is ("Phase 2 of 6: metrics"); a round's one question is just that."""
    return item.title if item.phase is not None else "Question"


def reminder_text(item: ItemView) -> str:
    where = f"on {item.title.lower()}" if item.phase is not None else "in this round"
    return f"⏳ One minute left {where}."


def feedback_prompt(view: RoundView) -> str:
    why = "time is up" if view.ended_by == "time" else "ended by the interviewer"
    return (
        f"⏰ Round {view.number} is over ({why}). {mention(view.interviewer)}: score each point "
        f"and write strengths and improvements. {mention(view.candidate)}: rate your "
        "interviewer. Both within 10 minutes, please."
    )


def swap_prompt(view: RoundView) -> str:
    return (
        f"🎉 Round {view.number} is complete. **Swap roles** starts round {view.number + 1} "
        f"with a new question ({mention(view.candidate)} interviews); **Finish** ends the mock "
        "with your report."
    )


def closed_text(pair: PairView, no_shows: Sequence[Member], present: Sequence[Member]) -> str:
    gone = " and ".join(m.name for m in no_shows)
    if not present:
        return (
            f"This mock is closed: {gone} did not respond for 10 minutes. Join the queue again "
            "any time with /mock queue join."
        )
    stay = " ".join(mention(m) for m in present)
    return (
        f"This mock is closed: {gone} did not respond for 10 minutes. No harm done: {stay}, "
        "you can join the queue again with the button below."
    )


# -- the interviewer's material (ephemeral or DM only) ---------------------------------------


def kit_embeds(view: RoundView) -> list[discord.Embed]:
    q = view.question
    intro = discord.Embed(
        title=clip(f"Interviewer kit · round {view.number} · {q.topic}", 256),
        description=clip(q.prompt, DESCRIPTION_LIMIT),
        colour=KIT_COLOUR,
    )
    intro.add_field(name="Difficulty", value=q.difficulty.value)
    intro.add_field(name="Candidate", value=view.candidate.name)
    intro.set_footer(text="Only you see this. Reveal hints and follow-ups with the buttons.")
    reference = discord.Embed(
        title="Reference answer",
        description=clip(q.reference_answer, DESCRIPTION_LIMIT),
        colour=KIT_COLOUR,
    )
    rubric = discord.Embed(title="Rubric: what a strong answer covers", colour=KIT_COLOUR)
    rubric.description = clip(_numbered(p.point for p in q.rubric), DESCRIPTION_LIMIT) or None
    for phase in q.phases:  # the phase prompts are on the candidate's card already
        points = "\n".join(f"• {p.point}" for p in phase.rubric) or "—"
        rubric.add_field(
            name=clip(f"Phase: {phase.name}", 256),
            value=clip(points, FIELD_LIMIT),
            inline=False,
        )
    while len(rubric) > EMBED_TOTAL_LIMIT and rubric.fields:
        rubric.remove_field(-1)
    ladder = discord.Embed(title="Follow-ups and hints", colour=KIT_COLOUR)
    ladder.add_field(
        name="Follow-up ladder",
        value=clip(_marked(q.follow_ups, view.follow_ups_revealed), FIELD_LIMIT),
        inline=False,
    )
    ladder.add_field(
        name="Hints (each one lowers the automatic score's ceiling)",
        value=clip(_marked(q.hints, view.hints_revealed), FIELD_LIMIT),
        inline=False,
    )
    return [intro, reference, rubric, ladder]


def _numbered(lines: Iterable[str]) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def _marked(lines: Sequence[str], revealed: int) -> str:
    if not lines:
        return "—"
    return "\n".join(
        f"{n}. {line}" + (" ✓ shown" if n <= revealed else "") for n, line in enumerate(lines, 1)
    )


def slot_placeholder(n: int, slot: ScoreSlot) -> str:
    current = f" · {slot.score}/4" if slot.score is not None else ""
    return clip(f"{n}. {slot.label}", 150 - len(current)) + current


def group_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages under Discord's size limits."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        if current and (size + len(embed) > EMBED_TOTAL_LIMIT or len(current) == 10):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += len(embed)
    if current:
        messages.append(current)
    return messages


# -- reports -----------------------------------------------------------------------------------


def _score(value: int | None) -> str:
    return "—" if value is None else f"{value}/4 {Score(value).label}"


def round_embed(report: RoundReport) -> discord.Embed:
    q = report.question
    if report.peer_mean is not None and report.peer_verdict is not None:
        verdict = f"**Peer verdict: {report.peer_verdict.label}** (mean {report.peer_mean:.2f}/4)"
    else:
        verdict = "No peer score (the interviewer did not score this round)."
    auto = f"automatic {report.auto_mean:.2f}/4" if report.auto_mean is not None else ""
    lines = [verdict + (f" · {auto}" if auto else ""), f"{q.topic} · {q.difficulty.value}"]
    if report.hints_revealed or report.follow_ups_revealed:
        lines.append(
            f"{report.hints_revealed} hint(s) and {report.follow_ups_revealed} follow-up(s) shown"
        )
    if report.status.value == "incomplete":
        lines.append("The feedback of this round is incomplete.")
    embed = discord.Embed(
        title=clip(
            f"Round {report.number}: {report.candidate.name} answered, "
            f"{report.interviewer.name} interviewed",
            256,
        ),
        description="\n".join(lines),
        colour=discord.Colour.green(),
    )
    for item in report.items:
        points = "\n".join(f"{score}/4 · {label}" for label, score in item.points)
        value = f"peer {_score(item.peer_score)} · automatic {_score(item.auto_score)}"
        embed.add_field(
            name=clip(item.label, 256),
            value=clip(value + (f"\n{points}" if points else ""), FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(
        name="Strengths", value=clip(report.strengths or "—", FIELD_LIMIT), inline=False
    )
    embed.add_field(
        name="Improvements", value=clip(report.improvements or "—", FIELD_LIMIT), inline=False
    )
    rating = (
        f"{report.rating}/5" + (f": {report.rating_comment}" if report.rating_comment else "")
        if report.rating is not None
        else "—"
    )
    embed.add_field(
        name=f"{report.interviewer.name} as interviewer", value=clip(rating, FIELD_LIMIT)
    )
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        embed.remove_field(-1)
    return embed


def report_text(report: PairReport) -> str:
    people = " ".join(mention(m) for m in report.pair.members)
    return (
        f"📋 {people}: your {report.pair.track.value} peer mock report. It is stored and counts "
        "in /stats (peer scores apart from automatic ones)."
    )


def reference_embeds(questions: Sequence[Question]) -> list[discord.Embed]:
    return [
        discord.Embed(
            title=clip(f"Reference: {q.topic} ({q.id})", 256),
            description=clip(q.reference_answer, DESCRIPTION_LIMIT),
            colour=discord.Colour.dark_grey(),
        )
        for q in questions
    ]
