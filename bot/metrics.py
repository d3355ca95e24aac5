"""Operations: Prometheus metrics and a health check, served on ``METRICS_PORT`` (off by default).

What is counted is counted always (a few microseconds per event); the HTTP endpoint exists only
when ``METRICS_PORT`` is set. Names:

- ``mlmock_interactions_total{command, outcome}``: interactions handled (outcome ``ok`` or
  ``error``); ``command`` is ``/interview start`` for commands, ``mlmock:iv:hint`` (the custom_id
  up to its action, without the ids) for buttons, selects and modals.
- ``mlmock_interaction_duration_seconds{command}``: a histogram, from the bot receiving the
  interaction to its handler finishing (the reply sent).
- ``mlmock_scheduler_lag_seconds{kind}``: how late a due job was claimed (a histogram).
- ``mlmock_scheduler_job_failures_total{kind}``: handler failures (each retry counts).
- ``mlmock_database_errors_total{error}``: database errors (exception class), from the engine.
- ``mlmock_open_interviews``: interview sessions active or paused, counted on each scrape.
- ``mlmock_gateway_connected``: 1 when every shard of this process is connected.

``/healthz`` answers 200 when the gateway is connected and the database answers ``SELECT 1``
within two seconds, 503 otherwise (the body says which), for container orchestrators.

This module imports neither Discord nor a feature: the guard, the scheduler and the client
call into it; the process wires the health checks in (``bot.cli.run``). ``prometheus_client``
itself is imported at the first event counted (or scrape), not by importing this module: the
terminal imports the scheduler on every start and most runs count nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiohttp import web
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 2.0  # seconds for the database to answer SELECT 1
LABEL_LIMIT = 64  # characters of a label value: bounded, whatever a custom_id holds
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
_LAG_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DueJob(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def due_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class _Instruments:
    registry: CollectorRegistry
    interactions: Counter
    interaction_seconds: Histogram
    scheduler_lag: Histogram
    job_failures: Counter
    database_errors: Counter
    open_interviews: Gauge
    gateway_connected: Gauge


def _instruments(registry: CollectorRegistry | None) -> _Instruments:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    r = registry or CollectorRegistry(auto_describe=True)
    return _Instruments(
        registry=r,
        interactions=Counter(
            "mlmock_interactions",
            "Interactions handled, by command and outcome",
            ["command", "outcome"],
            registry=r,
        ),
        interaction_seconds=Histogram(
            "mlmock_interaction_duration_seconds",
            "From receiving an interaction to its handler finishing",
            ["command"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        ),
        scheduler_lag=Histogram(
            "mlmock_scheduler_lag_seconds",
            "How late due jobs were claimed",
            ["kind"],
            buckets=_LAG_BUCKETS,
            registry=r,
        ),
        job_failures=Counter(
            "mlmock_scheduler_job_failures", "Scheduled job handler failures", ["kind"], registry=r
        ),
        database_errors=Counter(
            "mlmock_database_errors", "Database errors by exception class", ["error"], registry=r
        ),
        open_interviews=Gauge(
            "mlmock_open_interviews", "Interview sessions active or paused", registry=r
        ),
        gateway_connected=Gauge(
            "mlmock_gateway_connected",
            "1 when every shard of this process is connected",
            registry=r,
        ),
    )


class Metrics:
    """One process's metrics, in their own registry (tests may build their own).

    The instruments (and ``prometheus_client``) are built on first use."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._registry = registry
        self._built: _Instruments | None = None

    @property
    def _i(self) -> _Instruments:
        if self._built is None:
            self._built = _instruments(self._registry)
        return self._built

    @property
    def registry(self) -> CollectorRegistry:
        return self._i.registry

    @property
    def interactions(self) -> Counter:
        return self._i.interactions

    @property
    def interaction_seconds(self) -> Histogram:
        return self._i.interaction_seconds

    @property
    def scheduler_lag(self) -> Histogram:
        return self._i.scheduler_lag

    @property
    def job_failures(self) -> Counter:
        return self._i.job_failures

    @property
    def database_errors(self) -> Counter:
        return self._i.database_errors

    @property
    def open_interviews(self) -> Gauge:
        return self._i.open_interviews

    @property
    def gateway_connected(self) -> Gauge:
        return self._i.gateway_connected

    # -- hooks (cheap, never raise into the caller) ------------------------------------------
    def interaction_handled(self, command: str, seconds: float, *, ok: bool) -> None:
        label = command[:LABEL_LIMIT] or "?"
        self.interactions.labels(label, "ok" if ok else "error").inc()
        self.interaction_seconds.labels(label).observe(max(seconds, 0.0))

    def jobs_claimed(self, jobs: Iterable[DueJob], now: datetime) -> None:
        for job in jobs:
            lag = (now - job.due_at).total_seconds()
            self.scheduler_lag.labels(job.kind[:LABEL_LIMIT]).observe(max(lag, 0.0))

    def job_failed(self, kind: str) -> None:
        self.job_failures.labels(kind[:LABEL_LIMIT]).inc()

    def watch_database(self, *engines: AsyncEngine) -> None:
        """Count every error an engine raises (connection lost, locked, constraint...)."""
        from sqlalchemy import event

        def on_error(context: Any) -> None:
            error = context.original_exception or context.sqlalchemy_exception
            self.database_errors.labels(type(error).__name__[:LABEL_LIMIT]).inc()

        for engine in {id(e): e for e in engines}.values():
            if not event.contains(engine.sync_engine, "handle_error", on_error):
                event.listen(engine.sync_engine, "handle_error", on_error)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """A sample's current value (0 when absent): for tests and the health body."""
        return self.registry.get_sample_value(name, labels or {}) or 0.0


