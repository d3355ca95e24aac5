"""Embeds and texts for /stats and /leaderboard: pure functions of service results."""

from __future__ import annotations

import discord

from bot.core.stats import Average, KindAverages, MemberStats, Metric, Period
from bot.discord.render import ACCENT, FIELD_LIMIT, clip
from bot.features.stats.service import Leaderboard, LeaderboardEntry

CHART_FILENAME = "progress.png"
METRIC_NAMES = {
    Metric.AVERAGE: "average score",
    Metric.SESSIONS: "sessions",
    Metric.STREAK: "daily streak",
}
PERIOD_NAMES = {Period.WEEK: "this week", Period.MONTH: "this month", Period.ALL: "all time"}
SCORES_NOTE = (
    "Scores run 1-4. Automatic: rubric points your answer mentions. Peer: another member's "
    "rating (study-group mocks, panels). Self: your own rating."
)


def _avg(average: Average | None) -> str:
    return "—" if average is None else f"{average.mean:.2f} ({average.count})"


def _kinds_line(name: str, kinds: KindAverages) -> str:
    parts = [f"automatic {_avg(kinds.automatic)}"]
    if kinds.peer is not None:
        parts.append(f"peer {_avg(kinds.peer)}")
    if kinds.self_assessed is not None:
        parts.append(f"self {_avg(kinds.self_assessed)}")
    return f"**{name}** · " + " · ".join(parts)


def _lines_field(lines: list[str], more: str) -> str:
    """As many lines as fit in one field, then how many were left out."""
    shown: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        left = len(lines) - n
        reserve = len(f"\n… {left} {more}") if left > 1 else 0
        if used + len(line) + 1 + reserve > FIELD_LIMIT:
            shown.append(f"… {left} {more}")
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown) or "—"


def stats_embed(stats: MemberStats, *, name: str, scope: str, has_chart: bool) -> discord.Embed:
    embed = discord.Embed(title=clip(f"Progress · {name}", 256), description=scope, colour=ACCENT)
    sessions = [
        f"**{track}** · {sum(modes.values())} ("
        + ", ".join(f"{count} {mode}" for mode, count in modes.items())
        + ")"
        for track, modes in stats.sessions_by_track.items()
    ]
    sessions.append(f"daily answers · {stats.daily_answers}")
    embed.add_field(name="Finished sessions", value=_lines_field(sessions, "more"), inline=False)
    embed.add_field(
        name="Average score per track (answers)",
        value=_lines_field([_kinds_line(t, k) for t, k in stats.by_track.items()], "more tracks"),
        inline=False,
    )
    embed.add_field(
        name="Average score per topic (answers)",
        value=_lines_field(
            [_kinds_line(t, k) for t, k in stats.by_topic.items()],
            "more topics (all of them are in /history export)",
        ),
        inline=False,
    )
    weakest = [
        f"{n}. **{topic}** · automatic {avg.mean:.2f} over {avg.count} answers"
        for n, (topic, avg) in enumerate(stats.weakest, 1)
    ]
    embed.add_field(
        name="Weakest topics",
        value="\n".join(weakest) or "None yet: a topic needs at least 2 answers to compare.",
        inline=False,
    )
    embed.add_field(
        name="Daily streak",
        value=f"current {stats.streak.current} · best {stats.streak.best}",
        inline=False,
    )
    if has_chart:
        embed.set_image(url=f"attachment://{CHART_FILENAME}")
    else:
        embed.add_field(name="Chart", value="No finished session with a score yet.", inline=False)
    embed.set_footer(text=SCORES_NOTE)
    return embed  # at most three clipped fields of 1024 characters: within Discord's 6000


def _value(entry: LeaderboardEntry, metric: Metric) -> str:
    if metric is Metric.AVERAGE:
        return f"{entry.value:.2f} ({entry.sessions} sessions)"
    if metric is Metric.SESSIONS:
        return f"{int(entry.value)} sessions"
    return f"{int(entry.value)} days (best {entry.best_streak})"


def _line(entry: LeaderboardEntry, metric: Metric) -> str:
    who = f"<@{entry.external_id}>" if entry.external_id else "a former member"
    return f"**{entry.rank}.** {who} · {_value(entry, metric)}"


def rules_text(board: Leaderboard) -> str:
    if board.metric is Metric.STREAK:
        return (
            "Current daily-question streaks of members active in this server; the period does "
            "not apply to streaks."
        )
    since = (
        "all time"
        if board.since is None
        else f"since {board.since:%a %d %b %Y} 00:00 UTC"
        + (" (weeks start on Monday)" if board.period is Period.WEEK else "")
    )
    text = (
        f"Counts finished sessions in this server {since}; an answer to this server's daily "
        "question counts as a one-question session."
    )
    if board.metric is Metric.AVERAGE:
        text += f" Ranked on average score: members with at least {board.min_sessions} sessions."
    return text


def caller_text(board: Leaderboard) -> str:
    if board.caller is not None:
        return f"You are **#{board.caller.rank}** of {board.ranked_count} · " + _value(
            board.caller, board.metric
        )
    if board.metric is Metric.STREAK:
        return "You have no current daily streak."
    if board.metric is Metric.AVERAGE and board.caller_sessions:
        return (
            f"You have {board.caller_sessions} of the {board.min_sessions} sessions needed "
            "to be ranked on average score."
        )
    return "You have no finished session in this period."


def leaderboard_embed(board: Leaderboard, guild_name: str) -> discord.Embed:
    title = f"Leaderboard · {METRIC_NAMES[board.metric]} · {PERIOD_NAMES[board.period]}"
    if board.metric is Metric.STREAK:
        title = f"Leaderboard · {METRIC_NAMES[board.metric]}"
    lines = [_line(e, board.metric) for e in board.top]
    embed = discord.Embed(
        title=title,
        description="\n".join(lines) or "Nobody is ranked yet.",
        colour=ACCENT,
    )
    embed.set_author(name=clip(guild_name, 256))
    embed.add_field(name="You", value=caller_text(board), inline=False)
    embed.add_field(name="Rules", value=rules_text(board), inline=False)
    return embed
