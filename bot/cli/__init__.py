"""`mlmock ...` (or `python -m bot ...`): one argparse tree; each sub-command lives in its own
module.

Building the parser imports only argparse and the small enums the options list: the database,
Discord and the scorer are imported by the command that needs them, so `mlmock --help` is quick.

Exit codes: 0 success, 1 the command ran and found a problem, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from functools import cache
from importlib import import_module
from pathlib import Path

# Each module exposes ``register(subparsers)`` which adds its parser and sets ``func``.
_COMMAND_MODULES = ("bank", "db", "practice", "history", "run")
SCRIPT = "mlmock"

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A wrong option or argument: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints the whole usage block; users asked for one clear line.
        self.exit(2, f"{self.prog}: error: {message}\n")


@cache
def command_name() -> str:
    """How the user can start this program again from where they stand: ``mlmock`` when it is
    on PATH, else the path of the installed script (``.venv/bin/mlmock``), else
    ``python -m bot`` with this interpreter."""
    script = Path(sys.executable).parent / SCRIPT
    on_path = shutil.which(SCRIPT)
    if on_path and script.exists():
        try:
            if os.path.samefile(on_path, script):
                return SCRIPT
        except OSError:
            pass
    if script.exists():
        try:
            return str(script.relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    if on_path:
        return SCRIPT
    return f"{_shown(Path(sys.executable))} -m bot"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return "python" if shutil.which("python") == str(path) else str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=command_name(),
        description="Mock interviews for ML-engineer candidates: Discord bot and terminal.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        module = import_module(f"bot.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from bot.config import ConfigError
    from bot.storage.problems import DatabaseUnavailable

    try:
        return func(args)
    except UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"{parser.prog}: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"{parser.prog}: database error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`mlmock history | head`): not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
