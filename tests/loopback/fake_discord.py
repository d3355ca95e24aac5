"""FakeDiscord: a loopback Discord (REST v10 + gateway v10 on 127.0.0.1) for end-to-end tests.

The bot under test runs unmodified (`bot.start(token)`); only `discord.http.Route.BASE` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` point here while the fake is entered.
See README.md in this folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

import discord
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from . import _limits
from ._driver import InteractionDriver, InteractionResult
from ._gateway import Gateway
from ._rest import RateLimits, RequestRecord, RestApi, peak_per_window
from ._world import JSON, FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, Who, World

T = TypeVar("T")
log = logging.getLogger("loopback")


class _ErrorCapture(logging.Handler):
    """discord.py logs (rather than raises) exceptions from commands, views and modals."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(logging.ERROR)
        self.fake = fake
        self.loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.fake.log_errors.append(record)
        # Wake the waiters, also when discord.py logs from its heartbeat thread.
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.fake.notify)


class FakeDiscord(InteractionDriver):
    def __init__(self, *, token: str = "token", callback_deadline: float = 3.0) -> None:
        self.token = token
        self.callback_deadline = callback_deadline  # Discord drops interactions not answered in 3 s
        self.upload_limit = _limits.UPLOAD_LIMIT  # bytes per request, both ways (413 40005)
        # enforce_nonce: a repeated nonce within this many seconds returns the first message
        self.nonce_window = 300.0
        # GET /gateway/bot: the shards Discord recommends, and how many may IDENTIFY together
        self.shard_count = 1
        self.max_concurrency = 1
        self.world = World()
        self.world.emit = lambda event, data: self.gateway.dispatch(event, data)
        self.world.changed = self.notify
        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self.rate_limits = RateLimits()
        self.requests: list[RequestRecord] = []
        self.errors: list[str] = []  # unknown routes, gateway protocol errors, crashes of the fake
        self.log_errors: list[logging.LogRecord] = []  # ERROR records of the `discord` logger
        self.stats: Counter[str] = Counter()
        self.sync_log: list[tuple[int | None, list[JSON]]] = []  # (guild id or None, PUT body)
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.open_modals: dict[tuple[int, str], tuple[JSON, InteractionResult]] = {}
        self.port = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._exit_stack = contextlib.ExitStack()
        self._log_handler = _ErrorCapture(self)
        self._bots: list[tuple[discord.Client, asyncio.Task[None]]] = []
        # World building (do it before starting the bot: READY and GUILD_CREATE carry the world).
        w = self.world
        self.add_user, self.add_guild, self.add_role = w.add_user, w.add_guild, w.add_role
        self.add_member, self.add_text_channel = w.add_member, w.add_text_channel
        self.dm_channel, self.upload, self.bot_user = w.dm_channel, w.upload, w.bot

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.rest.build_app(self.gateway.handle), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port chosen by the OS, known before serving
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.world.cdn_base = f"http://127.0.0.1:{self.port}"
        self._log_handler.loop = asyncio.get_running_loop()
        logging.getLogger("discord").addHandler(self._log_handler)

    async def stop(self) -> None:
        await self.stop_bots()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
        logging.getLogger("discord").removeHandler(self._log_handler)

    @contextlib.contextmanager
    def patch(self) -> Iterator[None]:
        """Point discord.py at the fake (the two seams), restoring them afterwards."""
        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self.api_base, yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self._exit_stack.enter_context(self.patch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop()
        finally:
            self._exit_stack.close()

    # -- running bots --------------------------------------------------------------------------
    async def start_bot(
        self,
        bot: discord.Client,
        *,
        token: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """`bot.start(token)` in a task; returns once the bot is ready, or raises what start did."""
        identifies = self.stats["identifies"]
        start = bot.start(token or self.token)
        task = asyncio.create_task(start, name=f"loopback-bot-{len(self._bots)}")
        task.add_done_callback(lambda _: self.notify())
        self._bots.append((bot, task))
        try:
            await self.wait_until(
                lambda: task.done() or self.stats["identifies"] > identifies,
                timeout,
                "the bot to IDENTIFY",
            )
            if task.done():
                task.result()
                raise AssertionError("bot.start() returned before identifying")
            # The bot has logged in, so its ready event exists: wait on it.
            ready = asyncio.ensure_future(bot.wait_until_ready())
            await asyncio.wait({ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                if task.done():
                    task.result()
                raise AssertionError(f"the bot was not ready within {timeout}s")
        except BaseException:
            await self.stop_bot(bot, check=False)
            raise

    async def stop_bot(self, bot: discord.Client, *, check: bool = True) -> None:
        for entry in [e for e in self._bots if e[0] is bot]:
            self._bots.remove(entry)
            await bot.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(entry[1], 5.0)
            if check and not entry[1].cancelled() and entry[1].exception() is not None:
                self.record_error(f"bot.start() raised {entry[1].exception()!r}")

    async def stop_bots(self) -> None:
        for bot, _ in list(self._bots):
            await self.stop_bot(bot)

    # -- waiting without sleeping --------------------------------------------------------------
    def notify(self) -> None:
        """Something changed: wake every wait_until() so it re-checks its predicate."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "a condition",
    ) -> T:
        try:
            async with asyncio.timeout(timeout):
                while not (result := predicate()):
                    await self._changed.wait()
        except TimeoutError:
            recent = "\n  ".join(f"{r.status} {r.method} {r.path}" for r in self.requests[-8:])
            problems = "\n  ".join(self.problems()) or "none"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}\nlast requests:\n  {recent}\n"
                f"problems so far:\n  {problems}"
            ) from None
        return result

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The first (oldest) live message matching `predicate`, waiting for it if needed."""

        def find() -> FakeMessage | None:
            return next(
                (m for m in self.world.messages.values() if not m.deleted and predicate(m)), None
            )

        return await self.wait_until(find, timeout, "a matching message")

    # -- what users see ------------------------------------------------------------------------
    def messages_in(
        self, channel: FakeChannel, *, include_ephemeral: bool = False
    ) -> list[FakeMessage]:
        return [
            m for m in channel.messages if not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def visible_to(self, who: Who, *, history: bool = False) -> list[FakeMessage]:
        """Every message `who` can see: channels and threads they can view, their DMs, and
        ephemeral responses to their own interactions. `history=True` adds deleted messages
        (use `message.text(history=True)` for earlier revisions)."""
        return self.world.visible_to(who, history=history)

    def threads(self, parent: FakeChannel | None = None) -> list[FakeChannel]:
        return [
            c
            for c in self.world.channels.values()
            if c.is_thread and not c.deleted and (parent is None or c.parent is parent)
        ]

    def synced_commands(self, guild: FakeGuild | None = None) -> list[JSON]:
        """Commands as stored after the last bulk overwrite (global, or for `guild`)."""
        return self.world.commands.get(guild.id if guild else None, [])

    def command(self, name: str, guild: FakeGuild | None = None) -> JSON:
        found = [c for c in self.synced_commands(guild) if c["name"] == name]
        if not found:
            raise KeyError(f"/{name} was not synced {'for ' + guild.name if guild else 'globally'}")
        return found[0]

    # -- switches: refusals, failures, rate limits, dropped sockets ----------------------------
    def refuse(
        self,
        channel: FakeChannel,
        action: Literal["threads", "messages", "thread_members"],
        code: Literal[50001, 50013] = 50013,
    ) -> None:
        """Make the bot's `action` in `channel` fail with 403 Missing Access/Missing Permissions."""
        channel.refusals[action] = code

    def allow(self, channel: FakeChannel, action: str) -> None:
        channel.refusals.pop(action, None)

    def allow_command(self, guild: FakeGuild, name: str, role: FakeRole) -> None:
        """What a server admin does in Server Settings > Integrations: members with ``role`` may
        see and use the top-level command ``name`` whatever its default_member_permissions."""
        self.world.command_roles.setdefault((guild.id, name), set()).add(role.id)

    def refuse_dms(self, who: Who, refuse: bool = True) -> None:
        """Sending to this user's DM channel answers 403 50007 (opening the channel still works)."""
        who.user.refuses_dms = refuse

    def fail_next(
        self,
        route: str,
        *,
        times: int = 1,
        status: int = 500,
        code: int = 0,
        message: str = "Internal Server Error",
    ) -> None:
        """The next `times` calls of `route` (e.g. "POST /channels/{channel_id}/messages") fail.
        discord.py retries 500/502/504 after 1 s, 3 s...; other statuses raise at once."""
        if route not in self.rest.routes:
            raise ValueError(f"unknown route {route!r}; known: {sorted(self.rest.routes)}")
        self.rest.failures[route] = [times, status, code, message]

    def enable_rate_limits(
        self,
        *,
        route_limit: int = 5,
        route_window: float = 1.0,
        global_limit: int = 50,
        global_window: float = 1.0,
        overrides: dict[str, tuple[int, float]] | None = None,
    ) -> RateLimits:
        self.rate_limits = RateLimits(
            True, route_limit, route_window, global_limit, global_window, overrides or {}
        )
        return self.rate_limits

    def peak_requests_per_second(
        self,
        *,
        since: float = 0.0,
        window: float = 1.0,
        accepted_only: bool = False,
        include_exempt: bool = False,
    ) -> int:
        """The most REST requests the bot sent in any sliding ``window`` seconds after ``since``
        (a ``time.monotonic()`` value): the figure Discord's global limit (50/s) bounds. By
        default only requests the global limit counts (not callbacks and webhooks), 429s
        included; ``accepted_only`` leaves the 429s out."""
        times = [
            r.at
            for r in self.requests
            if r.at >= since
            and (include_exempt or r.global_limited)
            and not (accepted_only and r.status == 429)
        ]
        return peak_per_window(times, window)

    async def drop_gateway(
        self,
        *,
        code: int = 4000,
        invalidate: bool = False,
        wait: bool = True,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Close the bot's websocket. It RESUMEs (missed events are replayed), or IDENTIFYs again
        when `invalidate` is set (discord.py sleeps 5 s in `before_identify_hook` first, unless
        the bot overrides that hook). With `wait`, return once the bot is back."""
        counter, what = ("identifies", "IDENTIFY") if invalidate else ("resumes", "RESUME")
        before = self.stats[counter]
        await self.gateway.drop(code=code, invalidate=invalidate)
        if wait:
            await self.wait_until(
                lambda: self.stats[counter] > before, timeout, f"the bot to {what}"
            )

    # -- strictness ----------------------------------------------------------------------------
    def record_error(self, message: str) -> None:
        log.error("loopback fake: %s", message)
        self.errors.append(message)
        self.notify()

    def problems(self) -> list[str]:
        found = list(self.errors)
        for record in self.log_errors:
            text = f"discord.py logged {record.levelname} ({record.name}): {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                text += f" -- {record.exc_info[1]!r}"
            found.append(text)
        return found

    def take_problems(self) -> list[str]:
        """Return and forget the problems recorded so far (for tests that provoke them)."""
        found = self.problems()
        self.errors.clear()
        self.log_errors.clear()
        return found

    def assert_clean(self) -> None:
        if found := self.problems():
            raise AssertionError("the loopback fake saw problems:\n  " + "\n  ".join(found))


@dataclass
class DefaultWorld:
    """Two guilds; alice has Manage Server (role "Interviewer"), bob and carol are plain members."""

    guild: FakeGuild
    interviewer: FakeRole
    alice: FakeMember
    bob: FakeMember
    carol: FakeMember
    general: FakeChannel
    interviews: FakeChannel
    staff: FakeChannel  # visible to Interviewers only
    other_guild: FakeGuild
    dave: FakeMember
    lounge: FakeChannel


def build_default_world(fake: FakeDiscord) -> DefaultWorld:
    guild = fake.add_guild("ML Interview Prep")
    interviewer = fake.add_role(
        guild, "Interviewer", permissions=discord.Permissions(manage_guild=True)
    )
    other = fake.add_guild("Other Server")
    return DefaultWorld(
        guild=guild,
        interviewer=interviewer,
        alice=fake.add_member(guild, "alice", roles=[interviewer]),
        bob=fake.add_member(guild, "bob"),
        carol=fake.add_member(guild, "carol"),
        general=fake.add_text_channel(guild, "general"),
        interviews=fake.add_text_channel(guild, "interviews"),
        staff=fake.add_text_channel(guild, "staff", private_to=[interviewer]),
        other_guild=other,
        dave=fake.add_member(other, "dave"),
        lounge=fake.add_text_channel(other, "lounge"),
    )
