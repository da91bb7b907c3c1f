"""Building and editing stored messages exactly as Discord echoes them back.

Channel posts, interaction responses, followups and edits all go through here, so every message a test sees has
the same full shape (the fields discord.py's ``Message`` reads) and its ``mentions``/``mention_roles``/
``mention_everyone`` say who was really notified.
"""

from __future__ import annotations

from typing import Any

from . import permissions as perms
from .mentions import compute_mentions
from .state import Channel, Message, StoredFile, User, World

JSON = dict[str, Any]

DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2
"""Flags a bot may set on a channel message; interaction responses may also set EPHEMERAL."""


def normalise_embeds(embeds: Any) -> list[JSON]:
    if not isinstance(embeds, list):
        return []
    return [{"type": "rich", **e} if "type" not in e else dict(e) for e in embeds if isinstance(e, dict)]


def normalise_components(components: Any) -> list[JSON]:
    if not isinstance(components, list):
        return []
    return [dict(c) for c in components if isinstance(c, dict)]


def attachments_for(body: JSON, files: list[StoredFile], kept: list[JSON] | None = None) -> list[JSON]:
    """Attachment objects for ``files`` (uploaded as ``files[n]``), using descriptions from ``body.attachments``."""
    described = {}
    for att in body.get("attachments") or []:
        if isinstance(att, dict) and "id" in att:
            described[str(att["id"])] = att
    out = list(kept or [])
    for index, stored in enumerate(files):
        meta = described.get(str(index if stored.upload_index is None else stored.upload_index), {})
        if meta.get("description"):
            stored.description = str(meta["description"])
        if meta.get("filename"):
            stored.filename = str(meta["filename"])
        out.append(stored.to_json())
    return out


def _apply_mentions(world: World, channel: Channel, author: User, data: JSON, allowed: Any) -> None:
    guild = channel.guild
    member = guild.members.get(author.id)
    can_everyone = bool(member is not None and channel.permissions_for(member) & perms.MENTION_EVERYONE)
    replied_user_id = None
    ref = data.get("referenced_message")
    if isinstance(ref, dict):
        replied_user_id = str((ref.get("author") or {}).get("id"))
    result = compute_mentions(
        str(data.get("content") or ""),
        allowed if isinstance(allowed, dict) else None,
        guild=guild,
        can_mention_everyone=can_everyone,
        replied_user_id=replied_user_id,
    )
    data["mentions"] = result.users
    data["mention_roles"] = result.role_ids
    data["mention_everyone"] = result.everyone


def build_message(
    world: World,
    channel: Channel,
    author: User,
    body: JSON,
    *,
    msg_type: int = DEFAULT,
    files: list[StoredFile] | None = None,
    flags_mask: int = SETTABLE_FLAGS,
    extra: JSON | None = None,
) -> Message:
    """A new message from a create-message-like body (not stored yet)."""
    files = files or []
    data: JSON = {
        "id": world.snowflakes.next(),
        "channel_id": channel.id,
        "guild_id": channel.guild.id,
        "author": author.to_json(),
        "content": str(body.get("content") or ""),
        "timestamp": world.clock.iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": attachments_for(body, files),
        "embeds": normalise_embeds(body.get("embeds")),
        "components": normalise_components(body.get("components")),
        "reactions": [],
        "pinned": False,
        "type": msg_type,
        "flags": int(body.get("flags") or 0) & flags_mask,
    }
    if body.get("nonce") is not None:
        data["nonce"] = body["nonce"]
    if body.get("poll") is not None:
        data["poll"] = body["poll"]
    if extra:
        data.update(extra)
    member = channel.guild.members.get(author.id)
    if member is not None:
        member_json = member.to_json()
        member_json.pop("user", None)
        data["member"] = member_json
    _apply_mentions(world, channel, author, data, body.get("allowed_mentions"))
    message = Message(data)
    message.files = list(files)
    message.allowed_mentions = body.get("allowed_mentions")
    return message


def apply_edit(
    world: World,
    message: Message,
    body: JSON,
    *,
    files: list[StoredFile] | None = None,
    flags_mask: int = SETTABLE_FLAGS,
    mark_edited: bool = True,
) -> None:
    """Apply a PATCH body (content/embeds/components/flags/attachments/allowed_mentions) in place."""
    files = files or []
    if "content" in body:
        message["content"] = str(body["content"] or "")
    if "embeds" in body:
        message["embeds"] = normalise_embeds(body["embeds"])
    if "components" in body:
        message["components"] = normalise_components(body["components"])
    if "flags" in body and body["flags"] is not None:
        keep = message.flags & ~flags_mask
        message["flags"] = keep | (int(body["flags"]) & flags_mask)
    if "attachments" in body or files:
        wanted = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
        kept = [a for a in message.get("attachments", []) if str(a.get("id")) in wanted]
        message["attachments"] = attachments_for(body, files, kept)
        message.files = [f for f in message.files if f.id in wanted] + list(files)
    if "allowed_mentions" in body:
        message.allowed_mentions = body["allowed_mentions"]
    if mark_edited:
        message["edited_timestamp"] = world.clock.iso_now()
    channel = world.channels.get(message.channel_id)
    author = world.users.get(str(message["author"]["id"]))
    if channel is not None and author is not None:
        _apply_mentions(world, channel, author, message, message.allowed_mentions)
