"""Where the practice loop's lines come from: a prompt_toolkit editor on a terminal, or a
thread reading standard input on a pipe; and the messages both hand to the loop."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from rich.console import Console

from bot.features.interviews.types import Event, ReminderDue, TimedOut
from bot.terminal.render import format_remaining

if TYPE_CHECKING:
    from datetime import datetime

    from prompt_toolkit import PromptSession

    from bot.core.session import ItemView


class Owner(Protocol):
    """What an input needs of the practice session it serves: the item and the clock."""

    @property
    def current(self) -> ItemView | None: ...

    def now(self) -> datetime: ...


COMMANDS = (".", ":hint", ":skip", ":end", ":time", ":scenario", ":ask", ":help")

PLAIN_KEYS = "Finish with a line holding only '.'  ·  :hint  :skip  :end  :time  :help"
TTY_KEYS = "Enter saves a line · Ctrl-S submits · :help"
TOOLBAR_KEYS = "Ctrl-S submit · F2 hint · F3 skip · :help"

HELP = """Commands (alone on a line):
  .          submit the answer to this question and move on   (terminal: Ctrl-S)
  :hint      show a hint (each hint lowers the best score reachable)  (terminal: F2)
  :skip      skip this question, or pass a follow-up without penalty  (terminal: F3)
  :scenario  show a system-design question's full scenario again
  :ask TEXT  ask the interviewer a clarifying question (system design, clarify phase)
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
    async def next(self, session: Owner) -> Message: ...

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

    async def next(self, session: Owner) -> Message:
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
        self._owner: Owner | None = None
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

    async def next(self, session: Owner) -> Message:
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
