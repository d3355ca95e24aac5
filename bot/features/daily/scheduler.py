"""The daily scheduler: one loop that sends every guild's post and every subscriber's DM.

It keeps, per schedule, the next slot (local day and UTC instant) in a heap, sleeps on the
injected clock until the earliest, and wakes early when a schedule changes. On start it reads
the schedules and recent claims from the database: a slot of today whose time passed while the
bot was down is sent at once (late, once); earlier missed days are never sent. Whether a slot
is sent at all is decided by its claim in the database (see the daily service), so a
restart, a changed schedule or a second process cannot send a day twice.

Fan-out (a thousand guilds at 09:00): due slots are claimed in batches (one transaction each)
and sent by a few workers, so sends run with bounded concurrency and Discord's rate limiter
sees a steady stream instead of a thousand requests at once. Only a few claims run ahead of
the sends, because a claim whose send never happens (a crash) costs that day's post; on a
normal stop the claims already made are sent first. Outcomes are written back in groups.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.daily_schedule import Slot, first_slot, slot_after, todays_slot
from bot.features.daily.service import Claim, DailyService, Outcome, Schedule, Target
from bot.features.daily.types import SendFailed

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0
CLAIM_RETRY = timedelta(minutes=1)  # after a database error

Sender = Callable[[Claim], Awaitable[Outcome]]


@dataclass(order=True)
class _Entry:
    due_at: datetime
    seq: int
    schedule: Schedule = field(compare=False)
    slot: Slot = field(compare=False)


class DailyScheduler:
    def __init__(
        self,
        service: DailyService,
        clock: Clock,
        send: Sender,
        *,
        workers: int = 8,
        batch_size: int = 50,
    ) -> None:
        self._service = service
        self._clock = clock
        self._send = send
        self._worker_count = workers
        self._batch_size = batch_size
        self._max_ahead = 2 * workers  # claimed but not yet finished
        self._heap: list[_Entry] = []
        self._live: dict[Target, _Entry] = {}  # the valid entry per target (queued or running)
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # a claimed send finished: room to claim more
        self._queue: asyncio.Queue[tuple[_Entry, Claim] | None] = asyncio.Queue()
        self._outstanding = 0
        self._finishing: list[tuple[Claim, Outcome, asyncio.Future[None]]] = []
        self._finisher: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._waiting = False
        self._stopping = False
        service.on_schedule_change(self._on_change)

    def pending(self) -> int:
        return len(self._live)

    async def start(self) -> None:
        schedules, claimed = await self._service.load()
        now = self._clock.now()
        for schedule in schedules:
            today = todays_slot(now, schedule.at, schedule.zone)
            self._push(
                schedule, _first(schedule, now, (schedule.target, today.local_date) in claimed)
            )
        self._task = asyncio.create_task(self._run(), name="daily-scheduler")
        self._workers = [
            asyncio.create_task(self._work(), name=f"daily-sender-{n}")
            for n in range(self._worker_count)
        ]

    async def stop(self) -> None:
        """Claim nothing more; sends already claimed go out (within a grace period)."""
        self._stopping = True
        self._wake.set()
        self._room.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        for _ in self._workers:
            self._queue.put_nowait(None)  # after the claimed sends already queued
        if self._workers:
            _, late = await asyncio.wait(self._workers, timeout=STOP_GRACE_SECONDS)
            if late:
                log.warning("%d daily send(s) did not finish in time at shutdown", len(late))
                for task in late:
                    task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._finisher is not None:
            await asyncio.gather(self._finisher, return_exceptions=True)
        self._task, self._workers = None, []

    async def settled(self) -> None:
        """Return once every slot due now has been handled (tests: after advancing the clock)."""
        while True:
            await asyncio.sleep(0)
            head = self._peek()
            nothing_due = head is None or head.due_at > self._clock.now()
            idle = self._outstanding == 0 and not self._finishing
            if self._waiting and nothing_due and idle and not self._wake.is_set():
                return
            if self._task is None or self._task.done():
                raise RuntimeError("the daily scheduler is not running")
            await asyncio.sleep(0.001)

    # -- schedule changes -------------------------------------------------------------------

    def _on_change(self, target: Target, schedule: Schedule | None) -> None:
        if schedule is None:
            if self._live.pop(target, None) is not None:
                self._wake.set()
            return
        # When today's slot is still ahead but today was already sent (the time was moved),
        # the claim finds that out: nothing is sent twice.
        self._push(schedule, _first(schedule, self._clock.now(), done_today=False))

    def _push(self, schedule: Schedule, slot: Slot, due_at: datetime | None = None) -> None:
        entry = _Entry(due_at or slot.due_at, next(self._seq), schedule, slot)
        earliest = self._peek()
        self._live[schedule.target] = entry
        heapq.heappush(self._heap, entry)
        if earliest is None or entry.due_at < earliest.due_at:
            self._wake.set()

    def _push_next(self, entry: _Entry) -> None:
        schedule = entry.schedule
        if self._live.get(schedule.target) is entry:  # not changed or removed meanwhile
            self._push(schedule, slot_after(entry.slot, schedule.at, schedule.zone))

    def _peek(self) -> _Entry | None:
        # Lazy deletion: replaced or removed entries stay in the heap until they surface.
        while self._heap and self._live.get(self._heap[0].schedule.target) is not self._heap[0]:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    # -- the loop: wait, claim a batch, hand it to the workers ------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            head = self._peek()
            self._wake.clear()
            if head is None or head.due_at > self._clock.now():
                self._waiting = True
                try:
                    await self._clock.wait_until(head.due_at if head else None, self._wake)
                finally:
                    self._waiting = False
                continue
            room = min(self._batch_size, self._max_ahead - self._outstanding)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            batch = self._take_due(room)
            await self._claim(batch)

    def _take_due(self, limit: int) -> list[_Entry]:
        now = self._clock.now()
        batch: list[_Entry] = []
        while len(batch) < limit and (head := self._peek()) is not None and head.due_at <= now:
            heapq.heappop(self._heap)  # stays live (in _live) while it is being handled
            batch.append(head)
        return batch

    async def _claim(self, batch: list[_Entry]) -> None:
        try:
            result = await self._service.claim([(e.schedule, e.slot.local_date) for e in batch])
        except Exception:
            log.exception("claiming %d daily deliveries failed; retrying", len(batch))
            retry_at = self._clock.now() + CLAIM_RETRY
            for entry in batch:
                if self._live.get(entry.schedule.target) is entry:
                    self._push(entry.schedule, entry.slot, retry_at)
            return
        for schedule in result.no_question:
            log.warning("no daily question for %s: its bank has none", schedule.target)
        claims = {claim.schedule.target: claim for claim in result.claims}
        for entry in batch:
            claim = claims.get(entry.schedule.target)
            if claim is None:  # already sent (or its send crashed): never twice
                self._push_next(entry)
            else:
                self._outstanding += 1
                self._queue.put_nowait((entry, claim))

    async def _work(self) -> None:
        while (item := await self._queue.get()) is not None:
            entry, claim = item
            try:
                await self._finish(claim, await self._send_one(claim))
            except Exception:
                log.exception("recording the daily delivery to %s failed", claim.schedule.target)
            finally:
                self._outstanding -= 1
                self._room.set()
                self._push_next(entry)

    async def _send_one(self, claim: Claim) -> Outcome:
        try:
            outcome = await self._send(claim)
        except Exception as exc:  # a bug in the sender: recorded like a failed send
            log.exception("sending the daily question to %s failed", claim.schedule.target)
            return SendFailed(repr(exc), permanent=False)
        if isinstance(outcome, SendFailed):
            log.warning("daily question to %s not delivered: %s", claim.schedule.target, outcome)
        return outcome

    # -- outcomes are written in groups: one transaction for whatever finished meanwhile ---

    async def _finish(self, claim: Claim, outcome: Outcome) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._finishing.append((claim, outcome, future))
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.create_task(self._write_outcomes(), name="daily-outcomes")
        await future

    async def _write_outcomes(self) -> None:
        while self._finishing:
            batch, self._finishing = self._finishing, []
            try:
                switched_off = await self._service.finish([(c, o) for c, o, _ in batch])
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for target in switched_off:
                log.warning("daily question to %s switched off after failures", target)
            for _, _, future in batch:
                if not future.done():
                    future.set_result(None)


def _first(schedule: Schedule, now: datetime, done_today: bool) -> Slot:
    return first_slot(now, schedule.at, schedule.zone, since=schedule.since, done_today=done_today)
