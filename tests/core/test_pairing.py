"""Pairing rules for the peer-mock queue: named cases, then exhaustive checks against brute force."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.pairing import EXACT_LIMIT, Pairing, QueueEntry, is_repeat, join_order, pair_queue

T0 = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
OUTSIDER = 999  # a last partner who is not in the queue


def entry(
    member: int, minute: int | None = None, *, track: str = "technical", last: int | None = None
) -> QueueEntry:
    at = T0 + timedelta(minutes=member if minute is None else minute)
    return QueueEntry(member, track, at, last)


def pairs_of(result: Pairing) -> list[tuple[int, int]]:
    return [(p.first.member_id, p.second.member_id) for p in result.pairs]


def waiting_of(result: Pairing) -> list[int]:
    return [e.member_id for e in result.waiting]


# -- named cases ----------------------------------------------------------------------------------


def test_two_members_of_the_same_track_are_paired() -> None:
    result = pair_queue([entry(1), entry(2)])
    assert pairs_of(result) == [(1, 2)] and waiting_of(result) == []
    assert result.pairs[0].repeat is False


def test_one_member_alone_waits() -> None:
    result = pair_queue([entry(1)])
    assert pairs_of(result) == [] and waiting_of(result) == [1]


def test_empty_queue() -> None:
    assert pair_queue([]) == Pairing((), ())


def test_different_tracks_are_never_paired() -> None:
    result = pair_queue([entry(1, track="technical"), entry(2, track="system-design")])
    assert pairs_of(result) == [] and waiting_of(result) == [1, 2]


def test_first_come_first_served_the_latest_joiner_waits() -> None:
    result = pair_queue([entry(3), entry(1), entry(2)])  # given out of order
    assert pairs_of(result) == [(1, 2)] and waiting_of(result) == [3]


def test_each_track_pairs_on_its_own() -> None:
    result = pair_queue(
        [
            entry(1, track="technical"),
            entry(2, track="system-design"),
            entry(3, track="technical"),
            entry(4, track="phone-screen"),
            entry(5, track="system-design"),
        ]
    )
    assert pairs_of(result) == [(1, 3), (2, 5)] and waiting_of(result) == [4]


def test_never_paired_with_themselves() -> None:
    result = pair_queue([entry(1, 0), entry(1, 5)])  # the same member twice (never in the DB)
    assert pairs_of(result) == [] and waiting_of(result) == [1]
    result = pair_queue([entry(1, 0), entry(1, 1), entry(2, 2)])
    assert pairs_of(result) == [(1, 2)] and waiting_of(result) == []


def test_same_join_time_is_broken_by_member_id() -> None:
    result = pair_queue([entry(7, 0), entry(5, 0), entry(6, 0)])
    assert pairs_of(result) == [(5, 6)] and waiting_of(result) == [7]


def test_repeat_pair_is_avoided_while_someone_else_waits() -> None:
    # 1 and 2 were each other's last partners; 3 joined last but is a new face for 1.
    result = pair_queue([entry(1, last=2), entry(2, last=1), entry(3)])
    assert pairs_of(result) == [(1, 3)] and waiting_of(result) == [2]


def test_repeat_counts_from_either_side() -> None:
    # Only 2 remembers 1 (1 has had another partner since): still the same pair in a row for 2.
    result = pair_queue([entry(1, last=OUTSIDER), entry(2, last=1), entry(3)])
    assert pairs_of(result) == [(1, 3)] and waiting_of(result) == [2]
    assert is_repeat(entry(1), entry(2, last=1)) and is_repeat(entry(2, last=1), entry(1))


def test_repeat_pair_is_allowed_when_nobody_else_waits() -> None:
    result = pair_queue([entry(1, last=2), entry(2, last=1)])
    assert pairs_of(result) == [(1, 2)] and result.pairs[0].repeat is True


def test_someone_waiting_on_another_track_does_not_block_a_repeat() -> None:
    result = pair_queue([entry(1, last=2), entry(2, last=1), entry(3, track="system-design")])
    assert pairs_of(result) == [(1, 2)] and waiting_of(result) == [3]


def test_rearranges_rather_than_repeat() -> None:
    # Greedy first come first served would give 1-2 and leave the repeat 3-4; 1-3 and 2-4 avoid it.
    result = pair_queue([entry(1), entry(2), entry(3, last=4), entry(4, last=3)])
    assert pairs_of(result) == [(1, 3), (2, 4)] and not any(p.repeat for p in result.pairs)


def test_repeat_pair_closes_the_batch_when_everyone_else_is_paired() -> None:
    # 2 and 3 both last partnered 1; 4 was with 1 as well: only 1 can take a new face...
    entries = [entry(1, last=4), entry(2, last=1), entry(3, last=1), entry(4, last=1)]
    result = pair_queue(entries)
    # 1 is a repeat for everyone; 2-3 is the one new pair, then 1 and 4 are the last two left.
    assert pairs_of(result) == [(1, 4), (2, 3)]
    assert [p.repeat for p in result.pairs] == [True, False]


def test_a_cycle_of_repeats_pairs_nobody() -> None:
    # Impossible from real history, but the rule holds: any pair would leave the third waiting.
    result = pair_queue([entry(1, last=2), entry(2, last=3), entry(3, last=1)])
    assert pairs_of(result) == [] and waiting_of(result) == [1, 2, 3]


def test_rotation_over_several_evenings_gives_everyone_new_partners() -> None:
    """Three members re-join after each mock: nobody repeats their last partner."""
    last: dict[int, int | None] = {1: None, 2: None, 3: None}
    queue = [1, 2, 3]
    history = []
    for step in range(6):
        result = pair_queue(
            [entry(m, minute=step * 10 + n, last=last[m]) for n, m in enumerate(queue)]
        )
        [pair] = result.pairs
        assert not pair.repeat
        a, b = pair.first.member_id, pair.second.member_id
        history.append((a, b))
        last[a], last[b] = b, a
        [waiting] = waiting_of(result)
        queue = [waiting, a, b]  # the waiting member stays first; the pair re-joins after
    assert history == [(1, 2), (3, 1), (2, 3), (1, 2), (3, 1), (2, 3)]


def test_large_queue_beyond_the_exact_search() -> None:
    n = EXACT_LIMIT + 4
    entries = [entry(i, last=i + 1 if i % 2 == 0 else i - 1) for i in range(n)]
    result = pair_queue(entries)
    _check_valid(entries, result)
    assert len(result.pairs) == n // 2 and not any(p.repeat for p in result.pairs)


# -- exhaustive checks ----------------------------------------------------------------------------


def _matchings(
    items: Sequence[int], allowed: set[tuple[int, int]]
) -> Iterator[list[tuple[int, int]]]:
    """Every matching over ``items`` using only ``allowed`` pairs (i < j)."""
    if len(items) < 2:
        yield []
        return
    first, rest = items[0], items[1:]
    yield from _matchings(rest, allowed)  # first stays unmatched
    for k, other in enumerate(rest):
        if (first, other) in allowed:
            for m in _matchings(rest[:k] + rest[k + 1 :], allowed):
                yield [(first, other), *m]


def _reference(entries: Sequence[QueueEntry]) -> tuple[list[tuple[int, int]], list[int]]:
    """The rules written out by brute force: per track, of all matchings over non-repeat pairs
    take the largest, and of those the smallest list of pairs in join order; two members left
    alone together are paired as a repeat."""
    ordered = join_order(entries)
    pairs: list[tuple[int, int]] = []
    waiting: list[int] = []
    for track in dict.fromkeys(e.track for e in ordered):
        group = [e for e in ordered if e.track == track]
        idx = list(range(len(group)))
        allowed = {
            (i, j) for i, j in itertools.combinations(idx, 2) if not is_repeat(group[i], group[j])
        }
        candidates = list(_matchings(idx, allowed))
        size = max(len(m) for m in candidates)
        best = min(sorted(m) for m in candidates if len(m) == size)
        left = [i for i in idx if all(i not in p for p in best)]
        if len(left) == 2:
            best.append((left[0], left[1]))
            left = []
        pairs += [(group[i].member_id, group[j].member_id) for i, j in best]
        waiting += [group[i].member_id for i in left]
    order = {e.member_id: n for n, e in enumerate(ordered)}
    pairs.sort(key=lambda p: order[p[0]])
    waiting.sort(key=lambda m: order[m])
    return pairs, waiting


def _check_valid(entries: Sequence[QueueEntry], result: Pairing) -> None:
    by_member = {e.member_id: e for e in join_order(entries)}
    seen: list[int] = []
    for pair in result.pairs:
        a, b = pair.first, pair.second
        assert a.member_id != b.member_id, "paired with themselves"
        assert a.track == b.track, "paired across tracks"
        assert (a.joined_at, a.member_id) < (b.joined_at, b.member_id), "first is the earlier"
        assert pair.repeat == is_repeat(a, b)
        seen += [a.member_id, b.member_id]
    seen += [e.member_id for e in result.waiting]
    assert sorted(seen) == sorted(by_member), "everyone is either paired once or waiting"
    for pair in result.pairs:
        if pair.repeat:  # a repeat only when nobody else of that track is left waiting
            assert all(e.track != pair.first.track for e in result.waiting)
    for a, b in itertools.combinations(result.waiting, 2):
        if a.track == b.track:  # two who could be a new pair never both wait
            assert is_repeat(a, b)


def _configurations(n: int) -> Iterator[list[QueueEntry]]:
    choices: list[int | None] = [None, OUTSIDER, *range(n)]
    for lasts in itertools.product(choices, repeat=n):
        if any(last == m for m, last in enumerate(lasts)):
            continue  # nobody's last partner is themselves
        yield [entry(m, last=last) for m, last in enumerate(lasts)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5])
def test_exhaustive_one_track(n: int) -> None:
    checked = 0
    for entries in _configurations(n):
        result = pair_queue(entries)
        _check_valid(entries, result)
        assert (pairs_of(result), waiting_of(result)) == _reference(entries), entries
        checked += 1
    assert checked > 0


def test_exhaustive_two_tracks_of_four_members() -> None:
    for entries in _configurations(4):
        for tracks in itertools.product(("technical", "system-design"), repeat=4):
            mixed = [
                QueueEntry(e.member_id, t, e.joined_at, e.last_partner_id)
                for e, t in zip(entries, tracks, strict=True)
            ]
            result = pair_queue(mixed)
            _check_valid(mixed, result)
            assert (pairs_of(result), waiting_of(result)) == _reference(mixed)


@pytest.mark.parametrize("n", [6, 7, 8, 9])
def test_random_larger_queues_match_brute_force(n: int) -> None:
    rng = random.Random(n)
    for _ in range(400):
        lasts = [rng.choice([None, OUTSIDER, *[x for x in range(n) if x != m]]) for m in range(n)]
        minutes = [rng.randrange(4) for _ in range(n)]  # ties on join time happen
        tracks = [rng.choice(("technical", "technical", "phone-screen")) for _ in range(n)]
        entries = [
            entry(m, minutes[m], track=tracks[m], last=lasts[m]) for m in rng.sample(range(n), n)
        ]
        result = pair_queue(entries)
        _check_valid(entries, result)
        assert (pairs_of(result), waiting_of(result)) == _reference(entries), entries
