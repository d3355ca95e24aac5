"""Embeds and texts for Discord. Pure functions of service results: easy to test and to read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord
from discord import app_commands

from bot.core.ai_marks import ItemMark, SessionMarks
from bot.core.questions import Question
from bot.core.scoring import Score
from bot.core.session import UNANSWERED, ItemStatus, ItemView, Scorecard, ScorecardItem
from bot.discord import limits

ACCENT = discord.Colour.blurple()
FIELD_LIMIT = limits.FIELD_VALUE
EMBED_TOTAL_LIMIT = limits.EMBEDS_TOTAL


def timestamp(when: datetime, style: str = "R") -> str:
    """A Discord timestamp: the client renders it locally and counts down without edits."""
    return f"<t:{int(when.timestamp())}:{style}>"


clip = limits.clip  # kept here: feature renderers import it from this module


def question_embed(item: ItemView) -> discord.Embed:
    q = item.question
    if item.follow_up:
        return _follow_up_embed(item)
    description = item.prompt
    if item.phase is not None:
        # The scenario (scale, budgets, the business goal) stays on every phase's message: the
        # phase prompt alone says what to address, not what is being designed.
        description = f"{q.prompt.strip()}\n\n**This phase ({item.phase.name}):** {item.prompt}"
    embed = discord.Embed(title=item.title, description=clip(description, 4096), colour=ACCENT)
    embed.add_field(name="Track", value=q.track.value)
    embed.add_field(name="Topic", value=q.topic)
    embed.add_field(name="Difficulty", value=q.difficulty.value)
    if item.deadline_at is not None:
        embed.add_field(
            name="Time",
            value=f"{item.minutes} min, ends {timestamp(item.deadline_at)}",
            inline=False,
        )
    if item.phase is not None:
        embed.set_author(
            name=f"System design: question {item.question_number} of {item.question_count}"
        )
    embed.set_footer(text="Answer (several times to add more) · Hint · Skip · Next submits · End")
    return embed


def _follow_up_embed(item: ItemView) -> discord.Embed:
    """The interviewer's follow-up: the reply extends the same answer, in the same item."""
    embed = discord.Embed(
        title=clip(item.title, 256), description=clip(f"**{item.follow_up}**", 4096), colour=ACCENT
    )
    if item.deadline_at is not None:
        embed.add_field(name="Time", value=f"ends {timestamp(item.deadline_at)}", inline=False)
    embed.set_footer(
        text="Answer adds your reply to the same answer · Next submits · "
        "Skip follow-up passes it without penalty"
    )
    return embed


def closed_footer(embed: discord.Embed, note: str) -> discord.Embed:
    embed.set_footer(text=note)
    return embed


def _score_text(score: int | None) -> str:
    return "not scored" if score is None else f"{score}/4 {Score(score).label}"


def _item_field(n: int, item: ScorecardItem, mark: ItemMark | None = None) -> tuple[str, str]:
    q = item.question
    name = f"{n}. {q.topic}"
    if item.phase is not None:
        name += f" · {item.phase.name}"
    if item.status is ItemStatus.NOT_REACHED:
        return name + " · not reached", "—"
    name += f" · {_score_text(item.score)}"
    lines = []
    if item.self_score is not None or item.peer_score is not None:
        lines.append(f"automatic {_score_text(item.auto_score)}")
    if item.status is ItemStatus.SKIPPED:
        lines.append("skipped")
    elif item.status is ItemStatus.TIMED_OUT:
        lines.append("time ran out")
    lines += follow_up_lines(item)
    lines += explanation_lines(item, mark=mark)
    return clip(name, 256), clip("\n".join(lines) or "—", FIELD_LIMIT)


def follow_up_lines(item: ScorecardItem, quote_chars: int = 160) -> list[str]:
    """The interviewer's follow-up and the member's reply: part of this item's answer, scored
    with it (or, skipped, the item is scored on the first answer alone)."""
    if not item.follow_up:
        return []
    by = " (asked by the AI interviewer)" if item.follow_up_by_ai else ""
    lines = [f"↪ Follow-up{by}: *{clip(item.follow_up, quote_chars)}*"]
    if item.follow_up_skipped:
        lines.append("↪ Your reply: skipped (scored on your first answer)")
    elif item.follow_up_reply.strip():
        lines.append(f"↪ Your reply: “{limits.quote(item.follow_up_reply, quote_chars)}”")
    else:
        lines.append("↪ Your reply: none written")
    return lines


def explanation_lines(
    item: ScorecardItem, quote_chars: int = 90, *, mark: ItemMark | None = None
) -> list[str]:
    """✓ with the answer's own words, ✗ with what was expected (spoilered), caps by name.

    With the AI interviewer's ``mark``, a point it decided says so, with its verified quote.
    """
    result = item.explanation()
    if result is None:
        return []
    lines = []
    by_ai = {p.point: p for p in mark.points if p.decided_by == "ai"} if mark else {}
    for point in result.points:
        ai = by_ai.get(point.point)
        if ai is not None:
            verb = "✓" if ai.covered else "✗"
            what = "credited" if ai.covered else "withdrawn"
            quote = f" · “{clip(ai.quote, quote_chars)}”" if ai.quote else ""
            lines.append(f"{verb} {point.point} · {what} by the AI interviewer{quote}")
            continue
        if point.covered:
            quote = f" · “{clip(point.evidence, quote_chars)}”" if point.evidence else ""
            lines.append(f"✓ {point.point}{quote}")
        else:
            if point.misconception:
                why = f"stated wrongly: {point.misconception}"
            else:
                why = point.explain or "expected: " + ", ".join(
                    m.replace("|", " / ") for m in point.missing
                )
            lines.append(f"✗ {point.point} ||{clip(why, quote_chars * 2)}||")
    lines += [f"⚠ {cap}" for cap in result.caps if cap.kind != "unanswered"]
    scored = mark.scorer_score if mark is not None else item.auto_score
    if scored is not None and int(result.score) != scored:
        lines.append("(the rubric has changed since this answer was scored)")
    if mark is not None and mark.scorer_score not in (None, item.auto_score):
        lines.append(f"(rubric scorer {mark.scorer_score}/4; changed by the AI interviewer)")
    return lines


