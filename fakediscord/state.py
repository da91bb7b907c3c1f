"""The emulated world: users, guilds, roles, channels, members, messages and registered commands.

Everything here is plain in-memory data with ``to_json`` methods producing exactly the shapes discord.py reads.
The world does not know about HTTP or websockets; it reports changes through ``World.dispatch`` so the gateway can
emit live events (GUILD_CREATE, CHANNEL_CREATE, ...) for objects tests add after the bot connected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import permissions as perms
from .permissions import Overwrite
from .snowflake import Clock, SnowflakeFactory

if TYPE_CHECKING:
    from .client import Member

JSON = dict[str, Any]

TEXT_CHANNEL = 0
VOICE_CHANNEL = 2
STAGE_CHANNEL = 13
GUILD_MEMBERS_INTENT = 1 << 1

MODERATOR_PERMISSIONS = (
    perms.DEFAULT_EVERYONE
    | perms.MANAGE_GUILD
    | perms.MANAGE_CHANNELS
    | perms.MANAGE_MESSAGES
    | perms.MANAGE_ROLES
    | perms.MANAGE_EVENTS
    | perms.CREATE_EVENTS
    | perms.MENTION_EVERYONE
    | perms.KICK_MEMBERS
    | perms.BAN_MEMBERS
)
"""Permissions of the "Server Managers" role given by ``add_member(manage_guild=True)`` (not Administrator)."""


@dataclass
class User:
    id: str
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    guild: Guild = field(repr=False)
    id: str
    name: str
    permissions: int
    position: int
    mentionable: bool = False
    managed: bool = False
    color: int = 0
    hoist: bool = False
    bot_id: str | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": self.bot_id}
        return data


@dataclass
class StoredFile:
    """An attachment as uploaded by the bot; ``data`` holds the raw bytes so tests can read exports."""

    id: str
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    def to_json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "filename": self.filename,
            "size": len(self.data),
            "url": f"https://cdn.discordapp.com/attachments/0/{self.id}/{self.filename}",
            "proxy_url": f"https://media.discordapp.net/attachments/0/{self.id}/{self.filename}",
        }
        if self.content_type:
            data["content_type"] = self.content_type
        if self.description:
            data["description"] = self.description
        return data


class Message(dict[str, Any]):
    """A stored message: the exact JSON Discord would return, plus test-only extras as attributes.

    It is a dict so it serialises as-is and ``msg["content"]`` works; the properties are conveniences for tests.
    """

    def __init__(self, data: JSON) -> None:
        super().__init__(data)
        self.files: list[StoredFile] = []
        self.dropped_embeds: list[JSON] = []
        """Embeds Discord silently discarded because the bot lacked EMBED_LINKS."""
        self.deleted = False
        self.allowed_mentions: Any = None
        """The ``allowed_mentions`` the message was sent (or last edited) with; mentions are recomputed from it."""

    @property
    def id(self) -> str:
        return str(self["id"])

    @property
    def channel_id(self) -> str:
        return str(self["channel_id"])

    @property
    def content(self) -> str:
        return str(self.get("content", ""))

    @property
    def embeds(self) -> list[JSON]:
        return list(self.get("embeds", []))

    @property
    def components(self) -> list[JSON]:
        return list(self.get("components", []))

    @property
    def nonce(self) -> str | int | None:
        nonce: str | int | None = self.get("nonce")
        return nonce

    @property
    def flags(self) -> int:
        return int(self.get("flags", 0))

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def mentioned_user_ids(self) -> list[str]:
        """Users who would actually be notified."""
        return [str(u["id"]) for u in self.get("mentions", [])]

    @property
    def mentioned_role_ids(self) -> list[str]:
        """Roles whose members would actually be notified."""
        return [str(r) for r in self.get("mention_roles", [])]

    @property
    def mention_everyone(self) -> bool:
        return bool(self.get("mention_everyone", False))


@dataclass
class Channel:
    guild: Guild = field(repr=False)
    id: str
    name: str
    position: int
    type: int = TEXT_CHANNEL
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list, repr=False)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def to_json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "type": self.type,
            "guild_id": self.guild.id,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [ow.to_json() for ow in self.overwrites],
            "topic": self.topic,
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "last_message_id": self.messages[-1].id if self.messages else None,
            "flags": 0,
        }
        if self.type in (VOICE_CHANNEL, STAGE_CHANNEL):
            data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        return data

    def permissions_for(self, member: GuildMember) -> int:
        base = self.guild.base_permissions(member)
        return perms.channel_permissions(
            base,
            guild_id=self.guild.id,
            member_id=member.user.id,
            member_role_ids=member.role_ids,
            overwrites=self.overwrites,
        )

    def set_member_permissions(self, member: GuildMember | Member, value: int | None) -> None:
        """Make ``value`` exactly the member's permissions here (None removes the overwrite).

        Dispatches CHANNEL_UPDATE so the bot's cache (``channel.permissions_for``) agrees.
        """
        self._set_member_overwrite(member.id, value)
        self.guild.world.dispatch("CHANNEL_UPDATE", self.to_json())

    def _set_member_overwrite(self, user_id: str, value: int | None) -> None:
        self.overwrites = [ow for ow in self.overwrites if not (ow.type == 1 and ow.id == user_id)]
        if value is not None:
            self.overwrites.append(Overwrite(user_id, 1, allow=value, deny=perms.ALL & ~value))

    def visible_messages(self) -> list[Message]:
        return [m for m in self.messages if not m.deleted]


@dataclass
class GuildMember:
    guild: Guild = field(repr=False)
    user: User
    role_ids: list[str]
    joined_at: str
    nick: str | None = None

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def permissions(self) -> int:
        return self.guild.base_permissions(self)

    def to_json(self) -> JSON:
        return {
            "user": self.user.to_json(),
            "roles": list(self.role_ids),
            "joined_at": self.joined_at,
            "flags": 0,
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }


class Guild:
    """A guild with its @everyone role, #general channel, owner and the bot as members."""

    def __init__(self, world: World, guild_id: str, name: str, bot_permissions: int) -> None:
        self.world = world
        self.id = guild_id
        self.name = name
        self.owner_id = world.owner_user.id
        self.roles: dict[str, Role] = {}
        self.channels: dict[str, Channel] = {}
        self.members: dict[str, GuildMember] = {}
        self.scheduled_events: dict[str, JSON] = {}
        self.commands: list[JSON] | None = None
        """Guild commands from the last PUT; None until the bot registers any."""
        self._moderator_role: Role | None = None
        self.everyone = Role(self, guild_id, "@everyone", perms.DEFAULT_EVERYONE, 0, mentionable=False)
        self.roles[guild_id] = self.everyone
        bot_role = Role(
            self,
            world.snowflakes.next(),
            world.bot_user.username,
            bot_permissions,
            1,
            managed=True,
            bot_id=world.bot_user.id,
        )
        self.roles[bot_role.id] = bot_role
        self.bot_role = bot_role
        self.system_channel = self._new_channel("general", None)
        self._new_member(world.owner_user, [])
        self.bot_member = self._new_member(world.bot_user, [bot_role.id])

    # -- test-facing builders -------------------------------------------------------------------------------

    def add_text_channel(self, name: str, bot_permissions: int | None = None, *, topic: str | None = None) -> Channel:
        """Add a text channel; ``bot_permissions`` becomes the bot's exact permissions there (None = inherit)."""
        channel = self._new_channel(name, bot_permissions, topic=topic)
        self.world.dispatch("CHANNEL_CREATE", channel.to_json())
        return channel

    def add_voice_channel(self, name: str, bot_permissions: int | None = None, *, stage: bool = False) -> Channel:
        """Add a voice (or stage) channel, e.g. for voice/stage scheduled events."""
        channel = self._new_channel(name, bot_permissions, kind=STAGE_CHANNEL if stage else VOICE_CHANNEL)
        self.world.dispatch("CHANNEL_CREATE", channel.to_json())
        return channel

    def add_role(
        self, name: str, mentionable: bool = False, *, permissions: int = 0, color: int = 0, hoist: bool = False
    ) -> Role:
        role = Role(
            self,
            self.world.snowflakes.next(),
            name,
            permissions,
            len(self.roles),
            mentionable,
            color=color,
            hoist=hoist,
        )
        self.roles[role.id] = role
        self.world.dispatch("GUILD_ROLE_CREATE", {"guild_id": self.id, "role": role.to_json()})
        return role

    def add_member(
        self,
        name: str,
        manage_guild: bool = False,
        *,
        roles: tuple[Role, ...] | list[Role] = (),
        global_name: str | None = None,
    ) -> Member:
        """Add a human member and return its test client; ``manage_guild`` grants the "Server Managers" role."""
        user = self.world.new_user(name, global_name=global_name)
        role_ids = [r.id for r in roles]
        if manage_guild:
            role_ids.append(self.moderator_role.id)
        record = self._new_member(user, role_ids)
        data = record.to_json()
        data["guild_id"] = self.id
        self.world.dispatch("GUILD_MEMBER_ADD", data)
        return self.world.member_client(record)

    @property
    def owner(self) -> Member:
        """Test client for the guild owner (has every permission)."""
        return self.world.member_client(self.members[self.owner_id])

    @property
    def moderator_role(self) -> Role:
        if self._moderator_role is None:
            self._moderator_role = self.add_role("Server Managers", permissions=MODERATOR_PERMISSIONS)
        return self._moderator_role

    # -- lookups and permission helpers -------------------------------------------------------------------

    def text_channels(self) -> Iterator[Channel]:
        return (c for c in self.channels.values() if c.type == TEXT_CHANNEL)

    def base_permissions(self, member: GuildMember) -> int:
        return perms.base_permissions(
            is_owner=member.user.id == self.owner_id,
            everyone=self.everyone.permissions,
            role_permissions=[self.roles[r].permissions for r in member.role_ids if r in self.roles],
        )

    def bot_permissions_in(self, channel: Channel) -> int:
        return channel.permissions_for(self.bot_member)

    def to_json(self, *, intents: int) -> JSON:
        """The GUILD_CREATE payload; without GUILD_MEMBERS only the bot's own member is sent, as Discord does."""
        if intents & GUILD_MEMBERS_INTENT:
            members = [m.to_json() for m in self.members.values()]
        else:
            members = [self.bot_member.to_json()]
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "owner_id": self.owner_id,
            "unavailable": False,
            "member_count": len(self.members),
            "large": False,
            "preferred_locale": "en-US",
            "features": [],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": self.system_channel.id,
            "system_channel_flags": 0,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "joined_at": self.bot_member.joined_at,
            "roles": [r.to_json() for r in self.roles.values()],
            "channels": [c.to_json() for c in self.channels.values()],
            "members": members,
            "threads": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": list(self.scheduled_events.values()),
            "soundboard_sounds": [],
        }

    def rest_json(self) -> JSON:
        """``GET /guilds/{id}`` shape: like GUILD_CREATE minus the gateway-only lists."""
        data = self.to_json(intents=0)
        for key in (
            "unavailable",
            "member_count",
            "large",
            "joined_at",
            "channels",
            "members",
            "threads",
            "voice_states",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ):
            data.pop(key, None)
        return data

    # -- internals --------------------------------------------------------------------------------------

    def _new_channel(
        self, name: str, bot_permissions: int | None, *, topic: str | None = None, kind: int = TEXT_CHANNEL
    ) -> Channel:
        channel = Channel(self, self.world.snowflakes.next(), name, len(self.channels), type=kind, topic=topic)
        self.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        if bot_permissions is not None:
            channel._set_member_overwrite(self.bot_member.id, bot_permissions)
        return channel

    def _new_member(self, user: User, role_ids: list[str]) -> GuildMember:
        member = GuildMember(self, user, role_ids, self.world.clock.iso_now())
        self.members[user.id] = member
        return member


