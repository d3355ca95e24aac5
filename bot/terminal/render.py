"""Rendering of questions and scorecards for the terminal, with ``rich``.

Text is Markdown (the bank writes ``**bold**`` and lists) wrapped to the terminal's width; piped
output gets the same layout without colours. A scorecard shows the score table first, then per
item: the answer as written, each rubric point with the words that earned it (✓) or what was
expected (✗), the caps that lowered the score, and the reference answer.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot.core.ai_marks import ItemMark, SessionMarks
from bot.core.formats import (
    FOLLOW_UP_ALLOWANCE_SECONDS,
    FOLLOW_UP_MAX_SECONDS,
    TYPED_WORDS_PER_MINUTE,
)
from bot.core.session import ItemStatus, ItemView, Scorecard, ScorecardItem, SessionView
from bot.terminal import ai as ai_parts

if TYPE_CHECKING:
    from bot.core.scoring import RubricResult

MAX_WIDTH = 100  # long lines are hard to read even on a wide terminal
PLAIN_WIDTH = 80

STATUS = {
    ItemStatus.SUBMITTED: "answered",
    ItemStatus.SKIPPED: "skipped",
    ItemStatus.TIMED_OUT: "time ran out",
    ItemStatus.NOT_REACHED: "not reached",
}
LABELS = {1: "Strong No Hire", 2: "No Hire", 3: "Hire", 4: "Strong Hire"}


def make_console(file: TextIO | None = None, *, plain: bool = False) -> Console:
    """A console for ``file`` (stdout): colours and the terminal's width on a terminal; on a
    pipe (or ``plain``) no colours and 80 columns (or $COLUMNS)."""
    file = file or sys.stdout
    is_tty = file.isatty() and not plain
    width: int | None = None
    if not is_tty:
        try:
            width = int(os.environ.get("COLUMNS", ""))
        except ValueError:
            width = PLAIN_WIDTH
    console = Console(
        file=file,
        force_terminal=is_tty,
        no_color=not is_tty,
        highlight=False,
        emoji=False,
        width=width,
        soft_wrap=False,
    )
    if is_tty and console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console


_PRODUCT_STAR = re.compile(r"(?<=[\w)])\*(?=[\w(])")


def page(console: Console, *renderables: RenderableType) -> None:
    """On a terminal, through the pager (``less -FRX`` unless $LESS says otherwise: it quits at
    once when the text fits the screen and leaves it there); elsewhere, printed."""
    if not console.is_terminal:
        emit(console, *renderables)
        return
    os.environ.setdefault("LESS", "-FRX")
    with console.pager(styles=True):
        console.print(*renderables)


def markdown(text: str) -> Markdown:
    # "0.99*0.01" is arithmetic, not emphasis: escape a star between two operands.
    return Markdown(_PRODUCT_STAR.sub(r"\\*", text.strip()), hyperlinks=False)


def emit(console: Console, *renderables: RenderableType | str) -> None:
    """Print; on a pipe without the padding spaces rich adds to fill each line."""
    if console.is_terminal:
        console.print(*renderables)
        return
    with console.capture() as capture:
        console.print(*renderables)
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    console.file.write(text + "\n")
    console.file.flush()


def format_remaining(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def score_label(score: int | None) -> str:
    return "-" if score is None else f"{score}/4 {LABELS.get(score, '')}".strip()


# -- interview --------------------------------------------------------------------------------


def render_intro(session: SessionView, card: Scorecard) -> RenderableType:
    """What the interview holds: its length and number of questions, before the first one."""
    questions = len({i.question.id for i in card.items})
    minutes = sum(i.minutes for i in card.items)
    phases = len(card.items)
    shape = f"{questions} question{'s' if questions != 1 else ''}"
    if phases != questions:
        shape += f" in {phases} timed phases"
    lines = Text(
        f"{session.length.value.capitalize()} {session.track.value} interview: {shape}, "
        f"{minutes} minutes in all.",
        style="bold",
    )
    lines.append(f"\n{PACE_NOTE}", style="dim")
    if session.follow_ups:
        lines.append(f"\n{FOLLOW_UP_NOTE}", style="dim")
    return lines


PACE_NOTE = (
    f"Time limits are set for typing: a reference-length answer fits at "
    f"{TYPED_WORDS_PER_MINUTE} words a minute."
)
FOLLOW_UP_NOTE = (
    f"After an answer you submit, the interviewer may ask one follow-up: your reply extends the "
    f"same answer, with the time left plus {FOLLOW_UP_ALLOWANCE_SECONDS // 60} minutes (at most "
    f"{FOLLOW_UP_MAX_SECONDS // 60}); :skip passes it without penalty."
)


def render_scenario(item: ItemView) -> RenderableType:
    """A system-design question's full prompt: the scenario every phase refers to."""
    q = item.question
    return Group(
        Rule(f"Scenario · {q.topic} · {q.difficulty.value}", align="left"),
        markdown(q.prompt),
        Rule(style="dim"),
    )