def scorecard_embed(card: Scorecard, *, ai: SessionMarks | None = None) -> discord.Embed:
    verdict, mean = card.verdict, card.mean
    summary = (
        f"**Verdict: {verdict.label}** (mean {mean:.2f} / 4)"
        if verdict is not None and mean is not None
        else "Nothing was answered, so there is no verdict."
    )
    if card.ended_early:
        unanswered = len(card.unanswered_items)
        summary += (
            f"\nEnded early: the {unanswered} item(s) never reached count as unanswered (1/4)."
            if unanswered
            else "\nEnded early."
        )
    for question in scenario_questions(card):
        summary += f"\n\n**Scenario ({question.topic}):** {clip(question.prompt.strip(), 700)}"
    embed = discord.Embed(
        title=f"Scorecard · {card.track.value} ({card.length.value})",
        description=clip(summary, limits.EMBED_DESCRIPTION),
        colour=discord.Colour.green(),
    )
    for n, item in enumerate(card.items[:25], 1):
        name, value = _item_field(n, item, ai.items.get(item.position) if ai else None)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(
        text="Automatic scores check which rubric points your answer mentions; rate yourself "
        "below for a human judgement (it takes precedence)."
    )
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:  # keep within Discord's limit
        embed.remove_field(-1)
    return embed


def scenario_questions(card: Scorecard) -> list[Question]:
    """System-design questions of the card, once each: their prompt is the scenario."""
    seen: dict[str, Question] = {}
    for item in card.items:
        if item.phase is not None:
            seen.setdefault(item.question.id, item.question)
    return list(seen.values())


def scenario_embed(question: Question) -> discord.Embed:
    """A system-design question's full prompt: what every phase of it designs."""
    embed = discord.Embed(
        title=clip(f"Scenario · {question.topic}", limits.EMBED_TITLE),
        description=clip(question.prompt.strip(), limits.EMBED_DESCRIPTION),
        colour=ACCENT,
    )
    embed.set_footer(text="Only you see this. The phase message says what this phase covers.")
    return embed


def ended_early_text(card: Scorecard) -> str:
    """What the ending-early rule means for this session: items never reached count as the
    lowest score in the verdict (see ``Scorecard.mean``)."""
    missing, total = len(card.unanswered_items), len(card.items)
    items = f"{missing} of {total} item{'s' if total != 1 else ''}"
    if missing == 0:
        return "Interview ended: every item had been reached, so none counts as unanswered."
    if card.mean is None:
        return (
            f"Interview ended early before any answer: {items} not reached, and with nothing "
            "answered this session has no verdict."
        )
    lowest = f"{UNANSWERED}/4 {Score(UNANSWERED).label}"
    return (
        f"Interview ended early: {items} not reached. Each counts as the lowest score "
        f"({lowest}) in the verdict, weighted by its minutes, so ending early never scores "
        "better than answering."
    )


def reference_embeds(card: Scorecard) -> list[list[discord.Embed]]:
    """Reference answers behind spoilers, grouped into messages under Discord's size limit."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    seen: set[str] = set()
    for item in card.scored_items:
        q = item.question
        if q.id in seen:
            continue
        seen.add(q.id)
        embed = discord.Embed(
            title=clip(f"Reference: {q.topic} ({q.id})", 256),
            description=f"||{clip(q.reference_answer, 4000)}||",
            colour=discord.Colour.dark_grey(),
        )
        if current and (size + len(embed) > EMBED_TOTAL_LIMIT or len(current) == 10):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += len(embed)
    if current:
        messages.append(current)
    return messages


def status_text(item: ItemView, channel_id: int | None) -> str:
    where = f" in <#{channel_id}>" if channel_id else ""
    deadline = f", time ends {timestamp(item.deadline_at)}" if item.deadline_at else ""
    return f"You are on **{item.title}** ({item.question.topic}){where}{deadline}."


def command_lines(commands: list[Any]) -> list[tuple[str, str]]:
    """Every slash command and subcommand with its description, from the command tree itself
    (so /help can never miss a command a feature adds)."""
    lines: list[tuple[str, str]] = []
    for command in sorted(commands, key=lambda c: c.name):
        if isinstance(command, app_commands.Group):
            for name, text in command_lines(list(command.commands)):
                lines.append((f"{command.name} {name}", text))
        else:
            lines.append((command.name, command.description))
    return lines


def help_embed(commands: list[Any]) -> discord.Embed:
    embed = discord.Embed(
        title="Mock interview bot",
        description="\n".join(f"`/{name}` · {text}" for name, text in command_lines(commands)),
        colour=ACCENT,
    )
    embed.set_footer(
        text="Buttons on each question: Answer (opens a box; use it again to add more), Hint "
        "(lowers the best score by one level), Skip, Next (submit), End (items not reached "
        "score 1/4); on system-design phases, Scenario (the full prompt, only for you)."
    )
    return embed
