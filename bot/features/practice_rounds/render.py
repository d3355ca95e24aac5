"""Embeds and texts of practice rounds and panels: pure functions of service results."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.practice_rounds import (
    POINT_LABELS,
    PanelResults,
    RevealedAnswer,
    RoundKind,
    RoundResults,
    RoundView,
    pack,
    spoiler,
)
from bot.core.scoring import Score
from bot.discord.render import ACCENT, EMBED_TOTAL_LIMIT, FIELD_LIMIT, clip, timestamp

ANSWER_CHARS_SHOWN = 3800
ANSWERS_PER_MESSAGE = 10  # Discord: 10 embeds per message; each answer has one vote button


def jump_url(guild_id: int, channel_id: int, message_id: int | None) -> str:
    if message_id is None:
        return f"<#{channel_id}>"
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def where(view: RoundView) -> str:
    """A link to the round: its thread once there is one, else its question message."""
    if view.thread_id is not None:
        return f"<#{view.thread_id}>"
    return jump_url(view.guild_id, view.channel_id, view.message_id)


def _subject(view: RoundView) -> str:
    return f"{view.question.track.value} · {view.question.topic}"


def _score(score: int | None) -> str:
    return "not scored" if score is None else f"{score}/4 {Score(score).label}"


def rubric_lines(view: RoundView) -> str:
    lines = [f"{i}. {clip(p.point, 200)}" for i, p in enumerate(view.rubric, 1)]
    return clip("\n".join(lines) or "(no rubric)", FIELD_LIMIT)


def round_question_embed(view: RoundView, starter: str) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"Practice round · {_subject(view)}", 256),
        description=clip(view.question.prompt, 4000),
        colour=ACCENT,
    )
    embed.add_field(
        name="Time",
        value=f"{view.minutes} min: answers are revealed {timestamp(view.answer_due_at)}",
        inline=False,
    )
    embed.add_field(
        name="How it works",
        value=(
            "Press **Answer**: only you see what you wrote until the reveal. Submit again to add "
            "more (each submission is appended). At the reveal a thread shows every answer, its "
            "automatic score and the reference answer; then vote for the most helpful one."
        ),
        inline=False,
    )
    embed.set_footer(text=f"Round {view.id} · started by {starter}")
    return embed


def panel_question_embed(view: RoundView) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"Panel · {view.candidate_name} answers · {_subject(view)}", 256),
        description=clip(view.question.prompt, 4000),
        colour=ACCENT,
    )
    embed.add_field(
        name="Time",
        value=f"{view.minutes} min: answering ends {timestamp(view.answer_due_at)}",
        inline=False,
    )
    embed.add_field(
        name="How it works",
        value=(
            f"{view.candidate_name} presses **Answer** (as often as needed: each part is "
            "posted here). **Done** ends answering; then everyone else scores the answer, "
            "point by point, with the rubric."
        ),
        inline=False,
    )
    embed.set_footer(text=f"Panel {view.id}")
    return embed


def panel_part_embed(candidate: str, part: int, text: str) -> discord.Embed:
    embed = discord.Embed(description=clip(text, 4000), colour=discord.Colour.teal())
    embed.set_author(name=clip(f"{candidate} · part {part}", 256))
    return embed


def question_and_reference(view: RoundView) -> list[discord.Embed]:
    question = discord.Embed(
        title=clip(f"Question · {_subject(view)}", 256),
        description=clip(view.question.prompt, 2000),
        colour=ACCENT,
    )
    question.add_field(name="Rubric", value=rubric_lines(view), inline=False)
    reference = discord.Embed(
        title="Reference answer (spoiler)",
        description=spoiler(clip(view.question.reference_answer, 3900)),
        colour=discord.Colour.dark_grey(),
    )
    return [question, reference]


def reveal_intro(view: RoundView, answers: int, voting: bool) -> str:
    if answers == 0:
        return "⏰ Time is up. Nobody answered this round; here are the question and reference."
    text = (
        f"⏰ Time is up: {answers} answer{'s' if answers != 1 else ''} below, each behind a "
        "spoiler (click to read), with its automatic score (which rubric points it mentions)."
    )
    if voting and view.due_at is not None:
        text += (
            "\n🗳️ Vote for the most helpful answer with its button: one vote each, not for your "
            "own; voting again moves your vote. Counts are shown when voting closes "
            f"{timestamp(view.due_at)}."
        )
    return text


def answer_embed(number: int, answer: RevealedAnswer, points: int) -> discord.Embed:
    text = answer.text
    note = ""
    if len(text) > ANSWER_CHARS_SHOWN:
        note = f"\n-# {len(text) - ANSWER_CHARS_SHOWN} more characters are saved with the result."
        text = text[:ANSWER_CHARS_SHOWN] + "…"
    embed = discord.Embed(
        title=clip(f"{number}. {answer.author}", 256),
        description=spoiler(text) + note,
        colour=discord.Colour.blurple(),
    )
    covered = f" · covers {answer.covered} of {points} rubric points" if points else ""
    embed.set_footer(text=f"Automatic score {_score(answer.auto_score)}{covered}")
    return embed


def answer_groups(embeds: Sequence[discord.Embed]) -> list[list[int]]:
    return pack([len(e) for e in embeds], limit=EMBED_TOTAL_LIMIT, max_items=ANSWERS_PER_MESSAGE)


def results_embed(results: RoundResults) -> discord.Embed:
    winners = [a for a in results.answers if a.answer_id in results.tally.winners]
    if winners:
        names = ", ".join(f"**{a.author}**" for a in winners)
        headline = (
            f"🏆 Most helpful: {names} ({_votes(results.tally.votes_for(winners[0].answer_id))})"
        )
    else:
        headline = "Nobody voted this time."
    lines = [
        f"{n}. {a.author}: {_votes(results.tally.votes_for(a.answer_id))} · automatic "
        f"{_score(a.auto_score)}"
        for n, a in enumerate(results.answers, 1)
    ]
    embed = discord.Embed(
        title="Voting closed",
        description=clip(headline + "\n\n" + "\n".join(lines), 4000),
        colour=discord.Colour.gold(),
    )
    embed.set_footer(
        text=f"{results.voters} member(s) voted. Each answer is saved to its author's stats "
        "(mode: round) with its automatic score."
    )
    return embed


def _votes(count: int) -> str:
    return f"{count} vote{'s' if count != 1 else ''}"


def scoring_text(view: RoundView) -> str:
    closes = f" Scoring closes {timestamp(view.due_at)}" if view.due_at else ""
    return (
        f"🧮 **Scoring is open.** Everyone except {view.candidate_name}: press **Score** and rate "
        "each rubric point 1-4 (1 missing, 2 mentioned but thin, 3 covered, 4 covered "
        "thoroughly). One ballot each; changing a score replaces it, and a ballot counts once "
        "every point is scored. Ballots are anonymous: only the aggregate is shown."
        f"{closes} (or with /practice close)."
    )


def ballot_text(view: RoundView, scored: int) -> str:
    points = len(view.rubric)
    return (
        f"Your ballot for {view.candidate_name}'s answer: {scored} of {points} points scored"
        + (" · complete: it counts." if scored == points else ".")
        + " You can change any score until scoring closes."
    )


def point_option_label(score: int) -> str:
    return f"{score} · {POINT_LABELS[score]}"


def panel_results_embed(results: PanelResults) -> discord.Embed:
    view, agg = results.round, results.aggregate
    if agg.mean is None or agg.stdev is None:
        summary = "No complete ballot was submitted, so there is no peer score."
    else:
        summary = (
            f"**Peer score {agg.peer_score}/4** (mean {agg.mean:.2f} over {agg.ballots} "
            f"ballot{'s' if agg.ballots != 1 else ''}; spread {agg.low:.2f}-{agg.high:.2f}, "
            f"standard deviation {agg.stdev:.2f})"
        )
    if results.answer is not None:
        summary += f"\nAutomatic score: {_score(results.answer.auto_score)}"
    else:
        summary += f"\n{view.candidate_name} did not write an answer, so nothing was stored."
    if agg.incomplete:
        summary += f"\n{agg.incomplete} incomplete ballot(s) were not counted."
    embed = discord.Embed(
        title=clip(f"Panel results · {view.candidate_name}", 256),
        description=summary,
        colour=discord.Colour.green(),
    )
    for point in agg.points[:20]:
        value = (
            "no scores"
            if point.mean is None
            else f"mean {point.mean:.2f} · spread {point.low}-{point.high}"
        )
        embed.add_field(name=clip(f"{point.index + 1}. {point.point}", 256), value=value)
    embed.set_footer(text="Stored as a peer score in the candidate's stats (mode: panel).")
    return embed


def kind_name(view: RoundView) -> str:
    return "panel" if view.kind is RoundKind.PANEL else "round"
