"""The terminal practice loop: one queue merges typed lines and engine events (time-outs,
reminders), so a time-out can move the interview on while the user is typing.

Every line is stored as it is entered: killing the process loses nothing already typed.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from bot.core.session import ItemView, Scorecard, SessionView
from bot.features.interviews.service import InterviewService
from bot.features.interviews.types import (
    Advance,
    Event,
    InterviewError,
    ReminderDue,
    StaleAction,
    TimedOut,
)
from bot.terminal.render import format_remaining, render_item, render_scorecard

HELP = """Commands (alone on a line):
  .        submit the answer to this question and move on
  :hint    show a hint (each hint lowers the best score reachable on this question)
  :skip    skip this question
  :time    show the time left
  :end     end the interview now and see the scorecard
  :help    this list
Anything else is part of your answer; it is saved line by line."""


@dataclass(frozen=True)
class _Line:
    text: str | None  # None: end of input


Queue = asyncio.Queue[_Line | Event]


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


class PracticeSession:
    def __init__(
        self,
        service: InterviewService,
        session: SessionView,
        queue: Queue,
        out: TextIO = sys.stdout,
    ) -> None:
        self._svc = service
        self._session_id = session.id
        self._current: ItemView | None = session.current
        self._queue = queue
        self._out = out
        service.subscribe(self._on_event)

    async def _on_event(self, event: Event) -> None:
        if event.session_id == self._session_id:
            self._queue.put_nowait(event)

    def _print(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def _now(self) -> datetime:
        return self._svc.clock.now()

    async def run(self) -> Scorecard:
        """Drive the session to its end; on cancellation (Ctrl-C) pause it for later."""
        try:
            return await self._loop()
        except asyncio.CancelledError:
            await asyncio.shield(self._svc.pause(self._session_id))
            self._print(
                "\nPaused. Your answers so far are saved; run `python -m bot practice` to continue."
            )
            raise

    async def _loop(self) -> Scorecard:
        if self._current is None:
            return await self._svc.scorecard(self._session_id)
        self._print(render_item(self._current, self._now()))
        while True:
            message = await self._queue.get()
            if isinstance(message, TimedOut):
                self._print(
                    f"\n⏰ Time is up for {_label(message.item.position, self._current)}: "
                    "what you wrote was kept."
                )
                if message.scorecard is not None:
                    return self._finish(message.scorecard)
                self._current = message.next_item
                assert self._current is not None
                self._print(render_item(self._current, self._now()))
                continue
            if isinstance(message, ReminderDue):
                self._print("⏳ One minute left.")
                continue
            card = await self._handle_line(message.text)
            if card is not None:
                return self._finish(card)

    async def _handle_line(self, text: str | None) -> Scorecard | None:
        assert self._current is not None
        position = self._current.position
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
                    left = (view.current.deadline_at - self._now()).total_seconds()
                    self._print(f"⏱  {format_remaining(left)} left.")
                return None
            if command == ":help":
                self._print(HELP)
                return None
            if command.startswith(":") and " " not in command:
                self._print(f"Unknown command {command!r}. Type :help for the list.")
                return None
            if command:
                await self._svc.add_answer(self._session_id, text, position=position)
        except StaleAction:
            self._print("(That question has closed; the line was not added.)")
        except InterviewError as exc:
            self._print(str(exc))
        return None

    async def _advance(self, advance: Advance) -> Scorecard | None:
        if advance.scorecard is not None:
            return advance.scorecard
        self._current = advance.next_item
        assert self._current is not None
        self._print("Saved.\n")
        self._print(render_item(self._current, self._now()))
        return None

    def _finish(self, card: Scorecard) -> Scorecard:
        self._print()
        self._print(render_scorecard(card))
        return card


def _label(position: int, current: ItemView | None) -> str:
    return current.title.lower() if current and current.position == position else "that question"
