"""Operations endpoint, scraped over HTTP: interactions and their latency per command, scheduler
lag and failures, database errors, open interviews, and /healthz for the orchestrator."""

from __future__ import annotations

import logging
import re

import aiohttp
import pytest
from sqlalchemy import text

from bot.app import App
from bot.cli.run import ops_server
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.discord.client import MockInterviewBot
from bot.metrics import METRICS, Metrics, OpsServer, interaction_label
from bot.scheduler import Due, Job
from tests.e2e.conftest import BotFactory
from tests.loopback import DefaultWorld, FakeDiscord

Running = tuple[App, MockInterviewBot]


def sample(body: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)"
    for line in body.splitlines():
        if not line.startswith("#") and (match := re.fullmatch(pattern, _sorted_labels(line))):
            return float(match.group(1))
    return 0.0


def _sorted_labels(line: str) -> str:
    match = re.fullmatch(r"([^{ ]+)\{(.*)\} (\S+)", line)
    if not match:
        return line
    labels = sorted(re.findall(r'\w+="[^"]*"', match.group(2)))
    return f"{match.group(1)}{{{','.join(labels)}}} {match.group(3)}"


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as r:
        return r.status, await r.text()


async def ops_for(app: App, bot: MockInterviewBot) -> OpsServer:
    ops = ops_server(app, bot)  # what `mlmock run` builds, on a free port
    await ops.start(0, host="127.0.0.1")
    return ops


def test_labels_keep_ids_out() -> None:
    assert interaction_label("interview start", None) == "/interview start"
    assert interaction_label(None, "mlmock:iv:hint:1234:2") == "mlmock:iv:hint"
    assert interaction_label(None, "mlmock:ask:1234:0") == "mlmock:ask"
    assert interaction_label(None, "mlmock:scenario:1234:3") == "mlmock:scenario"
    assert interaction_label(None, "x" * 500) == "x" * 64
    assert interaction_label(None, None) == "?"


def test_metrics_are_off_by_default(settings: Settings) -> None:
    assert settings.metrics_port is None


async def test_interactions_counted_per_command_with_latency(
    fake_discord: FakeDiscord, world: DefaultWorld, running: Running
) -> None:
    app, bot = running
    ops = await ops_for(app, bot)
    try:
        _, before = await get(ops.port, "/metrics")
        for _ in range(2):
            result = await fake_discord.slash(world.bob, world.general, "help")
            await result.final_message()
        result = await fake_discord.slash(
            world.bob,
            world.interviews,
            "interview",
            subcommand="start",
            options={"track": "technical"},
        )
        await result.followup(0)
        question = await fake_discord.wait_for_message(
            lambda m: bool(m.embeds) and m.channel.is_thread
        )
        hint_id = next(c for c in question.custom_ids() if c.startswith("mlmock:iv:hint:"))
        await (await fake_discord.click(world.bob, question, hint_id)).final_message()
        status, after = await get(ops.port, "/metrics")
        assert status == 200
        help_ok = {"command": "/help", "outcome": "ok"}
        name = "mlmock_interactions_total"
        assert sample(after, name, **help_ok) - sample(before, name, **help_ok) == 2
        start = {"command": "/interview start", "outcome": "ok"}
        assert sample(after, name, **start) - sample(before, name, **start) == 1
        hint = {"command": "mlmock:iv:hint", "outcome": "ok"}
        assert sample(after, name, **hint) - sample(before, name, **hint) == 1
        count = "mlmock_interaction_duration_seconds_count"
        assert sample(after, count, command="/help") - sample(before, count, command="/help") == 2
        total = "mlmock_interaction_duration_seconds_sum"
        assert sample(after, total, command="/help") > sample(before, total, command="/help")
        assert sample(after, "mlmock_open_interviews") >= 1
        assert sample(after, "mlmock_gateway_connected") == 1
        # No id in any label value (timestamps may hold any digits, labels may not).
        assert not re.search(r'command="[^"]*:\d', after), after
    finally:
        await ops.stop()


async def test_scheduler_lag_and_failures(running: Running, clock: FakeClock) -> None:
    app, _ = running
    metrics_before = METRICS.value("mlmock_scheduler_job_failures_total", {"kind": "test.boom"})

    async def boom(job: Job) -> None:
        raise RuntimeError("handler failed on purpose")

    app.scheduler.handle("test.boom", boom)
    async with app.db.transaction() as s:
        await app.scheduler.schedule_in(s, [Due("test.boom", "1", clock.now())])
    clock.advance(seconds=30)  # claimed 30 s late
    logger = logging.getLogger("bot.scheduler.dispatcher")
    logger.disabled = True  # the failure is logged at ERROR/exception on purpose
    try:
        app.scheduler.poke()
        await app.scheduler.settled()
    finally:
        logger.disabled = False
        app.scheduler.unhandle("test.boom")
    failures = METRICS.value("mlmock_scheduler_job_failures_total", {"kind": "test.boom"})
    assert failures - metrics_before == 1
    lag_sum = METRICS.value("mlmock_scheduler_lag_seconds_sum", {"kind": "test.boom"})
    assert lag_sum >= 30


async def test_database_errors_are_counted(running: Running) -> None:
    app, bot = running
    ops = await ops_for(app, bot)  # wires the engine
    await ops.stop()
    before = METRICS.value("mlmock_database_errors_total", {"error": "OperationalError"})
    with pytest.raises(Exception, match="no such table"):
        async with app.db.reading() as s:
            await s.execute(text("SELECT * FROM no_such_table"))
    after = METRICS.value("mlmock_database_errors_total", {"error": "OperationalError"})
    assert after - before == 1


async def test_health_follows_gateway_and_database(
    fake_discord: FakeDiscord, world: DefaultWorld, bot_factory: BotFactory
) -> None:
    async with bot_factory() as (app, bot):
        ops = await ops_for(app, bot)
        try:
            status, body = await get(ops.port, "/healthz")
            assert status == 200 and body.startswith("ok")
            await fake_discord.stop_bot(bot)  # the database still answers
            status, body = await get(ops.port, "/healthz")
            assert status == 503 and body.strip() == "gateway: not connected"
            _, metrics = await get(ops.port, "/metrics")
            assert sample(metrics, "mlmock_gateway_connected") == 0
        finally:
            await ops.stop()

    healthy = {"up": True}

    async def failing_ping() -> None:
        if not healthy["up"]:
            raise ConnectionRefusedError("database down")

    ops = OpsServer(Metrics(), gateway_connected=lambda: True, database_ping=failing_ping)
    await ops.start(0, host="127.0.0.1")
    try:
        assert (await get(ops.port, "/healthz"))[0] == 200
        healthy["up"] = False
        status, body = await get(ops.port, "/healthz")
        assert status == 503 and body.strip() == "database: ConnectionRefusedError"
    finally:
        await ops.stop()
