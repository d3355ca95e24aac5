"""`mlmock history`: the local user's past practice sessions with scores.

Sessions ended before any answer was written are left out unless ``--all`` is given. Output
piped into ``head`` or ``less`` that stops reading early ends quietly (see ``bot.cli.main``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli import command_name

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.session import Scorecard
    from bot.features.interviews.service import InterviewService
    from bot.features.interviews.types import SessionSummary

SCAN_LIMIT = 10_000


def register(sub: Any) -> None:
    parser = sub.add_parser("history", help="list your past practice sessions with scores")
    parser.add_argument("--limit", type=int, default=20, help="how many sessions (default 20)")
    parser.add_argument(
        "--show",
        type=int,
        metavar="ID",
        help="print the scorecard of session ID, with your answers (paged on a terminal)",
    )
    parser.add_argument(
        "--all", action="store_true", help="also list sessions ended before any answer"
    )
    parser.add_argument("--plain", action="store_true", help="no colours and no pager")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import BankInvalid
    from bot.config import Settings

    settings = Settings.from_env()
    try:
        return asyncio.run(_history(args, settings))
    except BankInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def is_empty(card: Scorecard) -> bool:
    """Ended (not open) with not one word written: nothing worth listing."""
    return not card.status.is_open and not any(i.answer_text.strip() for i in card.items)


async def _history(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_app
    from bot.cli.practice import LOCAL_PLATFORM, LOCAL_USER
    from bot.cli.schema import schema_is_current
    from bot.storage.database import MIGRATIONS_DIR

    migrate = not schema_is_current(settings.database_url, MIGRATIONS_DIR)
    async with open_app(
        settings, scope=LOCAL_PLATFORM, start_scheduler=False, migrate=migrate
    ) as app:
        svc = app.interviews
        user = await svc.ensure_user(LOCAL_PLATFORM, LOCAL_USER, "you")
        if args.show is not None:
            if args.show not in {s.id for s in await svc.history(user, limit=SCAN_LIMIT)}:
                print(f"error: no session {args.show} in your history", file=sys.stderr)
                return 1
            _show(await svc.scorecard(args.show), plain=args.plain)
            return 0
        rows = await _listed(svc, user, args.limit, include_empty=args.all)
        if not rows:
            hidden = (
                "" if args.all else f" with an answer (`{command_name()} history --all` lists all)"
            )
            print(f"No sessions yet{hidden}. Start one with: {command_name()} practice")
            return 0
        # 79 columns: fits an 80-column terminal without wrapping.
        print(
            f"{'id':>3} {'started':14} {'track':13} {'length':8} {'status':11} {'done':>5} "
            f"{'mean':>4} verdict"
        )
        for s, card in rows:
            mean = f"{s.mean_score:.2f}" if s.mean_score is not None else "-"
            status = "ended early" if card.ended_early else s.status.value
            answered = sum(1 for i in card.items if i.answer_text.strip())
            print(
                f"{s.id:>3} {s.started_at.astimezone():%y-%m-%d %H:%M} {s.track.value:13} "
                f"{s.length.value:8} {status:11} {f'{answered}/{s.items}':>5} {mean:>4} "
                f"{s.verdict.label if s.verdict else '-'}"
            )
        print(f"\nShow one scorecard with: {command_name()} history --show ID")
        return 0


async def _listed(
    svc: InterviewService, user: int, limit: int, *, include_empty: bool
) -> list[tuple[SessionSummary, Scorecard]]:
    rows: list[tuple[SessionSummary, Scorecard]] = []
    for summary in await svc.history(user, limit=SCAN_LIMIT):
        if len(rows) >= limit:
            break
        card = await svc.scorecard(summary.id)
        if include_empty or not is_empty(card):
            rows.append((summary, card))
    return rows


def _show(card: Scorecard, *, plain: bool) -> None:
    from bot.terminal.render import make_console, page, render_scorecard

    page(make_console(sys.stdout, plain=plain), render_scorecard(card))