def render_item(item: ItemView, now: datetime, *, keys: str) -> RenderableType:
    q = item.question
    head = f"{item.title}  ·  {q.track.value} · {q.topic} · {q.difficulty.value}"
    remaining = (item.deadline_at - now).total_seconds() if item.deadline_at else 0
    local_deadline = item.deadline_at.astimezone().strftime("%H:%M:%S") if item.deadline_at else "?"
    if item.follow_up:
        return Group(
            Rule(head, align="left"),
            Text("Interviewer: ", style="bold").append(item.follow_up, style="default"),
            Text(
                f"⏱  {format_remaining(remaining)} left (until {local_deadline}). Your reply "
                f"extends your answer; :skip passes the follow-up.  {keys}",
                style="dim",
            ),
        )
    parts: list[RenderableType] = [Rule(head, align="left"), markdown(item.prompt)]
    if item.answer_text:
        parts += [Text("So far you wrote:", style="bold"), _quoted(item.answer_text)]
    parts.append(
        Text(
            f"⏱  {format_remaining(remaining)} left (until {local_deadline}).  {keys}",
            style="dim",
        )
    )
    return Group(*parts)


def _quoted(text: str) -> RenderableType:
    return Padding(Text(text.strip()), (0, 0, 0, 2), style="italic")


# -- scorecard --------------------------------------------------------------------------------


def rescore(item: ScorecardItem) -> RubricResult | None:
    """The rubric's judgement of the stored answer, recomputed now (the scorer is
    deterministic), so every ✓ can quote its evidence. None when nothing was written."""
    if not item.answer_text.strip():
        return None
    from bot.core.scoring import score_for

    try:
        return score_for(
            item.question,
            item.answer_text,
            phase=item.phase.name if item.phase else None,
            hints_used=item.hints_used,
        )
    except KeyError:  # the phase is no longer in the bank's version of the question
        return None


def not_reached(card: Scorecard) -> tuple[ScorecardItem, ...]:
    return tuple(i for i in card.items if i.status is ItemStatus.NOT_REACHED)


def _counts_not_reached() -> bool:
    """Whether the verdict counts items never reached as unanswered (newer session model)."""
    return hasattr(Scorecard, "unanswered_items")


def render_scorecard(
    card: Scorecard, *, with_details: bool = True, ai: SessionMarks | None = None
) -> RenderableType:
    title = f"Scorecard · {card.track.value} ({card.length.value})"
    if card.ended_early:
        title += " · ended early"
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("#", justify="right")
    table.add_column("question")
    table.add_column("status")
    table.add_column("score")
    table.add_column("note", overflow="fold")
    for n, item in enumerate(card.items, 1):
        note = []
        if item.hints_used:
            note.append(f"{item.hints_used} hint{'s' if item.hints_used != 1 else ''}")
        if item.self_score is not None or item.peer_score is not None:
            who = "peer" if item.peer_score is not None else "you"
            note.append(f"scored by {who}; automatic {score_label(item.auto_score)}")
        mark = ai.items.get(item.position) if ai else None
        if mark is not None and mark.scorer_score not in (None, item.auto_score):
            note.append(f"rubric scorer {mark.scorer_score}/4, changed by the AI interviewer")
        score = "-" if item.status is ItemStatus.NOT_REACHED else score_label(item.score)
        table.add_row(
            str(n), item.label, STATUS.get(item.status, item.status.value), score, "; ".join(note)
        )
    parts: list[RenderableType] = [Rule(title, align="left"), table, _verdict(card)]
    ai_summary = ai_parts.session_feedback(ai)
    if ai_summary is not None:
        parts.append(ai_summary)
    missing = not_reached(card)
    if card.ended_early and missing:
        count = f"{len(missing)} item{'s' if len(missing) != 1 else ''}"
        if _counts_not_reached():
            parts.append(
                Text(
                    f"Ended early: {count} never reached count as unanswered (1/4) in the verdict.",
                    style="yellow",
                )
            )
        else:
            parts.append(
                Text(f"Ended early: {count} never reached are not scored.", style="yellow")
            )
    if with_details:
        # A system-design question's reference answer comes once, after its last phase shown.
        last_shown = {
            i.question.id: i.position for i in card.items if i.status is not ItemStatus.NOT_REACHED
        }
        for n, item in enumerate(card.items, 1):
            if item.status is not ItemStatus.NOT_REACHED:
                reference = last_shown[item.question.id] == item.position
                mark = ai.items.get(item.position) if ai else None
                parts.append(render_scorecard_item(item, n, with_reference=reference, mark=mark))
    return Group(*parts)


