"""Starting a thread: the thread, its gateway events and the messages Discord adds around it, in Discord's order.

The checks (permissions, limits, channel types) belong to whoever starts it (the REST handlers for the bot); this is
what happens once Discord accepted the request.
"""

from __future__ import annotations

from datetime import timedelta

from .messages import build_message
from .snowflake import snowflake_time
from .state import (
    HAS_THREAD,
    PUBLIC_THREAD,
    THREAD_CREATED,
    THREAD_STARTER_MESSAGE,
    Channel,
    GuildMember,
    Message,
    Thread,
)

OLD_MESSAGE_AGE = timedelta(minutes=1)
"""How old a message must be for a thread started from it to be announced in the parent (THREAD_CREATED).

Threads topic › New Message Types: THREAD_CREATED "is currently only sent in one case: when a PUBLIC_THREAD is
created from an older message (older is still TBD, but is currently set to a very small value)"; Message ›
Message Reference Types: "automatic messages sent when a public thread is created from an old message or without a
message". The documentation gives no figure; one minute is the emulator's reading of "a very small value"."""


def start_thread(
    parent: Channel,
    owner: GuildMember,
    name: str,
    *,
    kind: int,
    source: Message | None = None,
    auto_archive_duration: int | None = None,
    rate_limit_per_user: int | None = None,
    invitable: bool | None = None,
) -> Thread:
    """Start a thread in ``parent`` (from ``source``, a message of ``parent``, if given) and tell the bot.

    In order: THREAD_CREATE and THREAD_MEMBERS_UPDATE (`Guild.announce_thread`); from a message, MESSAGE_UPDATE of
    that message, which now carries the ``thread`` and the HAS_THREAD flag (Start Thread from Message: "Fires a
    Thread Create and a Message Update Gateway event"), then the thread's first message, a THREAD_STARTER_MESSAGE
    that "only contains a message reference field that points to the message from which the thread was started"
    (Threads topic), with the ``referenced_message`` and no content; then, for a public thread started without a
    message or from an older one, the parent's THREAD_CREATED notice, whose "content ... is the name of the
    thread" and whose message reference points to the thread.
    """
    guild = parent.guild
    world = guild.world
    thread = guild.new_thread(
        parent,
        owner,
        name,
        kind=kind,
        auto_archive_duration=auto_archive_duration,
        rate_limit_per_user=rate_limit_per_user,
        invitable=invitable,
        thread_id=source.id if source is not None else None,
    )
    guild.announce_thread(thread)
    if source is not None:
        source["flags"] = source.flags | HAS_THREAD
        thread.refresh_starter()
        world.dispatch("MESSAGE_UPDATE", dict(source))
        author = world.users[str(source["author"]["id"])]
        reference = {"message_id": source.id, "channel_id": parent.id, "guild_id": guild.id}
        referenced = {k: v for k, v in source.items() if k != "referenced_message"}
        starter = build_message(
            world,
            thread,
            author,
            {},
            msg_type=THREAD_STARTER_MESSAGE,
            extra={"message_reference": reference, "referenced_message": referenced},
        )
        world.store_message(thread, starter)
        thread.dispatch("MESSAGE_CREATE", dict(starter))
    old = source is None or world.clock.now() - snowflake_time(source.id) > OLD_MESSAGE_AGE
    if kind == PUBLIC_THREAD and old:
        notice = build_message(
            world,
            parent,
            owner.user,
            {"content": name, "allowed_mentions": {"parse": []}},
            msg_type=THREAD_CREATED,
            extra={"message_reference": {"channel_id": thread.id, "guild_id": guild.id}},
        )
        world.store_message(parent, notice)
        world.dispatch("MESSAGE_CREATE", dict(notice))
    return thread
