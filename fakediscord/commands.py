"""Turning ``member.run("/soundtrack track", track="x")`` into the ``data`` of an INTERACTION_CREATE.

Lookup uses the commands the bot actually registered (guild commands shadow global ones), and option values are
typed and checked against the registered schema the way the Discord client does before it lets a user send the
command: unknown options, missing required options, values outside ``choices``/``min_value``/``max_length`` and
the like raise ``AssertionError`` instead of producing an interaction Discord would never send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import permissions as perms
from .state import Channel, Guild, GuildMember, Role, StoredFile, User, World

JSON = dict[str, Any]

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

OPTION_TYPE_NAMES = {
    SUB_COMMAND: "subcommand",
    SUB_COMMAND_GROUP: "subcommand group",
    STRING: "string",
    INTEGER: "integer",
    BOOLEAN: "boolean",
    USER: "user",
    CHANNEL: "channel",
    ROLE: "role",
    MENTIONABLE: "mentionable",
    NUMBER: "number",
    ATTACHMENT: "attachment",
}


class CommandNotAvailable(AssertionError):
    """The Discord client would not let this member send this command (unknown, or missing permissions)."""


@dataclass
class ResolvedCommand:
    command: JSON
    path: list[str]
    leaf: JSON
    """The node whose ``options`` are the leaf options (the command itself or a subcommand)."""

    @property
    def display(self) -> str:
        return "/" + " ".join(self.path)

    @property
    def leaf_options(self) -> list[JSON]:
        return [o for o in self.leaf.get("options") or [] if o.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP)]


@dataclass
class Resolved:
    users: dict[str, JSON] = field(default_factory=dict)
    members: dict[str, JSON] = field(default_factory=dict)
    roles: dict[str, JSON] = field(default_factory=dict)
    channels: dict[str, JSON] = field(default_factory=dict)
    attachments: dict[str, JSON] = field(default_factory=dict)

    def to_json(self) -> JSON:
        return {k: v for k, v in vars(self).items() if v}


def _names(nodes: list[JSON]) -> str:
    return ", ".join(sorted(str(n.get("name")) for n in nodes)) or "(none)"


def localized_name(node: JSON, locale: str) -> str | None:
    """The name a member with ``locale`` sees for a command, option or choice, if the bot localised it."""
    names = node.get("name_localizations")
    value = names.get(locale) if isinstance(names, dict) else None
    return str(value) if value is not None else None


def _named(node: JSON, typed: str, locale: str) -> bool:
    """The member typed this node's name, or its name in the member's language."""
    return node.get("name") == typed or localized_name(node, locale) == typed


def canonical_values(resolved_cmd: ResolvedCommand, locale: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` keyed by the options' registered names (a key may be an option's name in ``locale``)."""
    aliases: dict[str, str] = {}
    for option in resolved_cmd.leaf_options:
        local = localized_name(option, locale)
        if local is not None and local != option["name"]:
            aliases[local] = str(option["name"])
    return {aliases.get(k, k): v for k, v in values.items()}