def _verdict(card: Scorecard) -> Text:
    mean, verdict = card.mean, card.verdict
    if verdict is None or mean is None:
        return Text("Verdict: no answers to score", style="bold")
    return Text(f"Verdict: {verdict.label} (mean {mean:.2f} / 4)", style="bold")


def render_scorecard_item(
    item: ScorecardItem,
    number: int,
    *,
    with_reference: bool = True,
    mark: ItemMark | None = None,
) -> RenderableType:
    status = STATUS.get(item.status, item.status.value)
    parts: list[RenderableType] = [
        Rule(f"{number}. {item.label} · {status} · score {score_label(item.score)}", align="left")
    ]
    if item.phase is not None:
        parts.append(Text(f"Phase prompt: {item.phase.prompt.strip()}", style="dim"))
    parts.append(Text("Your answer:", style="bold"))
    first = item.first_answer if item.follow_up else item.answer_text
    parts.append(_quoted(first) if first.strip() else Text("  (nothing written)", style="dim"))
    if item.follow_up:
        by = " (asked by the AI interviewer)" if item.follow_up_by_ai else ""
        head = Text(f"Follow-up{by}: ", style="bold")
        parts.append(head.append(item.follow_up, style="default"))
        if item.follow_up_skipped:
            parts.append(Text("  (skipped: scored on your first answer)", style="dim"))
        elif item.follow_up_reply.strip():
            parts.append(Text("Your reply:", style="bold"))
            parts.append(_quoted(item.follow_up_reply))
        else:
            parts.append(Text("  (no reply written)", style="dim"))
    result = rescore(item)
    # With the AI's mark, the stored score is the combined one; the scorer's own is in the mark.
    scored = mark.scorer_score if mark is not None else item.auto_score
    if result is not None:
        if scored is not None and int(result.score) != scored:
            parts.append(
                Text(
                    f"The rubric or the scorer changed since this answer was scored: scored "
                    f"again now it gets {score_label(int(result.score))} (stored automatic "
                    f"score {score_label(scored)}). The points below are today's.",
                    style="yellow",
                )
            )
        points = ai_parts.point_rows(mark) if mark and mark.points else _points(result)
        rows = [*points, *((Text("⚑", style="yellow"), Text(str(c))) for c in result.caps)]
    else:
        rows = [(Text("✓", style="green"), Text(p)) for p in item.covered]
        rows += [(Text("✗", style="red"), Text(p)) for p in item.missed]
    if rows:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for marker, line in rows:
            grid.add_row(marker, line)
        parts.append(Padding(grid, (0, 0, 0, 2)))
    parts += ai_parts.item_feedback(mark)
    if with_reference:
        parts.append(Text("Reference answer:", style="bold"))
        parts.append(Padding(markdown(item.question.reference_answer), (0, 0, 0, 2)))
    return Group(*parts)


def _points(result: RubricResult) -> Iterable[tuple[Text, Text]]:
    for p in result.points:
        if p.covered:
            line = Text(p.point, style="green")
            if p.evidence:
                line.append(f'  — you wrote: "{p.evidence}"', style="default")
            yield Text("✓", style="green"), line
            continue
        line = Text(p.point, style="red")
        if p.misconception:
            line.append(f"  — you said: {p.misconception}", style="default")
        elif p.explain:
            line.append(f"  — expected: {p.explain}", style="default")
        elif p.missing:
            cues = "; ".join(c.lstrip("+").replace("|", " or ") for c in p.missing[:4])
            line.append(f"  — expected words like: {cues}", style="default")
        yield Text("✗", style="red"), line
