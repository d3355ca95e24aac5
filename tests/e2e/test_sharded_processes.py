"""The docker-compose layout as plain processes: migrations once, then two `python -m bot run`
processes (SHARD_COUNT=4, SHARD_IDS=0,1 and 2,3) on one PostgreSQL database, against the fake
with 4 shards. A command in a guild on each shard is answered exactly once; both processes are
healthy; SIGTERM stops both cleanly. Needs TEST_DATABASE_URL (PostgreSQL); skipped otherwise."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.loopback import FakeDiscord

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
RUNNER = Path(__file__).with_name("_run_bot.py")
ROOT = Path(__file__).resolve().parents[2]
SHARDS = 4

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL not set"),
]


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    """A database of its own on the test server (other tests drop and create tables in theirs)."""
    import asyncpg

    admin_dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"mlmock_layout_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.PostgresError as exc:
        await admin.close()
        pytest.skip(f"cannot create a database on the test server: {exc}")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def healthy(port: int, attempts: int = 150) -> bool:
    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                if health.status == 200:
                    return True
                assert health.status == 503, await health.text()
            await asyncio.sleep(0.2)
    return False


def environment(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "SHARD_IDS")}
    env.update(DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT), DATABASE_URL=database_url)
    env.update(extra)
    return env


async def test_two_processes_two_shards_each(
    fake_discord: FakeDiscord, tmp_path: Path, fresh_database: str
) -> None:
    fake_discord.shard_count, fake_discord.max_concurrency = SHARDS, SHARDS
    world = []
    for shard in range(SHARDS):
        guild = fake_discord.add_guild(f"guild-{shard}", shard=(shard, SHARDS))
        world.append(
            (
                fake_discord.add_text_channel(guild, "general"),
                fake_discord.add_member(guild, f"m{shard}"),
            )
        )

    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade",
        env=environment(tmp_path, fresh_database), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(migrate.communicate(), 120)
    assert migrate.returncode == 0, err.decode()[-2000:]

    ports = [free_port(), free_port()]
    procs = []
    for shard_ids, port in zip(("0,1", "2,3"), ports, strict=True):
        env = environment(
            tmp_path,
            fresh_database,
            DISCORD_TOKEN=fake_discord.token,
            SHARD_COUNT=str(SHARDS),
            SHARD_IDS=shard_ids,
            METRICS_PORT=str(port),
        )
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(RUNNER),
                fake_discord.api_base,
                fake_discord.gateway_url,
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    try:
        await fake_discord.wait_until(
            lambda: len(fake_discord.gateway.live_sessions) == SHARDS, 90, "four shards"
        )
        assert sorted(s.shard for s in fake_discord.gateway.live_sessions) == [  # type: ignore[type-var]
            (i, SHARDS) for i in range(SHARDS)
        ]
        await fake_discord.wait_until(lambda: fake_discord.synced_commands(), 60, "command sync")
        for shard, (channel, member) in enumerate(world):
            reply = None
            for _ in range(100):  # READY is processed a moment after IDENTIFY
                result = await fake_discord.slash(member, channel, "help")
                try:
                    reply = await result.final_message(timeout=2)
                    break
                except AssertionError:
                    await asyncio.sleep(0.05)
            assert reply is not None and "/interview start" in reply.text()
            assert result.shards == [shard]
            callbacks = [
                r
                for r in fake_discord.requests
                if r.path.startswith(f"/api/v10/interactions/{result.id}/")
            ]
            assert [r.status for r in callbacks] == [200]  # answered once, by one process
        for port in ports:  # 503 until every shard of the process is ready (a few seconds)
            assert await healthy(port), f"process on metrics port {port} never became healthy"
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        outputs = [await asyncio.wait_for(p.communicate(), 60) for p in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
