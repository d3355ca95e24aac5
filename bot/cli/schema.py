"""Skip the migration step when a local SQLite database is already at the newest schema.

Running Alembic costs a few hundred milliseconds (importing it, loading its scripts) on every
start of `mlmock practice` or `mlmock history`, although the schema changes only on upgrades.
This reads the revision stored in the database with the standard library and compares it with
the single head of ``migrations/versions``; anything unusual (PostgreSQL, no database yet,
several heads, a file it cannot read) answers "not current", and the caller migrates as before.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?=\s*(.+)$", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revision(versions: Path) -> str | None:
    """The one revision no other revision builds on, or None when that is not clear."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        down = _DOWN.search(text)
        if not found or not down:
            return None
        revisions.add(found.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def sqlite_file(url: str) -> Path | None:
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("sqlite") or "?" in rest or not rest.startswith("/"):
        return None
    database = rest[1:]
    if not database or database == ":memory:":
        return None
    return Path(database)


def schema_is_current(url: str, migrations: Path) -> bool:
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return False
    try:
        head = head_revision(migrations / "versions")
        if head is None:
            return False
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute("select version_num from alembic_version").fetchall()
    except (OSError, sqlite3.Error, UnicodeDecodeError):
        return False
    return [r[0] for r in rows] == [head]
