"""`mlmock practice`: a timed mock interview in the terminal."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli import UsageError, command_name
from bot.core.formats import Length
from bot.core.questions import Difficulty, Track

if TYPE_CHECKING:
    from rich.console import Console

    from bot.app import App
    from bot.config import Settings
    from bot.core.session import SessionView

LOCAL_PLATFORM = "local"
LOCAL_USER = "local"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "practice",
        help="run a timed mock interview in the terminal",
        description="Run a timed mock interview in the terminal. Type your answer over several "
        "lines and finish it with a line holding only '.' (or Ctrl-S); :hint, :skip, :end, "
        ":scenario and :help work at any time. With follow-ups on, a submitted answer may get "
        "one follow-up question whose reply extends it. Answers can also be piped on standard "
        "input.",
    )
    parser.add_argument("--track", choices=[t.value for t in Track], default=Track.TECHNICAL.value)
    parser.add_argument("--length", choices=[x.value for x in Length], default=Length.SHORT.value)
    parser.add_argument(
        "--topic", help=f"only questions of this topic (see: {command_name()} bank stats)"
    )
    parser.add_argument("--difficulty", choices=[d.value for d in Difficulty])
    parser.add_argument(
        "--questions", type=int, metavar="N", help="number of questions (not for system-design)"
    )
    parser.add_argument(
        "--follow-ups",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after each submitted answer, ask one follow-up that extends it (default: on for "
        "--length standard, off for short); :skip passes a follow-up without penalty",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="line-by-line input and uncoloured output (automatic when stdin is not a terminal)",
    )
    parser.add_argument(
        "--ai",
        action="store_true",
        help="let the AI interviewer ask the follow-ups, check the grades and write feedback "
        "(needs LLM_BASE_URL; answers are sent to that server)",
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--resume", action="store_true", help="continue the unfinished interview")
    choice.add_argument(
        "--new", action="store_true", help="abandon the unfinished interview and start a new one"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import BankInvalid
    from bot.config import Settings

    if args.questions is not None and args.questions < 1:
        raise UsageError("--questions must be at least 1")
    if args.ai:
        from bot.terminal.ai import ai_setup_error

        problem = ai_setup_error(command_name())
        if problem:
            raise UsageError(problem)
    settings = Settings.from_env()
    try:
        return asyncio.run(_practice(args, settings))
    except BankInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _interactive(args: argparse.Namespace) -> bool:
    return not args.plain and sys.stdin.isatty() and sys.stdout.isatty()


async def _practice(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.app import open_app
    from bot.terminal.practice import PracticeSession, Queue, StdinLines, TerminalInput
    from bot.terminal.render import emit, make_console

    interactive = _interactive(args)
    console = make_console(sys.stdout, plain=not interactive)
    from bot.cli.schema import schema_is_current
    from bot.storage.database import MIGRATIONS_DIR

    migrate = not schema_is_current(settings.database_url, MIGRATIONS_DIR)
    async with open_app(
        settings, scope=LOCAL_PLATFORM, start_scheduler=False, migrate=migrate, local_ai=args.ai
    ) as app:
        track = Track(args.track)
        if args.topic and args.topic not in app.banks.topics(track):
            allowed = ", ".join(app.banks.topics(track))
            raise UsageError(
                f"unknown topic {args.topic!r} for {track.value}; choose from: {allowed}"
            )
        _check_question_count(app, args, track)
        queue: Queue = asyncio.Queue()
        user = await app.interviews.ensure_user(LOCAL_PLATFORM, LOCAL_USER, "you")
        session = await _open_or_start(app, args, user, track, console, interactive)
        if isinstance(session, int):
            return session
        line_input = TerminalInput(queue) if interactive else None
        if args.ai:
            from bot.terminal.ai import describe

            emit(console, describe(app.ai_marking.interviewer))
        runner = PracticeSession(
            app.interviews,
            session,
            queue,
            console,
            line_input=line_input,
            command=command_name(),
            ai=app.ai_marking if args.ai else None,
        )
        await app.start_scheduler()  # after subscribing: overdue time-outs are shown, not missed
        if not interactive:
            StdinLines(queue, asyncio.get_running_loop(), sys.stdin).start()
        await runner.run()
        emit(console, f"\nSaved. See all your sessions with: {command_name()} history")
        return 0


def _check_question_count(app: App, args: argparse.Namespace, track: Track) -> None:
    if args.questions is None or track is Track.SYSTEM_DESIGN:
        return
    available = len(
        app.banks.select(
            track,
            [args.topic] if args.topic else None,
            [Difficulty(args.difficulty)] if args.difficulty else None,
        )
    )
    if args.questions > available:
        where = track.value
        if args.topic:
            where += f", topic {args.topic}"
        if args.difficulty:
            where += f", difficulty {args.difficulty}"
        raise UsageError(
            f"--questions {args.questions} is more than the bank holds for {where}: "
            f"the maximum is {available}"
        )


async def _ask_yes(question: str) -> bool:
    from prompt_toolkit import PromptSession

    answer = await PromptSession[str]().prompt_async(question)  # Ctrl-C: KeyboardInterrupt
    return answer.strip().lower() in ("", "y", "yes")


async def _open_or_start(
    app: App,
    args: argparse.Namespace,
    user: int,
    track: Track,
    console: Console,
    interactive: bool,
) -> SessionView | int:
    """The session to run, or an exit code."""
    from bot.features.interviews.types import InterviewError
    from bot.terminal.render import emit

    svc = app.interviews
    existing = await svc.open_session(user)
    if existing is None and args.resume:
        print(
            f"Nothing to resume: there is no unfinished interview. Start one with: "
            f"{command_name()} practice",
            file=sys.stderr,
        )
        return 1
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
        elif interactive:
            emit(console, summary)
            resume = await _ask_yes("Continue it? [Y/n] ")
        else:
            print(
                f"error: {summary} Pass --resume to continue it or --new to start afresh.",
                file=sys.stderr,
            )
            return 2
        if resume:
            emit(console, "Continuing where you left off.")
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
            follow_ups=args.follow_ups,
        )
    except InterviewError as exc:
        raise UsageError(str(exc)) from exc
