"""The terminal practice loop.

Two inputs feed it. On a terminal, a ``prompt_toolkit`` line editor: the countdown and the
one-minute reminder live in its bottom toolbar, so they never print into the line being typed,
and a time-out closes the editor, so a half-typed line is dropped instead of landing in the next
question. On a pipe (or ``--plain``), lines are read from standard input on a thread, as scripts
and tests expect. Either way every line is stored as it is entered: killing the process loses
nothing already entered.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from rich.console import Console, RenderableType
from rich.text import Text

from bot.core.questions import Track
from bot.core.session import ItemStatus, ItemView, Scorecard, SessionView
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import (
    Advance,
    Event,
    InterviewError,
    ReminderDue,
    StaleAction,
    TimedOut,
)
from bot.terminal.render import (
    emit,
    format_remaining,
    page,
    render_intro,
    render_item,
    render_scenario,
    render_scorecard,
    score_label,
)

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

COMMANDS = (".", ":hint", ":skip", ":end", ":time", ":scenario", ":help")

PLAIN_KEYS = "Finish with a line holding only '.'  ·  :hint  :skip  :end  :time  :help"
TTY_KEYS = "Enter saves a line · Ctrl-S submits · :help"
TOOLBAR_KEYS = "Ctrl-S submit · F2 hint · F3 skip · :help"

HELP = """Commands (alone on a line):
  .          submit the answer to this question and move on   (terminal: Ctrl-S)
  :hint      show a hint (each hint lowers the best score reachable)  (terminal: F2)
  :skip      skip this question                                 (terminal: F3)
  :scenario  show a system-design question's full scenario again
  :time      show the time left
  :end       end the interview now and see the scorecard
  :help      this list
