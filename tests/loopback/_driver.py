"""Test driver: act as Discord users. Builds INTERACTION_CREATE payloads as Discord would, from
the command bodies the bot synced and the components it sent, and refuses what a real user could
not do."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from . import _limits
from ._world import (
    ALL_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    FakeAttachment,
    FakeChannel,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Who,
    World,
    snowflake,
)

if TYPE_CHECKING:
    from ._gateway import Gateway

JSON = dict[str, Any]
T = TypeVar("T")
SELECT_TYPES = (3, 5, 6, 7, 8)
_SELECT_AS_OPTION = {5: 6, 6: 8, 7: 9, 8: 7}  # select menu type -> the option type it resolves like


class InvalidInteraction(Exception):
    """The test asked for something a real Discord user could not do (unsynced command, hidden
    channel, disabled button, value outside the choices...)."""


@dataclass
class Callback:
    type: int  # 4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal
    data: JSON
    at: float  # time.monotonic() when the callback request arrived


class InteractionResult:
    """One interaction sent to the bot, and everything the bot answered to it.

    The awaitables take a `timeout` (ASYNC109 is silenced on purpose): a test waits for the bot
    with a bounded, event-driven wait and gets a descriptive AssertionError instead of hanging."""

    def __init__(
        self,
        fake: InteractionDriver,
        type: int,
        user: FakeUser,
        channel: FakeChannel,
        data: JSON,
        message: FakeMessage | None,
    ) -> None:
        self.fake = fake
        self.id, self.token = snowflake(), secrets.token_urlsafe(32)
        self.type, self.user, self.channel, self.message = type, user, channel, message
        self.data = data  # the interaction's `data` (command, custom_id, values...)
        self.payload: JSON = {}
        self.created_at = time.monotonic()
        self.sent_at: float | None = None  # when the INTERACTION_CREATE frame was written
        self.callback: Callback | None = None
        self.original: FakeMessage | None = None  # what @original designates
        self.followups: list[FakeMessage] = []
        self.shards: list[int] = []  # the gateway shards it was dispatched on

    def __repr__(self) -> str:
        what = self.data.get("name") or self.data.get("custom_id")
        return f"<Interaction {self.type} {what!r} by {self.user.name}, callback {self.callback}>"

    @property
    def handling_time(self) -> float | None:
        """Seconds from the INTERACTION_CREATE frame written to the callback request arriving."""
        if self.sent_at is None or self.callback is None:
            return None
        return self.callback.at - self.sent_at

    @property
    def modal(self) -> JSON | None:
        return self.callback.data if self.callback and self.callback.type == 9 else None

    def mark_sent(self, at: float) -> None:
        if self.sent_at is None:
            self.sent_at = at
            self.fake.notify()

    def on_callback(self, rtype: int, data: JSON, message: FakeMessage | None) -> None:
        self.callback = Callback(rtype, data, time.monotonic())
        self.original = message if rtype in (4, 5) else self.message if rtype in (6, 7) else None
        if rtype == 9:
            self.fake.open_modals[(self.user.id, data["custom_id"])] = (data, self)

    def metadata(self) -> JSON:
        guild = self.channel.guild
        owners = {"0": str(guild.id)} if guild else {"1": str(self.user.id)}
        meta = {"id": str(self.id), "type": self.type, "user": self.user.payload()}
        meta["authorizing_integration_owners"] = owners
        if self.message is not None and self.type == 3:
            meta["interacted_message_id"] = str(self.message.id)
        return meta

    async def wait(self, predicate: Callable[[InteractionResult], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        return await self.fake.wait_until(
            lambda: predicate(self), timeout, f"a condition on {self!r}"
        )

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """The interaction callback (its type and data)."""
        return await self.fake.wait_until(
            lambda: self.callback, timeout, f"the callback to {self!r}"
        )

    async def final_message(self, timeout: float = 5.0) -> FakeMessage:  # noqa: ASYNC109
        """The response message once it is no longer "thinking": the type 4 reply, the deferred
        message after its first follow-up or @original edit, or the updated component message."""
        callback = await self.response(timeout)
        if callback.type in (8, 9):
            raise AssertionError(f"callback type {callback.type} of {self!r} has no message")
        return await self.fake.wait_until(
            lambda: self.original if self.original and not self.original.loading else None,
            timeout,
            f"the deferred response of {self!r} to be completed",
        )

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:  # noqa: ASYNC109
        """The index-th follow-up (after a deferral, follow-up 0 is the completed original)."""
        return await self.fake.wait_until(
            lambda: self.followups[index] if len(self.followups) > index else None,
            timeout,
            f"follow-up #{index} of {self!r}",
        )

    async def choices(self, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """The autocomplete choices the bot returned."""
        callback = await self.response(timeout)
        if callback.type != 8:
            raise AssertionError(f"expected an autocomplete result (8), got {callback.type}")
        return list(callback.data.get("choices", []))


class InteractionDriver:
    """Mixin of FakeDiscord: the user-side actions."""

    world: World
    gateway: Gateway
    interactions: dict[int, InteractionResult]
    interactions_by_token: dict[str, InteractionResult]
    open_modals: dict[tuple[int, str], tuple[JSON, InteractionResult]]
    upload_limit: int

    def notify(self) -> None:
        raise NotImplementedError

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109
        raise NotImplementedError

    # -- actions -------------------------------------------------------------------------------
    async def slash(
        self,
        member: Who,
        channel: FakeChannel,
        name: str,
        *,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> InteractionResult:
        """Run `/name [group] [subcommand] options...`; `name` may hold the whole path ("a b c")."""
        data = self._command_data(member, channel, name, subcommand, options or {}, None)
        return self._send(2, member, channel, data)

    async def autocomplete(
        self,
        member: Who,
        channel: FakeChannel,
        name: str,
        *,
        focused: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> InteractionResult:
        """The user is typing `options[focused]`; await `.choices()` for the bot's suggestions."""
        data = self._command_data(member, channel, name, subcommand, options or {}, focused)
        return self._send(4, member, channel, data)

    async def click(self, member: Who, message: FakeMessage, custom_id: str) -> InteractionResult:
        self._component(member, message, custom_id, (2,))
        data = {"custom_id": custom_id, "component_type": 2}
        return self._send(3, member, message.channel, data, message=message)

    async def select(
        self, member: Who, message: FakeMessage, custom_id: str, values: Sequence[Any]
    ) -> InteractionResult:
        """Pick `values`: option values of a string select; members, roles or channels else."""
        comp = self._component(member, message, custom_id, SELECT_TYPES)
        low, high = comp.get("min_values", 1), comp.get("max_values", 1)
        if not low <= len(values) <= high:
            raise InvalidInteraction(f"select {custom_id!r} takes {low}-{high} values")
        data: JSON = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            if unknown := [v for v in values if v not in allowed]:
                raise InvalidInteraction(f"{unknown} are not options of {custom_id!r}: {allowed}")
            data["values"] = list(values)
        else:
            resolved: JSON = {}
            kind = _SELECT_AS_OPTION[comp["type"]]
            channel = message.channel
            data["values"] = [
                self._resolve(kind, "values", v, resolved, member, channel) for v in values
            ]
            data["resolved"] = resolved
        return self._send(3, member, message.channel, data, message=message)

    async def submit_modal(
        self, member: Who, channel: FakeChannel, custom_id: str, values: Mapping[str, Any]
    ) -> InteractionResult:
        """Submit the modal `custom_id` the bot showed this user. Fields not given keep their
        pre-filled value; string selects inside labels take a list of values."""
        opened = self.open_modals.get((member.user.id, custom_id))
        if opened is None:
            shown = [cid for uid, cid in self.open_modals if uid == member.user.id]
            who = member.user.name
            raise InvalidInteraction(f"the bot never showed modal {custom_id!r} to {who} ({shown})")
        modal, opener = opened
        remaining = dict(values)
        components = [_fill_modal_row(row, remaining) for row in modal["components"]]
        if remaining:
            raise InvalidInteraction(f"modal {custom_id!r} has no field(s) {sorted(remaining)}")
        data = {"custom_id": custom_id, "components": [c for c in components if c]}
        result = self._send(5, member, channel, data, message=opener.message)
        del self.open_modals[(member.user.id, custom_id)]  # a modal is submitted once
        return result

    async def post(
        self,
        member: Who,
        channel: FakeChannel,
        content: str = "",
        *,
        files: Iterable[FakeAttachment] = (),
    ) -> FakeMessage:
        """A user writes a message (the bot gets MESSAGE_CREATE, redacted per its intents)."""
        self._check_access(member, channel)
        return self.world.create_message(
            channel, member.user, content=content, attachments=list(files)
        )

    # -- building payloads ---------------------------------------------------------------------
    def _check_access(self, who: Who, channel: FakeChannel) -> FakeMember | None:
        if channel.guild is None:
            if channel.recipient is not who.user:
                raise InvalidInteraction(f"#{channel.id} is not the DM channel of {who.user.name}")
            return None
        member = self.world.member_of(channel.guild, who)
        if member is None:
            raise InvalidInteraction(f"{who.user.name} is not a member of {channel.guild.name}")
        if not self.world.can_view(member, channel):
            raise InvalidInteraction(f"{member.name} cannot see #{channel.name}")
        return member

    def _send(
        self,
        itype: int,
        who: Who,
        channel: FakeChannel,
        data: JSON,
        *,
        message: FakeMessage | None = None,
    ) -> InteractionResult:
        member = self._check_access(who, channel)
        if not self.gateway.sessions_for(channel.guild.id if channel.guild else None):
            where = f"the shard of {channel.guild.name}" if channel.guild else "shard 0 (DMs)"
            raise InvalidInteraction(f"no bot is connected to the fake gateway for {where}")
        ir = InteractionResult(self, itype, who.user, channel, data, message)
        guild, w = channel.guild, self.world
        payload: JSON = {
            "id": str(ir.id),
            "type": itype,
            "token": ir.token,
            "version": 1,
            "data": data,
        }
        payload |= {"application_id": str(w.application_id), "channel": channel.payload()}
        payload |= {"channel_id": str(channel.id), "attachment_size_limit": self.upload_limit}
        payload |= {"locale": "en-US", "entitlements": [], "context": 0 if guild else 1}
        payload["authorizing_integration_owners"] = ir.metadata()["authorizing_integration_owners"]
        if guild is not None and member is not None:
            perms, bot_perms = (
                w.permissions_in(member, channel),
                w.permissions_in(guild.members[w.bot.id], channel),
            )
            payload |= {
                "guild_id": str(guild.id),
                "guild_locale": "en-US",
                "app_permissions": str(bot_perms),
            }
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["member"] = member.payload() | {"permissions": str(perms)}
        else:
            payload |= {"user": who.user.payload(), "app_permissions": str(EVERYONE_PERMISSIONS)}
        if message is not None:
            payload["message"] = message.payload()
        ir.payload = payload
        self.interactions[ir.id] = ir
        self.interactions_by_token[ir.token] = ir
        sessions = self.gateway.sessions_for(guild.id if guild else None)
        ir.shards = sorted({s.shard[0] if s.shard else 0 for s in sessions})
        self.gateway.dispatch("INTERACTION_CREATE", payload, on_sent=ir.mark_sent)
        return ir

    def _command_data(
        self,
        who: Who,
        channel: FakeChannel,
        name: str,
        subcommand: str | None,
        options: Mapping[str, Any],
        focused: str | None,
    ) -> JSON:
        path = name.split() + (subcommand.split() if subcommand else [])
        guild = channel.guild
        candidates = self.world.commands.get(
            guild.id if guild else -1, []
        ) + self.world.commands.get(None, [])
        cmd = next((c for c in candidates if c["name"] == path[0] and c.get("type", 1) == 1), None)
        if cmd is None:
            raise InvalidInteraction(f"/{path[0]} is not synced here: the user cannot see it")
        contexts = cmd.get("contexts")
        if contexts is not None and (0 if guild else 1) not in contexts:
            raise InvalidInteraction(f"/{path[0]} is not available in this context ({contexts})")
        member = self._check_access(who, channel)
        required = cmd.get("default_member_permissions")
        if member is not None and required is not None:
            needed = int(required) or ALL_PERMISSIONS  # "0": administrators only
            overrides = self.world.command_roles.get((member.guild.id, path[0]), set())
            roles = {member.guild.id, *(r.id for r in member.roles)}  # @everyone's id: guild's
            if not member.has(needed) and not overrides & roles:
                raise InvalidInteraction(f"{member.name} lacks the permissions to see /{path[0]}")
        defs: list[JSON] = cmd.get("options") or []
        top: list[JSON] = []
        container = top
        for part in path[1:]:
            sub = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise InvalidInteraction(f"/{' '.join(path)}: no subcommand {part!r}")
            node: JSON = {"name": part, "type": sub["type"], "options": []}
            container.append(node)
            container, defs = node["options"], sub.get("options") or []
        if subs := [o["name"] for o in defs if o["type"] in (1, 2)]:
            raise InvalidInteraction(f"/{' '.join(path)} needs a subcommand: {subs}")
        resolved: JSON = {}
        container.extend(self._options(defs, options, resolved, who, channel, focused))
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": top}
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return data

    def _options(
        self,
        defs: list[JSON],
        given: Mapping[str, Any],
        resolved: JSON,
        who: Who,
        channel: FakeChannel,
        focused: str | None,
    ) -> list[JSON]:
        by_name = {d["name"]: d for d in defs}
        if unknown := set(given) - set(by_name):
            raise InvalidInteraction(
                f"unknown option(s) {sorted(unknown)}, expected {sorted(by_name)}"
            )
        if focused is not None and focused not in given:
            raise InvalidInteraction(f"the focused option {focused!r} needs a (partial) value")
        out = []
        for d in defs:
            name = d["name"]
            if name not in given:
                if d.get("required") and focused is None:
                    raise InvalidInteraction(f"missing required option {name!r}")
                continue
            if name == focused:
                if not d.get("autocomplete"):
                    raise InvalidInteraction(f"option {name!r} has no autocomplete")
                out.append(
                    {"name": name, "type": d["type"], "value": str(given[name]), "focused": True}
                )
            else:
                value = self._option_value(d, given[name], resolved, who, channel)
                out.append({"name": name, "type": d["type"], "value": value})
        return out

    def _option_value(
        self, d: JSON, value: Any, resolved: JSON, who: Who, channel: FakeChannel
    ) -> Any:
        kind, name = d["type"], d["name"]
        if kind not in (3, 4, 5, 10):
            return self._resolve(kind, name, value, resolved, who, channel)
        expected = {3: str, 4: int, 5: bool, 10: int | float}[kind]
        if not isinstance(value, expected) or (isinstance(value, bool) and kind != 5):
            raise InvalidInteraction(f"option {name!r} expects {expected}, got {value!r}")
        if isinstance(value, str) and len(value) > _limits.STRING_OPTION:
            raise InvalidInteraction(
                f"option {name!r}: {len(value)} characters; Discord takes at most "
                f"{_limits.STRING_OPTION} in a string option"
            )
        size = len(value) if isinstance(value, str) else value
        low, high = d.get("min_length", d.get("min_value")), d.get("max_length", d.get("max_value"))
        if (low is not None and size < low) or (high is not None and size > high):
            raise InvalidInteraction(f"option {name!r}: {value!r} is outside [{low}, {high}]")
        choices = [c["value"] for c in d.get("choices") or []]
        if choices and value not in choices:
            raise InvalidInteraction(f"option {name!r} must be one of {choices}, got {value!r}")
        return value

    def _resolve(
        self, kind: int, name: str, value: Any, resolved: JSON, who: Who, channel: FakeChannel
    ) -> str:
        """User (6), channel (7), role (8), mentionable (9) and attachment (11) values: an id plus
        the `resolved` entry discord.py turns into the object."""
        guild = channel.guild
        if kind in (6, 9) and isinstance(value, FakeMember | FakeUser):
            user = value.user
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            target = self.world.member_of(guild, user) if guild else None
            if target is not None:
                perms = {"permissions": str(self.world.permissions_in(target, channel))}
                resolved.setdefault("members", {})[str(user.id)] = (
                    target.payload(with_user=False) | perms
                )
            return str(user.id)
        if kind in (8, 9) and isinstance(value, FakeRole):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if kind == 7 and isinstance(value, FakeChannel):
            member = self.world.member_of(guild, who) if guild else None
            perms = {"permissions": str(self.world.permissions_in(member, value) if member else 0)}
            resolved.setdefault("channels", {})[str(value.id)] = value.payload() | perms
            return str(value.id)
        if kind == 11 and isinstance(value, FakeAttachment):
            if len(value.data) > self.upload_limit:
                raise InvalidInteraction(
                    f"option {name!r}: {value.filename} has {len(value.data)} bytes; Discord "
                    f"uploads at most {self.upload_limit}"
                )
            resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
            return str(value.id)
        raise InvalidInteraction(f"option {name!r} (type {kind}) cannot take {value!r}")

    def _component(
        self, who: Who, message: FakeMessage, custom_id: str, types: tuple[int, ...]
    ) -> JSON:
        if message.deleted:
            raise InvalidInteraction(f"message {message.id} was deleted")
        if message.viewer is not None and message.viewer is not who.user:
            raise InvalidInteraction(f"{who.user.name} cannot see someone else's ephemeral message")
        comp = message.find_component(custom_id)
        if comp is None:
            raise InvalidInteraction(
                f"no {custom_id!r} on message {message.id}: {message.custom_ids()}"
            )
        if comp["type"] not in types:
            hint = "click()" if comp["type"] == 2 else "select()"
            raise InvalidInteraction(f"component {custom_id!r} has type {comp['type']}: use {hint}")
        if comp.get("disabled"):
            raise InvalidInteraction(f"component {custom_id!r} is disabled")
        return comp


