"""Discord permission bits and the channel permission algorithm.

The emulator must compute permissions the way Discord does because the bot's behaviour (403 50001 vs 50013,
silently dropped embeds, which mentions notify) and the interaction's ``app_permissions`` depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
MUTE_MEMBERS = 1 << 22
MOVE_MEMBERS = 1 << 24
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44

ALL = (1 << 53) - 1
"""Every permission bit, as Discord reports it for administrators and guild owners."""

DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
"""@everyone permissions for a new guild. MENTION_EVERYONE is left out on purpose: fan servers usually disable it."""

DEFAULT_BOT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | MANAGE_EVENTS
    | CREATE_EVENTS
    | SEND_MESSAGES_IN_THREADS
)
"""Permissions of the bot's managed role, i.e. what a typical invite link grants."""

INTERACTION_RESPONSE_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS
"""What an app without a bot user can use in interaction responses; its ``app_permissions`` is @everyone's limited
to these (Discord change log 2022-06-29, "Calculated Permissions in Interaction Payloads")."""


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite; ``type`` is 0 for a role and 1 for a member, as in the API."""

    id: str
    type: int
    allow: int
    deny: int

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


def base_permissions(*, is_owner: bool, everyone: int, role_permissions: Iterable[int]) -> int:
    """Guild-level permissions: owner and administrators get everything."""
    if is_owner:
        return ALL
    perms = everyone
    for value in role_permissions:
        perms |= value
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(
    base: int,
    *,
    guild_id: str,
    member_id: str,
    member_role_ids: Iterable[str],
    overwrites: Iterable[Overwrite],
    send_permission: int = SEND_MESSAGES,
) -> int:
    """Apply overwrites in Discord's order: @everyone, then all member roles together, then the member.

    ``send_permission`` is the bit whose absence implicitly denies the message-dependent ones: SEND_MESSAGES in a
    channel, SEND_MESSAGES_IN_THREADS in a thread (Permissions › Inherited Permissions (Threads): "The
    SEND_MESSAGES permission is not inherited; users must have SEND_MESSAGES_IN_THREADS to send a message in a
    thread").
    """
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    by_id = {(ow.type, ow.id): ow for ow in overwrites}
    perms = base
    everyone = by_id.get((0, guild_id))
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member_role_ids:
        ow = by_id.get((0, role_id))
        if ow is not None:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    member = by_id.get((1, member_id))
    if member is not None:
        perms = (perms & ~member.deny) | member.allow
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & send_permission:
        # Discord implicitly denies the message-dependent permissions when sending is denied (Implicit Permissions).
        perms &= ~(SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    return perms
