"""Embeds and texts of the daily question. Pure functions of service results."""

from __future__ import annotations

from datetime import date

import discord

from bot.core.daily_schedule import format_time
from bot.core.questions import Question
from bot.discord.render import ACCENT, EMBED_TOTAL_LIMIT, FIELD_LIMIT, clip, timestamp
from bot.features.daily.types import AnswerResult, GuildDailyView, ScheduleView, StreakView

SETUP_EXAMPLE = "/daily-admin setup channel:#daily time:09:00 timezone:Europe/Berlin"


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def question_embed(question: Question, title: str) -> discord.Embed:
    embed = discord.Embed(title=title, description=clip(question.prompt, 4000), colour=ACCENT)
    embed.add_field(name="Track", value=question.track.value)
    embed.add_field(name="Topic", value=question.topic)
    embed.add_field(name="Difficulty", value=question.difficulty.value)
    embed.set_footer(
        text="Press Answer: your answer, its score and the reference answer are shown to you "
        "only. One answer per question and day counts toward your streak."
    )
    return embed


def guild_post(question: Question, day: date) -> discord.Embed:
    return question_embed(question, f"Question of the day · {_day(day)}")


def dm_post(question: Question, day: date) -> discord.Embed:
    return question_embed(question, f"Your daily question · {_day(day)}")


def personal_question(question: Question) -> discord.Embed:
    return question_embed(question, "Your question")


def _next_text(view: ScheduleView, what: str) -> str:
    slot = view.next_slot
    if view.done_today:
        return f"Today's {what} is done; the next comes {timestamp(slot.due_at, 'F')}."
    return f"The next {what} comes {timestamp(slot.due_at, 'F')} ({timestamp(slot.due_at)})."


def guild_setting(view: GuildDailyView) -> str:
    if view.active is None:
        kept = ""
        config = view.config
        if config.daily_time and config.daily_timezone:
            kept = f" (last setting: {config.daily_time} {config.daily_timezone})"
        return f"The daily question is **off**{kept}. Start it with `{SETUP_EXAMPLE}`."
    schedule = view.active.schedule
    track = schedule.track.value if schedule.track else "any track"
    return (
        f"The daily question is **on**: <#{schedule.channel_id}>, every day at "
        f"**{format_time(schedule.at)} {schedule.zone_name}**, {track}. "
        + _next_text(view.active, "post")
    )


def subscription(view: ScheduleView) -> str:
    schedule = view.schedule
    track = f", {schedule.track.value} questions" if schedule.track else ""
    return (
        f"Subscribed: a question by DM every day at **{format_time(schedule.at)} "
        f"{schedule.zone_name}**{track}. " + _next_text(view, "question")
    )


def streak_text(streak: StreakView) -> str:
    if streak.current == 0 and streak.best == 0:
        return (
            "No streak yet: answer a daily question (`/daily question`) to start one. "
            f"Days are counted in {streak.zone_name}."
        )
    days = "day" if streak.current == 1 else "days"
    lines = [f"🔥 Current streak: **{streak.current}** {days} · best **{streak.best}**."]
    if streak.answered_today:
        lines.append("You have answered today.")
    elif streak.current:
        lines.append("Answer today to keep it going: `/daily question`.")
    else:
        lines.append("Your last streak ended; answer today to start a new one.")
    lines.append(f"-# Days are counted in {streak.zone_name} (today is {streak.today:%Y-%m-%d}).")
    return "\n".join(lines)


def _streak_line(streak: StreakView) -> str:
    days = "day" if streak.current == 1 else "days"
    return f"🔥 Streak: {streak.current} {days} (best {streak.best})"


def already_recorded(result: AnswerResult) -> str:
    return (
        f"You already answered this question today; your first answer is the one kept "
        f"(score {int(result.score)}/4 {result.score.label}). {_streak_line(result.streak)}."
    )


def answer_embeds(result: AnswerResult) -> list[discord.Embed]:
    question = result.question
    coverage = f" · {result.coverage:.0%} of the rubric covered" if result.coverage else ""
    embed = discord.Embed(
        title=clip(f"Your answer · {int(result.score)}/4 {result.score.label}", 256),
        description=f"{question.topic} ({question.id}){coverage}\n{_streak_line(result.streak)}",
        colour=discord.Colour.green(),
    )
    missed = "\n".join(f"✗ {point}" for point in result.missed) or "Nothing: every point covered."
    embed.add_field(name="Rubric points you missed", value=clip(missed, FIELD_LIMIT), inline=False)
    embed.set_footer(
        text="The automatic score checks which rubric points your answer mentions; it cannot "
        "judge whether the reasoning is right. Only you can see this."
    )
    room = EMBED_TOTAL_LIMIT - len(embed) - 100
    reference = discord.Embed(
        title="Reference answer (spoiler: click to reveal)",
        description=f"||{clip(question.reference_answer, min(4000, room))}||",
        colour=discord.Colour.dark_grey(),
    )
    return [embed, reference]