def find_command(world: World, guild: Guild, member: GuildMember, text: str) -> ResolvedCommand:
    """Resolve ``"/name [group] [sub]"`` against the registered tree, as the Discord client's picker would.

    Names may also be given as the bot localised them for the member's ``locale`` (``name_localizations``).
    """
    parts = text.strip().lstrip("/").split()
    if not parts:
        raise CommandNotAvailable(f"empty command {text!r}")
    available = [c for c in world.commands_for(guild) if int(c.get("type") or 1) == 1]
    command = next((c for c in available if _named(c, parts[0], member.locale)), None)
    if command is None:
        registered = "none registered yet (did the bot sync its command tree?)" if not available else _names(available)
        raise CommandNotAvailable(
            f"/{parts[0]} is not a registered slash command in {guild.name!r}; registered: {registered}"
        )
    _check_usable(guild, member, command)
    node = command
    path = [str(command["name"])]
    for part in parts[1:]:
        subs = [o for o in node.get("options") or [] if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        child = next((o for o in subs if _named(o, part, member.locale)), None)
        if child is None:
            raise CommandNotAvailable(f"/{' '.join(path)} has no subcommand {part!r}; available: {_names(subs)}")
        node = child
        path.append(str(child["name"]))
    remaining = [o for o in node.get("options") or [] if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if remaining:
        raise CommandNotAvailable(f"/{' '.join(path)} needs a subcommand: one of {_names(remaining)}")
    return ResolvedCommand(command, path, node)


def _check_usable(guild: Guild, member: GuildMember, command: JSON) -> None:
    contexts = command.get("contexts")
    if isinstance(contexts, list) and 0 not in contexts:
        raise CommandNotAvailable(f"/{command['name']} is not available in guilds (contexts={contexts})")
    required = command.get("default_member_permissions")
    if required is None:
        return
    needed = int(required)
    have = guild.base_permissions(member)
    if have & perms.ADMINISTRATOR or have == perms.ALL:
        return
    if needed == 0 or have & needed != needed:
        raise CommandNotAvailable(
            f"{member.user.username} cannot use /{command['name']}: it requires permissions {needed} "
            f"(default_member_permissions) and the member has {have}; Discord hides the command"
        )


def build_data(
    world: World,
    guild: Guild,
    member: GuildMember,
    resolved_cmd: ResolvedCommand,
    values: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> JSON:
    """The interaction ``data`` for the command with ``values``; ``focused`` makes it an autocomplete payload."""
    values = canonical_values(resolved_cmd, member.locale, values)
    if focused is not None:
        focused = next(iter(canonical_values(resolved_cmd, member.locale, {focused: None})))
    options_by_name = {str(o["name"]): o for o in resolved_cmd.leaf_options}
    unknown = [k for k in values if k not in options_by_name]
    if unknown:
        raise CommandNotAvailable(
            f"{resolved_cmd.display} has no option {unknown[0]!r}; options: {_names(resolved_cmd.leaf_options)}"
        )
    if focused is None:
        missing = [n for n, o in options_by_name.items() if o.get("required") and n not in values]
        if missing:
            hint = (
                " (channel= selects where the command runs; pass the option as options={'channel': ...})"
                if ("channel" in missing)
                else ""
            )
            raise AssertionError(f"{resolved_cmd.display} requires option {missing[0]!r}{hint}")
    elif focused not in options_by_name:
        raise CommandNotAvailable(
            f"{resolved_cmd.display} has no option {focused!r}; options: {_names(resolved_cmd.leaf_options)}"
        )
    elif not options_by_name[focused].get("autocomplete"):
        raise AssertionError(f"option {focused!r} of {resolved_cmd.display} does not have autocomplete enabled")

    resolved = Resolved()
    leaf_values: list[JSON] = []
    for name, option in options_by_name.items():
        if name not in values:
            continue
        if name == focused:
            leaf_values.append({"type": option["type"], "name": name, "value": str(values[name]), "focused": True})
            continue
        value = convert_option(world, guild, member, resolved_cmd.display, option, values[name], resolved)
        leaf_values.append({"type": option["type"], "name": name, "value": value})

    options: list[JSON] = leaf_values
    for depth in range(len(resolved_cmd.path) - 1, 0, -1):
        kind = SUB_COMMAND if depth == len(resolved_cmd.path) - 1 else SUB_COMMAND_GROUP
        options = [{"type": kind, "name": resolved_cmd.path[depth], "options": options}]
    command = resolved_cmd.command
    data: JSON = {
        "id": command["id"],
        "name": command["name"],
        "type": int(command.get("type") or 1),
        "options": options,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    res = resolved.to_json()
    if res:
        data["resolved"] = res
    return data


def convert_option(
    world: World, guild: Guild, member: GuildMember, where: str, option: JSON, value: Any, resolved: Resolved
) -> Any:
    """Type ``value`` for ``option`` and add referenced objects to ``resolved``."""
    otype = int(option["type"])
    name = option["name"]
    label = f"option {name!r} of {where}"
    result: Any
    if otype == STRING:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise AssertionError(f"{label} is a string; got {value!r}")
        result = str(value)
        low, high = option.get("min_length"), option.get("max_length")
        if low is not None and len(result) < int(low):
            raise AssertionError(f"{label} needs at least {low} characters")
        if high is not None and len(result) > int(high):
            raise AssertionError(f"{label} allows at most {high} characters")
    elif otype in (INTEGER, NUMBER):
        try:
            if isinstance(value, bool):
                raise ValueError
            result = int(value) if otype == INTEGER else float(value)
            if otype == INTEGER and isinstance(value, float) and not value.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            raise AssertionError(f"{label} is {OPTION_TYPE_NAMES[otype]}; got {value!r}") from None
        low, high = option.get("min_value"), option.get("max_value")
        if low is not None and result < low:
            raise AssertionError(f"{label} must be >= {low}; got {result}")
        if high is not None and result > high:
            raise AssertionError(f"{label} must be <= {high}; got {result}")
    elif otype == BOOLEAN:
        if not isinstance(value, bool):
            raise AssertionError(f"{label} is a boolean; got {value!r}")
        result = value
    elif otype == USER:
        result = _resolve_user(guild, value, resolved, label)
    elif otype == ROLE:
        result = _resolve_role(guild, value, resolved, label)
    elif otype == MENTIONABLE:
        role = _as_role(guild, value)
        result = (
            _resolve_role(guild, value, resolved, label)
            if role is not None
            else _resolve_user(guild, value, resolved, label)
        )
    elif otype == CHANNEL:
        channel = _as_channel(guild, value)
        if channel is None:
            raise AssertionError(f"{label}: unknown channel {value!r}")
        allowed = option.get("channel_types")
        if allowed and channel.type not in allowed:
            raise AssertionError(f"{label} accepts channel types {allowed}; #{channel.name} is type {channel.type}")
        data = channel.to_json()
        data["permissions"] = str(channel.permissions_for(member))
        resolved.channels[channel.id] = data
        result = channel.id
    elif otype == ATTACHMENT:
        stored = _as_file(world, value, label)
        att = stored.to_json()
        att["ephemeral"] = True
        resolved.attachments[stored.id] = att
        result = stored.id
    else:
        raise AssertionError(f"{label} has unsupported type {otype}")
    choices = option.get("choices")
    if choices:
        by_value = [c["value"] for c in choices]
        if result not in by_value:
            by_name = {c["name"]: c["value"] for c in choices}
            for choice in choices:  # the member may pick a choice by its name in their language
                local = localized_name(choice, member.locale)
                if local is not None:
                    by_name.setdefault(local, choice["value"])
            if isinstance(value, str) and value in by_name:
                return by_name[value]
            raise AssertionError(f"{label} must be one of the choices {by_value}; got {value!r}")
    return result


def _id_of(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    ident = getattr(value, "id", None)
    return str(ident) if ident is not None else None


def _as_role(guild: Guild, value: Any) -> Role | None:
    if isinstance(value, Role):
        return value
    ident = _id_of(value)
    return guild.roles.get(ident) if ident is not None else None


def _as_channel(guild: Guild, value: Any) -> Channel | None:
    if isinstance(value, Channel):
        return value
    ident = _id_of(value)
    return guild.channels.get(ident) if ident is not None else None


def _resolve_role(guild: Guild, value: Any, resolved: Resolved, label: str) -> str:
    role = _as_role(guild, value)
    if role is None:
        raise AssertionError(f"{label}: unknown role {value!r}")
    resolved.roles[role.id] = role.to_json()
    return role.id


def _resolve_user(guild: Guild, value: Any, resolved: Resolved, label: str) -> str:
    if isinstance(value, User):
        user_id = value.id
    else:
        record = getattr(value, "record", value)
        user_id = record.user.id if isinstance(record, GuildMember) else _id_of(value) or ""
    member = guild.members.get(user_id)
    user = member.user if member is not None else guild.world.users.get(user_id)
    if user is None:
        raise AssertionError(f"{label}: unknown user {value!r}")
    resolved.users[user.id] = user.to_json()
    if member is not None:
        data = member.to_json()
        data.pop("user", None)
        data["permissions"] = str(guild.base_permissions(member))
        resolved.members[user.id] = data
    return user.id


def _as_file(world: World, value: Any, label: str) -> StoredFile:
    if isinstance(value, StoredFile):
        return value
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes | str):
        data = value[1].encode() if isinstance(value[1], str) else value[1]
        return StoredFile(world.snowflakes.next(), str(value[0]), data)
    raise AssertionError(f"{label} is an attachment: pass (filename, bytes); got {value!r}")
