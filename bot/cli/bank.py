"""`mlmock bank validate|stats [PATH ...]`: check the question bank, or count what it holds.

Problems go to stdout (one per line, ``file:line:column: question-id: message``, sorted by file
and position) so they can be piped or parsed by an editor; the one-line summary goes to stderr.
Exit codes: 0 valid, 1 problems found (``stats`` still prints the valid questions' counts),
2 usage error (e.g. a path that does not exist).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import UsageError, command_name
from bot.core.questions import Difficulty, Track

if TYPE_CHECKING:
    from bot.core.bank import BankLoadResult
    from bot.core.questions import Question

_LEVELS = tuple(sorted(Difficulty, key=lambda d: d.rank))


def register(sub: Any) -> None:
    parser = sub.add_parser("bank", help="validate the question bank or show what it holds")
    parser.set_defaults(func=_no_action)
    actions = parser.add_subparsers(dest="bank_command", metavar="ACTION")

    validate = actions.add_parser(
        "validate",
        help="check YAML files against the bank format; exit 1 if any problem",
        description="Report every problem in the given YAML files or folders "
        "(default: the bundled bank) as file:line:column: question-id: message.",
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.set_defaults(func=_validate)

    stats = actions.add_parser(
        "stats",
        help="count questions per track, difficulty and topic",
        description="Count valid questions per track x difficulty and per topic.",
    )
    stats.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    stats.set_defaults(func=_stats)


def _no_action(args: argparse.Namespace) -> int:
    raise UsageError("choose an action: validate or stats")


def _load(paths: Sequence[Path]) -> BankLoadResult:
    """Load the given paths (default: the bundled bank); wrong paths are usage errors."""
    from bot.core.bank import bundled_bank_path, load_bank
    from bot.core.bank.loader import YAML_SUFFIXES, find_bank_files

    if not paths:
        paths = [_relative_to_cwd(bundled_bank_path())]
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
        if path.is_file() and path.suffix not in YAML_SUFFIXES:
            raise UsageError(f"not a YAML file (expected .yaml or .yml): {path}")
    if not find_bank_files(paths):
        raise UsageError(f"no .yaml files found in: {', '.join(str(p) for p in paths)}")
    return load_bank(paths)


def _relative_to_cwd(path: Path) -> Path:
    # Shorter problem lines ("question_bank/technical/nlp.yaml:...") when run from the repo.
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _validate(args: argparse.Namespace) -> int:
    result = _load(args.paths)
    for problem in result.problems:
        print(problem)
    if result.ok:
        summary = f"OK: {_plural(len(result.questions), 'question')} in "
        print(summary + _plural(len(result.files), "file"), file=sys.stderr)
        return 0
    files = len({p.file for p in result.problems})
    print(
        f"{_plural(len(result.problems), 'problem')} in {_plural(files, 'file')} "
        f"({_plural(result.questions_checked, 'question')} checked)",
        file=sys.stderr,
    )
    return 1


def _stats(args: argparse.Namespace) -> int:
    result = _load(args.paths)
    print("\n".join(format_stats(result.questions)))
    if result.ok:
        return 0
    print(
        f"warning: {_plural(len(result.problems), 'problem')} found; only valid questions are "
        f"counted (run `{command_name()} bank validate` for details)",
        file=sys.stderr,
    )
    return 1


def format_stats(questions: Sequence[Question]) -> list[str]:
    """Two tables: track x difficulty (with totals), then topic x difficulty grouped by track."""
    by_track = Counter((q.track, q.difficulty) for q in questions)
    by_topic = Counter((q.track, q.topic, q.difficulty) for q in questions)
    topics = sorted({(q.track, q.topic) for q in questions}, key=lambda t: (_order(t[0]), t[1]))
    width = max([len("system-design"), *(len(topic) + 2 for _, topic in topics)])
    header = f"{'':<{width}}" + "".join(f"{d.value:>8}" for d in _LEVELS) + f"{'total':>8}"

    def row(label: str, counts: Sequence[int]) -> str:
        return f"{label:<{width}}" + "".join(f"{n:>8}" for n in counts) + f"{sum(counts):>8}"

    lines = ["Questions per track and difficulty", header]
    for track in Track:
        lines.append(row(track.value, [by_track[track, d] for d in _LEVELS]))
    lines.append(row("total", [sum(by_track[t, d] for t in Track) for d in _LEVELS]))
    lines += ["", "Questions per topic", header]
    current: Track | None = None
    for track, topic in topics:
        if track is not current:
            lines.append(track.value)
            current = track
        lines.append(row(f"  {topic}", [by_topic[track, topic, d] for d in _LEVELS]))
    return lines


def _order(track: Track) -> int:
    return list(Track).index(track)
