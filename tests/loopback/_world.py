"""World state of the loopback fake: who exists, who may see what, and the JSON Discord sends."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord

from bot.discord.permissions import REQUIRED_PERMISSIONS

JSON = dict[str, Any]
EPHEMERAL, LOADING, COMPONENTS_V2 = 1 << 6, 1 << 7, 1 << 15
TEXT, DM, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 11, 12
ALL_PERMISSIONS = discord.Permissions.all().value
VIEW = discord.Permissions(view_channel=True).value
MANAGE_THREADS = discord.Permissions(manage_threads=True).value
_EVERYONE = (
    "view_channel send_messages read_message_history create_public_threads embed_links "
    "send_messages_in_threads use_application_commands attach_files add_reactions"
)
EVERYONE_PERMISSIONS = discord.Permissions(**dict.fromkeys(_EVERYONE.split(), True)).value
# The bot's role grants exactly what the README asks a server owner to grant, nothing more
# (no Manage Threads, no Manage Messages): a feature needing more fails here first.
BOT_PERMISSIONS = REQUIRED_PERMISSIONS.value

_DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count()
_MENTION = re.compile(r"<@!?(\d+)>")


def snowflake() -> int:
    """Real-looking ids, so discord.py's `created_at` and ordering by id behave as in production."""
    return ((int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def walk_components(components: Iterable[JSON]) -> Iterator[JSON]:
    """Every component in a tree (action rows, labels, sections, containers, accessories)."""
    for comp in components:
        yield comp
        yield from walk_components(comp.get("components", []))
        for key in ("component", "accessory"):
            if key in comp:
                yield from walk_components([comp[key]])


@dataclass(eq=False)
class FakeUser:
    id: int
    name: str
    bot: bool = False
    refuses_dms: bool = False  # closed DMs: sending to them answers 403 50007

    @property
    def user(self) -> FakeUser:  # members and users are interchangeable where "a user" is meant
        return self

    def payload(self) -> JSON:
        names = {"username": self.name, "global_name": self.name, "discriminator": "0"}
        return {"id": str(self.id), "avatar": None, "bot": self.bot, "public_flags": 0} | names


@dataclass(eq=False)
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int = 0

    def payload(self) -> JSON:
        data = {"id": str(self.id), "name": self.name, "permissions": str(self.permissions)}
        return data | {"position": self.position, "color": 0, "hoist": False, "managed": False}


@dataclass(eq=False)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: list[FakeRole] = field(default_factory=list)  # roles[0] is @everyone (id == guild id)
    members: dict[int, FakeMember] = field(default_factory=dict)
    channels: list[FakeChannel] = field(default_factory=list)  # text channels and threads


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild: FakeGuild
    roles: list[FakeRole] = field(default_factory=list)
    joined_at: str = field(default_factory=now_iso)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def permissions(self) -> int:
        if self.guild.owner_id == self.id:
            return ALL_PERMISSIONS
        perms = self.guild.roles[0].permissions
        for role in self.roles:
            perms |= role.permissions
        return ALL_PERMISSIONS if perms & discord.Permissions.administrator.flag else perms

    def has(self, permissions: int) -> bool:
        return self.permissions & permissions == permissions

    def payload(self, *, with_user: bool = True) -> JSON:
        data: JSON = {"roles": [str(r.id) for r in self.roles], "joined_at": self.joined_at}
        data |= {"nick": None, "deaf": False, "mute": False, "pending": False, "flags": 0}
        return data | {"user": self.user.payload()} if with_user else data


@dataclass(eq=False)
class FakeChannel:
    id: int
    type: int
    name: str
    guild: FakeGuild | None = None
    parent: FakeChannel | None = None  # threads
    recipient: FakeUser | None = None  # DMs
    owner_id: int | None = None  # threads
    role_ids: set[int] | None = None  # private channel: only these roles (and admins) view it
    members: set[int] = field(default_factory=set)  # thread members
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    deleted: bool = False
    refusals: dict[str, int] = field(default_factory=dict)  # action -> Discord error code
    messages: list[FakeMessage] = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)

    def payload(self) -> JSON:
        last = str(self.messages[-1].id) if self.messages else None
        data: JSON = {"id": str(self.id), "type": self.type, "last_message_id": last, "flags": 0}
        if self.recipient is not None:
            return data | {"recipients": [self.recipient.payload()]}
        assert self.guild is not None
        position = self.guild.channels.index(self) if self in self.guild.channels else 0
        data |= {"name": self.name, "guild_id": str(self.guild.id), "position": position}
        data |= {"rate_limit_per_user": 0, "nsfw": False}
        if self.parent is None:
            return data | {"topic": None, "permission_overwrites": self._overwrites()}
        count = len(self.messages)
        data |= {"parent_id": str(self.parent.id), "owner_id": str(self.owner_id)}
        data |= {
            "member_count": len(self.members),
            "message_count": count,
            "total_message_sent": count,
        }
        meta: JSON = {"archived": self.archived, "locked": self.locked, "invitable": self.invitable}
        meta |= {"archive_timestamp": self.created_at, "create_timestamp": self.created_at}
        return data | {"thread_metadata": meta | {"auto_archive_duration": 1440}}

    def _overwrites(self) -> list[JSON]:
        # Mirrors role_ids so that discord.py's permissions_for() agrees with the fake.
        if self.role_ids is None or self.guild is None:
            return []
        deny = [{"id": str(self.guild.id), "type": 0, "allow": "0", "deny": str(VIEW)}]
        allow = [{"id": str(r), "type": 0, "allow": str(VIEW), "deny": "0"} for r in self.role_ids]
        return deny + allow


@dataclass(eq=False)
class FakeAttachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    def payload(self) -> JSON:
        data = {"id": str(self.id), "filename": self.filename, "size": len(self.data)}
        data |= {"content_type": self.content_type, "description": self.description}
        return data | {"url": self.url, "proxy_url": self.url}


@dataclass(eq=False)
class FakeMessage:
    id: int
    channel: FakeChannel
    author: FakeUser
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    mentions: list[FakeUser] = field(default_factory=list)
    viewer: FakeUser | None = None  # the only user who sees an ephemeral message
    interaction: JSON | None = None  # interaction_metadata
    webhook_id: int | None = None
    reference: JSON | None = None
    nonce: str | None = None  # sent with enforce_nonce (REST message create)
    timestamp: str = field(default_factory=now_iso)
    edited_timestamp: str | None = None
    deleted: bool = False
    revisions: list[JSON] = field(default_factory=list)  # earlier versions, for "ever shown" checks
    created_mono: float = field(default_factory=time.monotonic)
    updated_mono: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def find_component(self, custom_id: str) -> JSON | None:
        found = [c for c in walk_components(self.components) if c.get("custom_id") == custom_id]
        return found[0] if found else None

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def text(self, *, history: bool = False) -> str:
        """All human-readable text (content, embeds, components, text attachments)."""
        versions = [*self.revisions, self._snapshot()] if history else [self._snapshot()]
        parts: list[str] = []
        for v in versions:
            parts.append(v["content"])
            for e in v["embeds"]:
                parts += [e.get("title", ""), e.get("description", "")]
                parts += [e.get("author", {}).get("name", ""), e.get("footer", {}).get("text", "")]
                parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in e.get("fields", [])]
            for c in walk_components(v["components"]):
                parts += [str(c.get(k, "")) for k in ("label", "content", "placeholder")]
                parts += [f"{o['label']} {o.get('description', '')}" for o in c.get("options", [])]
            parts += [a.data.decode("utf-8", "replace") for a in v["attachments"]]
        return "\n".join(p for p in parts if p)

    def _snapshot(self) -> JSON:
        data = {"content": self.content, "embeds": self.embeds, "components": self.components}
        return data | {"attachments": list(self.attachments)}

    def payload(self) -> JSON:
        data: JSON = {"id": str(self.id), "channel_id": str(self.channel.id), "type": self.type}
        data |= {"author": self.author.payload(), "content": self.content, "flags": self.flags}
        data |= {"embeds": self.embeds, "components": self.components, "pinned": False}
        data |= {"attachments": [a.payload() for a in self.attachments], "tts": False}
        data |= {"timestamp": self.timestamp, "edited_timestamp": self.edited_timestamp}
        data |= {"mentions": [u.payload() for u in self.mentions], "mention_roles": []}
        data["mention_everyone"] = False
        if self.channel.guild is not None:
            data["guild_id"] = str(self.channel.guild.id)
        if self.webhook_id is not None:
            data["webhook_id"] = data["application_id"] = str(self.webhook_id)
        if self.interaction is not None:
            data["interaction_metadata"] = self.interaction
        if self.reference is not None:
            data["message_reference"] = self.reference
        return data


