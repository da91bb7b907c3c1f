"""The emulated world: users, guilds, roles, channels, members, messages and registered commands.

Everything here is plain in-memory data with ``to_json`` methods producing exactly the shapes discord.py reads.
The world does not know about HTTP or websockets; it reports changes through ``World.dispatch`` so the gateway can
emit live events (GUILD_CREATE, CHANNEL_CREATE, ...) for objects tests add after the bot connected.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from . import errors
from . import permissions as perms
from .locales import DEFAULT_LOCALE, checked_locale
from .permissions import Overwrite
from .snowflake import Clock, SnowflakeFactory

if TYPE_CHECKING:
    from .client import Member

JSON = dict[str, Any]

TEXT_CHANNEL = 0
VOICE_CHANNEL = 2
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
STAGE_CHANNEL = 13
DEFAULT_AUTO_ARCHIVE_DURATION = 1440
"""What a thread gets when its creation leaves ``auto_archive_duration`` out. The documentation gives no API default;
the emulator takes 24 hours, what Discord's clients pre-select unless a channel sets ``default_auto_archive_duration``
("used by our clients to pre-select a different auto_archive_duration value", Threads topic)."""
MAX_ACTIVE_THREADS = 1000
"""Active threads a guild may hold; beyond, 160006 "Maximum number of active threads reached" (JSON Error Codes).
The Threads topic says only "guilds are capped at a certain number of active threads"; 1,000 is the figure Discord's
help pages give."""
THREAD_MEMBER_COUNT_CAP = 50
"""``member_count`` "stops counting at 50" (Threads topic, Thread Fields)."""
GUILD_MEMBERS_INTENT = 1 << 1

MODERATOR_PERMISSIONS = (
    perms.DEFAULT_EVERYONE
    | perms.MANAGE_GUILD
    | perms.MANAGE_CHANNELS
    | perms.MANAGE_MESSAGES
    | perms.MANAGE_ROLES
    | perms.MANAGE_EVENTS
    | perms.CREATE_EVENTS
    | perms.MANAGE_THREADS
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
    """An attachment as uploaded by the bot; ``data`` holds the raw bytes so tests can read exports.

    ``content_type`` is what Discord reports (derived from the file, as Discord does: discord.py uploads every
    part as ``application/octet-stream``); ``description`` is the alt text from ``payload_json.attachments``.
    """

    id: str
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    upload_index: int | None = field(default=None, repr=False)
    """``n`` of the multipart ``files[n]`` part it came from (matches ``attachments[].id`` in the payload)."""

    @classmethod
    def from_upload(cls, filename: str, data: bytes, declared_type: str | None, index: int | None) -> StoredFile:
        """A file from a multipart ``files[n]`` part; the id is assigned when a message takes it."""
        return cls(
            id="",
            filename=filename,
            data=data,
            content_type=detect_content_type(filename, data, declared_type),
            upload_index=index,
        )

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @property
    def dimensions(self) -> tuple[int, int] | None:
        """(width, height) for PNG and GIF images, as Discord reports them; None otherwise."""
        return image_dimensions(self.data)

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
        dimensions = self.dimensions
        if dimensions is not None:
            data["width"], data["height"] = dimensions
        return data


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)


def detect_content_type(filename: str, data: bytes, declared: str | None = None) -> str | None:
    """The content type Discord would report: from the bytes (images), else the extension, else the declared one.

    Text types get ``; charset=utf-8`` as Discord adds it.
    """
    for magic, sniffed in _MAGIC:
        if data.startswith(magic):
            return sniffed
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    guessed, _encoding = mimetypes.guess_type(filename, strict=False)
    kind = guessed or (declared if declared and declared != "application/octet-stream" else None)
    if kind is not None and kind.startswith("text/") and "charset" not in kind:
        kind += "; charset=utf-8"
    return kind


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or GIF, read from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None


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
    def type(self) -> int:
        """Discord's message type: 0 default, 18 THREAD_CREATED, 19 reply, 20 slash command, 21 thread starter."""
        return int(self.get("type", 0))

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


THREAD_CREATED = 18
"""Message type of the parent's notice "<user> started a thread" (Message › Message Types)."""
THREAD_STARTER_MESSAGE = 21
"""Message type of the first message of a thread started from a message (Message › Message Types)."""
HAS_THREAD = 1 << 5
"""Message flag: "this message has an associated thread, with the same id as the message"."""

EVENT_STAGE_INSTANCE = 1
EVENT_VOICE = 2
EVENT_EXTERNAL = 3
EVENT_SCHEDULED = 1
EVENT_ACTIVE = 2
EVENT_COMPLETED = 3
EVENT_CANCELED = 4
EVENT_STATUS_NAMES = {1: "scheduled", 2: "active", 3: "completed", 4: "canceled"}
EVENT_TRANSITIONS = {
    EVENT_SCHEDULED: {EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_CANCELED},
    EVENT_ACTIVE: {EVENT_ACTIVE, EVENT_COMPLETED},
    EVENT_COMPLETED: {EVENT_COMPLETED},
    EVENT_CANCELED: {EVENT_CANCELED},
}
"""Discord's valid status changes: scheduled -> active/canceled, active -> completed; the last two are final."""