class WorldListener(Protocol):
    """Implemented by the FakeDiscord facade: turns world changes into gateway events and member clients."""

    def dispatch(self, event: str, data: JSON) -> None: ...

    def guild_added(self, guild: Guild) -> None: ...

    def member_client(self, record: GuildMember) -> Member: ...


class World:
    """Root of the emulated data, shared by the REST handlers, the gateway and the test clients."""

    def __init__(self, *, bot_id: str | None = None, bot_name: str = "testbot") -> None:
        self.clock = Clock()
        self.snowflakes = SnowflakeFactory(self.clock)
        self.users: dict[str, User] = {}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, Message] = {}
        self.global_commands: list[JSON] | None = None
        """Global commands from the last PUT; None until the bot registers any."""
        self.bot_user = self.new_user(bot_name, bot=True, user_id=bot_id)
        self.application_id = self.bot_user.id  # Discord bots share their id with their application.
        self.owner_user = self.new_user("owner", global_name="Server Owner")
        self.listener: WorldListener | None = None

    def new_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None, user_id: str | None = None
    ) -> User:
        user = User(user_id or self.snowflakes.next(), username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, bot_permissions: int = perms.DEFAULT_BOT) -> Guild:
        guild = Guild(self, self.snowflakes.next(), name, bot_permissions)
        self.guilds[guild.id] = guild
        if self.listener is not None:
            self.listener.guild_added(guild)
        return guild

    def dispatch(self, event: str, data: JSON) -> None:
        if self.listener is not None:
            self.listener.dispatch(event, data)

    def member_client(self, record: GuildMember) -> Member:
        if self.listener is None:
            raise RuntimeError("member clients need a running FakeDiscord")
        return self.listener.member_client(record)

    def store_message(self, channel: Channel, data: JSON) -> Message:
        message = Message(data)
        channel.messages.append(message)
        self.messages[message.id] = message
        return message

    def find_message(self, channel_id: str, message_id: str) -> Message | None:
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            return None
        return message

    def commands_for(self, guild: Guild | None) -> list[JSON]:
        """Commands visible in a guild: guild commands win over global ones of the same name and type."""
        seen: dict[tuple[str, int], JSON] = {}
        for cmd in self.global_commands or []:
            seen[(cmd["name"], int(cmd.get("type", 1)))] = cmd
        if guild is not None:
            for cmd in guild.commands or []:
                seen[(cmd["name"], int(cmd.get("type", 1)))] = cmd
        return list(seen.values())
