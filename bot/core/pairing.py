"""Pairing the members of a guild's peer-mock queue: queue entries in, pairs out.

Pure rules, applied per track (members are only paired with someone waiting for the same track):

1. Never with themselves: a member appears in at most one pair (later duplicate entries of the
   same member are ignored).
2. Not the same pair twice in a row while someone else waits: two members are a *repeat* when
   either one's last partner was the other. A repeat pair is formed only when those two are the
   only members of the track left waiting; otherwise they wait for someone new.
3. As many non-repeat pairs as possible.
4. First come, first served: among the arrangements with the most pairs, the earliest joiner who
   can be paired is paired, with the earliest-joined partner possible, then the next, and so on
   (the lexicographically smallest list of pairs, in join order).

Pairing runs on every join, so a batch normally holds one or two members per track; the exact
search below only runs when the first-come-first-served greedy pass leaves people out, and is
memoised over the (small) set of waiting members.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

# Beyond this many members waiting on one track at the same moment, the exact search (exponential
# in the worst case) is replaced by the greedy pass; pairing on every join keeps batches tiny.
EXACT_LIMIT = 16


@dataclass(frozen=True, slots=True)
class QueueEntry:
    member_id: int
    track: str
    joined_at: datetime
    last_partner_id: int | None = None  # who the member was paired with last time, if anyone
    difficulty: str | None = None  # carried through for the caller; pairing ignores it


@dataclass(frozen=True, slots=True)
class Pair:
    first: QueueEntry  # the earlier joiner
    second: QueueEntry
    repeat: bool  # the same two as one of them had last time (allowed only when alone)


@dataclass(frozen=True, slots=True)
class Pairing:
    pairs: tuple[Pair, ...]
    waiting: tuple[QueueEntry, ...]  # not paired, in join order


def is_repeat(a: QueueEntry, b: QueueEntry) -> bool:
    return a.last_partner_id == b.member_id or b.last_partner_id == a.member_id


def join_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """Entries by join time (member id breaks ties), first entry per member only."""
    seen: set[int] = set()
    ordered: list[QueueEntry] = []
    for entry in sorted(entries, key=lambda e: (e.joined_at, e.member_id)):
        if entry.member_id not in seen:
            seen.add(entry.member_id)
            ordered.append(entry)
    return ordered


def pair_queue(entries: Iterable[QueueEntry]) -> Pairing:
    ordered = join_order(entries)
    groups: dict[str, list[QueueEntry]] = {}
    for entry in ordered:
        groups.setdefault(entry.track, []).append(entry)
    pairs: list[Pair] = []
    waiting: list[QueueEntry] = []
    for group in groups.values():
        matched = _match(group)
        paired = {i for pair in matched for i in pair}
        left = [i for i in range(len(group)) if i not in paired]
        pairs += [Pair(group[i], group[j], repeat=False) for i, j in matched]
        if len(left) == 2:  # only these two wait for the track: a repeat is better than nothing
            a, b = group[left[0]], group[left[1]]
            pairs.append(Pair(a, b, repeat=is_repeat(a, b)))
        else:
            waiting += [group[i] for i in left]
    pairs.sort(key=lambda p: (p.first.joined_at, p.first.member_id))
    left_over = {e.member_id for e in waiting}
    return Pairing(tuple(pairs), tuple(e for e in ordered if e.member_id in left_over))


def _match(group: Sequence[QueueEntry]) -> list[tuple[int, int]]:
    """The lexicographically smallest maximum matching over non-repeat pairs (indices)."""
    n = len(group)
    ok = [[i != j and not is_repeat(group[i], group[j]) for j in range(n)] for i in range(n)]
    greedy = _greedy(ok, n)
    if len(greedy) == n // 2 or n > EXACT_LIMIT:
        # A perfect greedy result is also the smallest maximum one: every greedy choice was the
        # earliest compatible partner, and each choice could be completed to a maximum.
        return greedy

    @cache
    def best(mask: int) -> int:
        """The most pairs among the members in ``mask``."""
        if mask & (mask - 1) == 0:  # zero or one member left
            return 0
        i = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << i)
        result = best(rest)
        for j in _members(rest):
            if ok[i][j]:
                result = max(result, 1 + best(rest & ~(1 << j)))
        return result

    chosen: list[tuple[int, int]] = []
    mask = (1 << n) - 1
    while mask & (mask - 1):
        target = best(mask)
        i = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << i)
        partner = next(
            (j for j in _members(rest) if ok[i][j] and 1 + best(rest & ~(1 << j)) == target),
            None,
        )
        if partner is None:
            mask = rest  # i cannot be paired in any arrangement with the most pairs
        else:
            chosen.append((i, partner))
            mask = rest & ~(1 << partner)
    return chosen


def _greedy(ok: list[list[bool]], n: int) -> list[tuple[int, int]]:
    taken = [False] * n
    chosen: list[tuple[int, int]] = []
    for i in range(n):
        if taken[i]:
            continue
        j = next((j for j in range(i + 1, n) if not taken[j] and ok[i][j]), None)
        if j is not None:
            taken[i] = taken[j] = True
            chosen.append((i, j))
    return chosen


def _members(mask: int) -> Iterable[int]:
    i = 0
    while mask:
        if mask & 1:
            yield i
        mask >>= 1
        i += 1
