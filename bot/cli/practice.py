"""`python -m bot practice`: a timed mock interview in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.app import App, BankInvalid, open_app
from bot.cli import UsageError
from bot.config import Settings
from bot.core.formats import Length
from bot.core.questions import Difficulty, Track
from bot.core.session import SessionView
from bot.features.interviews.types import InterviewError
from bot.terminal.practice import PracticeSession, Queue, StdinLines

LOCAL_PLATFORM = "local"
LOCAL_USER = "local"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "practice",
        help="run a timed mock interview in the terminal",
        description="Run a timed mock interview in the terminal. Type your answer over several "
        "lines and finish it with a line holding only '.'; :hint, :skip, :end and :help work at "
        "any time. Answers can also be piped on standard input.",
    )
    parser.add_argument("--track", choices=[t.value for t in Track], default=Track.TECHNICAL.value)
    parser.add_argument("--length", choices=[x.value for x in Length], default=Length.SHORT.value)
    parser.add_argument(
        "--topic", help="only questions of this topic (see: python -m bot bank stats)"
    )
    parser.add_argument("--difficulty", choices=[d.value for d in Difficulty])
    parser.add_argument(
        "--questions", type=int, metavar="N", help="number of questions (not for system-design)"
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--resume", action="store_true", help="continue the unfinished interview")
    choice.add_argument(
        "--new", action="store_true", help="abandon the unfinished interview and start a new one"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.questions is not None and args.questions < 1:
        raise UsageError("--questions must be at least 1")
    try:
        return asyncio.run(_practice(args, Settings.from_env()))
    except BankInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _practice(args: argparse.Namespace, settings: Settings) -> int:
    async with open_app(settings, scope=LOCAL_PLATFORM, start_scheduler=False) as app:
        track = Track(args.track)
        if args.topic and args.topic not in app.banks.topics(track):
            allowed = ", ".join(app.banks.topics(track))
            raise UsageError(
                f"unknown topic {args.topic!r} for {track.value}; choose from: {allowed}"
            )
        queue: Queue = asyncio.Queue()
        user = await app.interviews.ensure_user(LOCAL_PLATFORM, LOCAL_USER, "you")
        session = await _open_or_start(app, args, user, track)
        if session is None:
            return 2
        runner = PracticeSession(app.interviews, session, queue)
        await app.start_scheduler()  # after subscribing: overdue time-outs are shown, not missed
        StdinLines(queue, asyncio.get_running_loop(), sys.stdin).start()
        await runner.run()
        print("\nSaved. See all your sessions with: python -m bot history")
        return 0


async def _open_or_start(
    app: App, args: argparse.Namespace, user: int, track: Track
) -> SessionView | None:
    svc = app.interviews
    existing = await svc.open_session(user)
    if existing is not None:
        position = existing.current.position if existing.current else 0
        summary = (
            f"You have an unfinished {existing.track.value} interview started "
            f"{existing.started_at.astimezone():%Y-%m-%d %H:%M} "
            f"(item {position + 1} of {existing.total_items})."
        )
        if args.resume:
            resume = True
        elif args.new:
            resume = False
        elif sys.stdin.isatty():
            print(summary)
            answer = (await asyncio.to_thread(input, "Continue it? [Y/n] ")).strip().lower()
            resume = answer in ("", "y", "yes")
        else:
            print(
                f"error: {summary} Pass --resume to continue it or --new to start afresh.",
                file=sys.stderr,
            )
            return None
        if resume:
            print("Continuing where you left off.")
            return await svc.resume(existing.id)
        await svc.abandon(existing.id)
    try:
        return await svc.start(
            user,
            track,
            Length(args.length),
            platform=LOCAL_PLATFORM,
            topic=args.topic,
            difficulty=Difficulty(args.difficulty) if args.difficulty else None,
            questions=args.questions,
        )
    except InterviewError as exc:
        raise UsageError(str(exc)) from exc
