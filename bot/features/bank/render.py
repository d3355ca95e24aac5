"""Embeds and texts of the bank admin and config features: pure functions of service results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.core.questions import Question, RubricPoint
from bot.discord.render import EMBED_TOTAL_LIMIT, FIELD_LIMIT, clip, timestamp
from bot.features.bank.types import AuditView, ImportProgress, Page, Suggestion
from bot.features.bank.views import QUESTION_FIELDS

MESSAGE_LIMIT = 2000
STATUS_MARK = {"active": "", "retired": " · retired", "pending": " · pending review"}


def _point_line(p: RubricPoint) -> str:
    cues = ", ".join(f"`{c}`" for c in p.cues)
    weight = f" (weight {p.weight})" if p.weight != 1 else ""
    return f"• {p.point}{weight}\n  {cues}"


def _add_list_field(embed: discord.Embed, name: str, lines: Sequence[str]) -> None:
    if lines:
        embed.add_field(name=name, value=clip("\n".join(lines), FIELD_LIMIT), inline=False)


def question_embeds(question: Question, owner: str, status: str) -> list[list[discord.Embed]]:
    """The question, then its reference answer behind a spoiler, grouped by message size."""
    q = question
    where = "bundled bank" if owner == "bundled" else "this server"
    main = discord.Embed(
        title=clip(q.id, 256),
        description=clip(q.prompt, 4096),
        colour=discord.Colour.blurple(),
    )
    main.set_author(name=f"{where}{STATUS_MARK.get(status, f' · {status}')}")
    main.add_field(name="Track", value=q.track.value)
    main.add_field(name="Topic", value=q.topic)
    main.add_field(name="Difficulty", value=q.difficulty.value)
    main.add_field(name="Minutes", value=str(q.minutes))
    if q.tags:
        main.add_field(name="Tags", value=clip(", ".join(q.tags), FIELD_LIMIT))
    _add_list_field(main, "Rubric", [_point_line(p) for p in q.rubric])
    for phase in q.phases:
        _add_list_field(
            main,
            f"Phase {phase.name} · {phase.minutes} min",
            [clip(phase.prompt, 300), *(_point_line(p) for p in phase.rubric)],
        )
    _add_list_field(main, "Hints", [f"• {h}" for h in q.hints])
    _add_list_field(main, "Follow-ups", [f"• {f}" for f in q.follow_ups])
    while len(main) > EMBED_TOTAL_LIMIT - 200 and len(main.fields) > 4:
        main.remove_field(-1)
    reference = discord.Embed(
        title="Reference answer",
        description=f"||{clip(q.reference_answer, 4000)}||",
        colour=discord.Colour.dark_grey(),
    )
    if len(main) + len(reference) <= EMBED_TOTAL_LIMIT:
        return [[main, reference]]
    return [[main], [reference]]


def page_embed(page: Page, filters: str) -> discord.Embed:
    embed = discord.Embed(
        title="Question bank",
        description=(
            "\n".join(
                f"`{e.question_id}` · {e.track}/{e.topic} · {e.difficulty}"
                + (" · bundled" if e.owner == "bundled" else "")
                + (" · **retired**" if e.status == "retired" else "")
                for e in page.entries
            )
            or "No questions match. Add one with /bank add or /bank import."
        ),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(
        text=f"Page {page.page + 1} of {page.pages} · {page.total} question(s){filters}"
    )
    return embed


def suggestion_embeds(suggestion: Suggestion) -> list[list[discord.Embed]]:
    groups = question_embeds(suggestion.question, "server", "pending")
    author = suggestion.author.display_name if suggestion.author else "someone who left"
    head = groups[0][0]
    head.set_author(
        name=f"Suggestion by {author} · {suggestion.pending} waiting (oldest first)"[:256]
    )
    head.add_field(name="Suggested", value=timestamp(suggestion.created_at), inline=False)
    return groups


def _on_off(value: Any) -> str:
    return "on" if value else "off"


def _setting(name: str, value: Any) -> str:
    if value is None:
        return "none"
    if name == "moderator_role_id":
        return f"<@&{value}>"
    if name == "daily_channel_id":
        return f"<#{value}>"
    if name == "bundled_questions":
        return _on_off(value)
    return str(value)


def audit_line(entry: AuditView) -> str:
    who = entry.actor.display_name if entry.actor else "someone"
    when = timestamp(entry.created_at)
    d = entry.details
    if entry.action == "config":
        before, after = d.get("before", {}), d.get("after", {})
        what = "; ".join(
            f"{k.replace('_id', '').replace('_', ' ')}: {_setting(k, before.get(k))} → "
            f"{_setting(k, v)}"
            for k, v in after.items()
        )
    elif entry.action == "bank.import":
        what = (
            f"imported {d.get('file', '?')}: {len(d.get('added', {}))} added, "
            f"{len(d.get('updated', {}))} updated"
        )
    elif entry.action in ("bank.edit", "bank.approve") and d.get("changes"):
        verb = "edited" if entry.action == "bank.edit" else "approved with edits to"
        what = f"{verb} `{entry.target}`: {', '.join(d['changes'])}"
    elif entry.action == "bank.reject":
        what = f"rejected `{entry.target}`: {clip(str(d.get('reason', '')), 200)}"
    else:
        verb = {
            "bank.add": "added",
            "bank.suggest": "suggested",
            "bank.approve": "approved",
            "bank.retire": "retired",
        }.get(entry.action, entry.action)
        what = f"{verb} `{entry.target}`"
    return f"{when} **{who}** {what}"


def audit_embed(entries: Sequence[AuditView]) -> discord.Embed:
    lines = [clip(audit_line(e), 400) for e in entries]
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > 4000:
            break
        text += line + "\n"
    return discord.Embed(
        title="Bank and settings changes (newest first)",
        description=text or "Nothing has been changed yet.",
        colour=discord.Colour.dark_grey(),
    )


def problems_text(header: str, problems: Sequence[str], limit: int = MESSAGE_LIMIT) -> str | None:
    """The header and every problem as a list, or None when that is too long for a message."""
    body = "\n".join(f"- {p}" for p in problems)
    text = f"{header}\n{body}"
    return text if len(text) <= limit else None


def import_progress(progress: ImportProgress) -> str:
    """The deferred reply while a big import runs."""
    done, total = progress.done, progress.total
    if progress.stage == "checking":
        return f"Checking {done:,} of {total:,} questions…"
    if progress.stage == "saving":
        return f"Saving {done:,} of {total:,} questions…"
    return f"Saved {total:,} new or changed questions; updating this server's bank…"


def clip_message(text: str) -> str:
    return clip(text, MESSAGE_LIMIT)


def draft_text(values: dict[str, str], problems: Sequence[str]) -> str:
    """What the member wrote, by field, so nothing is lost (sent as a file)."""
    parts = ["Problems:", *(f"- {p}" for p in problems), ""]
    for name, field in QUESTION_FIELDS.items():
        parts += [f"== {field.label} ==", values.get(name, ""), ""]
    return "\n".join(parts)