def iso_utc(value: datetime | str | None) -> str | None:
    """An ISO8601 timestamp in UTC (naive datetimes are taken as UTC); strings are parsed and re-rendered."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def image_hash(image: Any) -> str | None:
    """An image data URI (as sent for covers) becomes a hash-like string, as Discord stores it."""
    if not isinstance(image, str) or not image:
        return None
    return hashlib.md5(image.encode(), usedforsecurity=False).hexdigest()


class ScheduledEvent(dict[str, Any]):
    """A guild scheduled event: exactly the JSON Discord returns, plus read-only conveniences for tests."""

    @property
    def id(self) -> str:
        return str(self["id"])

    @property
    def name(self) -> str:
        return str(self["name"])

    @property
    def description(self) -> str | None:
        value = self.get("description")
        return None if value is None else str(value)

    @property
    def status(self) -> int:
        """1 scheduled, 2 active, 3 completed, 4 canceled."""
        return int(self["status"])

    @property
    def status_name(self) -> str:
        return EVENT_STATUS_NAMES.get(self.status, str(self.status))

    @property
    def entity_type(self) -> int:
        """1 stage instance, 2 voice, 3 external."""
        return int(self["entity_type"])

    @property
    def channel_id(self) -> str | None:
        value = self.get("channel_id")
        return None if value is None else str(value)

    @property
    def creator_id(self) -> str | None:
        value = self.get("creator_id")
        return None if value is None else str(value)

    @property
    def location(self) -> str | None:
        metadata = self.get("entity_metadata")
        location = metadata.get("location") if isinstance(metadata, dict) else None
        return None if location is None else str(location)

    @property
    def start_time(self) -> datetime:
        return datetime.fromisoformat(str(self["scheduled_start_time"]))

    @property
    def end_time(self) -> datetime | None:
        value = self.get("scheduled_end_time")
        return None if value is None else datetime.fromisoformat(str(value))


MEMBER_ROLE_UPDATE = 25
"""Audit log event types (Audit Log › Audit Log Events)."""
GUILD_SCHEDULED_EVENT_CREATE = 100
GUILD_SCHEDULED_EVENT_UPDATE = 101
GUILD_SCHEDULED_EVENT_DELETE = 102
THREAD_CREATE = 110
THREAD_UPDATE = 111
THREAD_DELETE = 112


@dataclass(frozen=True)
class AuditLogEntry:
    """One audited action (``Guild.audit_log``), with the ``X-Audit-Log-Reason`` it was made with."""

    action_type: int
    """Discord's audit log event type, e.g. 25 MEMBER_ROLE_UPDATE, 100-102 GUILD_SCHEDULED_EVENT_*."""
    user_id: str
    """Who did it (the bot for REST calls)."""
    target_id: str
    reason: str | None = None
    changes: tuple[JSON, ...] = ()
    """Discord's change objects, e.g. ``{"key": "$add", "new_value": [{"id": ..., "name": ...}]}``."""


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

    @property
    def threads(self) -> list[Thread]:
        """The threads started in this channel (active and archived, not deleted), oldest first."""
        return [t for t in self.guild.threads.values() if t.parent is self]

    @property
    def send_permission(self) -> int:
        """The permission a message needs here: SEND_MESSAGES (threads: SEND_MESSAGES_IN_THREADS, see `Thread`)."""
        return perms.SEND_MESSAGES

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
        return self.compute_permissions(self.guild.base_permissions(member), member.user.id, member.role_ids)

    @property
    def permission_overwrites(self) -> list[Overwrite]:
        """The overwrites its permissions are computed from: its own (a thread's are its parent's)."""
        return self.overwrites

    def compute_permissions(self, base: int, member_id: str, role_ids: list[str] | tuple[str, ...]) -> int:
        """Guild-level ``base`` permissions after this channel's overwrites for the member and roles."""
        return perms.channel_permissions(
            base,
            guild_id=self.guild.id,
            member_id=member_id,
            member_role_ids=role_ids,
            overwrites=self.permission_overwrites,
            send_permission=self.send_permission,
        )

    def set_member_permissions(self, member: GuildMember | Member, value: int | None) -> None:
        """Make ``value`` exactly the member's permissions here (None removes the overwrite).

        Dispatches CHANNEL_UPDATE so the bot's cache (``channel.permissions_for``) agrees, and THREAD_LIST_SYNC when
        the bot gains access to the channel (see `Guild.bot_access_changes`).
        """
        with self.guild.bot_access_changes():
            self._set_member_overwrite(member.id, value)
            self.guild.world.dispatch("CHANNEL_UPDATE", self.to_json())

    def _set_member_overwrite(self, user_id: str, value: int | None) -> None:
        self.overwrites = [ow for ow in self.overwrites if not (ow.type == 1 and ow.id == user_id)]
        if value is not None:
            self.overwrites.append(Overwrite(user_id, 1, allow=value, deny=perms.ALL & ~value))

    def visible_messages(self) -> list[Message]:
        return [m for m in self.messages if not m.deleted]

    def check_write(self, who: GuildMember, action: ThreadAction) -> None:
        """Whether Discord lets ``who`` do ``action`` here; only threads restrict it (`Thread.check_write`)."""

    def admit_post(self, who: GuildMember, *, join: bool = True) -> None:
        """``who`` posts here; only threads change for it (`Thread.admit_post`)."""


ThreadAction = Literal["post", "edit", "react", "delete"]
"""What a member (or the bot) does in a channel: send a message, edit one, add a reaction, delete or unreact."""


@dataclass(frozen=True)
class ThreadMember:
    """A user's membership of a thread (Channel › Thread Member Object)."""

    user_id: str
    join_timestamp: str
    flags: int = 0

    def to_json(self, thread_id: str | None) -> JSON:
        """The thread member object; ``thread_id=None`` leaves out ``id`` and ``user_id``, as the threads of
        GUILD_CREATE carry it ("These fields are omitted on the member sent within each thread in the GUILD_CREATE
        event")."""
        data: JSON = {"join_timestamp": self.join_timestamp, "flags": self.flags}
        if thread_id is not None:
            data = {"id": thread_id, "user_id": self.user_id, **data}
        return data


