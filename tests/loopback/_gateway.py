"""Gateway v10 of the loopback fake: JSON text frames; sessions survive a dropped socket.

Sharding as Discord does it: a session that IDENTIFYs with ``shard: [id, count]`` receives the
guilds with ``(guild_id >> 22) % count == id`` only (READY, GUILD_CREATE and every event about
them); events outside any guild (DMs) go to shard 0. A session without ``shard`` gets all.
Several sessions (shards, processes) may be connected at once."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .fake_discord import FakeDiscord

JSON = dict[str, Any]
log = logging.getLogger("loopback.gateway")
GUILDS, GUILD_MEMBERS = 1 << 0, 1 << 1  # intents
GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
HEARTBEAT_INTERVAL_MS = 41_250


OnSent = Callable[[float], None] | None  # called with the monotonic time the frame was written


@dataclass
class Frame:
    text: str
    on_sent: OnSent = None


def shard_of(guild_id: int | None, count: int) -> int:
    """Discord's routing rule; DMs (no guild) belong to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % count


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: tuple[int, int] | None = None  # (shard id, shard count) from IDENTIFY
    frames: list[Frame] = field(default_factory=list)  # frames[i] has seq i + 1: resumes replay
    cursor: int = 0  # next frame to write to the socket
    ws: web.WebSocketResponse | None = None
    ended: bool = False  # closed by the client with 1000/1001, or invalidated
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, guild_id: int | None) -> bool:
        """Does this session receive events of this guild (None: a DM)?"""
        return self.shard is None or shard_of(guild_id, self.shard[1]) == self.shard[0]


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self._server_closed: set[web.WebSocketResponse] = set()

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if not s.ended]

    def sessions_for(self, guild_id: int | None) -> list[Session]:
        """The live sessions that receive this guild's events (None: DMs, shard 0)."""
        return [s for s in self.live_sessions if s.wants(guild_id)]

    # -- connection ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.fake.record_error(f"gateway: unexpected query {request.query_string!r}")
        self.fake.stats["gateway_connections"] += 1
        hello = {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
        await ws.send_str(json.dumps(hello))
        session: Session | None = None
        writer: asyncio.Task[None] | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, d = frame.get("op"), frame.get("d")
                if op == 1:
                    await ws.send_str('{"op": 11}')
                elif op in (2, 6):
                    if d.get("token") != self.fake.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    if op == 2 and (problem := _shard_problem(d.get("shard"))):
                        self.fake.stats["invalid_shards"] += 1
                        await ws.close(code=4010, message=problem.encode())
                        break
                    session = self._identify(d) if op == 2 else self._resume(d, request.path)
                    if session is None:  # unknown session: the client must IDENTIFY again
                        await ws.send_str('{"op": 9, "d": false}')
                        continue
                    session.ws = ws
                    writer = asyncio.create_task(self._writer(session, ws))
                    self.fake.notify()
                elif op == 8 and session is not None:
                    self._send_members(session, d)
                elif op not in (3, 4):  # presence and voice updates are accepted and ignored
                    self.fake.record_error(f"gateway: unexpected op {op}: {frame}")
        finally:
            if writer is not None:
                writer.cancel()
            if session is not None and session.ws is ws:
                session.ws = None
                if ws not in self._server_closed and ws.close_code in (1000, 1001):
                    session.ended = True  # a clean client close ends the session, as on Discord
            self._server_closed.discard(ws)
            self.fake.notify()
        return ws

    def _identify(self, d: JSON) -> Session:
        shard = tuple(d["shard"]) if d.get("shard") is not None else None
        session = Session(secrets.token_hex(16), int(d.get("intents", 0)), shard)  # type: ignore[arg-type]
        self.sessions[session.id] = session
        world = self.fake.world
        user = world.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        mine = [g for g in world.guilds.values() if session.wants(g.id)]
        guilds = [{"id": str(g.id), "unavailable": True} for g in mine]
        ready: JSON = {"v": 10, "user": user, "guilds": guilds, "session_id": session.id}
        ready["resume_gateway_url"] = self.fake.gateway_url + "resume"
        ready["application"] = {"id": str(world.application_id), "flags": 0}
        for empty in ("private_channels", "relationships", "presences", "guild_join_requests"):
            ready[empty] = []
        if d.get("shard") is not None:
            ready["shard"] = d["shard"]
        self._push(session, "READY", ready)
        for guild in mine:
            data = world.guild_create(guild, all_members=bool(session.intents & GUILD_MEMBERS))
            self._push(session, "GUILD_CREATE", data)
        self.fake.stats["identifies"] += 1
        if shard is not None:
            self.fake.stats[f"identifies_shard_{shard[0]}"] += 1
        return session

    def _resume(self, d: JSON, path: str) -> Session | None:
        session = self.sessions.get(d.get("session_id") or "")
        if session is None or session.ended:
            return None
        if path != "/resume":
            self.fake.record_error("gateway: RESUME was not sent to READY's resume_gateway_url")
        session.cursor = min(int(d.get("seq") or 0), len(session.frames))  # replay what was missed
        self._push(session, "RESUMED", {"_trace": ["loopback"]})
        self.fake.stats["resumes"] += 1
        return session

    def _send_members(self, session: Session, d: JSON) -> None:
        guild = self.fake.world.guilds.get(int(d.get("guild_id", 0)))
        if guild is None:
            return
        wanted = {int(u) for u in d.get("user_ids") or []}
        query = str(d.get("query") or "").lower()
        members = [m for m in guild.members.values() if m.name.lower().startswith(query)]
        if wanted:
            members = [m for m in guild.members.values() if m.id in wanted]
        payloads = [m.payload() for m in members]
        chunk = {"guild_id": str(guild.id), "members": payloads, "chunk_index": 0, "chunk_count": 1}
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        self._push(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _writer(self, session: Session, ws: web.WebSocketResponse) -> None:
        """The only task writing dispatches to this socket, so the sequence order is kept."""
        # A fresh event per socket, so that an old writer cannot swallow a wakeup.
        wakeup = session.wakeup = asyncio.Event()
        try:
            while session.ws is ws and not ws.closed:
                while session.cursor < len(session.frames) and session.ws is ws:
                    frame = session.frames[session.cursor]
                    session.cursor += 1
                    await ws.send_str(frame.text)
                    if frame.on_sent is not None:
                        frame.on_sent(time.monotonic())
                wakeup.clear()
                await wakeup.wait()
        except (ConnectionError, RuntimeError):
            pass  # the socket went away mid-write; a RESUME replays from the client's seq

    # -- dispatching ---------------------------------------------------------------------------
    def _push(self, session: Session, event: str, data: JSON, on_sent: OnSent = None) -> None:
        frame = {"op": 0, "t": event, "s": len(session.frames) + 1, "d": data}
        session.frames.append(Frame(json.dumps(frame), on_sent))
        session.wakeup.set()

    def dispatch(self, event: str, data: JSON, on_sent: OnSent = None) -> int:
        """Send an event to every live session of its guild's shard whose intents want it.
        Returns how many got it."""
        count = 0
        for session in self.sessions_for(event_guild(event, data)):
            shaped = _shape_for_intents(session.intents, event, data, self.fake.world.bot.id)
            if shaped is not None:
                self._push(session, event, shaped, on_sent)
                count += 1
        return count

    async def drop(self, *, code: int = 4000, invalidate: bool = False) -> None:
        """Close the bot's socket from the server side; it RESUMEs, or IDENTIFYs if invalidated."""
        for session in self.live_sessions:
            session.ended = invalidate
            if session.ws is not None:
                self._server_closed.add(session.ws)
                await session.ws.close(code=code)

    async def close_all(self) -> None:
        for session in list(self.sessions.values()):
            session.ended = True
            if session.ws is not None:
                self._server_closed.add(session.ws)
                await session.ws.close(code=1001)


def event_guild(event: str, data: JSON) -> int | None:
    """The guild an event is about (its shard receives it), or None for DMs."""
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    return int(data["guild_id"]) if data.get("guild_id") else None


def _shard_problem(shard: Any) -> str | None:
    """Why Discord would refuse this IDENTIFY's ``shard`` (close code 4010), or None."""
    if shard is None:
        return None
    valid = (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) for n in shard)
        and 0 <= shard[0] < shard[1]
    )
    return None if valid else "Invalid shard."


def _shape_for_intents(intents: int, event: str, data: JSON, bot_id: int) -> JSON | None:
    """Filter and redact events as Discord does for the intents the bot identified with."""
    if event.startswith("MESSAGE_"):
        needed = GUILD_MESSAGES if "guild_id" in data else DIRECT_MESSAGES
        if not intents & needed:
            return None
        author = data.get("author", {}).get("id")
        mentioned = any(u["id"] == str(bot_id) for u in data.get("mentions", []))
        exempt = "guild_id" not in data or author in (None, str(bot_id)) or mentioned
        if intents & MESSAGE_CONTENT or exempt:  # DMs, the bot's own messages, mentions
            return data
        return data | {"content": "", "embeds": [], "attachments": [], "components": []}
    if event.startswith(("THREAD_", "CHANNEL_", "GUILD_")) and not intents & GUILDS:
        return None
    return data
