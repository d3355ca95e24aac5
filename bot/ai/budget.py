"""A per-guild daily token budget: pure bookkeeping, no clock and no I/O of its own.

The caller says which guild and which day (UTC) a call belongs to; the budget answers whether
an estimated cost still fits and records what the server reports it used. Old days are dropped
as new ones arrive, so memory stays bounded by the number of guilds.

The limit is checked before a call (against an estimate) and charged after it (with the usage
the server reports), so calls already in flight can overshoot it by at most their own size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LOCAL = "local"  # the terminal tool and any call without a guild share this key


def guild_key(guild_id: int | str | None) -> str:
    return LOCAL if guild_id is None else str(guild_id)


@dataclass
class TokenBudget:
    daily_limit: int
    _used: dict[tuple[str, date], int] = field(default_factory=dict)
    _latest: date | None = None

    def __post_init__(self) -> None:
        if self.daily_limit < 1:
            raise ValueError("daily_limit must be at least 1 token")

    def used(self, guild_id: int | str | None, day: date) -> int:
        return self._used.get((guild_key(guild_id), day), 0)

    def remaining(self, guild_id: int | str | None, day: date) -> int:
        return max(0, self.daily_limit - self.used(guild_id, day))

    def allows(self, guild_id: int | str | None, day: date, estimate: int) -> bool:
        """Whether a call expected to cost ``estimate`` tokens fits in what is left today."""
        return self.used(guild_id, day) + max(0, estimate) <= self.daily_limit

    def record(self, guild_id: int | str | None, day: date, tokens: int) -> int:
        """Add what a response used; returns the guild's total for the day."""
        if tokens < 0:
            raise ValueError("token usage cannot be negative")
        if self._latest is None or day > self._latest:
            self._latest = day
            self._used = {k: v for k, v in self._used.items() if k[1] >= day}
        key = (guild_key(guild_id), day)
        self._used[key] = self._used.get(key, 0) + tokens
        return self._used[key]