@dataclass(eq=False, kw_only=True)
class Thread(Channel):
    """A thread: a channel inside ``parent`` with Discord's thread rules (Threads topic; Channel resource).

    Its permissions are the parent's ("Threads inherit permissions from the parent channel", Permissions ›
    Inherited Permissions), except that SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES, lets one post; a private
    thread is visible only to its members and to those with MANAGE_THREADS. Messages are stored per thread
    (``fd.channel_messages(thread)``); a thread started from a message shares that message's id and begins with a
    THREAD_STARTER_MESSAGE (type 21).
    """

    parent: Channel = field(repr=False)
    owner_id: str
    """Who started it ("owner_id has been repurposed to store the id of the user that started the thread")."""
    last_activity: datetime
    """When it was last active: "sending a message, unarchiving a thread, or changing the auto-archive time"."""
    auto_archive_duration: int = DEFAULT_AUTO_ARCHIVE_DURATION
    rate_limit_per_user: int = 0
    invitable: bool = True
    archived: bool = False
    locked: bool = False
    archive_timestamp: str = ""
    create_timestamp: str = ""
    members: dict[str, ThreadMember] = field(default_factory=dict)
    """Members by user id (Threads topic, Thread Membership)."""
    total_message_sent: int = 0
    starter_message_id: str | None = None
    """The parent's message it was started from (the same id as the thread), if any."""

    @property
    def send_permission(self) -> int:
        return perms.SEND_MESSAGES_IN_THREADS

    @property
    def threads(self) -> list[Thread]:
        return []  # a thread holds no threads

    @property
    def message_count(self) -> int:
        """Discord's "number of messages (not including the initial message or deleted messages) in a thread"."""
        return sum(1 for m in self.visible_messages() if m.get("type") != THREAD_STARTER_MESSAGE)

    @property
    def permission_overwrites(self) -> list[Overwrite]:
        """The parent's: "Threads inherit permissions from the parent channel"."""
        return self.parent.overwrites

    def permissions_for(self, member: GuildMember) -> int:
        """The parent's permissions, or none in a private thread for a non-member without MANAGE_THREADS
        ("You must be invited to the thread to be able to view or participate in it, or be a moderator")."""
        have = super().permissions_for(member)
        if self.type == PRIVATE_THREAD and member.id not in self.members and not have & perms.MANAGE_THREADS:
            return 0
        return have

    def to_json(self) -> JSON:
        metadata: JSON = {
            "archived": self.archived,
            "auto_archive_duration": self.auto_archive_duration,
            "archive_timestamp": self.archive_timestamp,
            "locked": self.locked,
            "create_timestamp": self.create_timestamp,
        }
        if self.type == PRIVATE_THREAD:
            metadata["invitable"] = self.invitable
        return {
            "id": self.id,
            "type": self.type,
            "guild_id": self.guild.id,
            "parent_id": self.parent.id,
            "owner_id": self.owner_id,
            "name": self.name,
            "last_message_id": self.messages[-1].id if self.messages else None,
            "rate_limit_per_user": self.rate_limit_per_user,
            "flags": 0,
            "message_count": self.message_count,
            "member_count": min(len(self.members), THREAD_MEMBER_COUNT_CAP),
            "total_message_sent": self.total_message_sent,
            "thread_metadata": metadata,
        }

    def with_member(self, user_id: str) -> JSON:
        """``to_json`` plus ``member`` when ``user_id`` joined: Get Channel "If the channel is a thread, a thread
        member object is included in the returned result"."""
        data = self.to_json()
        if user_id in self.members:
            data["member"] = self.members[user_id].to_json(self.id)
        return data

    # -- who sees it, and what they may do in it --------------------------------------------------------------

    @property
    def bot_can_view(self) -> bool:
        """The bot gets this thread's events only if it can view it ("Clients will not be informed of a thread
        through the gateway if they do not have permission to view that thread", Threads topic › Permissions)."""
        return self.guild.has_bot and bool(self.guild.bot_permissions_in(self) & perms.VIEW_CHANNEL)

    def dispatch(self, event: str, data: JSON) -> None:
        """Send a gateway event about this thread, to a bot that can view it."""
        if self.bot_can_view:
            self.guild.world.dispatch(event, data)

    def check_write(self, who: GuildMember, action: ThreadAction) -> None:
        """Discord's rules for an archived or locked thread, raising its error (Threads topic):

        - post: "Sending a message will automatically unarchive the thread, unless the thread has been locked by a
          moderator"; "Users (including bot users) without the MANAGE_THREADS permission ... won't be able to
          create or update messages in locked threads": 403 50083 "Thread is archived" for a locked, archived
          thread (discord-api-docs #6884, #7707), 160005 "Thread is locked" for a locked, active one;
        - edit, react: "Archived threads are generally immutable. To send a message or add a reaction, a thread
          must first be unarchived" (Channel › Example Thread Channel): 400 50083; editing in a locked thread
          without MANAGE_THREADS: 160005;
        - delete (and removing a reaction): "The only operation that should happen within an archived thread is
          messages being deleted", but "deleting messages and adding or removing reactions will *only* be allowed
          in locked threads if that thread is also active": 400 50083 in a locked, archived thread.
        """
        manager = bool(self.permissions_for(who) & perms.MANAGE_THREADS)
        if action == "post":
            if self.locked and not manager:
                raise errors.thread_archived(403) if self.archived else errors.thread_locked()
            return
        if action in ("edit", "react") and self.archived:
            raise errors.thread_archived()
        if action == "edit" and self.locked and not manager:
            raise errors.thread_locked()
        if action == "delete" and self.locked and self.archived and not manager:
            raise errors.thread_archived()

    def admit_post(self, who: GuildMember, *, join: bool = True) -> None:
        """``who`` posts here: the rules of `check_write`, then an archived thread unarchives ("The API will
        helpfully automatically unarchive a thread when sending a message in that thread") and ``who`` joins it
        ("The API will helpfully automatically add users to a thread when sending a message in that thread").
        ``join=False`` for interaction responses, which the app posts without sending a message itself."""
        self.check_write(who, "post")
        if self.archived:
            self._apply({"archived": False})
        if join:
            self.join(who)

    # -- membership ---------------------------------------------------------------------------------------------

    def join(self, who: GuildMember | Member) -> bool:
        """``who`` joins (or is added); False if already a member. THREAD_MEMBERS_UPDATE goes out ("Sent when anyone
        is added to or removed from a thread"; the gateway sends it only to bots with GUILD_MEMBERS unless the bot
        itself joined), its thread member carrying the guild member, as documented for that event."""
        if who.id in self.members:
            return False
        self.members[who.id] = ThreadMember(who.id, self.guild.world.clock.iso_now())
        self.announce_member(who.id)
        return True

    def announce_member(self, user_id: str) -> None:
        """THREAD_MEMBERS_UPDATE for ``user_id`` having joined."""
        added = self.members[user_id].to_json(self.id)
        record = self.guild.members.get(user_id)
        if record is not None:
            added.update(member=record.to_json(), presence=None)
        self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": self.id,
                "guild_id": self.guild.id,
                "member_count": min(len(self.members), THREAD_MEMBER_COUNT_CAP),
                "added_members": [added],
            },
        )

    # -- changes --------------------------------------------------------------------------------------------

    def edit(self, who: GuildMember, changes: JSON) -> list[JSON]:
        """``who`` edits the thread (Modify Channel, JSON Params (Thread)); returns the audit log's changes.

        Discord's rules, raising its errors (Threads topic › Editing & Deleting Threads, Modify Channel):
        - an archived thread takes no change unless the request sets ``archived`` to false: 400 50083 (Modify
          Channel: "Requires the thread to have archived set to false or be set to false in the request";
          discord-api-docs #6928);
        - "Editing a thread to change the name, archived, auto_archive_duration fields requires MANAGE_THREADS or
          that the current user is the thread creator";
        - unarchiving "only requires the current user has already been added to the thread. If locked is true, then
          the user must have created the thread or have MANAGE_THREADS";
        - "Editing a thread to change rate_limit_per_user or locked requires MANAGE_THREADS";
        each refusal is 403 50013. A value equal to the current one is no change.
        """
        changing = {k: v for k, v in changes.items() if v is not None and getattr(self, k, v) != v}
        unarchiving = changing.get("archived") is False
        if self.archived and not unarchiving:
            raise errors.thread_archived()
        manager = bool(self.permissions_for(who) & perms.MANAGE_THREADS)
        creator = who.id == self.owner_id
        moderated = {"locked", "rate_limit_per_user"} & changing.keys()
        joined_unarchive = set(changing) == {"archived"} and unarchiving and who.id in self.members
        if not manager and (moderated or not (creator or (joined_unarchive and not self.locked))):
            raise errors.missing_permissions()
        audited = [{"key": k, "old_value": getattr(self, k), "new_value": v} for k, v in changing.items()]
        self._apply(changing)
        return audited

    def _apply(self, changes: JSON) -> None:
        """Apply thread field changes and dispatch THREAD_UPDATE ("Sent when a thread is updated"); an unarchive
        is followed by THREAD_MEMBER_UPDATE to its members (Threads topic › Unarchiving a Thread)."""
        now = self.guild.world.clock.now()
        for key, value in changes.items():
            setattr(self, key, value)
        if "archived" in changes or "auto_archive_duration" in changes:
            # "archive_timestamp is changed when creating, archiving, or unarchiving a thread, and when changing the
            # auto_archive_duration field"; activity is "unarchiving a thread, or changing the auto-archive time".
            self.archive_timestamp = now.isoformat()
            if not self.archived:
                self.last_activity = now
        self.refresh_starter()
        self.dispatch("THREAD_UPDATE", self.to_json())
        bot_id = self.guild.world.bot_user.id
        if changes.get("archived") is False and bot_id in self.members:
            self.dispatch("THREAD_MEMBER_UPDATE", {**self.members[bot_id].to_json(self.id), "guild_id": self.guild.id})

    def refresh_starter(self) -> None:
        """Keep the ``thread`` of the message it was started from current ("the thread that was started from this
        message", Message Object)."""
        source = self.guild.world.messages.get(self.starter_message_id or "")
        if source is not None and source.channel_id == self.parent.id:
            source["thread"] = self.to_json()

    def auto_archive_due(self, now: datetime) -> bool:
        return not self.archived and now >= self.last_activity + timedelta(minutes=self.auto_archive_duration)


