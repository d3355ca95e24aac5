"""REST API v10 of the loopback fake: the routes a slash-command/button/modal bot uses, with
Discord's error bodies, optional rate limits and injected failures. Anything else is a 404 that
is recorded as an error, so a test notices the fake is missing something."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aiohttp import BodyPartReader, web

from . import _limits
from ._world import (
    COMPONENTS_V2,
    DM,
    EPHEMERAL,
    LOADING,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
)

if TYPE_CHECKING:
    from ._driver import InteractionResult
    from .fake_discord import FakeDiscord

JSON = dict[str, Any]
Files = dict[int, tuple[str, bytes, str | None]]  # files[n] part: filename, data, content type
Handler = Callable[[web.Request], Awaitable[Any]]
API = "/api/v10"
BODY, FILES = web.RequestKey("body", Any), web.RequestKey("files", list[str])
log = logging.getLogger("loopback.rest")

# method, path (ids match snowflakes only), handler method of RestApi
ROUTES = """
GET     /users/{user_id}                                                get_user
GET     /oauth2/applications/@me                                        get_application
GET     /gateway                                                        get_gateway
GET     /gateway/bot                                                    get_gateway
GET     /applications/{application_id}/commands                        get_commands
PUT     /applications/{application_id}/commands                        put_commands
GET     /applications/{application_id}/guilds/{guild_id}/commands       get_commands
PUT     /applications/{application_id}/guilds/{guild_id}/commands       put_commands
GET     /guilds/{guild_id}/members/{user_id}                            get_member
GET     /channels/{channel_id}                                          get_channel
PATCH   /channels/{channel_id}                                          edit_channel
DELETE  /channels/{channel_id}                                          delete_channel
POST    /channels/{channel_id}/typing                                   typing
GET     /channels/{channel_id}/messages                                 history
POST    /channels/{channel_id}/messages                                 send_message
GET     /channels/{channel_id}/messages/{message_id}                    get_message
PATCH   /channels/{channel_id}/messages/{message_id}                    edit_message
DELETE  /channels/{channel_id}/messages/{message_id}                    delete_message
POST    /channels/{channel_id}/threads                                  create_thread
POST    /channels/{channel_id}/messages/{message_id}/threads            create_thread
PUT     /channels/{channel_id}/thread-members/{user_id}                 add_thread_member
DELETE  /channels/{channel_id}/thread-members/{user_id}                 remove_thread_member
POST    /users/@me/channels                                             create_dm
POST    /interactions/{interaction_id}/{token}/callback                 interaction_callback
POST    /webhooks/{application_id}/{token}                              followup
GET     /webhooks/{application_id}/{token}/messages/{message_id}        get_webhook_message
PATCH   /webhooks/{application_id}/{token}/messages/{message_id}        edit_webhook_message
DELETE  /webhooks/{application_id}/{token}/messages/{message_id}        delete_webhook_message
"""
_FORBIDDEN = {
    50001: "Missing Access",
    50013: "Missing Permissions",
    50007: "Cannot send messages to this user",
}
_EMPTY_MESSAGE: JSON = {
    "content": "",
    "embeds": [],
    "components": [],
    "attachments": [],
    "flags": 0,
}
_NAME = re.compile(r"^[-_\w]{1,32}$")


class ApiError(Exception):
    """A Discord error response: `{"message": ..., "code": ...}` plus optional extras."""

    def __init__(self, status: int, code: int, message: str, extra: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.headers = status, dict[str, str]()
        self.body = {"message": message, "code": code} | (extra or {})


def forbidden(code: int) -> ApiError:
    return ApiError(403, code, _FORBIDDEN.get(code, "Missing Permissions"))


def invalid_form(*problems: str) -> ApiError:
    errors = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": p} for p in problems]}
    return ApiError(400, 50035, "Invalid Form Body", {"errors": errors})


def invalid_fields(problems: list[tuple[str, str, str]]) -> ApiError:
    """Discord's 50035 with ``errors`` nested by field path (see ``_limits``)."""
    return ApiError(400, 50035, "Invalid Form Body", {"errors": _limits.errors_tree(problems)})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py reads "...; charset=utf-8" as text and breaks.
    headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)


