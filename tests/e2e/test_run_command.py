"""`python -m bot run` as a process: token errors, start-up, graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.loopback import DefaultWorld, FakeDiscord

RUNNER = Path(__file__).with_name("_run_bot.py")
ROOT = Path(__file__).resolve().parents[2]


async def _spawn(
    fake: FakeDiscord, tmp_path: Path, token: str | None
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    if token is not None:
        env["DISCORD_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUNNER),
        fake.api_base,
        fake.gateway_url,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_missing_token_is_one_line_exit_2(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    proc = await _spawn(fake_discord, tmp_path, None)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN is not set" in lines[0]


async def test_rejected_token_is_one_line_exit_2(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    proc = await _spawn(fake_discord, tmp_path, "not-the-token")
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    text = err.decode()
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1].startswith("error: Discord rejected the token")


async def test_runs_and_stops_gracefully_on_sigterm(
    fake_discord: FakeDiscord, world: DefaultWorld, tmp_path: Path
) -> None:
    proc = await _spawn(fake_discord, tmp_path, fake_discord.token)
    try:
        await fake_discord.wait_until(
            lambda: fake_discord.stats["identifies"], 60, "the bot to connect"
        )
        await fake_discord.wait_until(lambda: fake_discord.synced_commands(), 60, "command sync")
        help_reply = None
        for _ in range(100):  # READY is processed a moment after IDENTIFY
            try:
                result = await fake_discord.slash(world.bob, world.general, "help")
                help_reply = await result.final_message(timeout=2)
                break
            except AssertionError:
                await asyncio.sleep(0.05)
        assert help_reply is not None and "/interview start" in help_reply.text()
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "shutting down" in err.decode(), err.decode()
    assert (tmp_path / "data" / "mlmock.sqlite3").exists()  # migrated at start
