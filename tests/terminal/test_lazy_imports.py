"""A plain `mlmock practice` reaches its first question without importing what only some runs
need: the AI interviewer (and the ``openai`` client) and ``prometheus_client``.

The practice command runs in a child process whose standard output notes which of those modules
are loaded at the moment the first question is written; the interview is then ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MINI_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "mini_bank"
# Module prefixes a plain run must not load before its first question (the AI's tables,
# ``bot.features.interviews.ai_models``, belong to the schema and are loaded by every run).
OPTIONAL = (
    "openai",
    "prometheus_client",
    "bot.ai",
    "bot.features.interviews.ai_marking",
    "bot.features.interviews.ai_follow_ups",
    "bot.features.interviews.ai_usage",
)
MARKER = "LOADED-AT-FIRST-QUESTION "

# Runs `mlmock practice --plain` in-process; when "Question 1 of" is written, prints the optional
# modules then loaded (as JSON on a line of its own).
DRIVER = f"""
import json, sys
OPTIONAL = {OPTIONAL!r}
write = sys.stdout.write
noted = []
def watching(text):
    if not noted and "Question 1 of" in text:
        noted.append(sorted(m for m in sys.modules if m.startswith(OPTIONAL)))
        write("\\n{MARKER}" + json.dumps(noted[0]) + "\\n")
    return write(text)
sys.stdout.write = watching
from bot.cli import main
sys.exit(main(["practice", "--new", "--plain"]))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    # No LLM and no metrics port: the AI interviewer and the metrics endpoint are off.
    drop = ("DATABASE_URL", "BANK_PATH", "DATA_DIR", "LLM_BASE_URL", "METRICS_PORT")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATA_DIR=str(tmp_path / "data"), BANK_PATH=str(MINI_BANK), PYTHONUNBUFFERED="1")
    return env


def test_plain_practice_loads_neither_the_ai_nor_prometheus(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=":end\n",
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, result.stdout  # the first question was shown
    assert json.loads(lines[0].removeprefix(MARKER)) == []


def test_the_driver_sees_modules_that_are_loaded(tmp_path: Path) -> None:
    """The same check notices a module that is loaded (so an empty list above means something):
    here bot.ai, imported by a sitecustomize-like start before the command runs."""
    driver = "import bot.ai\n" + DRIVER
    result = subprocess.run(
        [sys.executable, "-c", driver],
        input=":end\n",
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(MARKER))
    assert "bot.ai" in json.loads(line.removeprefix(MARKER))
