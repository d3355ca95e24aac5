"""The daily posts on the process's one scheduler: each schedule has one ``daily.slot`` job.

A schedule (a guild's channel post or a member's DM) waits for its next slot as a job keyed by
its target, due at the slot's instant, with the slot's local day in its payload. On start the
jobs are written anew from the schedules and recent claims in the database: a slot of today
whose time passed while the bot was down is sent at once (late, once); earlier missed days are
never sent. A changed schedule moves its job; a stopped one deletes it. Whether a slot is sent
at all is decided by its claim in the database (see the daily service), so a restart, a
changed schedule or a second process cannot send a day twice.

Fan-out (a thousand guilds at 09:00): the jobs due together reach the handler as one batch;
their deliveries are claimed in one transaction, sent by a few concurrent workers (bounded, so
Discord's rate limiter sees a steady stream), and the outcomes are written in one transaction.
Then each schedule's job moves to its next slot.

Several processes share the jobs (PostgreSQL): a slot's job is held by one process at a time
under the scheduler's lease, and **the holder of a slot's job owns that slot's claim**. A
process that died mid-batch leaves its claims unconfirmed and its jobs on that day; when their
lease runs out another process (or the restarted one) takes the jobs, finds the claims made
and unconfirmed, and reconciles them (``reconcile.py``) in that batch. Two live processes so
never reconcile each other's claims in flight, and a start does not move a job another process
holds. The ``daily.reconcile`` job (on start and every ``RECONCILE_EVERY``, one process at a
time) settles the other unconfirmed claims: those whose slot's job has moved on or is gone. A
batch and a reconcile pass never overlap in one process (one lock).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from bot.core.clock import Clock
from bot.core.daily_schedule import Slot, first_slot, slot_after, todays_slot
from bot.features.daily.reconcile import Poster, reconcile
from bot.features.daily.service import DailyService
from bot.features.daily.types import (
    Claim,
    NotSent,
    Outcome,
    Schedule,
    SendFailed,
    Target,
    Unconfirmed,
)
from bot.scheduler import Due, Job, Scheduler

log = logging.getLogger(__name__)
JOB = "daily.slot"  # key: "<target kind>:<target id>"; payload: {"day": the slot's local date}
RECONCILE_JOB = "daily.reconcile"  # one job, key "all"
RECONCILE_EVERY = timedelta(minutes=5)
RECONCILE_PAGE = 200  # claims reconciled per transaction
RETRY_AFTER = timedelta(seconds=30)  # a send Discord was too busy for (429, 5xx) goes again


class DailyScheduler:
    def __init__(
        self,
        service: DailyService,
        clock: Clock,
        send: Poster,
        *,
        scheduler: Scheduler | None = None,
        workers: int = 8,
    ) -> None:
        self._service = service
        self._clock = clock
        self._send = send
        # The bot passes the process's scheduler; alone (tests, benchmarks) this owns one.
        self._own = scheduler is None
        self._scheduler = scheduler or Scheduler(service.db, clock, "discord")
        self._workers = workers
        self._schedules: dict[Target, Schedule] = {}
        self._writes: set[asyncio.Task[None]] = set()
        self._sending = asyncio.Lock()  # a batch or a reconcile pass, never both
        service.on_schedule_change(self._on_change)

    def pending(self) -> int:
        """How many schedules wait for their next slot."""
        return len(self._schedules)

    async def start(self) -> None:
        """Write each schedule's job where it is missing or waits for a day before its first
        slot (missed days are never sent), and delete the jobs of schedules gone; a job another
        process holds under a live lease is left to it, and a pending job on its slot's day is
        kept as it is (another process may be on it, or have moved it)."""
        schedules, done = await self._service.load()
        now = self._clock.now()
        self._schedules = {schedule.target: schedule for schedule in schedules}
        jobs = []
        async with self._service.db.transaction() as s:
            existing = await self._scheduler.jobs_in(s, JOB)
            for schedule in schedules:
                today = todays_slot(now, schedule.at, schedule.zone)
                done_today = (schedule.target, today.local_date) in done
                first = _first(schedule, now, done_today)
                payload, _ = existing.get(_key(schedule.target), (None, False))
                day = (payload or {}).get("day")
                if day is None or date.fromisoformat(day) < first.local_date:
                    jobs.append(_due(schedule, first))
            await self._scheduler.cancel_unleased_in(
                s, JOB, keep=[_key(t) for t in self._schedules]
            )
            await self._scheduler.schedule_in(s, jobs, keep_leased=True)
            reconcile_now = [Due(RECONCILE_JOB, "all", now)]
            await self._scheduler.schedule_in(s, reconcile_now, keep_leased=True)
        self._scheduler.handle_batch(JOB, self._run_batch)
        self._scheduler.handle(RECONCILE_JOB, self._reconcile_job)
        if self._own:
            await self._scheduler.start()
        self._scheduler.poke()

    async def stop(self) -> None:
        """Take no more slots; a batch being sent is finished by the scheduler's own stop."""
        self._scheduler.unhandle(JOB)
        self._scheduler.unhandle(RECONCILE_JOB)
        await self._written()
        if self._own:
            await self._scheduler.stop()

    async def settled(self) -> None:
        """Return once every slot due now has been handled (tests: after advancing the clock)."""
        while True:
            await self._written()
            await self._scheduler.settled()
            if not self._writes:
                return

    # -- schedule changes -------------------------------------------------------------------

    def _on_change(self, target: Target, schedule: Schedule | None) -> None:
        """Called by the service after its commit: move or delete the target's job."""
        if schedule is None:
            self._schedules.pop(target, None)
        else:
            # When today's slot is still ahead but today was already sent (the time was moved),
            # the claim finds that out: nothing is sent twice.
            self._schedules[target] = schedule
        task = asyncio.create_task(self._write(target, schedule), name=f"daily-job:{target}")
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, target: Target, schedule: Schedule | None) -> None:
        try:
            async with self._service.db.transaction() as s:
                if schedule is None:
                    await self._scheduler.cancel_in(s, JOB, [_key(target)])
                else:
                    slot = _first(schedule, self._clock.now(), done_today=False)
                    await self._scheduler.schedule_in(s, [_due(schedule, slot)])
        except Exception:
            log.exception("could not move the daily job of %s", target)
        self._scheduler.poke()

    async def _written(self) -> None:
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    # -- a batch of due slots: claim, send, record, move on ---------------------------------

    async def _run_batch(self, jobs: list[Job]) -> None:
        async with self._sending:
            await self._send_batch(jobs)

    async def _send_batch(self, jobs: list[Job]) -> None:
        due: list[tuple[Schedule, Slot]] = []
        for job in jobs:
            schedule = self._schedules.get(_target(job.key))
            if schedule is not None:  # else stopped meanwhile: its job is being deleted
                payload = job.payload or {}
                due.append((schedule, Slot(date.fromisoformat(payload["day"]), job.due_at)))
        if not due:
            return
        result = await self._service.claim([(schedule, slot.local_date) for schedule, slot in due])
        for schedule in result.no_question:
            log.warning("no daily question for %s: its bank has none", schedule.target)
        if result.claims or result.unconfirmed:
            room = asyncio.Semaphore(self._workers)
            now = self._clock.now()
            outcomes = await asyncio.gather(
                *(self._send_one(c, room) for c in result.claims),
                *(self._recover(u, now, room) for u in result.unconfirmed),
            )
            claims = result.claims + [u.claim for u in result.unconfirmed]
            results, later = _put_off(list(zip(claims, outcomes, strict=True)))
            switched_off = await self._service.finish(results)
            for target in switched_off:
                log.warning("daily question to %s switched off after failures", target)
        # A claim not made (already sent, or being reconciled) is not sent here: move on too.
        # A send Discord was too busy for keeps its claim unconfirmed and its job on that day,
        # a little later: the retry is the reconcile of its own claim (same nonce, or a look
        # for the post first), so it cannot post twice.
        retry_at = self._clock.now() + RETRY_AFTER
        following = [
            _due(schedule, Slot(slot.local_date, retry_at))
            if schedule.target in later
            else _due(schedule, slot_after(slot, schedule.at, schedule.zone))
            for schedule, slot in due
            if self._schedules.get(schedule.target) is schedule  # unchanged meanwhile
        ]
        async with self._service.db.transaction() as s:
            await self._scheduler.schedule_in(s, following)

    async def _send_one(self, claim: Claim, room: asyncio.Semaphore) -> Outcome:
        async with room:
            try:
                outcome = await self._send(claim)
            except Exception as exc:  # a bug in the sender: recorded like a failed send
                log.exception("sending the daily question to %s failed", claim.schedule.target)
                return SendFailed(repr(exc), permanent=False)
        if isinstance(outcome, SendFailed):
            log.warning("daily question to %s not delivered: %s", claim.schedule.target, outcome)
        return outcome

    # -- claims a crash left unconfirmed ----------------------------------------------------

    async def reconcile(self) -> int:
        """Settle every unconfirmed claim (see ``reconcile.py``); returns how many."""
        done = after = 0
        async with self._sending:
            async with self._service.db.reading() as s:
                waiting = {
                    (_target(key), date.fromisoformat(payload["day"]))
                    for key, (payload, _) in (await self._scheduler.jobs_in(s, JOB)).items()
                    if payload and "day" in payload
                }

            def owned(target: Target, day: date) -> bool:  # its slot's batch reconciles it
                return (target, day) in waiting

            while True:
                pending, after = await self._service.unconfirmed(
                    self._schedules, RECONCILE_PAGE, after=after, owned=owned
                )
                if pending:
                    now = self._clock.now()
                    room = asyncio.Semaphore(self._workers)
                    outcomes = await asyncio.gather(*(self._recover(p, now, room) for p in pending))
                    results, _ = _put_off(  # left unconfirmed for the next pass
                        [(p.claim, outcome) for p, outcome in zip(pending, outcomes, strict=True)]
                    )
                    await self._service.finish(results)
                    done += len(pending)
                if not after:
                    break
        if done:
            log.info("reconciled %d daily deliveries left unconfirmed", done)
        return done

    async def _recover(self, item: Unconfirmed, now: datetime, room: asyncio.Semaphore) -> Outcome:
        target = item.claim.schedule.target
        async with room:
            try:
                outcome = await reconcile(self._send, item, now)
            except Exception as exc:  # a bug in the sender: recorded like a failed send
                log.exception("reconciling the daily question to %s failed", target)
                return SendFailed(repr(exc), permanent=False)
        if isinstance(outcome, NotSent):
            log.warning(
                "daily question to %s for %s not sent: %s",
                target,
                item.claim.local_date,
                outcome.reason,
            )
        return outcome

    async def _reconcile_job(self, job: Job) -> None:
        await self.reconcile()
        async with self._service.db.transaction() as s:  # the next pass
            next_at = self._clock.now() + RECONCILE_EVERY
            await self._scheduler.schedule_in(s, [Due(RECONCILE_JOB, "all", next_at)])


def _put_off(
    results: list[tuple[Claim, Outcome]],
) -> tuple[list[tuple[Claim, Outcome]], set[Target]]:
    """The results to record, and the targets whose send is tried again later (transient)."""
    later = {
        claim.schedule.target
        for claim, outcome in results
        if isinstance(outcome, SendFailed) and outcome.transient
    }
    return [(c, o) for c, o in results if c.schedule.target not in later], later


def _first(schedule: Schedule, now: datetime, done_today: bool) -> Slot:
    return first_slot(now, schedule.at, schedule.zone, since=schedule.since, done_today=done_today)


def _key(target: Target) -> str:
    return f"{target.kind}:{target.id}"


def _target(key: str) -> Target:
    kind, target_id = key.split(":")
    return Target(kind, int(target_id))


def _due(schedule: Schedule, slot: Slot) -> Due:
    return Due(JOB, _key(schedule.target), slot.due_at, {"day": slot.local_date.isoformat()})