@dataclass
class RequestRecord:
    method: str
    path: str
    route: str  # "POST /channels/{channel_id}/messages"
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    status: int = 0
    body: Any = None
    files: list[str] = field(default_factory=list)

    @property
    def global_limited(self) -> bool:
        """Counted by Discord's global limit (interaction callbacks and webhooks are not)."""
        return not self.route.split(" ", 1)[-1].startswith(("/interactions/", "/webhooks/"))


@dataclass
class RateLimits:
    """Discord's limits as the bot meets them.

    - Global: at most ``global_limit`` requests in ANY sliding ``global_window`` (not a fixed
      window, which lets twice the limit through across a boundary). Interaction callbacks and
      webhooks are exempt, as on Discord. A 429 carries ``X-RateLimit-Global: true`` and
      ``X-RateLimit-Scope: global``, and ``retry_after`` until the oldest request leaves the
      window.
    - Per route and major parameter (channel, guild, webhook token): a bucket of ``route_limit``
      requests that resets ``route_window`` seconds after its first request, with the headers
      Discord sends (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``-Reset-After``,
      ``-Bucket``); its 429 has ``X-RateLimit-Scope: user``.
    Requests answered 429 do not use up the limits.
    """

    enabled: bool = False
    route_limit: int = 5
    route_window: float = 1.0
    global_limit: int = 50
    global_window: float = 1.0
    overrides: dict[str, tuple[int, float]] = field(default_factory=dict)  # route -> limit
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, tuple[int, float]] = field(default_factory=dict)  # used, resets at
    _global: deque[float] = field(default_factory=deque)  # accepted non-exempt requests

    def take(
        self, key: str, limit: int, window: float, now: float | None = None
    ) -> tuple[bool, int, float]:
        """Use one request of `key`'s bucket: (allowed, remaining, seconds until reset)."""
        now = self.clock() if now is None else now
        used, resets_at = self._windows.get(key, (0, 0.0))
        if now >= resets_at:
            used, resets_at = 0, now + window
        allowed = used < limit
        self._windows[key] = (used + allowed, resets_at)
        return allowed, max(limit - used - allowed, 0), resets_at - now

    def take_global(self, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds until one more request fits the sliding window)."""
        now, window = self.clock() if now is None else now, self._global
        while window and window[0] <= now - self.global_window:
            window.popleft()
        if len(window) < self.global_limit:
            window.append(now)
            return True, 0.0
        return False, window[0] + self.global_window - now

    def check(
        self, key: str, major: str, *, exempt_from_global: bool, now: float | None = None
    ) -> dict[str, str]:
        """Headers for an allowed request; raises a 429 ApiError otherwise. ``now`` is the
        request's arrival time (default: the clock)."""
        if not self.enabled:
            return {}
        limit, window = self.overrides.get(key, (self.route_limit, self.route_window))
        bucket = f"{key}:{major}"
        used, resets_at = self._windows.get(bucket, (0, 0.0))
        now = self.clock() if now is None else now
        if now < resets_at and used >= limit:  # the route bucket is empty: no global use
            headers = _bucket_headers(key, limit, 0, resets_at - now)
            raise _too_many(resets_at - now, headers | {"X-RateLimit-Scope": "user"})
        if not exempt_from_global:
            allowed, retry = self.take_global(now)
            if not allowed:
                raise _too_many(
                    retry, {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                )
        _, remaining, reset = self.take(bucket, limit, window, now)
        return _bucket_headers(key, limit, remaining, reset)


def _bucket_headers(key: str, limit: int, remaining: int, reset: float) -> dict[str, str]:
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
    headers |= {"X-RateLimit-Reset": f"{time.time() + reset:.3f}"}
    headers |= {"X-RateLimit-Reset-After": f"{reset:.3f}"}
    return headers | {"X-RateLimit-Bucket": hashlib.sha1(key.encode()).hexdigest()[:16]}


def peak_per_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open interval [t, t + window) (a sliding window)."""
    ordered, peak, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def _too_many(reset: float, headers: dict[str, str]) -> ApiError:
    is_global = "X-RateLimit-Global" in headers
    error = ApiError(429, 0, "You are being rate limited.", {"retry_after": round(reset, 3)})
    error.body["global"] = is_global
    # discord.py takes a 429 without a Via header for a Cloudflare ban.
    error.headers = headers | {"Retry-After": str(math.ceil(reset)), "Via": "1.1 google"}
    return error


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake, self.world = fake, fake.world
        self.routes: dict[str, Handler] = {}  # "POST /channels/{channel_id}/messages" -> handler
        for line in ROUTES.strip().splitlines():
            method, path, name = line.split()
            self.routes[f"{method} {path}"] = getattr(self, name)
        self.failures: dict[str, list[Any]] = {}  # route -> [times left, status, code, message]
        self._catch_all: web.AbstractRoute | None = None

    def build_app(self, gateway: Handler) -> web.Application:
        # Handlers return JSON (or None); the middleware turns that into the response.
        app = web.Application(client_max_size=64 * 1024**2)
        app.middlewares.append(self.middleware)  # type: ignore[arg-type]
        app.router.add_get("/", gateway)
        app.router.add_get("/resume", gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.cdn)
        for key, handler in self.routes.items():
            method, path = key.split(" ", 1)
            path = API + _id_patterns(path)
            app.router.add_route(method, path, handler)  # type: ignore[arg-type]
        catch_all: Any = self.unknown
        self._catch_all = app.router.add_route("*", "/{tail:.*}", catch_all)
        return app

    @web.middleware
    async def middleware(self, req: web.Request, handler: Handler) -> web.StreamResponse:
        """Strictness, auth, injected failures and rate limits around every API route."""
        route, unknown = req.match_info.route, req.match_info.route is self._catch_all
        if not unknown and not req.path.startswith(API):
            return cast(web.StreamResponse, await handler(req))  # gateway and CDN
        resource = route.resource
        template = req.path if unknown or resource is None else resource.canonical.removeprefix(API)
        key = f"{req.method} {template}"
        record = RequestRecord(req.method, req.path, key, dict(req.query))
        self.fake.requests.append(record)
        self.fake.stats["requests"] += 1
        headers: dict[str, str] = {}
        try:
            if unknown:
                self.fake.record_error(f"unknown route {req.method} {req.path_qs} (no handler)")
                raise ApiError(404, 0, "404: Not Found")
            webhook = template.startswith(("/interactions/", "/webhooks/"))  # token-authenticated
            if not webhook and req.headers.get("Authorization") != f"Bot {self.fake.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            if (failure := self.failures.get(key)) and failure[0] > 0:
                failure[0] -= 1
                self.fake.stats["injected_failures"] += 1
                raise ApiError(*failure[1:])
            params = ("channel_id", "guild_id", "token", "interaction_id")
            major = next((req.match_info[p] for p in params if p in req.match_info), "")
            headers = self.fake.rate_limits.check(
                key, major, exempt_from_global=webhook, now=record.at
            )
            result = await handler(req)
            response = web.Response(status=204) if result is None else json_response(200, result)
        except ApiError as exc:
            self.fake.stats["rate_limited"] += exc.status == 429
            response = json_response(exc.status, exc.body, exc.headers)
        except Exception as exc:  # a bug in the fake; not a 5xx, which discord.py would retry
            log.exception("loopback fake crashed on %s", key)
            self.fake.record_error(f"fake crashed on {key}: {exc!r}")
            response = json_response(400, {"message": f"loopback fake crashed: {exc!r}", "code": 0})
        response.headers.update(headers)
        record.status, record.body, record.files = (
            response.status,
            req.get(BODY),
            req.get(FILES, []),
        )
        return response

    # -- request helpers -----------------------------------------------------------------------
    async def _body(self, req: web.Request) -> tuple[Any, Files]:
        """JSON body, or multipart `payload_json` plus `files[n]` parts."""
        body: Any = {}
        files: Files = {}
        if req.content_type.startswith("multipart/"):
            async for part in await req.multipart():
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                elif part.name and part.name.startswith("files["):
                    data = bytes(await part.read())
                    ctype = part.headers.get("Content-Type")
                    files[int(part.name[6:-1])] = (part.filename or "file", data, ctype)
        elif req.can_read_body:
            body = await req.json()
        req[BODY], req[FILES] = body, [f[0] for f in files.values()]
        if sum(len(f[1]) for f in files.values()) > self.fake.upload_limit:
            raise ApiError(413, 40005, "Request entity too large")
        req[BODY], req[FILES] = body, [f[0] for f in files.values()]
        return body, files

    def _channel(self, req: web.Request) -> FakeChannel:
        channel = self.world.channels.get(int(req.match_info["channel_id"]))
        if channel is None or channel.deleted:
            raise ApiError(404, 10003, "Unknown Channel")
        if not self.world.can_view(self.world.bot, channel):
            raise forbidden(50001)
        return channel

    def _channel_message(self, req: web.Request) -> FakeMessage:
        channel = self._channel(req)
        msg = self.world.messages.get(int(req.match_info["message_id"]))
        # Ephemeral messages exist only behind the interaction webhook.
        if msg is None or msg.deleted or msg.channel is not channel or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _message_fields(
        self, body: JSON, files: Files, channel: FakeChannel, existing: FakeMessage | None = None
    ) -> JSON:
        """Check a message create/edit body as Discord does; return FakeMessage fields."""
        fields: JSON = {k: body[k] or _EMPTY_MESSAGE[k] for k in _EMPTY_MESSAGE if k in body}
        fields.pop("attachments", None)  # handled below, with the uploaded files
        fields.pop("flags", None)
        if body.get("flags") is not None:
            fields["flags"] = int(body["flags"]) & (EPHEMERAL | COMPONENTS_V2 | 4 | 4096)
        if "attachments" in body or files:  # v10: the list names every attachment to keep
            kept = {a.id: a for a in existing.attachments} if existing else {}
            entries = body.get("attachments") or [{"id": i} for i in [*kept, *files]]
            attachments: list[FakeAttachment] = []
            for entry in entries:
                if (index := int(entry["id"])) in files:
                    name, data, ctype = files[index]
                    name = entry.get("filename", name)
                    att = self.world.upload(name, data, content_type=ctype, channel_id=channel.id)
                    att.description = entry.get("description")
                    attachments.append(att)
                elif index in kept:
                    attachments.append(kept[index])
            fields["attachments"] = attachments
        if body.get("message_reference"):
            fields["reference"] = body["message_reference"]
        now: JSON = {k: fields.get(k, getattr(existing, k, v)) for k, v in _EMPTY_MESSAGE.items()}
        v2, rows = now["flags"] & COMPONENTS_V2, now["components"]
        if size_problems := _limits.message_problems(now):
            raise invalid_fields(size_problems)
        problems = []
        if v2 and (now["content"] or now["embeds"]):
            problems.append("content and embeds cannot be used with IS_COMPONENTS_V2")
        if not v2 and (len(rows) > 5 or any(row.get("type") != 1 for row in rows)):
            problems.append("components: up to 5 action rows (type 1) without IS_COMPONENTS_V2")
        if problems:
            raise invalid_form(*problems)
        if existing is None and not any(
            now[k] for k in ("content", "embeds", "components", "attachments")
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")
        return fields

    # -- users, application, gateway, commands -------------------------------------------------
    async def get_user(self, req: web.Request) -> JSON:
        if (uid := req.match_info["user_id"]) == "@me":
            return self.world.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        if (user := self.world.users.get(int(uid))) is None:
            raise ApiError(404, 10013, "Unknown User")
        return user.payload()

    async def get_application(self, req: web.Request) -> JSON:
        w = self.world
        data: JSON = {"id": str(w.application_id), "name": w.bot.name, "description": ""}
        data |= {"bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64}
        data |= {"owner": w.owner.payload(), "bot": w.bot.payload(), "team": None, "flags": 0}
        return data | {"icon": None, "interactions_endpoint_url": None}

    async def get_gateway(self, req: web.Request) -> JSON:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0}
        limit["max_concurrency"] = self.fake.max_concurrency
        return {"url": self.fake.gateway_url, "shards": self.fake.shard_count} | {
            "session_start_limit": limit
        }

    def _commands_scope(self, req: web.Request) -> int | None:
        if req.match_info["application_id"] != str(self.world.application_id):
            raise ApiError(404, 10002, "Unknown Application")
        if (gid := req.match_info.get("guild_id")) is None:
            return None
        if int(gid) not in self.world.guilds:
            raise forbidden(50001)  # what Discord answers for a guild the app is not in
        return int(gid)

    async def get_commands(self, req: web.Request) -> list[JSON]:
        return self.world.commands.get(self._commands_scope(req), [])

    async def put_commands(self, req: web.Request) -> list[JSON]:
        scope = self._commands_scope(req)
        body, _ = await self._body(req)
        if not isinstance(body, list):
            raise invalid_form("body must be a list of commands")
        problems = [p for i, cmd in enumerate(body) for p in _command_problems(cmd, f"[{i}]")]
        if len({(c.get("name"), c.get("type", 1)) for c in body}) != len(body):
            problems.append("two commands have the same name and type")
        if problems:
            raise invalid_form(*problems)
        stored = []
        for cmd in body:
            key = (scope, cmd["name"], cmd.get("type", 1))  # ids survive re-syncs, as on Discord
            cid = self.world.command_ids.setdefault(key, 1_000_000 + len(self.world.command_ids))
            item = {"type": 1, "nsfw": False} | cmd | {"id": str(cid), "version": "1"}
            item["application_id"] = str(self.world.application_id)
            perms = cmd.get("default_member_permissions")
            item["default_member_permissions"] = None if perms is None else str(perms)
            stored.append(item | ({"guild_id": str(scope)} if scope else {}))
        self.world.commands[scope] = stored
        self.fake.sync_log.append((scope, body))
        self.world.changed()
        return stored

    # -- guilds, channels, messages ------------------------------------------------------------
    async def get_member(self, req: web.Request) -> JSON:
        guild = self.world.guilds.get(int(req.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if (member := guild.members.get(int(req.match_info["user_id"]))) is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member.payload()

    async def get_channel(self, req: web.Request) -> JSON:
        return self._channel(req).payload()

    async def edit_channel(self, req: web.Request) -> JSON:
        channel = self._channel(req)
        body, _ = await self._body(req)
        allowed = {"name", "archived", "locked", "invitable"}
        self.world.update_channel(channel, **{k: v for k, v in body.items() if k in allowed})
        return channel.payload()

    async def delete_channel(self, req: web.Request) -> JSON:
        channel = self._channel(req)
        self.world.delete_channel(channel)
        return channel.payload()

    async def typing(self, req: web.Request) -> None:
        self._channel(req)

    async def history(self, req: web.Request) -> list[JSON]:
        channel, q = self._channel(req), req.query
        limit, before, after = (
            int(q.get("limit", 50)),
            int(q.get("before", 1 << 63)),
            int(q.get("after", 0)),
        )
        msgs = [
            m for m in channel.messages if not (m.deleted or m.ephemeral) and after < m.id < before
        ]
        msgs = msgs[:limit] if "after" in q else msgs[-limit:]
        return [m.payload() for m in reversed(msgs)]

    async def send_message(self, req: web.Request) -> JSON:
        channel = self._channel(req)
        if "messages" in channel.refusals:
            raise forbidden(channel.refusals["messages"])
        if channel.type == DM and channel.recipient is not None and channel.recipient.refuses_dms:
            raise forbidden(50007)
        if channel.archived:
            if channel.locked:
                raise ApiError(400, 50083, "Thread is archived")
            self.world.update_channel(channel, archived=False)  # sending unarchives, as on Discord
        body, files = await self._body(req)
        nonce = str(body["nonce"]) if body.get("enforce_nonce") and body.get("nonce") else None
        if nonce is not None and len(nonce) > 25:
            raise invalid_fields(
                [("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")]
            )
        if nonce is not None and (first := self._nonce_message(channel, nonce)) is not None:
            if first.deleted:
                raise ApiError(404, 10008, "Unknown Message")
            return first.payload() | {"nonce": nonce}  # Discord creates no second message
        fields = self._message_fields(body, files, channel)
        fields["flags"] = fields.get("flags", 0) & ~EPHEMERAL  # only interactions are ephemeral
        msg = self.world.create_message(channel, self.world.bot, nonce=nonce, **fields)
        return msg.payload() | ({"nonce": nonce} if nonce else {})

    def _nonce_message(self, channel: FakeChannel, nonce: str) -> FakeMessage | None:
        """The bot's message in ``channel`` sent with ``nonce`` within the nonce window."""
        since = time.monotonic() - self.fake.nonce_window
        for msg in reversed(channel.messages):
            if msg.created_mono < since:
                return None
            if msg.nonce == nonce and msg.author is self.world.bot:
                return msg
        return None

    async def get_message(self, req: web.Request) -> JSON:
        return self._channel_message(req).payload()

    async def edit_message(self, req: web.Request) -> JSON:
        msg = self._channel_message(req)
        if msg.author is not self.world.bot:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body, files = await self._body(req)
        fields = self._message_fields(body, files, msg.channel, existing=msg)
        fields.pop("flags", None)
        return self.world.edit_message(msg, **fields).payload()

    async def delete_message(self, req: web.Request) -> None:
        self.world.delete_message(self._channel_message(req))

    # -- threads and DMs -----------------------------------------------------------------------
    async def create_thread(self, req: web.Request) -> JSON:
        parent = self._channel(req)
        if "threads" in parent.refusals:
            raise forbidden(parent.refusals["threads"])
        if parent.type != TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        starter = self._channel_message(req) if "message_id" in req.match_info else None
        body, _ = await self._body(req)
        if not 1 <= len(name := str(body.get("name", ""))) <= 100:
            raise invalid_form("name: Must be between 1 and 100 in length.")
        kind = PUBLIC_THREAD if starter else int(body.get("type", PRIVATE_THREAD))
        invitable = body.get("invitable", True)
        bot = self.world.bot
        return self.world.create_thread(
            parent, name, type=kind, owner=bot, invitable=invitable
        ).payload()

    def _thread_member(self, req: web.Request) -> tuple[FakeChannel, int]:
        thread = self._channel(req)
        if not thread.is_thread or thread.guild is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        uid = req.match_info["user_id"]
        user_id = self.world.bot.id if uid == "@me" else int(uid)
        if user_id not in thread.guild.members:
            raise ApiError(404, 10007, "Unknown Member")
        return thread, user_id

    async def add_thread_member(self, req: web.Request) -> None:
        thread, user_id = self._thread_member(req)
        if "thread_members" in thread.refusals:
            raise forbidden(thread.refusals["thread_members"])
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        thread.members.add(user_id)
        self.world.changed()

    async def remove_thread_member(self, req: web.Request) -> None:
        thread, user_id = self._thread_member(req)
        thread.members.discard(user_id)
        self.world.changed()

    async def create_dm(self, req: web.Request) -> JSON:
        body, _ = await self._body(req)
        user = self.world.users.get(int(body.get("recipient_id", 0)))
        if user is None or user.bot:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return self.world.dm_channel(user).payload()

    async def unknown(self, req: web.Request) -> None:
        raise ApiError(404, 0, "404: Not Found")  # not reached: the middleware answers first

    async def cdn(self, req: web.Request) -> web.StreamResponse:
        att = self.world.attachments.get(int(req.match_info["attachment_id"]))
        if att is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=att.data, content_type=att.content_type or "application/octet-stream"
        )

    # -- interactions --------------------------------------------------------------------------
    async def interaction_callback(self, req: web.Request) -> JSON:
        ir = self.fake.interactions.get(int(req.match_info["interaction_id"]))
        if ir is None or ir.token != req.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if time.monotonic() - (ir.sent_at or ir.created_at) > self.fake.callback_deadline:
            raise ApiError(404, 10062, "Unknown interaction")  # the 3 s window has passed
        if ir.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body, files = await self._body(req)
        rtype, data = body.get("type"), body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[ir.type]
        if rtype not in allowed - ({6, 7} if ir.message is None else set()):
            raise invalid_form(f"type: response {rtype} is invalid for interaction type {ir.type}")
        msg: FakeMessage | None = None
        if rtype == 4:
            msg = self._interaction_message(ir, self._message_fields(data, files, ir.channel))
        elif rtype == 5:  # the "thinking..." placeholder, ephemeral or not
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            msg = self._interaction_message(ir, {"flags": flags})
        elif rtype == 7 and ir.message is not None:
            fields = self._message_fields(data, files, ir.channel, existing=ir.message)
            fields.pop("flags", None)
            msg = self.world.edit_message(ir.message, **fields)
        elif rtype == 8 and (problems := _limits.choice_problems(list(data.get("choices", [])))):
            raise invalid_fields(problems)
        elif rtype == 9 and not all(data.get(k) for k in ("custom_id", "title", "components")):
            raise invalid_form("data: a modal needs custom_id, title and components")
        elif rtype == 9 and (problems := _limits.modal_problems(data)):
            raise invalid_fields(problems)
        ir.on_callback(rtype, data, msg)
        self.world.changed()
        interaction: JSON = {"id": str(ir.id), "type": ir.type}
        if msg is None:
            return {"interaction": interaction, "resource": {"type": rtype}}
        interaction |= {"response_message_id": str(msg.id), "response_message_loading": msg.loading}
        interaction["response_message_ephemeral"] = msg.ephemeral
        return {"interaction": interaction, "resource": {"type": rtype, "message": msg.payload()}}

    def _interaction_message(self, ir: InteractionResult, fields: JSON) -> FakeMessage:
        flags = fields.pop("flags", 0)
        meta = {"interaction": ir.metadata(), "webhook_id": self.world.application_id}
        meta |= {"flags": flags, "type": 20 if ir.type == 2 else 0}
        meta["viewer"] = ir.user if flags & EPHEMERAL else None
        return self.world.create_message(ir.channel, self.world.bot, **fields, **meta)

    def _webhook_interaction(self, req: web.Request) -> InteractionResult:
        ir = self.fake.interactions_by_token.get(req.match_info["token"])
        app_ok = req.match_info["application_id"] == str(self.world.application_id)
        # Before the interaction is acknowledged, or after 15 minutes, there is no webhook.
        if (
            ir is None
            or not app_ok
            or ir.callback is None
            or time.monotonic() - ir.created_at > 900
        ):
            raise ApiError(404, 10015, "Unknown Webhook")
        return ir

    def _webhook_message(self, req: web.Request) -> FakeMessage:
        ir, mid = self._webhook_interaction(req), req.match_info["message_id"]
        msg = ir.original if mid == "@original" else self.world.messages.get(int(mid))
        if msg is None or msg.deleted or (msg is not ir.original and msg not in ir.followups):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def followup(self, req: web.Request) -> JSON | None:
        ir = self._webhook_interaction(req)
        body, files = await self._body(req)
        fields = self._message_fields(body, files, ir.channel)
        original = ir.original
        if original is not None and original.loading and not ir.followups:
            # The first follow-up after a deferral replaces the "thinking..." message and keeps
            # the deferral's ephemerality.
            flags = (original.flags & ~LOADING) | (fields.pop("flags", 0) & ~EPHEMERAL)
            msg = self.world.edit_message(original, **fields, flags=flags)
        else:
            msg = self._interaction_message(ir, fields)
        ir.followups.append(msg)
        self.world.changed()
        return msg.payload() if req.query.get("wait", "").lower() in ("1", "true") else None

    async def get_webhook_message(self, req: web.Request) -> JSON:
        return self._webhook_message(req).payload()

    async def edit_webhook_message(self, req: web.Request) -> JSON:
        msg = self._webhook_message(req)
        body, files = await self._body(req)
        fields = self._message_fields(body, files, msg.channel, existing=msg)
        fields["flags"] = msg.flags & ~LOADING  # editing completes a deferral; ephemeral stays
        return self.world.edit_message(msg, **fields).payload()

    async def delete_webhook_message(self, req: web.Request) -> None:
        self.world.delete_message(self._webhook_message(req))


