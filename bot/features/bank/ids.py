"""custom_ids of the bank admin feature's modals and buttons: built and parsed in one place.

Everything a handler needs travels in the custom_id (Discord allows 100 characters), so a modal
or a button keeps working after a restart. Tracks and difficulties use one-letter codes to fit.
"""

from __future__ import annotations

import re

from bot.core.questions import Difficulty, Track

PREFIX = "mlmock:bank"
TOPIC_MAX = 32
ID_MAX = 40

TRACK_CODE = {Track.PHONE_SCREEN.value: "p", Track.TECHNICAL.value: "t", "system-design": "s"}
LEVEL_CODE = {Difficulty.EASY.value: "e", Difficulty.MEDIUM.value: "m", Difficulty.HARD.value: "h"}
TRACK_OF = {code: value for value, code in TRACK_CODE.items()}
LEVEL_OF = {code: value for value, code in LEVEL_CODE.items()}

_SLUG = r"[a-z0-9-]*"
# New question (add) or suggestion (sug): options of the command, then an optional id.
NEW_RE = re.compile(
    rf"{PREFIX}:(?P<kind>add|sug):(?P<t>[pts])(?P<d>[emh]):(?P<minutes>\d+):"
    rf"(?P<topic>{_SLUG}):(?P<qid>{_SLUG})"
)
# Edit of an active question: its row, then option overrides ("-"/0/empty: keep).
EDIT_RE = re.compile(
    rf"{PREFIX}:edit:(?P<row>\d+):(?P<d>[emh-]):(?P<minutes>\d+):(?P<topic>{_SLUG})"
)
REVIEW_EDIT_RE = re.compile(rf"{PREFIX}:redit:(?P<row>\d+)")
REJECT_RE = re.compile(rf"{PREFIX}:reject:(?P<row>\d+)")

PAGE_TEMPLATE = (
    rf"{PREFIX}:page:(?P<page>\d+):(?P<bundled>[01]):(?P<track>[pts-]):(?P<topic>{_SLUG})"
)
REVIEW_TEMPLATE = rf"{PREFIX}:review:(?P<action>approve|edit|reject):(?P<row>\d+)"
RETRY_TEMPLATE = rf"{PREFIX}:retry:(?P<token>[A-Za-z0-9_-]+)"

_is_slug = re.compile(r"[a-z0-9-]+").fullmatch


def slug_option(value: str) -> str | None:
    """A topic or id as typed ("Bias Variance" -> "bias-variance"), or None if not a slug."""
    cleaned = "-".join(value.strip().lower().split())
    return cleaned if _is_slug(cleaned) else None


def new_id(kind: str, track: str, difficulty: str, minutes: int, topic: str, qid: str) -> str:
    code = f"{TRACK_CODE[track]}{LEVEL_CODE[difficulty]}"
    return _checked(f"{PREFIX}:{kind}:{code}:{minutes}:{topic}:{qid}")


def edit_id(row_id: int, difficulty: str | None, minutes: int | None, topic: str | None) -> str:
    level = LEVEL_CODE[difficulty] if difficulty else "-"
    return _checked(f"{PREFIX}:edit:{row_id}:{level}:{minutes or 0}:{topic or ''}")


def review_edit_id(row_id: int) -> str:
    return f"{PREFIX}:redit:{row_id}"


def reject_id(row_id: int) -> str:
    return f"{PREFIX}:reject:{row_id}"


def page_id(page: int, bundled: bool, track: str | None, topic: str | None) -> str:
    code = TRACK_CODE[track] if track else "-"
    return _checked(f"{PREFIX}:page:{page}:{int(bundled)}:{code}:{topic or ''}")


def review_id(action: str, row_id: int) -> str:
    return f"{PREFIX}:review:{action}:{row_id}"


def retry_id(token: str) -> str:
    return f"{PREFIX}:retry:{token}"


def _checked(custom_id: str) -> str:
    # Option lengths are limited (TOPIC_MAX, ID_MAX) so that this always holds.
    assert len(custom_id) <= 100, custom_id
    return custom_id