def _fill_modal_row(row: JSON, values: dict[str, Any]) -> JSON | None:
    """Mirror one top-level modal component (action row, label, text display), filled in."""
    if row["type"] == 1:
        fields = [_fill_modal_field(c, c.get("label"), values) for c in row["components"]]
        return {"type": 1, "components": fields}
    if row["type"] == 18:
        field = _fill_modal_field(row["component"], row.get("label"), values)
        return {"type": 18, "id": row.get("id", 0), "component": field}
    if row["type"] == 10:
        return {"type": 10, "id": row.get("id", 0)}
    raise InvalidInteraction(f"modal component type {row['type']} is not supported by the fake")


def _fill_modal_field(comp: JSON, label: str | None, values: dict[str, Any]) -> JSON:
    """A field is addressed by its custom_id or, as the user sees it, by its label."""
    cid = comp["custom_id"]
    key = cid if cid in values else label if label in values else None
    if comp["type"] == 4:  # text input; untouched fields keep their pre-filled value
        value = values.pop(key) if key is not None else comp.get("value") or ""
        if not isinstance(value, str):
            raise InvalidInteraction(f"text input {label or cid!r} takes a string, got {value!r}")
        if comp.get("required", True) and not value:
            raise InvalidInteraction(f"required text input {label or cid!r} was left empty")
        if value and not comp.get("min_length", 0) <= len(value) <= comp.get("max_length", 4000):
            raise InvalidInteraction(
                f"text input {label or cid!r}: length {len(value)} out of limits"
            )
        return {"type": 4, "custom_id": cid, "value": value}
    if comp["type"] == 3:  # string select inside a label
        chosen = list(values.pop(key) if key is not None else [])
        allowed = [o["value"] for o in comp.get("options", [])]
        if any(v not in allowed for v in chosen):
            raise InvalidInteraction(f"select {label or cid!r}: {chosen} not within {allowed}")
        return {"type": 3, "custom_id": cid, "values": chosen}
    raise InvalidInteraction(f"modal field type {comp['type']} is not supported by the fake")