METRICS = Metrics()  # the process's metrics: handlers record here, the endpoint serves them


def interaction_label(command: str | None, custom_id: str | None) -> str:
    """``/interview start`` for commands; a custom_id cut before its first number and to at
    most three parts (``mlmock:iv:hint:123:1`` -> ``mlmock:iv:hint``, ``mlmock:ask:123:0`` ->
    ``mlmock:ask``), so ids never become label values."""
    if command:
        return f"/{command}"
    if custom_id:
        parts: list[str] = []
        for part in custom_id.split(":")[:3]:
            if part.isdigit():
                break
            parts.append(part)
        return ":".join(parts)[:LABEL_LIMIT] or "?"
    return "?"


# -- the endpoint ------------------------------------------------------------------------------
Check = Callable[[], Awaitable[bool]] | Callable[[], bool]


class OpsServer:
    """``/metrics`` and ``/healthz`` on one port, served on the bot's own event loop."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        gateway_connected: Callable[[], bool],
        database_ping: Callable[[], Awaitable[object]],
        open_interviews: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.metrics = metrics
        self._gateway_connected = gateway_connected
        self._database_ping = database_ping
        self._open_interviews = open_interviews
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, port: int, host: str = "0.0.0.0") -> None:  # all interfaces: containers
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("metrics and health check on port %s (/metrics, /healthz)", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        from aiohttp import web
        from prometheus_client import generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        self.metrics.gateway_connected.set(1 if self._gateway_connected() else 0)
        if self._open_interviews is not None:
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    self.metrics.open_interviews.set(await self._open_interviews())
            except Exception as exc:  # the scrape still answers; the error is counted
                log.warning("open interviews not counted: %s", exc)
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        from aiohttp import web

        problems = []
        if not self._gateway_connected():
            problems.append("gateway: not connected")
        started = time.monotonic()
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await self._database_ping()
        except Exception as exc:
            problems.append(f"database: {type(exc).__name__}")
        took = time.monotonic() - started
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text=f"ok (database {took * 1000:.0f} ms)\n")