Who = FakeMember | FakeUser


class World:
    """Everything Discord knows. Mutations go through here: the gateway and waiters hear of them."""

    def __init__(self) -> None:
        self.users: dict[int, FakeUser] = {}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.commands: dict[int | None, list[JSON]] = {}  # guild id (None: global) -> commands
        self.command_ids: dict[tuple[int | None, str, int], int] = {}  # ids survive re-syncs
        # Server Settings > Integrations: roles a guild lets use a command despite its
        # default_member_permissions, keyed by (guild id, top-level command name)
        self.command_roles: dict[tuple[int, str], set[int]] = {}
        self.bot = self.add_user("loopback-bot", bot=True)
        self.owner = self.add_user("app-owner")
        self.application_id = snowflake()
        self.cdn_base = ""  # set when the server starts
        self.emit: Callable[[str, JSON], object] = lambda event, data: None
        self.changed: Callable[[], None] = lambda: None

    # -- building ------------------------------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False) -> FakeUser:
        user = FakeUser(snowflake(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self, name: str, *, owner: FakeUser | None = None, shard: tuple[int, int] | None = None
    ) -> FakeGuild:
        """``shard=(id, count)`` picks an id that Discord routes to that shard."""
        gid = snowflake()
        if shard is not None:  # move the timestamp part until (id >> 22) % count == shard id
            stamp = gid >> 22
            stamp += (shard[0] - stamp) % shard[1]
            gid = (stamp << 22) | (gid & 0x3FFFFF)
        guild = FakeGuild(gid, name, (owner or self.owner).id)
        guild.roles.append(FakeRole(gid, "@everyone", EVERYONE_PERMISSIONS))
        self.guilds[gid] = guild
        bot_role = self.add_role(guild, self.bot.name, permissions=BOT_PERMISSIONS)
        self.add_member(guild, self.bot, roles=[bot_role])
        return guild

    def add_role(
        self, guild: FakeGuild, name: str, *, permissions: discord.Permissions | int = 0
    ) -> FakeRole:
        value = permissions.value if isinstance(permissions, discord.Permissions) else permissions
        role = FakeRole(snowflake(), name, value, position=len(guild.roles))
        guild.roles.append(role)
        return role

    def add_member(
        self, guild: FakeGuild, user: FakeUser | str, *, roles: Iterable[FakeRole] = ()
    ) -> FakeMember:
        user = self.add_user(user) if isinstance(user, str) else user
        member = FakeMember(user, guild, list(roles))
        guild.members[user.id] = member
        return member

    def add_text_channel(
        self, guild: FakeGuild, name: str, *, private_to: Iterable[FakeRole] | None = None
    ) -> FakeChannel:
        role_ids = None
        if private_to is not None:  # the bot keeps access, as a server admin would set it up
            role_ids = {r.id for r in private_to} | {guild.members[self.bot.id].roles[0].id}
        channel = FakeChannel(snowflake(), TEXT, name, guild=guild, role_ids=role_ids)
        guild.channels.append(channel)
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, user: Who) -> FakeChannel:
        user = user.user
        for ch in self.channels.values():
            if ch.type == DM and ch.recipient is user:
                return ch
        channel = FakeChannel(snowflake(), DM, "", recipient=user)
        self.channels[channel.id] = channel
        return channel

    def upload(
        self, filename: str, data: bytes, *, content_type: str | None = None, channel_id: int = 0
    ) -> FakeAttachment:
        aid = snowflake()
        url = f"{self.cdn_base}/attachments/{channel_id}/{aid}/{filename}"
        att = FakeAttachment(aid, filename, data, url, content_type)
        self.attachments[aid] = att
        return att

    # -- queries -------------------------------------------------------------------------------
    def member_of(self, guild: FakeGuild, who: Who) -> FakeMember | None:
        return guild.members.get(who.user.id)

    def can_view(self, who: Who, channel: FakeChannel) -> bool:
        if channel.deleted:
            return False
        if channel.type == DM:
            return channel.recipient is who.user or who.user is self.bot
        assert channel.guild is not None
        member = self.member_of(channel.guild, who)
        if member is None:
            return False
        if member.has(ALL_PERMISSIONS):
            return True
        if channel.is_thread:
            assert channel.parent is not None
            private_ok = member.id in channel.members or member.has(MANAGE_THREADS)
            return self.can_view(member, channel.parent) and (
                channel.type == PUBLIC_THREAD or private_ok
            )
        if channel.role_ids is None:
            return bool(member.permissions & VIEW)
        return any(r.id in channel.role_ids for r in member.roles)

    def permissions_in(self, member: FakeMember, channel: FakeChannel) -> int:
        return member.permissions if self.can_view(member, channel) else 0

    def visible_to(self, who: Who, *, history: bool = False) -> list[FakeMessage]:
        seen = []
        for msg in self.messages.values():
            if msg.deleted and not history:
                continue
            if msg.viewer is not None:
                if msg.viewer is who.user:
                    seen.append(msg)
            elif self.can_view(who, msg.channel):
                seen.append(msg)
        return sorted(seen, key=lambda m: m.id)

    def guild_create(self, guild: FakeGuild, *, all_members: bool) -> JSON:
        # Without the GUILD_MEMBERS intent Discord only sends the bot's own member.
        members = [m for m in guild.members.values() if all_members or m.user is self.bot]
        channels = [c for c in guild.channels if not c.deleted]
        data: JSON = {"id": str(guild.id), "name": guild.name, "owner_id": str(guild.owner_id)}
        data |= {
            "roles": [r.payload() for r in guild.roles],
            "members": [m.payload() for m in members],
        }
        data |= {"channels": [c.payload() for c in channels if not c.is_thread]}
        data |= {"threads": [c.payload() for c in channels if c.is_thread and not c.archived]}
        data |= {
            "member_count": len(guild.members),
            "joined_at": guild.members[self.bot.id].joined_at,
        }
        data |= {"large": False, "unavailable": False, "icon": None, "preferred_locale": "en-US"}
        for empty in (
            "emojis",
            "stickers",
            "features",
            "voice_states",
            "presences",
            "stage_instances",
        ):
            data[empty] = []
        return data

    # -- mutations (each one tells the gateway and wakes up waiters) ---------------------------
    def create_message(self, channel: FakeChannel, author: FakeUser, **fields: Any) -> FakeMessage:
        msg = FakeMessage(snowflake(), channel, author, **fields)
        msg.mentions = self._mentions(msg.content)
        channel.messages.append(msg)
        self.messages[msg.id] = msg
        if not msg.ephemeral:
            data = msg.payload()
            member = channel.guild and self.member_of(channel.guild, author)
            if member and msg.webhook_id is None:
                data["member"] = member.payload(with_user=False)
            self.emit("MESSAGE_CREATE", data)
        self.changed()
        return msg

    def edit_message(self, msg: FakeMessage, **fields: Any) -> FakeMessage:
        msg.revisions.append(msg._snapshot())
        for key, value in fields.items():
            setattr(msg, key, value)
        msg.mentions = self._mentions(msg.content)
        msg.edited_timestamp, msg.updated_mono = now_iso(), time.monotonic()
        if not msg.ephemeral:
            self.emit("MESSAGE_UPDATE", msg.payload())
        self.changed()
        return msg

    def delete_message(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel.id)}
            if msg.channel.guild is not None:
                data["guild_id"] = str(msg.channel.guild.id)
            self.emit("MESSAGE_DELETE", data)
        self.changed()

    def create_thread(
        self, parent: FakeChannel, name: str, *, type: int, owner: FakeUser, invitable: bool = True
    ) -> FakeChannel:
        assert parent.guild is not None
        thread = FakeChannel(snowflake(), type, name, parent.guild, parent, owner_id=owner.id)
        thread.invitable, thread.members = invitable, {owner.id}
        parent.guild.channels.append(thread)
        self.channels[thread.id] = thread
        self.emit("THREAD_CREATE", thread.payload() | {"newly_created": True})
        self.changed()
        return thread

    def update_channel(self, channel: FakeChannel, **fields: Any) -> None:
        for key, value in fields.items():
            setattr(channel, key, value)
        if channel.type != DM:
            self.emit("THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE", channel.payload())
        self.changed()

    def delete_channel(self, channel: FakeChannel) -> None:
        payload = channel.payload()
        channel.deleted = True
        if channel.type != DM:
            self.emit("THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE", payload)
        self.changed()

    def _mentions(self, content: str) -> list[FakeUser]:
        ids = dict.fromkeys(int(i) for i in _MENTION.findall(content))
        return [self.users[i] for i in ids if i in self.users]
