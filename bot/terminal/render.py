"""Plain-text rendering of questions and scorecards for the terminal."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

from bot.core.scoring import Score
from bot.core.session import ItemStatus, ItemView, Scorecard, ScorecardItem

WIDTH = 88
RULE = "─" * WIDTH


_LIST_MARKER = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def _paragraphs(text: str) -> list[str]:
    """Re-join hard-wrapped markdown lines; list items and blank lines start new paragraphs."""
    paras: list[str] = []
    for line in text.strip().splitlines():
        if not line.strip():
            paras.append("")
        elif paras and paras[-1] and not _LIST_MARKER.match(line):
            paras[-1] += " " + line.strip()
        else:
            paras.append(line.rstrip())
    return paras


def _wrap(text: str, indent: str = "") -> str:
    lines = []
    for para in _paragraphs(text):
        if not para:
            lines.append("")
            continue
        lead = para[: len(para) - len(para.lstrip())]
        marker = _LIST_MARKER.match(para)
        hang = " " * (marker.end() - len(lead)) if marker else ""
        lines.append(
            textwrap.fill(
                para.strip(),
                WIDTH,
                initial_indent=indent + lead,
                subsequent_indent=indent + lead + hang,
            )
        )
    return "\n".join(lines)


def format_remaining(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def render_item(item: ItemView, now: datetime) -> str:
    q = item.question
    head = f"{item.title}  ·  {q.track.value} · {q.topic} · {q.difficulty.value}"
    remaining = (item.deadline_at - now).total_seconds() if item.deadline_at else 0
    local_deadline = item.deadline_at.astimezone().strftime("%H:%M:%S") if item.deadline_at else "?"
    parts = [
        RULE,
        head,
        RULE,
        _wrap(item.prompt),
        "",
        f"⏱  {format_remaining(remaining)} left (until {local_deadline}).  "
        "Finish with a line holding only '.'  ·  :hint  :skip  :end  :time  :help",
    ]
    if item.answer_text:
        parts.insert(4, "\nSo far you wrote:\n" + _wrap(item.answer_text, "  │ "))
    return "\n".join(parts)


def _score_label(score: int | None) -> str:
    return "-" if score is None else f"{score}/4 {Score(score).label}"


def render_scorecard_item(item: ScorecardItem, number: int) -> str:
    q = item.question
    status = {
        ItemStatus.SUBMITTED: "answered",
        ItemStatus.SKIPPED: "skipped",
        ItemStatus.TIMED_OUT: "time ran out",
        ItemStatus.NOT_REACHED: "not reached",
    }.get(item.status, item.status.value)
    label = f"{q.id} / {item.phase.name}" if item.phase else q.id
    extra = (
        f", {item.hints_used} hint{'s' if item.hints_used != 1 else ''}" if item.hints_used else ""
    )
    lines = [f"{number}. {label}  [{q.topic}, {q.difficulty.value}]  {status}{extra}"]
    if item.status is ItemStatus.NOT_REACHED:
        return "\n".join(lines)
    score_line = f"   score {_score_label(item.score)}"
    if item.self_score is not None or item.peer_score is not None:
        score_line += f"  (automatic {_score_label(item.auto_score)})"
    lines.append(score_line)
    lines += [f"   ✓ {p}" for p in item.covered]
    lines += [f"   ✗ {p}" for p in item.missed]
    return "\n".join(lines)


def render_scorecard(card: Scorecard, *, with_reference: bool = True) -> str:
    out = [
        RULE,
        f"Scorecard · {card.track.value} ({card.length.value})"
        + (" · ended early" if card.ended_early else ""),
        RULE,
    ]
    for n, item in enumerate(card.items, 1):
        out.append(render_scorecard_item(item, n))
    if with_reference:
        seen: set[str] = set()
        out += ["", "Reference answers", RULE]
        for item in card.scored_items:
            if item.question.id in seen:
                continue
            seen.add(item.question.id)
            out += [f"{item.question.id}:", _wrap(item.question.reference_answer, "   "), ""]
    mean = card.mean
    verdict = card.verdict
    out += [
        RULE,
        "Verdict: "
        + (f"{verdict.label} (mean {mean:.2f} / 4)" if verdict and mean else "no answers to score"),
    ]
    return "\n".join(out)