def _command_problems(cmd: Any, where: str, *, top: bool = True) -> list[str]:
    """The checks Discord applies to a bulk-overwrite body that a discord.py bot can fail."""
    if not isinstance(cmd, dict):
        return [f"{where}: not an object"]
    problems, name, desc = [], str(cmd.get("name", "")), str(cmd.get("description", ""))
    if cmd.get("type", 1) == 1 or not top:  # context menus (types 2, 3) have free names
        if not _NAME.match(name) or name != name.lower():
            problems.append(f"{where}.name: {name!r} is not a valid slash command name")
        if not 1 <= len(desc) <= 100:
            problems.append(f"{where}.description: must be 1-100 characters")
    options = cmd.get("options") or []
    required = [bool(o.get("required")) for o in options if o.get("type") not in (1, 2)]
    if required != sorted(required, reverse=True):
        problems.append(f"{where}.options: required options must come before optional ones")
    if len(options) > 25 or len(cmd.get("choices") or []) > 25:
        problems.append(f"{where}: at most 25 options and 25 choices")
    if cmd.get("choices") and cmd.get("autocomplete"):
        problems.append(f"{where}: autocomplete cannot be used with choices")
    for key, low in (("min_length", 0), ("max_length", 1)):
        if cmd.get(key) is not None and not low <= cmd[key] <= _limits.STRING_OPTION:
            problems.append(f"{where}.{key}: must be {low}-{_limits.STRING_OPTION}")
    for i, choice in enumerate(cmd.get("choices") or []):
        if not 1 <= len(str(choice.get("name", ""))) <= _limits.CHOICE_NAME:
            problems.append(f"{where}.choices[{i}].name: must be 1-100 characters")
        if isinstance(choice.get("value"), str) and len(choice["value"]) > _limits.CHOICE_VALUE:
            problems.append(f"{where}.choices[{i}].value: at most 100 characters")
    for i, opt in enumerate(options):
        problems += _command_problems(opt, f"{where}.options[{i}]", top=False)
    return problems


def _id_patterns(path: str) -> str:
    """Ids match snowflakes (or @me, @original) only: GET .../messages/pins is an unknown route,
    not a message fetch."""

    def pattern(match: re.Match[str]) -> str:
        name = match.group(1)
        extra = "|@me" if name == "user_id" else ""
        extra = "|@original" if name == "message_id" and path.startswith("/webhooks") else extra
        return match.group(0) if name == "token" else f"{{{name}:\\d+{extra}}}"

    return re.sub(r"\{(\w+)\}", pattern, path)
