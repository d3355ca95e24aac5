"""The interactive editor: a time-out drops the half-typed line (in process, with a fake clock),
and a short interview typed into the real prompt_toolkit UI through a pseudo-terminal."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.formats import Length
from bot.core.questions import Track
from bot.terminal.practice import PracticeSession, Queue, TerminalInput
from bot.terminal.render import make_console

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(500):  # ten seconds
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"waited in vain for {what}")


async def test_a_time_out_drops_the_half_typed_line(tmp_path: Path) -> None:
    from prompt_toolkit.application import create_app_session, get_app_or_none
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3", bank_path=MINI_BANK
    )
    clock = FakeClock()
    out = io.StringIO()
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        async with open_app(settings, scope="local", clock=clock, start_scheduler=False) as app:
            svc = app.interviews
            user = await svc.ensure_user("local", "local", "you")
            session = await svc.start(
                user, Track.TECHNICAL, Length.SHORT, platform="local", questions=2
            )
            queue: Queue = asyncio.Queue()
            runner = PracticeSession(
                svc, session, queue, make_console(out, plain=True), line_input=TerminalInput(queue)
            )
            await app.start_scheduler()
            task = asyncio.create_task(runner.run())

            async def answer(position: int) -> str:
                card = await svc.scorecard(session.id)
                return card.items[position].answer_text

            async def on_second() -> bool:
                view = await svc.view(session.id)
                return view.current is not None and view.current.position == 1

            keys.send_text("first line\r")
            await _until(lambda: _eq(answer(0), "first line"), "the first line")
            keys.send_text("half typed")

            async def in_the_editor() -> bool:  # typed, not only sent (no fixed pause)
                app = get_app_or_none()
                return app is not None and app.current_buffer.text == "half typed"

            await _until(in_the_editor, "the half-typed line in the editor")
            clock.advance(minutes=10)  # the first question times out mid-line
            await _until(on_second, "the second question")
            keys.send_text("second answer\r")
            await _until(lambda: _eq(answer(1), "second answer"), "the second answer")
            keys.send_text(":end\r")
            keys.send_text("\x04")  # end of input at the self-assessment: keep the scores
            card = await asyncio.wait_for(task, 10)
    assert [i.answer_text for i in card.items] == ["first line", "second answer"]
    text = out.getvalue()
    assert "Time is up for question 1 of 2" in text
    assert "this line was not saved: 'half typed'" in text


async def _eq(value: Awaitable[str], expected: str) -> bool:
    return await value == expected


def _pexpect():  # type: ignore[no-untyped-def]
    return pytest.importorskip("pexpect")


CPR = r"\x1b\[6n"  # prompt_toolkit asks where the cursor is; a terminal answers


def _expect(child, pattern, timeout: float = -1):  # type: ignore[no-untyped-def]
    """``child.expect(pattern)``, answering cursor-position requests on the way, as a real
    terminal does (without an answer prompt_toolkit shows no bottom toolbar)."""
    while True:
        index = child.expect([CPR, pattern], timeout=timeout)
        if index == 0:
            child.send("\x1b[1;1R")
            continue
        return


def _spawn(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    pexpect = _pexpect()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BANK_PATH")}
    env.update(DATA_DIR=str(tmp_path / "data"), BANK_PATH=str(MINI_BANK), TERM="xterm")
    return pexpect.spawn(
        sys.executable,
        ["-m", "bot", "practice", *args],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(200, 80),  # the scorecard fits: the pager (less -F) returns at once
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_typing_a_short_interview_into_the_real_editor(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--questions", "2")
    _expect(child, "Question 1 of 2")
    _expect(child, "Ctrl-S submit · F2 hint")  # the toolbar: the editor is running
    child.send("It is overfitting,\r")
    child.send("I would use k-fold cross-validation.")
    child.send("\x13")  # Ctrl-S: saves the typed text, then submits
    _expect(child, "Question 2 of 2")
    _expect(child, "Ctrl-S submit · F2 hint")
    child.send("\x1bOQ")  # F2: a hint
    _expect(child, "Hint 1/")
    child.send(":end\r")
    _expect(child, "Scorecard")
    _expect(child, r"\[1-4, Enter keeps\]")
    child.send("3\r")
    _expect(child, "stored: 3/4 Hire")  # question 2 was never answered: not asked
    _expect(child, "history")
    _expect(child, _pexpect().EOF)
    child.close()
    assert child.exitstatus == 0
    with sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3") as conn:
        parts = [r[0] for r in conn.execute("select text from answer_parts order by id")]
        scores = conn.execute("select self_score, hints_used from answers order by position")
        rows = scores.fetchall()
    assert parts == ["It is overfitting,", "I would use k-fold cross-validation."]
    assert rows == [(3, 0), (None, 1)]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_follow_up_typed_into_the_real_editor(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--questions", "1", "--follow-ups")
    _expect(child, "Question 1 of 1")
    _expect(child, "Ctrl-S submit · F2 hint")
    child.send("It is overfitting.")
    child.send("\x13")  # Ctrl-S: submit; the interviewer follows up
    _expect(child, "Interviewer: ")
    _expect(child, "Follow-up on question 1 of 1")  # the toolbar says where we are
    child.send("A reply typed in the editor.")
    child.send("\x13")
    _expect(child, "Scorecard")
    _expect(child, r"\[1-4, Enter keeps\]")
    child.send("\r")
    _expect(child, "history")
    _expect(child, _pexpect().EOF)
    child.close()
    assert child.exitstatus == 0
    with sqlite3.connect(tmp_path / "data" / "mlmock.sqlite3") as conn:
        parts = [r[0] for r in conn.execute("select text from answer_parts order by id")]
        follow_up_from = conn.execute("select follow_up_from from answers").fetchone()[0]
    assert parts == ["It is overfitting.", "A reply typed in the editor."]
    assert follow_up_from == 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_ctrl_c_pauses_and_works_at_the_continue_question(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--questions", "2")
    _expect(child, "Question 1 of 2")
    _expect(child, "Ctrl-S submit · F2 hint")
    child.send("a first line\r")
    child.send("\x03")  # Ctrl-C while answering: pause
    _expect(child, "Paused")
    _expect(child, _pexpect().EOF)
    child.close()
    assert child.exitstatus == 130

    again = _spawn(tmp_path)
    _expect(again, r"Continue it\? \[Y/n\]")
    again.send("\x03")  # Ctrl-C at the question: leaves at once, nothing hangs
    _expect(again, _pexpect().EOF, timeout=10)
    again.close()
    assert again.exitstatus == 130


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_history_show_pages_a_long_scorecard(tmp_path: Path) -> None:
    pexpect = _pexpect()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BANK_PATH", "LESS")}
    env.update(DATA_DIR=str(tmp_path / "data"), BANK_PATH=str(MINI_BANK), TERM="xterm")
    piped = subprocess.run(
        [sys.executable, "-m", "bot", "practice", "--questions", "3"],
        input="It is overfitting.\n.\nBayes\n.\nBias up, variance down.\n.\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "history", "--show", "1"],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(20, 80),
    )
    _expect(child, "Scorecard")
    _expect(child, "Verdict")
    with pytest.raises(pexpect.TIMEOUT):  # the pager waits on the first screen
        _expect(child, pexpect.EOF, timeout=2)
    child.send("q")
    _expect(child, pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


async def test_a_time_out_already_waiting_when_the_editor_opens(tmp_path: Path) -> None:
    from prompt_toolkit.application import create_app_session, get_app_or_none
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3", bank_path=MINI_BANK
    )
    clock = FakeClock()
    out = io.StringIO()
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        async with open_app(settings, scope="local", clock=clock, start_scheduler=False) as app:
            svc = app.interviews
            user = await svc.ensure_user("local", "local", "you")
            session = await svc.start(
                user, Track.TECHNICAL, Length.SHORT, platform="local", questions=2
            )
            queue: Queue = asyncio.Queue()
            runner = PracticeSession(
                svc, session, queue, make_console(out, plain=True), line_input=TerminalInput(queue)
            )
            clock.advance(minutes=10)  # overdue before the editor ever opens
            await app.start_scheduler()
            await _until(lambda: _has_event(queue), "the overdue time-out")
            task = asyncio.create_task(runner.run())

            async def on_second() -> bool:
                view = await svc.view(session.id)
                return view.current is not None and view.current.position == 1

            await _until(on_second, "the second question")

            async def editing_the_second() -> bool:
                # Told of the time-out, then an editor open: the one for question 2. Typing
                # before it opens would go to no prompt (a fixed pause was flaky under load).
                app = get_app_or_none()
                told = "Time is up for question 1 of 2" in out.getvalue()
                return told and app is not None and app.is_running

            await _until(editing_the_second, "the editor on the second question")
            keys.send_text("late answer\r:end\r\x04")
            card = await asyncio.wait_for(task, 10)
    assert [i.answer_text for i in card.items] == ["", "late answer"]
    assert "Time is up for question 1 of 2" in out.getvalue()


async def _has_event(queue: Queue) -> bool:
    return not queue.empty()
