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
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

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
from bot.terminal.ai import ClarifyChat
from bot.terminal.inputs import (
    HELP,
    PLAIN_KEYS,
    TTY_KEYS,
    LineInput,
    PlainInput,
    Queue,
    StdinLines,
    TerminalInput,
    _Dropped,
    _Key,
    _Line,
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

if TYPE_CHECKING:  # imported by the runs that use the AI (--ai), not by every start
    from bot.features.interviews.ai_marking import AIMarking

__all__ = ["PracticeSession", "Queue", "StdinLines", "TerminalInput"]


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
        ai: AIMarking | None = None,
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
        # ``ai`` is None unless --ai: then nothing is sent anywhere, and :ask answers from the
        # scenario's own sentences.
        self._ai = ai
        self._clarify = ClarifyChat(ai.interviewer if ai is not None else None)
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
                    return await self._finish(message.scorecard)
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
                return await self._finish(card_or_none)

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
            if command == ":ask" or command.startswith(":ask "):
                await self._ask_interviewer(command.removeprefix(":ask").strip(), position)
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
        self._print("Saved. One follow-up on that answer:\n" if advance.follow_up else "Saved.\n")
        self._show_current()
        return None

    async def _ask_interviewer(self, question: str, position: int) -> None:
        """A clarifying question: kept in the answer (asking is part of clarifying), answered."""
        assert self.current is not None
        if not ClarifyChat.applies(self.current):
            self._print(":ask works in the clarify phase of a system-design interview.")
            return
        if not question:
            self._print("Type your question after :ask, e.g. :ask How many daily users?")
            return
        if not await self._save(question, position):
            return
        reply, flag = await self._clarify.ask(self.current, question)
        self._print(Text(f"Interviewer: {reply}", style="cyan"))
        if flag:
            self._print(Text(flag, style="dim"))

    async def _finish(self, card: Scorecard) -> Scorecard:
        self._print()
        marks = None
        if self._ai is not None:
            self._print(Text("The AI interviewer is checking the grades…", style="dim"))
            marks = await self._ai.mark_session(self._session_id, guild_id=None)
            card = await self._svc.scorecard(self._session_id)  # with the combined scores
        if isinstance(self._input, TerminalInput):
            page(self._console, render_scorecard(card, ai=marks))  # read from the table down
        else:
            self._print(render_scorecard(card, ai=marks))
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
