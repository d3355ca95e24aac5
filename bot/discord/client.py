"""The bot: resources are built in ``main()`` and injected; extensions load in ``setup_hook``."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import pkgutil
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

import bot.features
from bot import logs
from bot.app import App
from bot.discord.guard import describe, record_interaction, reply
from bot.discord.limits import typed_values

if TYPE_CHECKING:
    from bot.features.interviews.flow import InterviewFlow

log = logging.getLogger(__name__)
IDENTIFY_INTERVAL = 5.0  # Discord: one IDENTIFY per rate-limit key every 5 seconds
# The tests look at what the identify hook waits, on their own clock, without waiting.
_sleep, _now = asyncio.sleep, time.monotonic


class MockInterviewBot(commands.AutoShardedBot):
    """The bot. Always shard-aware: with no ``shard_count`` Discord says how many shards to run
    (``GET /gateway/bot``) and this process runs them all; ``shard_ids`` runs a part of them, the
    other processes running the rest over the same database. Sessions, jobs and views live in
    the database, so an interaction may arrive on any shard of any process (DMs on shard 0)."""

    def __init__(
        self,
        app: App,
        *,
        sync_guild_id: int | None = None,
        sync_commands: bool = True,
        **client_kwargs: Any,
    ) -> None:
        # Default intents only: slash commands, buttons and modals need no privileged intent.
        client_kwargs.setdefault("intents", discord.Intents.default())
        if client_kwargs.get("shard_ids") is not None:
            client_kwargs["shard_ids"] = list(client_kwargs["shard_ids"])
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **client_kwargs)
        self.app = app
        self.flow: InterviewFlow  # set by the interviews feature, loaded first
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._sync_guild_id = sync_guild_id
        self._sync_commands = sync_commands
        self.tree.on_error = self._on_app_command_error  # type: ignore[method-assign]
        self._max_concurrency: int | None = None
        self._identified_at: dict[int, float] = {}  # shard id -> its last IDENTIFY (monotonic)
        self._identify_lock = asyncio.Lock()

    async def setup_hook(self) -> None:
        # Every feature package's commands module has ``setup``; interviews first, because the
        # others ask its flow who a Discord user is.
        names = [info.name for info in pkgutil.iter_modules(bot.features.__path__) if info.ispkg]
        for name in sorted(names, key=lambda n: n != "interviews"):
            module = importlib.import_module(f"bot.features.{name}.commands")
            await module.setup(self)
        if self._sync_commands:
            if self._sync_guild_id:  # a development server: commands appear at once
                guild = discord.Object(id=self._sync_guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            else:
                await self.tree.sync()
        if not self.app.scheduler_started:
            await self.app.start_scheduler()  # timers resume from the database
        # Start-up is over (banks loaded): move what it built out of the cyclic GC's sight, so
        # a full collection no longer walks every question. benchmarks/bank_import.py
        # --freeze-runs 5, one question into a 12,000-question guild: longest full collection
        # 0.272 s -> 0.000 s, longest event-loop block 0.318 s -> 0.076 s (median 0.071 -> 0.056).
        gc.collect()
        gc.freeze()

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        # Logging is configured by now (the CLI sets it up before starting the bot): from here
        # on no handler writes the token, interaction tokens or what members typed.
        logs.install(token)
        await super().start(token, reconnect=reconnect)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args and isinstance(args[0], discord.Interaction):
            # Runs while the gateway event is parsed, before any handler task starts: whatever
            # a handler logs later about this interaction's token or modal text (answers) is
            # redacted. Slash option values (topics, times, zones) are not secret.
            interaction = args[0]
            interaction.extras["received_at"] = time.monotonic()  # latency metrics start here
            logs.remember([interaction.token, *typed_values(interaction.data, options=False)])
        super().dispatch(event_name, *args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every shard but the first. Discord's rule is one IDENTIFY
        # per 5 s per key ``shard_id % max_concurrency``: shards with different keys may
        # identify together, which large bots (max_concurrency 16 and more) rely on to start.
        async with self._identify_lock:
            shard = shard_id or 0
            if self._identified_at and self._max_concurrency is None:  # asked once, when needed
                try:
                    limits = await self.fetch_session_start_limits()
                    self._max_concurrency = max(1, int(limits.max_concurrency))
                except discord.DiscordException:
                    self._max_concurrency = 1
            concurrency = self._max_concurrency or 1
            same_key = [
                at
                for other, at in self._identified_at.items()
                if other % concurrency == shard % concurrency
            ]
            if same_key:
                await _sleep(max(0.0, max(same_key) + IDENTIFY_INTERVAL - _now()))
            self._identified_at[shard] = _now()

    def gateway_connected(self) -> bool:
        """Every shard of this process has a live gateway connection (for the health check)."""
        if self.is_closed() or not self.is_ready():
            return False
        shards = self.shards
        return bool(shards) and all(not s.is_closed() for s in shards.values())

    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], command: object
    ) -> None:
        record_interaction(interaction, ok=True)  # commands no guard wraps (/help); once only

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` when the bot shuts down (features stop their background tasks)."""
        self._closers.append(closer)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception:
                log.exception("a feature failed to stop cleanly")
        self._closers.clear()
        await super().close()

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        record_interaction(interaction, ok=False)
        log.error(
            "%s failed:\n%s", describe(interaction), "".join(traceback.format_exception(error))
        )
        try:
            await reply(
                interaction, "Something went wrong on our side; nothing you wrote was lost."
            )
        except discord.HTTPException:
            pass


def create_bot(app: App, **client_kwargs: Any) -> MockInterviewBot:
    """Build the bot; ``client_kwargs`` go to ``discord.Client`` (e.g. ``guild_ready_timeout``)."""
    return MockInterviewBot(app, **client_kwargs)
