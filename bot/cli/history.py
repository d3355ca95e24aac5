"""`python -m bot history`: the local user's past practice sessions with scores."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.app import open_app
from bot.cli.practice import LOCAL_PLATFORM, LOCAL_USER
from bot.config import Settings
from bot.terminal.render import render_scorecard


def register(sub: Any) -> None:
    parser = sub.add_parser("history", help="list your past practice sessions with scores")
    parser.add_argument("--limit", type=int, default=20, help="how many sessions (default 20)")
    parser.add_argument("--show", type=int, metavar="ID", help="print the scorecard of session ID")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_history(args, Settings.from_env()))


async def _history(args: argparse.Namespace, settings: Settings) -> int:
    async with open_app(settings, scope=LOCAL_PLATFORM, start_scheduler=False) as app:
        user = await app.interviews.ensure_user(LOCAL_PLATFORM, LOCAL_USER, "you")
        sessions = await app.interviews.history(user, limit=args.limit)
        if args.show is not None:
            if args.show not in {s.id for s in await app.interviews.history(user, limit=10_000)}:
                print(f"error: no session {args.show} in your history")
                return 1
            print(render_scorecard(await app.interviews.scorecard(args.show)))
            return 0
        if not sessions:
            print("No sessions yet. Start one with: python -m bot practice")
            return 0
        print(
            f"{'id':>4}  {'started':16}  {'track':13}  {'length':8}  {'status':9}  {'items':>5}  "
            f"{'mean':>4}  verdict"
        )
        for s in sessions:
            mean = f"{s.mean_score:.2f}" if s.mean_score is not None else "-"
            print(
                f"{s.id:>4}  {s.started_at.astimezone():%Y-%m-%d %H:%M}  {s.track.value:13}  "
                f"{s.length.value:8}  {s.status.value:9}  {s.items:>5}  {mean:>4}  "
                f"{s.verdict.label if s.verdict else '-'}"
            )
        print("\nShow one scorecard with: python -m bot history --show ID")
        return 0