@dataclass
class GuildMember:
    guild: Guild = field(repr=False)
    user: User
    role_ids: list[str]
    joined_at: str
    nick: str | None = None
    locale: str = DEFAULT_LOCALE
    """The member's Discord client language: the ``locale`` of their interactions."""

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def roles(self) -> list[Role]:
        """The member's roles (without @everyone), in the order they were given."""
        return [self.guild.roles[r] for r in self.role_ids if r in self.guild.roles]

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

    def __init__(
        self,
        world: World,
        guild_id: str,
        name: str,
        bot_permissions: int,
        *,
        bot_member: bool = True,
        preferred_locale: str = DEFAULT_LOCALE,
    ) -> None:
        self.world = world
        self.id = guild_id
        self.name = name
        self.has_bot = bot_member
        """False: the app's commands are installed (``applications.commands``) but the bot user is not a member.

        Discord then sends the bot no gateway events of the guild (only INTERACTION_CREATE), REST calls on it
        answer 403 Missing Access, and ``app_permissions`` is @everyone's, limited to the permissions usable in
        interaction responses (Discord change log 2022-06-29, "Calculated Permissions in Interaction Payloads").
        """
        self.available = True
        """False during an outage of this guild on Discord's side (see `outage`)."""
        self.requests_while_unavailable = 0
        """REST requests the bot made about this guild while it was unavailable (tests assert none were needed)."""
        self.owner_id = world.owner_user.id
        self.roles: dict[str, Role] = {}
        self.channels: dict[str, Channel] = {}
        self.members: dict[str, GuildMember] = {}
        self.preferred_locale = checked_locale(preferred_locale)
        """The guild's language (community setting): ``preferred_locale`` and interactions' ``guild_locale``."""
        self.scheduled_events: dict[str, ScheduledEvent] = {}
        """Scheduled events by id (``ScheduledEvent`` is the JSON Discord returns)."""
        self.threads: dict[str, Thread] = {}
        """Threads by id, active and archived (``channel.threads`` lists a channel's); not in ``channels``, as
        threads are not listed with the guild's channels."""
        self.audit_log: list[AuditLogEntry] = []
        """Audited actions (role changes, scheduled events), oldest first."""
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
        if bot_member:
            self.roles[bot_role.id] = bot_role
        self.bot_role = bot_role
        self.system_channel = self._new_channel("general", None)
        self._new_member(world.owner_user, [])
        if bot_member:
            self.bot_member = self._new_member(world.bot_user, [bot_role.id])
        else:  # kept (unregistered) so code that reads it still works; it grants nothing, see bot_permissions_in
            self.bot_member = GuildMember(self, world.bot_user, [bot_role.id], world.clock.iso_now())

    # -- Discord's side: outages, and the bot removed --------------------------------------------------------

    def outage(self) -> None:
        """Discord loses this guild for a while: it becomes unavailable to the bot.

        Discord documents (Gateway, "Guild Delete": "Sent when a guild becomes or was already unavailable due to
        an outage"; "Guilds": READY lists every guild as unavailable, and GUILD_CREATE follows for each as it
        becomes available) that a connected bot gets GUILD_DELETE with ``unavailable: true``, and one identifying
        during the outage gets the guild as unavailable in READY and GUILD_DELETE ``unavailable: true`` instead
        of its GUILD_CREATE (`Gateway._identify`). It can last minutes or hours (discord-api-docs #1888, #2850).
        discord.py then keeps a stub of the guild: no roles, no channels, an empty name, ``me`` None.
        """
        self.available = False
        self.world.dispatch("GUILD_DELETE", {"id": self.id, "unavailable": True})

    def restore(self) -> None:
        """The outage ends: GUILD_CREATE with the whole guild (``unavailable: false``), as Discord sends it."""
        self.available = True
        self.world.guild_returned(self)

    def remove_bot(self) -> None:
        """A moderator kicks the bot (or bans it): GUILD_DELETE without ``unavailable`` ("If the unavailable field
        is not set, the user was removed from the guild", Gateway, "Guild Delete"). From then on the bot gets no
        event of the guild, its REST calls there answer 403 Missing Access, and a new IDENTIFY leaves it out of
        READY; the app's commands stay installed, as after a real kick."""
        self.world.dispatch("GUILD_DELETE", {"id": self.id})
        self.has_bot = False
        self.members.pop(self.world.bot_user.id, None)
        self.roles.pop(self.bot_role.id, None)

    def add_bot(self) -> None:
        """A moderator adds the bot (back) with its invite link: its role and member again, and GUILD_CREATE, as
        for any guild the bot joins (Gateway, "Guild Create": "when the current user joins a new Guild")."""
        self.has_bot = True
        self.roles[self.bot_role.id] = self.bot_role
        self.bot_member = self._new_member(self.world.bot_user, [self.bot_role.id])
        self.world.guild_returned(self)

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
        self,
        name: str,
        mentionable: bool = False,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        position: int | None = None,
    ) -> Role:
        """Add a role; by default it goes on top of the list (above the bot's role, which the bot cannot assign).

        ``position=0`` puts it just above @everyone, below the bot's role (position 1): roles of equal position
        rank by id, older first, as in Discord.
        """
        role = Role(
            self,
            self.world.snowflakes.next(),
            name,
            permissions,
            len(self.roles) if position is None else position,
            mentionable,
            color=color,
            hoist=hoist,
        )
        self.roles[role.id] = role
        self.world.dispatch("GUILD_ROLE_CREATE", {"guild_id": self.id, "role": role.to_json()})
        return role

    def edit_role(self, role: Role, *, permissions: int | None = None, position: int | None = None) -> Role:
        """A moderator edits ``role`` by hand (its permissions, its place in the list): GUILD_ROLE_UPDATE goes out.
        The bot's own role is ``guild.bot_role``."""
        with self.bot_access_changes():
            if permissions is not None:
                role.permissions = permissions
            if position is not None:
                role.position = position
            self.world.dispatch("GUILD_ROLE_UPDATE", {"guild_id": self.id, "role": role.to_json()})
        return role

    def delete_role(self, role: Role) -> None:
        """A moderator deletes ``role``: members lose it, GUILD_ROLE_DELETE goes out, and a mention of it still in
        a message renders as "@deleted-role" and notifies nobody."""
        if role.id == self.id:
            raise ValueError("@everyone cannot be deleted")
        with self.bot_access_changes():
            del self.roles[role.id]
            for member in self.members.values():
                if role.id in member.role_ids:
                    member.role_ids.remove(role.id)
            self.world.dispatch("GUILD_ROLE_DELETE", {"guild_id": self.id, "role_id": role.id})

    def add_member(
        self,
        name: str,
        manage_guild: bool = False,
        *,
        roles: tuple[Role, ...] | list[Role] = (),
        global_name: str | None = None,
        locale: str = DEFAULT_LOCALE,
    ) -> Member:
        """Add a human member and return its test client; ``manage_guild`` grants the "Server Managers" role.

        ``locale`` is the member's client language (sent as the ``locale`` of their interactions).
        """
        user = self.world.new_user(name, global_name=global_name)
        role_ids = [r.id for r in roles]
        if manage_guild:
            role_ids.append(self.moderator_role.id)
        record = self._new_member(user, role_ids)
        record.locale = checked_locale(locale)
        data = record.to_json()
        data["guild_id"] = self.id
        self.world.dispatch("GUILD_MEMBER_ADD", data)
        return self.world.member_client(record)

    def remove_member(self, member: Member) -> None:
        """The member leaves (or is kicked): GUILD_MEMBER_REMOVE goes out, to bots with the GUILD_MEMBERS intent only
        (Gateway, "Guild Member Remove"), and a later call about them answers 404 10007 "Unknown member" (Opcodes
        and Status Codes, "JSON Error Codes")."""
        self.members.pop(member.id, None)
        self.world.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": self.id, "user": member.record.user.to_json()})

    @property
    def owner(self) -> Member:
        """Test client for the guild owner (has every permission)."""
        return self.world.member_client(self.members[self.owner_id])

    @property
    def moderator_role(self) -> Role:
        if self._moderator_role is None:
            self._moderator_role = self.add_role("Server Managers", permissions=MODERATOR_PERMISSIONS)
        return self._moderator_role

    # -- scheduled events (as moderators make them in the client) ------------------------------------------

    def add_scheduled_event(
        self,
        name: str,
        start: datetime,
        *,
        end: datetime | None = None,
        location: str | None = None,
        channel: Channel | None = None,
        description: str | None = None,
        creator: GuildMember | Member | None = None,
    ) -> ScheduledEvent:
        """A moderator creates an event by hand (default creator: the owner); dispatches the CREATE event.

        External when ``location`` is given (then ``end`` is required, as in Discord), else a voice or stage event
        in ``channel``.
        """
        if location is not None:
            if end is None:
                raise ValueError("an external event needs an end time")
            fields: JSON = {"entity_type": EVENT_EXTERNAL, "entity_metadata": {"location": location}}
        elif channel is not None and channel.type in (VOICE_CHANNEL, STAGE_CHANNEL):
            kind = EVENT_VOICE if channel.type == VOICE_CHANNEL else EVENT_STAGE_INSTANCE
            fields = {"entity_type": kind, "channel_id": channel.id}
        else:
            raise ValueError("pass location= (external event) or a voice/stage channel=")
        fields.update(
            name=name, description=description, scheduled_start_time=start, scheduled_end_time=end, privacy_level=2
        )
        who = self.members[self.owner_id] if creator is None else getattr(creator, "record", creator)
        assert isinstance(who, GuildMember)
        event = self.new_scheduled_event(who.user, fields)
        self.world.dispatch("GUILD_SCHEDULED_EVENT_CREATE", dict(event))
        return event

    def edit_scheduled_event(
        self, event: ScheduledEvent | str, *, by: GuildMember | Member | None = None, **changes: Any
    ) -> ScheduledEvent:
        """A member edits an event by hand in Discord's client (``by``, default: the owner), e.g. ``status=2`` to
        start it, ``name=...`` or ``entity_metadata={"location": ...}``; dispatches the UPDATE event and records
        it in the audit log under them.

        Keys are the event's JSON fields; datetimes are accepted for the two time fields. Discord's status rules
        apply (scheduled -> active/canceled, active -> completed), so ``ValueError`` for impossible changes, and its
        permission table (``PermissionError``, see `_hand`).
        """
        stored = self._stored_event(event)
        who = self._hand(stored, by)
        before = {key: stored.get(key) for key in changes}
        self._set_event(stored, changes)
        audited = tuple({"key": key, "old_value": before[key], "new_value": stored.get(key)} for key in changes)
        self.audit_log.append(AuditLogEntry(GUILD_SCHEDULED_EVENT_UPDATE, who.id, stored.id, None, audited))
        return stored

    def delete_scheduled_event(
        self, event: ScheduledEvent | str, *, by: GuildMember | Member | None = None
    ) -> ScheduledEvent:
        """A member deletes an event by hand (``by``, default: the owner; Discord's permission table applies): it is
        gone, GUILD_SCHEDULED_EVENT_DELETE is dispatched and the audit log records them."""
        stored = self._stored_event(event)
        who = self._hand(stored, by)
        del self.scheduled_events[stored.id]
        self.audit_log.append(AuditLogEntry(GUILD_SCHEDULED_EVENT_DELETE, who.id, stored.id))
        self.world.dispatch("GUILD_SCHEDULED_EVENT_DELETE", dict(stored))
        return stored

    def _hand(self, event: ScheduledEvent, by: GuildMember | Member | None) -> GuildMember:
        """Who acts on ``event`` by hand, if Discord lets them (Guild Scheduled Event › Permissions Requirements:
        "If the event was created by the current user, either CREATE_EVENTS or MANAGE_EVENTS. Otherwise,
        MANAGE_EVENTS", in the event's channel, or guild-wide for an external event)."""
        who = self.members[self.owner_id] if by is None else getattr(by, "record", by)
        assert isinstance(who, GuildMember)
        channel = self.channels.get(event.channel_id) if event.channel_id is not None else None
        have = channel.permissions_for(who) if channel is not None else self.base_permissions(who)
        if not have & (perms.MANAGE_EVENTS | (perms.CREATE_EVENTS if event.creator_id == who.id else 0)):
            raise PermissionError(f"{who.user.username} may not change the event {event.name!r}")
        return who

    def run_event_automation(self) -> list[ScheduledEvent]:
        """What Discord does to external events by itself as time passes, up to the emulator clock's now; returns the
        events changed. Tests call it after ``fd.clock.advance``; each change dispatches GUILD_SCHEDULED_EVENT_UPDATE.

        Discord docs, Guild Scheduled Event › Status Update Automation: "An event with 'entity_type': EXTERNAL at
        its scheduled_start_time will automatically have status set to ACTIVE" and "... at its scheduled_end_time
        will automatically have status set to COMPLETED". Once COMPLETED it no longer counts towards the 100 events
        with SCHEDULED or ACTIVE status a guild may have (Create Guild Scheduled Event; JSON error code 30038).
        """
        now = self.world.clock.now()
        changed: dict[str, ScheduledEvent] = {}
        for event in list(self.scheduled_events.values()):
            if event.entity_type != EVENT_EXTERNAL:
                continue
            if event.status == EVENT_SCHEDULED and event.start_time <= now:
                changed[event.id] = self._set_event(event, {"status": EVENT_ACTIVE})
            end = event.end_time
            if event.status == EVENT_ACTIVE and end is not None and end <= now:
                changed[event.id] = self._set_event(event, {"status": EVENT_COMPLETED})
        return list(changed.values())

    def _set_event(self, stored: ScheduledEvent, changes: JSON) -> ScheduledEvent:
        """Apply ``changes`` under Discord's status rules and dispatch GUILD_SCHEDULED_EVENT_UPDATE."""
        status = changes.get("status")
        if status is not None and int(status) not in EVENT_TRANSITIONS[stored.status]:
            raise ValueError(f"Discord does not allow changing a {stored.status_name} event's status to {status}")
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if key in changes:
                changes[key] = iso_utc(changes[key])
        stored.update(changes)
        self.world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", dict(stored))
        return stored

    def new_scheduled_event(self, creator: User, fields: JSON) -> ScheduledEvent:
        """Store an event built from (valid) create fields, as Discord returns it; nothing is dispatched."""
        entity_type = int(fields["entity_type"])
        external = entity_type == EVENT_EXTERNAL
        metadata = fields.get("entity_metadata") if external else None
        channel_id = fields.get("channel_id")
        event = ScheduledEvent(
            {
                "id": self.world.snowflakes.next(),
                "guild_id": self.id,
                "channel_id": None if external or channel_id is None else str(channel_id),
                "creator_id": creator.id,
                "creator": creator.to_json(),
                "name": fields["name"],
                "description": fields.get("description"),
                "image": image_hash(fields.get("image")),
                "scheduled_start_time": iso_utc(fields["scheduled_start_time"]),
                "scheduled_end_time": iso_utc(fields.get("scheduled_end_time")),
                "status": EVENT_SCHEDULED,
                "entity_type": entity_type,
                "entity_id": None,
                "entity_metadata": {"location": metadata.get("location")} if isinstance(metadata, dict) else None,
                "recurrence_rule": fields.get("recurrence_rule"),
                "privacy_level": int(fields.get("privacy_level") or 2),
                "guild_scheduled_event_exceptions": [],
            }
        )
        self.scheduled_events[event.id] = event
        return event

    def _stored_event(self, event: ScheduledEvent | str) -> ScheduledEvent:
        event_id = event.id if isinstance(event, ScheduledEvent) else str(event)
        stored = self.scheduled_events.get(event_id)
        if stored is None:
            raise KeyError(f"no scheduled event {event_id} in {self.name!r}")
        return stored

    # -- threads ----------------------------------------------------------------------------------------------

    def new_thread(
        self,
        parent: Channel,
        owner: GuildMember,
        name: str,
        *,
        kind: int = PUBLIC_THREAD,
        auto_archive_duration: int | None = None,
        rate_limit_per_user: int | None = None,
        invitable: bool | None = None,
        thread_id: str | None = None,
    ) -> Thread:
        """Store a thread started by ``owner`` (valid fields; ``thread_id``: the message it starts from), with
        ``owner`` as its first member, as Discord returns it; nothing is dispatched (the caller sends THREAD_CREATE
        and what follows, see `announce_thread`)."""
        now = self.world.clock.now()
        thread = Thread(
            self,
            thread_id or self.world.snowflakes.next(),
            name,
            0,
            type=kind,
            parent=parent,
            owner_id=owner.id,
            last_activity=now,
            auto_archive_duration=auto_archive_duration or DEFAULT_AUTO_ARCHIVE_DURATION,
            rate_limit_per_user=rate_limit_per_user or 0,
            invitable=True if invitable is None else invitable,
            archive_timestamp=now.isoformat(),
            create_timestamp=now.isoformat(),
            members={owner.id: ThreadMember(owner.id, now.isoformat())},
            starter_message_id=thread_id,
        )
        self.threads[thread.id] = thread
        self.world.channels[thread.id] = thread
        return thread

    def announce_thread(self, thread: Thread) -> None:
        """THREAD_CREATE for a new thread (with ``newly_created``, "When a thread is created, includes an additional
        newly_created boolean field"), then THREAD_MEMBERS_UPDATE for its creator joining ("A Thread Members Update
        Gateway Event is always sent when the current user is added to or removed from a thread")."""
        thread.dispatch("THREAD_CREATE", {**thread.to_json(), "newly_created": True})
        thread.announce_member(thread.owner_id)

    @property
    def active_threads(self) -> list[Thread]:
        """Threads not archived, newest first (List Active Guild Threads: "ordered by their id, in descending order")."""
        return sorted((t for t in self.threads.values() if not t.archived), key=lambda t: int(t.id), reverse=True)

    def edit_thread(
        self, thread: Thread, *, by: GuildMember | Member | None = None, reason: str | None = None, **changes: Any
    ) -> Thread:
        """A member edits a thread by hand (``by``, default: the owner), e.g. a moderator archiving it:
        ``archived=True`` (and ``locked=True`` for "Close & Lock"), or ``name=...``, ``auto_archive_duration=...``.
        Discord's rules apply (`Thread.edit`): a refusal raises Discord's ``APIError``. THREAD_UPDATE goes out and
        the audit log records it (111 THREAD_UPDATE)."""
        who = self._member_record(by)
        audited = thread.edit(who, changes)
        self.audit_log.append(AuditLogEntry(THREAD_UPDATE, who.id, thread.id, reason, tuple(audited)))
        return thread

    def delete_thread(self, thread: Thread, *, by: GuildMember | Member | None = None) -> None:
        """A moderator deletes a thread ("Deleting a thread requires the MANAGE_THREADS permission", else
        ``PermissionError``): THREAD_DELETE with "just the id, guild_id, parent_id, and type fields" goes out and the
        thread's messages are gone with it."""
        who = self._member_record(by)
        if not thread.permissions_for(who) & perms.MANAGE_THREADS:
            raise PermissionError(f"{who.user.username} may not delete the thread {thread.name!r}")
        thread.dispatch(
            "THREAD_DELETE", {"id": thread.id, "guild_id": self.id, "parent_id": thread.parent.id, "type": thread.type}
        )
        del self.threads[thread.id]
        del self.world.channels[thread.id]
        for message in thread.messages:
            message.deleted = True
        self.audit_log.append(AuditLogEntry(THREAD_DELETE, who.id, thread.id))

    def run_thread_automation(self) -> list[Thread]:
        """What Discord does to threads by itself as time passes, up to the emulator clock's now: each thread
        inactive for its ``auto_archive_duration`` archives (THREAD_UPDATE). Returns the threads archived. Tests
        call it after ``fd.clock.advance``, like `run_event_automation`.

        Threads topic › Active & Archived Threads: "Threads automatically archive after a period of inactivity";
        "'Activity' is defined as sending a message, unarchiving a thread, or changing the auto-archive time"; the
        period is "usually not below the auto_archive_duration" (Discord may archive earlier as a guild nears its
        active-thread cap; the emulator uses the duration exactly).
        """
        now = self.world.clock.now()
        due = [t for t in self.threads.values() if t.auto_archive_due(now)]
        for thread in due:
            thread._apply({"archived": True})
        return due

    @contextlib.contextmanager
    def bot_access_changes(self) -> Iterator[None]:
        """Around a change of permissions: THREAD_LIST_SYNC for the text channels the bot gains access to.

        Gateway Events › Thread List Sync: "Sent when the current user gains access to a channel", with
        ``channel_ids`` ("Parent channel IDs whose threads are being synced ... may contain channel_ids that have no
        active threads"), their active threads the bot can view and its thread members among them.
        """
        before = {c.id for c in self._bot_visible_channels()}
        yield
        gained = [c for c in self._bot_visible_channels() if c.id not in before]
        if not gained:
            return
        threads = [t for t in self.active_threads if t.parent in gained and t.bot_can_view]
        bot_id = self.world.bot_user.id
        self.world.dispatch(
            "THREAD_LIST_SYNC",
            {
                "guild_id": self.id,
                "channel_ids": [c.id for c in gained],
                "threads": [t.to_json() for t in threads],
                "members": [t.members[bot_id].to_json(t.id) for t in threads if bot_id in t.members],
            },
        )

    def _bot_visible_channels(self) -> list[Channel]:
        return [c for c in self.text_channels() if self.bot_permissions_in(c) & perms.VIEW_CHANNEL]

    def _threads_json(self) -> list[JSON]:
        """GUILD_CREATE's ``threads``: "All active threads in the guild that current user has permission to view",
        each with the bot's thread member (without ``id`` and ``user_id``) where it joined."""
        bot_id = self.world.bot_user.id
        out = []
        for thread in self.active_threads:
            if thread.bot_can_view:
                data = thread.to_json()
                if bot_id in thread.members:
                    data["member"] = thread.members[bot_id].to_json(None)
                out.append(data)
        return out

    def _member_record(self, who: GuildMember | Member | None) -> GuildMember:
        record = self.members[self.owner_id] if who is None else getattr(who, "record", who)
        assert isinstance(record, GuildMember)
        return record

    # -- roles ------------------------------------------------------------------------------------------------

    @staticmethod
    def role_rank(role: Role) -> tuple[int, int]:
        """Sort key of Discord's role hierarchy: higher position wins, and at equal positions the older role."""
        return role.position, -int(role.id)

    def top_role(self, member: GuildMember) -> Role:
        """The member's highest role (@everyone if none)."""
        return max([self.everyone, *member.roles], key=self.role_rank)

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
        """The bot user's permissions in ``channel`` (0 where the bot is not a member)."""
        if not self.has_bot:
            return 0
        return channel.permissions_for(self.bot_member)

    def app_permissions_in(self, channel: Channel) -> int:
        """An interaction's ``app_permissions``: the bot's, or for a guild without the bot @everyone's limited to
        ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS (Discord change log 2022-06-29)."""
        if self.has_bot:
            return self.bot_permissions_in(channel)
        everyone = channel.compute_permissions(self.everyone.permissions, "", ())
        return everyone & perms.INTERACTION_RESPONSE_PERMISSIONS

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
            "preferred_locale": self.preferred_locale,
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
            "threads": self._threads_json(),
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

    def guild_returned(self, guild: Guild) -> None: ...

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

    def add_guild(
        self,
        name: str,
        *,
        bot_permissions: int = perms.DEFAULT_BOT,
        bot_member: bool = True,
        preferred_locale: str = DEFAULT_LOCALE,
    ) -> Guild:
        guild = Guild(
            self,
            self.snowflakes.next(),
            name,
            bot_permissions,
            bot_member=bot_member,
            preferred_locale=preferred_locale,
        )
        self.guilds[guild.id] = guild
        if self.listener is not None:
            self.listener.guild_added(guild)
        return guild

    def dispatch(self, event: str, data: JSON) -> None:
        if self.listener is not None:
            self.listener.dispatch(event, data)

    def guild_returned(self, guild: Guild) -> None:
        if self.listener is not None:
            self.listener.guild_returned(guild)

    def member_client(self, record: GuildMember) -> Member:
        if self.listener is None:
            raise RuntimeError("member clients need a running FakeDiscord")
        return self.listener.member_client(record)

    def store_message(self, channel: Channel, data: JSON) -> Message:
        """Store a message visible in ``channel``; in a thread it counts as activity and in ``total_message_sent``
        ("number of messages ever sent in a thread"), except the thread's starter message."""
        message = data if isinstance(data, Message) else Message(data)  # keep a built message's files
        channel.messages.append(message)
        self.messages[message.id] = message
        if isinstance(channel, Thread) and message.type != THREAD_STARTER_MESSAGE:
            channel.total_message_sent += 1
            channel.last_activity = self.clock.now()
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
