"""`mlmock run`: the Discord bot, until SIGTERM/SIGINT (docker stop, Ctrl-C)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

    from bot.app import App
    from bot.config import Settings
    from bot.discord.client import MockInterviewBot
    from bot.metrics import OpsServer

SHUTDOWN_GRACE_SECONDS = 10


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run",
        help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot. Reads DISCORD_TOKEN (and optionally DISCORD_GUILD_ID, "
        "DATABASE_URL) from the environment or a .env file; migrates the database first.",
    )
    parser.set_defaults(func=_run)


def _not_about_voice(record: logging.LogRecord) -> bool:
    """discord.py warns at every start that voice support is not installed; the bot never
    speaks, so the warning is noise."""
    return "voice will NOT be supported" not in record.getMessage()


def quiet_startup_logs(level: int) -> None:
    """Above DEBUG, hide the migration steps alembic logs and discord.py's voice warnings."""
    import logging

    if level <= logging.DEBUG:
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("discord.client").addFilter(_not_about_voice)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    import discord

    from bot.app import BankInvalid
    from bot.config import Settings
    from bot.storage.instance import AnotherBotProcess

    settings = Settings.from_env()  # ConfigError: one line, exit 2 (bot.cli.main)
    if not settings.token:
        print(
            "error: DISCORD_TOKEN is not set (environment or .env); create a bot token in the "
            "Discord Developer Portal, see README 'Running the Discord bot'.",
            file=sys.stderr,
        )
        return 2
    discord.utils.setup_logging(level=settings.logging_level)
    quiet_startup_logs(settings.logging_level)
    try:
        asyncio.run(serve(settings))
    except discord.LoginFailure:
        print(
            "error: Discord rejected the token in DISCORD_TOKEN; copy it again from the "
            "Developer Portal (Bot > Reset Token).",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print("error: Discord refused the requested intents.", file=sys.stderr)
        return 2
    except BankInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except AnotherBotProcess as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


async def serve(settings: Settings, **client_kwargs: Any) -> None:
    import asyncio
    import contextlib
    import logging
    import signal

    from discord.http import Route

    from bot.app import open_app
    from bot.discord.client import create_bot
    from bot.discord.pacing import GlobalPacer, share
    from bot.storage.instance import sole_bot_process

    token = settings.token
    assert token
    # On SQLite this process must be the only bot on the file (else AnotherBotProcess).
    async with (
        sole_bot_process(settings.database_url) as sole,
        open_app(settings, scope="discord", start_scheduler=False) as app,
    ):
        if sole:  # claims a killed predecessor left are ours to run now, not after the lease
            await app.scheduler.release_stale_claims()
        if settings.shard_count is not None:
            client_kwargs.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            client_kwargs.setdefault("shard_ids", list(settings.shard_ids))
        if "http_trace" not in client_kwargs:  # pace under Discord's global limit
            rate = settings.discord_rate_limit or share(settings.shard_count, settings.shard_ids)
            client_kwargs["http_trace"] = GlobalPacer(rate).trace_config(lambda: Route.BASE)
        bot = create_bot(app, sync_guild_id=settings.discord_guild_id, **client_kwargs)
        ops = ops_server(app, bot)  # database errors are counted from here on
        if settings.metrics_port is not None:
            await ops.start(settings.metrics_port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop-signal")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if runner in done:
                runner.result()  # raises LoginFailure and friends
                return
            log = logging.getLogger("bot")
            log.info("shutting down: finishing in-flight work")
            await bot.close()  # no new interactions; handlers already running go on
            try:
                async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                    await app.db.writes_finished()
            except TimeoutError:
                log.warning("some writes were still running after %ss", SHUTDOWN_GRACE_SECONDS)
            await asyncio.gather(runner, return_exceptions=True)
        await ops.stop()


def ops_server(app: App, bot: MockInterviewBot) -> OpsServer:
    """/metrics and /healthz for this process (started when METRICS_PORT is set); counts the
    database's errors from now on either way."""
    from sqlalchemy import func, select, text

    from bot.core.session import SessionStatus
    from bot.metrics import METRICS, OpsServer
    from bot.storage.models import InterviewSession

    METRICS.watch_database(app.db.engine, app.db.read_engine)

    async def ping() -> None:
        async with app.db.reading() as s:
            await s.execute(text("SELECT 1"))

    async def open_interviews() -> int:
        is_open = [SessionStatus.ACTIVE.value, SessionStatus.PAUSED.value]
        async with app.db.reading() as s:
            query = select(func.count()).where(InterviewSession.status.in_(is_open))
            return int(await s.scalar(query) or 0)

    return OpsServer(
        METRICS,
        gateway_connected=bot.gateway_connected,
        database_ping=ping,
        open_interviews=open_interviews,
    )
