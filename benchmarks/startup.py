"""Start-up time of the command line, against the interpreter's own start-up.

Measures, as the median of several runs (wall clock, fresh processes):
- ``python -c pass``: the floor every command pays;
- ``mlmock --help``;
- ``mlmock practice`` until its first question is on the screen (answers piped; the database
  already exists, as on every run after the first), the same on a fresh database, and the same
  through a pseudo-terminal (the interactive editor).

Prints the figures and their ratios to ``python -c pass``; asserts nothing.

    .venv/bin/python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI_BANK = ROOT / "tests" / "fixtures" / "mini_bank"
FIRST_QUESTION = b"Question 1 of"


def _script() -> list[str]:
    script = Path(sys.executable).parent / "mlmock"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _env(data_dir: Path, bank: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BANK_PATH")}
    env["DATA_DIR"] = str(data_dir)
    if bank is not None:
        env["BANK_PATH"] = str(bank)
    return env


def _time_run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _time_first_question(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds until the first question's title is written, then end the interview."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout and proc.stdin
    seen = b""
    elapsed = float("nan")
    while chunk := proc.stdout.read1(4096):
        seen += chunk
        if FIRST_QUESTION in seen:
            elapsed = time.perf_counter() - start
            break
    proc.stdin.write(b":end\n")
    proc.stdin.close()
    proc.stdout.read()
    proc.wait(timeout=60)
    return elapsed


def _time_first_question_on_a_terminal(cmd: list[str], env: dict[str, str]) -> float:
    """The same through a pseudo-terminal (the prompt_toolkit editor); once the editor runs,
    Ctrl-C pauses the interview and the process ends."""
    import pty
    import select

    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=dict(env, TERM="xterm"), stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    seen = b""
    elapsed = float("nan")
    interrupted = False
    while time.perf_counter() < start + 30 and proc.poll() is None:
        if not select.select([master], [], [], 0.2)[0]:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        seen += chunk
        if elapsed != elapsed and FIRST_QUESTION in seen:  # nan: not seen yet
            elapsed = time.perf_counter() - start
        if b"\x1b[6n" in chunk:  # the editor asks where the cursor is: answer as a terminal
            os.write(master, b"\x1b[1;1R")
        if elapsed == elapsed and not interrupted and b"\x1b[?2004h" in seen:
            os.write(master, b"\x03")  # the editor is running: Ctrl-C pauses and exits
            interrupted = True
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    os.close(master)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--bundled", action="store_true", help="use the bundled bank instead of the test bank"
    )
    args = parser.parse_args()
    bank = None if args.bundled else MINI_BANK
    script = _script()
    work = Path(tempfile.mkdtemp(prefix="mlmock-startup-"))
    try:
        env = _env(work / "data", bank)
        practice = [*script, "practice", "--new"]
        _time_first_question(practice, env)  # creates and migrates the database once
        results: dict[str, list[float]] = {"python -c pass": [], "mlmock --help": []}
        results["practice: first question"] = []
        results["practice: first question, new database"] = []
        results["practice on a terminal: first question"] = []
        for run in range(args.runs):
            results["python -c pass"].append(_time_run([sys.executable, "-c", "pass"], env))
            results["mlmock --help"].append(_time_run([*script, "--help"], env))
            results["practice: first question"].append(_time_first_question(practice, env))
            fresh = _env(work / f"fresh-{run}", bank)
            results["practice: first question, new database"].append(
                _time_first_question(practice, fresh)
            )
            results["practice on a terminal: first question"].append(
                _time_first_question_on_a_terminal(practice, env)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = statistics.median(results["python -c pass"])
    print(
        f"{' '.join(script)}  (median of {args.runs} runs, bank: {'bundled' if bank is None else 'tests/fixtures/mini_bank'})"
    )
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:42} {median:6.3f} s   x{median / floor:5.1f} of python -c pass")


if __name__ == "__main__":
    main()
