"""Texts of /privacy: what a deletion removes and what it keeps, before and after."""

from __future__ import annotations

from collections.abc import Mapping

from bot.features.privacy.service import DeletionReport

DELETED_LABELS = {
    "users": "profile",
    "interview_sessions": "interview sessions",
    "answers": "answers",
    "answer_parts": "answer parts (what you wrote)",
    "deadlines": "pending timers",
    "daily_answers": "daily answers",
    "streaks": "streak record",
    "daily_deliveries": "daily questions sent to you by DM",
    "daily_subscriptions": "daily-question subscription",
    "daily_cards": "spaced-repetition cards",
}
KEPT_LABELS = {
    "guild_questions": "questions you wrote for a server (kept, no longer linked to you)",
    "audit_log": "moderation log entries (kept, no longer linked to you)",
}


def _count_list(counts: Mapping[str, int], labels: Mapping[str, str]) -> str:
    parts = [
        f"{count} {labels.get(table, table.replace('_', ' '))}"
        for table, count in counts.items()
        if count
    ]
    return ", ".join(parts)


def deletion_preview(report: DeletionReport, expires_at: str) -> str:
    deleted = _count_list(report.deleted, DELETED_LABELS)
    kept = _count_list(report.kept, KEPT_LABELS)
    text = (
        "**Delete all your data?** This removes everything the bot stores about you and cannot "
        f"be undone: {deleted}."
    )
    if kept:
        text += f"\nStays: {kept}."
    return text + f"\nOnly you can confirm; the buttons expire {expires_at}."


def deletion_done(report: DeletionReport) -> str:
    if not report.found:
        return "There was nothing left to delete: the bot stores nothing about you."
    text = f"Done. Deleted: {_count_list(report.deleted, DELETED_LABELS)}."
    if kept := _count_list(report.kept, KEPT_LABELS):
        text += f"\nKept without your name: {kept}."
    return text + "\nIf you use the bot again, it starts a fresh profile."