Anything else is part of your answer; it is saved line by line.
On a terminal, Esc then Enter (or Alt-Enter) starts a new line inside the same entry."""


@dataclass(frozen=True)
class _Line:
    text: str | None  # None: end of input


@dataclass(frozen=True)
class _Dropped:
    """A time-out closed the editor while this text was typed but not yet entered."""

    event: TimedOut
    text: str


@dataclass(frozen=True)
class _Key:
    """A key binding (Ctrl-S, F2, F3): save what was typed, then run ``command``."""

    command: str
    text: str


Queue = asyncio.Queue[_Line | Event]
Message = _Line | Event | _Dropped | _Key


class LineInput(Protocol):
    async def next(self, session: PracticeSession) -> Message: ...

    async def ask(self, question: str) -> str | None: ...

    def reminder(self) -> bool:
        """Show the one-minute reminder; False: the caller prints it."""
        ...


class StdinLines:
    """Reads standard input on a daemon thread (input() would block the event loop)."""

    def __init__(self, queue: Queue, loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
        self._queue, self._loop, self._stream = queue, loop, stream

    def start(self) -> None:
        threading.Thread(target=self._read, name="stdin-reader", daemon=True).start()

    def _read(self) -> None:
        for raw in self._stream:
            self._put(_Line(raw.rstrip("\r\n")))
        self._put(_Line(None))

    def _put(self, item: _Line) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:
            pass  # loop closed while we were blocked reading


class PlainInput:
    """Lines from the queue the stdin thread fills; answers to questions come the same way."""

    def __init__(self, queue: Queue, console: Console) -> None:
        self._queue, self._console = queue, console
        self._ended = False

    async def next(self, session: PracticeSession) -> Message:
        message = await self._queue.get()
        if isinstance(message, _Line) and message.text is None:
            self._ended = True
        return message

    async def ask(self, question: str) -> str | None:
        if self._ended:
            return None
        self._console.file.write(question)
        self._console.file.flush()
        while True:
            message = await self._queue.get()
            if isinstance(message, _Line):
                self._console.file.write((message.text or "") + "\n")
                if message.text is None:
                    self._ended = True
                return message.text

    def reminder(self) -> bool:
        return False

    def drop_pending(self) -> None:
        """After a time-out, discard what the terminal holds of a line not yet entered (only
        with --plain on a terminal; a pipe's lines are whole and meant in order)."""
        if not sys.stdin.isatty():
            return
        try:
            import termios

            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
        except (ImportError, OSError, ValueError):
            pass


class TerminalInput:
    """A ``prompt_toolkit`` editor: one entry per Enter, a live countdown in the toolbar."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._prompt_session: PromptSession[Any] | None = None
        self._ask_session: PromptSession[str] | None = None
        self._owner: PracticeSession | None = None
        self._events: asyncio.Task[_Line | Event] | None = None
        self._warned = False

    @property
    def _session(self) -> PromptSession[Any]:
        # Created on first use: the first question is on the screen before prompt_toolkit loads.
        if self._prompt_session is None:
            from prompt_toolkit import PromptSession

            self._prompt_session = PromptSession(
                key_bindings=_key_bindings(), erase_when_done=False
            )
        return self._prompt_session

    async def next(self, session: PracticeSession) -> Message:
        self._owner = session
        prompt = asyncio.ensure_future(
            self._session.prompt_async(
                "› ",
                bottom_toolbar=self._toolbar,
                refresh_interval=0.5,
                prompt_continuation="  ",
            )
        )
        try:
            while True:
                if self._events is None:
                    self._events = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({prompt, self._events}, return_when=asyncio.FIRST_COMPLETED)
                if prompt.done():
                    try:
                        return _to_message(prompt.result())
                    except EOFError:  # Ctrl-D: pause, like Ctrl-C
                        raise KeyboardInterrupt from None
                event = self._events.result()
                self._events = None
                if isinstance(event, ReminderDue):
                    self._warned = True
                    continue
                if isinstance(event, TimedOut):
                    text = await self._close(prompt)
                    self._warned = False
                    return _Dropped(event, text)
                assert isinstance(event, _Line)
                return event
        finally:
            if not prompt.done():
                prompt.cancel()

    async def _close(self, prompt: asyncio.Future[Any]) -> str:
        """End the editor at a time-out; returns the text typed but not entered."""
        text = self._session.default_buffer.text
        app = self._session.app
        if app.is_running and not app.is_done:
            self._session.default_buffer.reset()
            app.exit(result="")
        else:  # the editor had not started yet (the time-out was already waiting)
            prompt.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await prompt
        return text

    async def ask(self, question: str) -> str | None:
        from prompt_toolkit import PromptSession

        if self._ask_session is None:  # no countdown, no interview keys
            self._ask_session = PromptSession()
        try:
            return await self._ask_session.prompt_async(question)
        except EOFError:
            return None

    def reminder(self) -> bool:
        self._warned = True
        return True

    def item_changed(self) -> None:
        self._warned = False

    def _toolbar(self) -> Any:
        from prompt_toolkit.formatted_text import HTML

        owner = self._owner
        item = owner.current if owner else None
        if item is None or owner is None:
            return ""
        left = ""
        if item.deadline_at is not None:
            seconds = (item.deadline_at - owner.now()).total_seconds()
            left = f"⏱ {format_remaining(seconds)} left"
            if seconds <= 60 or self._warned:
                left = f"<style bg='ansired' fg='ansiwhite'> {left} (one minute or less) </style>"
        return HTML(f" {_escape(item.title)} · {left} · {_escape(TOOLBAR_KEYS)}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _to_message(result: Any) -> Message:
    return result if isinstance(result, _Key) else _Line(str(result))


def _key_bindings() -> Any:
    from prompt_toolkit.key_binding import KeyBindings

    kb = KeyBindings()

    def _send(command: str) -> Callable[[Any], None]:
        def handler(event: Any) -> None:
            # The typed text stays on the screen, as after Enter; it is saved before `command`.
            event.app.exit(result=_Key(command, event.current_buffer.text))

        return handler

    kb.add("c-s")(_send("."))
    kb.add("f2")(_send(":hint"))
    kb.add("f3")(_send(":skip"))

    @kb.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    return kb


class PracticeSession:
    def __init__(
        self,
        service: InterviewService,
        session: SessionView,
        queue: Queue,
        out: TextIO | Console = sys.stdout,
        *,
        line_input: LineInput | None = None,
        command: str = "mlmock",
    ) -> None:
        self._svc = service
        self._session = session
        self._session_id = session.id
        self.current: ItemView | None = session.current
        self._queue = queue
        self._console = out if isinstance(out, Console) else _console_for(out)
        self._input: LineInput = line_input or PlainInput(queue, self._console)
        self._keys = TTY_KEYS if isinstance(self._input, TerminalInput) else PLAIN_KEYS
        self._command = command
        service.subscribe(self._on_event)

    async def _on_event(self, event: Event) -> None:
        if event.session_id == self._session_id:
            self._queue.put_nowait(event)

    def _print(self, *renderables: RenderableType | str) -> None:
        emit(self._console, *renderables)

    def now(self) -> datetime:
        return self._svc.clock.now()

    async def run(self) -> Scorecard:
        """Drive the session to its end; on Ctrl-C pause it for later."""
        try:
            card = await self._loop()
        except (asyncio.CancelledError, KeyboardInterrupt):
            await asyncio.shield(self._svc.pause(self._session_id))
            self._print(
                f"\nPaused. Your answers so far are saved; run `{self._command} practice` "
                "to continue."
            )
            raise
        try:
            return await self.self_assess(card)
        except (KeyboardInterrupt, EOFError):
            self._print("\nSelf-assessment stopped; the scores given so far are saved.")
            return card

    async def _loop(self) -> Scorecard:
        if self.current is None:
            return await self._svc.scorecard(self._session_id)
        card = await self._svc.scorecard(self._session_id)
        self._print(render_intro(self._session, card))
        if self._session.track is Track.SYSTEM_DESIGN:
            self._print(render_scenario(self.current))
        self._show_current()
        while True:
            message = await self._input.next(self)
            if isinstance(message, _Dropped):
                if message.text.strip():
                    self._print(
                        Text(
                            f"(Time was up before you pressed Enter; this line was not saved: "
                            f"{message.text.strip()!r})",
                            style="dim",
                        )
                    )
                message = message.event
            if isinstance(message, TimedOut):
                if isinstance(self._input, PlainInput):
                    self._input.drop_pending()
                self._print(
                    f"\n⏰ Time is up for {_label(message.item.position, self.current)}: "
                    "what you wrote was kept."
                )
                if message.scorecard is not None:
                    return self._finish(message.scorecard)
                self.current = message.next_item
                assert self.current is not None
                self._show_current()
                continue
            if isinstance(message, ReminderDue):
                if not self._input.reminder():
                    self._print("⏳ One minute left.")
                continue
            if isinstance(message, _Key):
                assert self.current is not None
                if not await self._save(message.text, self.current.position):
                    continue
                message = _Line(message.command)
            card_or_none = await self._handle_line(message.text)
            if card_or_none is not None:
                return self._finish(card_or_none)

    def _show_current(self) -> None:
        assert self.current is not None
        if isinstance(self._input, TerminalInput):
            self._input.item_changed()
        self._print(render_item(self.current, self.now(), keys=self._keys))

    async def _handle_line(self, text: str | None) -> Scorecard | None:
        assert self.current is not None
        position = self.current.position
        if text is None:  # end of input: submit what is there, the rest is not reached
            view = await self._svc.view(self._session_id)
            if view.current and view.current.answer_text:
                advance = await self._svc.submit(self._session_id, position=view.current.position)
                if advance.scorecard is not None:
                    return advance.scorecard
            return await self._svc.end(self._session_id)
        command = text.strip()
        try:
            if command == ".":
                return await self._advance(
                    await self._svc.submit(self._session_id, position=position)
                )
            if command == ":skip":
                return await self._advance(
                    await self._svc.skip(self._session_id, position=position)
                )
            if command == ":end":
                return await self._svc.end(self._session_id)
            if command == ":hint":
                hint = await self._svc.hint(self._session_id, position=position)
                if hint.text is None:
                    self._print("No more hints for this question.")
                else:
                    self._print(
                        f"💡 Hint {hint.hints_used}/{hint.hints_available}: {hint.text}\n"
                        f"   (best reachable score now {int(hint.max_score)}/4)"
                    )
                return None
            if command == ":time":
                view = await self._svc.view(self._session_id)
                if view.current and view.current.deadline_at:
                    left = (view.current.deadline_at - self.now()).total_seconds()
                    self._print(f"⏱  {format_remaining(left)} left.")
                return None
            if command == ":scenario":
                if self.current.question.track is Track.SYSTEM_DESIGN:
                    self._print(render_scenario(self.current))
                else:
                    self._print(render_item(self.current, self.now(), keys=self._keys))
                return None
            if command == ":help":
                self._print(HELP)
                return None
            if command.startswith(":") and " " not in command:
                self._print(f"Unknown command {command!r}. Type :help for the list.")
                return None
        except StaleAction:
            self._print("(That question has closed; the line was not added.)")
            return None
        except InterviewError as exc:
            self._print(str(exc))
            return None
        await self._save(text, position)
        return None

    async def _save(self, text: str, position: int) -> bool:
        if not text.strip():
            return True
        try:
            await self._svc.add_answer(self._session_id, text, position=position)
        except StaleAction:
            self._print("(That question has closed; the line was not added.)")
            return False
        except InterviewError as exc:
            self._print(str(exc))
            return False
        return True

    async def _advance(self, advance: Advance) -> Scorecard | None:
        if advance.scorecard is not None:
            return advance.scorecard
        self.current = advance.next_item
        assert self.current is not None
        self._print("Saved.\n")
        self._show_current()
        return None

    def _finish(self, card: Scorecard) -> Scorecard:
        self._print()
        if isinstance(self._input, TerminalInput):
            page(self._console, render_scorecard(card))  # read from the score table down
        else:
            self._print(render_scorecard(card))
        return card

    async def self_assess(self, card: Scorecard) -> Scorecard:
        """Ask for the candidate's own score per answered item; a human score wins over the
        automatic one (stored with the same service call the Discord flow uses)."""
        items = [i for i in card.items if i.status is not ItemStatus.NOT_REACHED]
        if not items:
            return card
        self._print(
            "\nSelf-assessment: your own score wins over the automatic one. For each item type "
            "1-4, or press Enter to keep the automatic score."
        )
        for n, item in enumerate(card.items, 1):
            if item.status is ItemStatus.NOT_REACHED:
                continue
            answer = await self._input.ask(
                f"{n}. {item.label} (automatic {score_label(item.auto_score)}) [1-4, Enter keeps]: "
            )
            if answer is None:
                break
            answer = answer.strip()
            if not answer:
                continue
            if answer not in ("1", "2", "3", "4"):
                self._print("  (not a score from 1 to 4: kept the automatic score)")
                continue
            card = await self._svc.set_self_score(self._session_id, item.position, int(answer))
            self._print(f"  stored: {score_label(int(answer))}")
        verdict = card.verdict
        changed = any(i.self_score is not None for i in card.items)
        if changed and verdict is not None and card.mean is not None:
            self._print(f"Verdict with your scores: {verdict.label} (mean {card.mean:.2f} / 4)")
        return card


def _console_for(out: TextIO) -> Console:
    from bot.terminal.render import make_console

    return make_console(out, plain=True)


def _label(position: int, current: ItemView | None) -> str:
    return current.title.lower() if current and current.position == position else "that question"
