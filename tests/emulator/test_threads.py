"""Threads as Discord documents them, through unmodified discord.py: starting, posting, archiving, locking, events.

Each test names the documented behaviour it checks (Threads topic; Channel, Message and Guild resources; Gateway
events).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest

from fakediscord import APIError, CommandNotAvailable, FakeDiscord, Thread
from fakediscord import permissions as perms
from fakediscord.state import HAS_THREAD, THREAD_CREATED, THREAD_STARTER_MESSAGE

from .conftest import Env, PanelView
from .helpers import dispatched, running

MESSAGES = "/channels/{channel_id}/messages"
FROM_MESSAGE = "/channels/{channel_id}/messages/{message_id}/threads"
WITHOUT_MESSAGE = "/channels/{channel_id}/threads"


async def _text_channel(env: Env) -> discord.TextChannel:
    await env.fd.gateway.sync()
    channel = env.bot.get_channel(int(env.chan.id))
    assert isinstance(channel, discord.TextChannel)
    return channel


async def _party(env: Env, name: str = "Listening party", **options: Any) -> tuple[Thread, discord.Thread]:
    """The bot posts a start message and starts a thread from it; returns the emulator's and discord.py's thread."""
    start = await (await _text_channel(env)).send("The party starts soon")
    thread = await start.create_thread(name=name, **options)
    await env.fd.gateway.sync()
    return env.guild.threads[str(thread.id)], thread


def _cached(env: Env, thread: Thread) -> discord.Thread | None:
    found = env.bot.get_channel(int(thread.id))
    assert found is None or isinstance(found, discord.Thread)
    return found


def _events(fd: FakeDiscord, prefix: str) -> list[dict[str, Any]]:
    return [p["d"] for s in fd.gateway.sessions.values() for p in s.buffer if str(p["t"]).startswith(prefix)]


async def test_a_thread_started_from_a_message_shares_its_id_and_opens_with_a_starter_message(env: Env) -> None:
    """Start Thread from Message: a PUBLIC_THREAD with the message's id; THREAD_CREATE and MESSAGE_UPDATE; the
    message gets ``thread`` and HAS_THREAD; the thread's first message is a THREAD_STARTER_MESSAGE pointing back."""
    fd = env.fd
    stored, thread = await _party(env, auto_archive_duration=60, reason="Party night")
    source = fd.message(stored.id)
    assert source is not None and source.channel_id == env.chan.id
    assert (thread.type, thread.parent_id, thread.owner_id) == (
        discord.ChannelType.public_thread,
        int(env.chan.id),
        int(fd.bot_user_id),
    )
    assert (stored.name, stored.auto_archive_duration, stored.archived) == ("Listening party", 60, False)
    assert env.chan.threads == [stored]
    assert source.flags & HAS_THREAD and source["thread"]["id"] == stored.id
    (starter,) = fd.channel_messages(stored)
    assert starter.type == THREAD_STARTER_MESSAGE and starter.content == ""
    assert starter["message_reference"] == {
        "message_id": source.id,
        "channel_id": env.chan.id,
        "guild_id": env.guild.id,
    }
    assert starter["referenced_message"]["content"] == "The party starts soon"
    assert [m.type for m in fd.channel_messages(env.chan)] == [0], "a fresh message gets no THREAD_CREATED notice"
    cached = _cached(env, stored)
    assert cached is not None and cached.name == "Listening party", "THREAD_CREATE reached discord.py"
    assert cached.me is not None, "THREAD_MEMBERS_UPDATE told the bot it joined its thread"
    assert _events(fd, "THREAD_CREATE")[0]["newly_created"] is True
    fetched = await (await _text_channel(env)).fetch_message(int(source.id))
    assert fetched.thread == cached and fetched.flags.has_thread, "discord.py reads the message's thread"
    assert [(a.action_type, a.target_id, a.reason) for a in env.guild.audit_log] == [(110, stored.id, "Party night")]
    assert [r.status for r in fd.requests_to("POST", FROM_MESSAGE)] == [201]


async def test_a_thread_from_an_older_message_or_without_one_is_announced_in_the_parent(env: Env) -> None:
    """THREAD_CREATED (type 18) "sent when a public thread is created from an old message or without a message";
    its content is the thread's name and its message reference points to the thread. A private thread is not."""
    fd = env.fd
    channel = await _text_channel(env)
    old = await channel.send("Posted yesterday")
    fd.clock.advance(3600)
    from_old = await channel.create_thread(name="Old news", message=old, auto_archive_duration=10080)
    public = await channel.create_thread(name="Open chat", type=discord.ChannelType.public_thread)
    private = await channel.create_thread(name="Mods only")  # discord.py's default, as Discord's: private
    assert (public.type, private.type) == (discord.ChannelType.public_thread, discord.ChannelType.private_thread)
    notices = [m for m in fd.channel_messages(env.chan) if m.type == THREAD_CREATED]
    assert [(m.content, m["message_reference"]["channel_id"]) for m in notices] == [
        ("Old news", str(from_old.id)),
        ("Open chat", str(public.id)),
    ]
    assert all(m["author"]["id"] == fd.bot_user_id and m.mentioned_user_ids == [] for m in notices)
    assert fd.channel_messages(env.guild.threads[str(public.id)]) == [], "no starter message without a message"


async def test_a_private_thread_is_seen_by_its_members_and_moderators_only(env: Env) -> None:
    """PRIVATE_THREAD: "You must be invited to the thread to be able to view or participate in it, or be a
    moderator (MANAGE_THREADS permission)"."""
    private = await (await _text_channel(env)).create_thread(name="Planning", invitable=False)
    stored = env.guild.threads[str(private.id)]
    assert stored.to_json()["thread_metadata"]["invitable"] is False
    assert env.fan.permissions_in(stored) == 0
    with pytest.raises(AssertionError, match="cannot send"):
        await env.fan.send("hello?", channel=stored)
    mod = env.guild.add_member("Mod", manage_guild=True)
    await mod.send("moderating", channel=stored)
    stored.join(env.fan)
    await env.fan.send("thanks for the invite", channel=stored)
    assert [m.content for m in env.fd.channel_messages(stored)] == ["moderating", "thanks for the invite"]
    assert set(stored.members) == {env.fd.bot_user_id, mod.id, env.fan.id}


async def test_a_guild_holds_at_most_1000_active_threads(env: Env) -> None:
    """160006 "Maximum number of active threads reached"; an archived thread no longer counts."""
    channel = await _text_channel(env)
    bot = env.guild.bot_member
    many = [env.guild.new_thread(env.chan, bot, f"party {n}") for n in range(1000)]
    with pytest.raises(discord.HTTPException) as full:
        await channel.create_thread(name="One more", type=discord.ChannelType.public_thread)
    assert (full.value.status, full.value.code) == (400, 160006)
    env.guild.edit_thread(many[0], archived=True)
    await channel.create_thread(name="One more", type=discord.ChannelType.public_thread)
    assert len(env.guild.active_threads) == 1000


async def test_one_thread_per_message_and_only_in_text_channels(env: Env) -> None:
    """160004 "A thread has already been created for this message"; 50024 "Cannot execute action on this channel
    type" for a thread in a thread or in a voice channel; 10008 for a message of another channel."""
    stored, thread = await _party(env)
    start = await (await _text_channel(env)).fetch_message(int(stored.id))
    with pytest.raises(discord.HTTPException) as twice:
        await start.create_thread(name="Again")
    assert (twice.value.status, twice.value.code) == (400, 160004)
    inner = await thread.send("A post in the thread")
    with pytest.raises(discord.HTTPException) as nested:
        await inner.create_thread(name="Nested")
    assert (nested.value.status, nested.value.code) == (400, 50024)
    voice = env.guild.add_voice_channel("Listening room")
    with pytest.raises(discord.HTTPException) as in_voice:
        await env.bot.http.start_thread_without_message(int(voice.id), name="x", auto_archive_duration=60, type=11)
    assert in_voice.value.code == 50024
    with pytest.raises(discord.NotFound) as elsewhere:
        await env.bot.http.start_thread_with_message(int(env.guild.system_channel.id), inner.id, name="x",
                                                     auto_archive_duration=60)  # fmt: skip
    assert elsewhere.value.code == 10008
    assert list(env.guild.threads) == [stored.id]


@pytest.mark.parametrize(
    ("payload", "path", "source"),
    [
        ({"name": ""}, "name", "limits"),
        ({"name": "x" * 101}, "name", "limits"),
        ({"name": "Party", "auto_archive_duration": 120}, "auto_archive_duration", "limits"),
        ({"name": "Party", "rate_limit_per_user": 21601}, "rate_limit_per_user", "openapi"),
    ],
)
async def test_starting_a_thread_follows_the_documented_fields(
    env: Env, payload: dict[str, Any], path: str, source: str
) -> None:
    """ "name: 1-100 character channel name"; "auto_archive_duration ... can be set to: 60, 1440, 4320, 10080";
    ``rate_limit_per_user`` 0-21600: 400 50035, on both ways to start one (the spec's text-channel schema)."""
    fd = env.fd
    start = await (await _text_channel(env)).send("start")
    for route in (f"/channels/{env.chan.id}/messages/{start.id}/threads", f"/channels/{env.chan.id}/threads"):
        body = payload if route.endswith("/threads") and "messages" in route else {**payload, "type": 11}
        with pytest.raises(discord.HTTPException) as info:
            await env.bot.http.request(discord.http.Route("POST", route), json=body)
        assert (info.value.status, info.value.code) == (400, 50035)
    assert {(v.route, v.path) for v in fd.violations if v.source == source} == {
        (FROM_MESSAGE, path),
        (WITHOUT_MESSAGE, path),
    }
    assert env.guild.threads == {}


async def test_starting_a_thread_without_a_message_is_validated_against_the_text_channel_schema(env: Env) -> None:
    """Start Thread without Message shares its route with Start Thread in Forum or Media Channel; in a text channel
    the body is the text-channel one (``invitable`` a boolean), even when it also fits the forum's."""
    body = {"name": "Party", "type": 11, "invitable": "yes", "message": {"content": "a forum post"}}
    route = discord.http.Route("POST", WITHOUT_MESSAGE, channel_id=env.chan.id)
    with pytest.raises(discord.HTTPException) as info:
        await env.bot.http.request(route, json=body)
    assert info.value.code == 50035
    assert [(v.source, v.route, v.path) for v in env.fd.violations] == [("openapi", WITHOUT_MESSAGE, "invitable")]


async def test_editing_a_thread_is_validated_against_the_thread_schema(env: Env) -> None:
    """Modify Channel (JSON Params (Thread)) is checked against the spec's thread member of the union: a body the
    union's DM member would accept (``locked: "yes"``, a 61-minute archive) is refused, and nothing changes."""
    stored, _thread = await _party(env)
    route = discord.http.Route("PATCH", "/channels/{channel_id}", channel_id=stored.id)
    for body in ({"locked": "yes"}, {"auto_archive_duration": 61}, {"name": ""}):
        with pytest.raises(discord.HTTPException) as info:
            await env.bot.http.request(route, json=body)
        assert info.value.code == 50035
    assert [(v.source, v.path) for v in env.fd.violations if v.source == "openapi"] == [
        ("openapi", "locked"),
        ("openapi", "auto_archive_duration"),
    ]
    assert {v.route for v in env.fd.violations} == {"/channels/{channel_id}"}
    assert (stored.locked, stored.auto_archive_duration, stored.name) == (False, 1440, "Listening party")


async def test_threads_need_their_own_permissions(env: Env) -> None:
    """CREATE_PUBLIC_THREADS / CREATE_PRIVATE_THREADS to start one; "The SEND_MESSAGES permission has no effect in
    threads; users must have SEND_MESSAGES_IN_THREADS to talk in a thread" (embeds included); the parent's
    VIEW_CHANNEL to see any thread of it."""
    fd = env.fd
    stored, thread = await _party(env)
    bot = env.guild.bot_member
    base = perms.DEFAULT_BOT | perms.CREATE_PUBLIC_THREADS
    env.chan.set_member_permissions(bot, base & ~perms.SEND_MESSAGES)
    await fd.gateway.sync()
    sent = await thread.send(embed=discord.Embed(title="Track 1"))
    assert [m.id for m in fd.channel_messages(stored)][-1] == str(sent.id) and sent.embeds
    env.chan.set_member_permissions(bot, base & ~perms.SEND_MESSAGES_IN_THREADS)
    with pytest.raises(discord.Forbidden) as no_thread_posts:
        await thread.send("cue")
    assert no_thread_posts.value.code == 50013
    start = await (await _text_channel(env)).send("can still post in the channel")
    env.chan.set_member_permissions(bot, perms.DEFAULT_BOT & ~perms.CREATE_PRIVATE_THREADS)
    channel = await _text_channel(env)
    starts: list[Callable[[], Awaitable[object]]] = [
        lambda: start.create_thread(name="public"),
        lambda: channel.create_thread(name="private"),
    ]
    for create in starts:
        with pytest.raises(discord.Forbidden) as cannot_start:
            await create()
        assert cannot_start.value.code == 50013
    env.chan.set_member_permissions(bot, 0)
    with pytest.raises(discord.Forbidden) as unseen:
        await env.bot.get_partial_messageable(int(stored.id)).send("cue")
    assert unseen.value.code == 50001
    assert env.guild.threads == {stored.id: stored}


async def test_the_bot_archives_its_thread_and_a_post_unarchives_it(env: Env) -> None:
    """The creator may archive ("name, archived, auto_archive_duration ... requires MANAGE_THREADS or that the
    current user is the thread creator"); THREAD_UPDATE makes discord.py drop it from its cache; "Sending a message
    will automatically unarchive the thread", with THREAD_UPDATE then THREAD_MEMBER_UPDATE."""
    fd = env.fd
    stored, thread = await _party(env)
    archived = await thread.edit(archived=True, reason="The party is over")
    assert archived.archived and stored.archived
    await fd.gateway.sync()
    assert _cached(env, stored) is None, "discord.py keeps only active threads"
    with pytest.raises(discord.HTTPException) as frozen:
        await env.bot.http.edit_channel(int(stored.id), name="Renamed")
    assert (frozen.value.status, frozen.value.code) == (400, 50083), "an archived thread takes no change"
    before = len(dispatched(fd))
    sent = await env.bot.get_partial_messageable(int(stored.id), guild_id=int(env.guild.id)).send("Encore!")
    assert not stored.archived and fd.channel_messages(stored)[-1].id == str(sent.id)
    assert [t for t in dispatched(fd)[before:] if t.startswith(("THREAD", "MESSAGE"))] == [
        "THREAD_UPDATE",
        "THREAD_MEMBER_UPDATE",
        "MESSAGE_CREATE",
    ]
    await fd.gateway.sync()
    cached = _cached(env, stored)
    assert cached is not None and not cached.archived
    assert [(a.action_type, a.reason) for a in env.guild.audit_log] == [(110, None), (111, "The party is over")]


async def test_a_locked_thread_refuses_posts_and_locking_needs_manage_threads(env: Env) -> None:
    """Locked threads: without MANAGE_THREADS no one posts (403 50083 while archived, 160005 while active);
    "Editing a thread to change ... locked requires MANAGE_THREADS"; its creator may still unarchive it."""
    fd = env.fd
    stored, thread = await _party(env)
    with pytest.raises(discord.Forbidden) as cannot_lock:
        await thread.edit(locked=True)
    assert cannot_lock.value.code == 50013 and not stored.locked
    with pytest.raises(APIError) as not_theirs:
        env.guild.edit_thread(stored, by=env.fan, name="Mine now")
    assert not_theirs.value.code == 50013, "only its creator or MANAGE_THREADS renames a thread"
    mod = env.guild.add_member("Mod", manage_guild=True)
    env.guild.edit_thread(stored, by=mod, archived=True, locked=True)  # "Close & Lock" in the client
    messageable = env.bot.get_partial_messageable(int(stored.id), guild_id=int(env.guild.id))
    with pytest.raises(discord.Forbidden) as closed:
        await messageable.send("cue")
    assert (closed.value.status, closed.value.code, closed.value.text) == (403, 50083, "Thread is archived")
    with pytest.raises(AssertionError, match="Thread is archived"):
        await env.fan.send("let me in", channel=stored)
    await env.bot.http.edit_channel(int(stored.id), archived=False)  # the creator reopens it; still locked
    with pytest.raises(discord.Forbidden) as locked:
        await messageable.send("cue")
    assert (locked.value.code, locked.value.text) == (160005, "Thread is locked")
    env.guild.edit_role(env.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_THREADS)
    await messageable.send("moderators may")
    assert stored.locked and fd.channel_messages(stored)[-1].content == "moderators may"
    assert next(a.changes for a in env.guild.audit_log if a.action_type == 111) == (
        {"key": "archived", "old_value": False, "new_value": True},
        {"key": "locked", "old_value": False, "new_value": True},
    )


async def test_an_archived_thread_is_read_only_but_its_messages_can_be_deleted(env: Env) -> None:
    """ "Archived threads are generally immutable. To send a message or add a reaction, a thread must first be
    unarchived"; "The only operation that should happen within an archived thread is messages being deleted"."""
    stored, thread = await _party(env)
    cue = await thread.send("Track 1")
    spare = await thread.send("Track 2")
    await thread.edit(archived=True)
    actions: list[Callable[[], Awaitable[object]]] = [
        lambda: cue.edit(content="Track 1 (edited)"),
        lambda: cue.add_reaction("♥"),
    ]
    for action in actions:
        with pytest.raises(discord.HTTPException) as refused:
            await action()
        assert (refused.value.status, refused.value.code) == (400, 50083)
    await spare.delete()
    assert [m.content for m in env.fd.channel_messages(stored)] == ["", "Track 1"]
    assert stored.archived and stored.message_count == 1 and stored.total_message_sent == 2


async def test_threads_archive_after_their_inactivity_period(env: Env) -> None:
    """ "Threads automatically archive after a period of inactivity"; "Activity is defined as sending a message,
    unarchiving a thread, or changing the auto-archive time" (emulated with ``guild.run_thread_automation``)."""
    fd = env.fd
    stored, thread = await _party(env, auto_archive_duration=60)
    fd.clock.advance(50 * 60)
    await thread.send("Track 5")  # activity: the hour starts again
    fd.clock.advance(50 * 60)
    assert env.guild.run_thread_automation() == []
    fd.clock.advance(11 * 60)
    assert env.guild.run_thread_automation() == [stored]
    assert stored.archived and env.guild.active_threads == []
    await fd.gateway.sync()
    assert _cached(env, stored) is None, "THREAD_UPDATE told discord.py"
    fd.clock.advance(7 * 24 * 3600)
    assert env.guild.run_thread_automation() == []


async def test_members_post_and_click_in_a_thread(env: Env) -> None:
    """A member's post joins them to the thread; a button on a message in a thread sends an interaction whose
    ``channel_id`` is the thread's and whose ``channel`` is the thread (type 11); the update edits that message."""
    fd = env.fd
    stored, thread = await _party(env)
    posted = await env.fan.send("Here for track 1!", channel=stored)
    assert posted.channel_id == stored.id and env.fan.id in stored.members
    cue = await thread.send("Track 1", view=PanelView())
    message = fd.message(str(cue.id))
    assert message is not None
    turned = await env.fan.click(message, "Next")
    payload = turned.record.payload
    assert payload["channel_id"] == stored.id
    assert (payload["channel"]["type"], payload["channel"]["parent_id"]) == (11, env.chan.id)
    assert turned.content == "page 2" and fd.channel_messages(stored)[-1].content == "page 2"
    updates = [d for d in _events(fd, "THREAD_MEMBERS_UPDATE") if d["id"] == stored.id]
    assert [m["user_id"] for d in updates for m in d["added_members"]] == [fd.bot_user_id], (
        "without GUILD_MEMBERS the bot hears only of itself joining"
    )


async def test_others_joining_reach_a_bot_with_the_members_intent(
    fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thread Members Update: "If the current user does not have the GUILD_MEMBERS Gateway Intent, then this event
    will only be sent if the current user was added to or removed from the thread"; with it, others too."""
    guild = fd.add_guild("Members")
    fan = guild.add_member("Ilya")
    intents = discord.Intents.default()
    intents.members = True
    async with running(fd, monkeypatch, intents) as bot:
        channel = bot.get_channel(int(guild.system_channel.id))
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(name="Open", type=discord.ChannelType.public_thread)
        await fan.send("hi", channel=guild.threads[str(thread.id)])
        await fd.gateway.sync()
        added = [m["user_id"] for d in _events(fd, "THREAD_MEMBERS_UPDATE") for m in d["added_members"]]
        assert added == [fd.bot_user_id, fan.id]
        cached = bot.get_channel(thread.id)
        assert isinstance(cached, discord.Thread)
        assert [m.id for m in cached.members] == [int(fan.id)], "discord.py recorded the fan joining"


async def test_slash_commands_in_a_thread(env: Env) -> None:
    """An interaction from a thread resolves to the thread in discord.py and its answer is posted there; "Users
    cannot ... use application commands ... in archived threads"."""
    fd = env.fd
    stored, thread = await _party(env)
    reply = await env.fan.run("/here", channel=stored)
    assert reply.content == f"Thread {stored.id}"
    assert reply.message in fd.channel_messages(stored)
    await thread.edit(archived=True)
    with pytest.raises(CommandNotAvailable):
        await env.fan.run("/here", channel=stored)


async def test_an_answer_in_a_locked_thread_is_refused_unless_private(env: Env) -> None:
    """A locked thread takes no message from the app without MANAGE_THREADS, interaction answers included (discord-
    api-docs #6884: the answer "will result in an unavoidable error"); a private answer posts nothing there."""
    stored, _thread = await _party(env)
    mod = env.guild.add_member("Mod", manage_guild=True)
    env.guild.edit_thread(stored, by=mod, locked=True)
    with pytest.raises(AssertionError, match="did not respond") as failed:
        await env.fan.run("/here", channel=stored)
    assert "160005" in str(failed.value)
    private = await env.fan.run("/here", channel=stored, private=True)
    assert private.ephemeral and private.content == f"Thread {stored.id}"
    assert [m.type for m in env.fd.channel_messages(stored)] == [THREAD_STARTER_MESSAGE]


async def test_posts_to_a_thread_are_deduplicated_and_survive_faults(env: Env) -> None:
    """The message route is the same for a thread (``/channels/{thread.id}/messages``): ``enforce_nonce`` returns
    the first message, and a 429 or a lost answer (commit then 502) still leaves exactly one message."""
    fd = env.fd
    stored, thread = await _party(env)
    fd.faults.add("POST", f"/channels/{stored.id}/messages", kind="429", retry_after=0.05)
    first = await thread.send("Track 1", nonce="cue-1")
    fd.faults.add("POST", f"/channels/{stored.id}/messages", kind="commit_then_502")
    second = await thread.send("Track 2", nonce="cue-2")  # discord.py retries the 502 with the same nonce
    same = await thread.send("Track 1", nonce="cue-1")
    assert same.id == first.id
    assert [m.content for m in fd.channel_messages(stored)] == ["", "Track 1", "Track 2"]
    assert fd.channel_messages(stored)[-1].id == str(second.id)
    assert [r.status for r in fd.requests_to("POST", MESSAGES) if r.path.startswith(f"/channels/{stored.id}/")] == [
        429,
        200,
        502,
        200,
        200,
    ]
    assert [r.fault for r in fd.requests if r.fault] == ["429", "commit_then_502"], "the faults hit the thread route"


async def test_the_gateway_keeps_the_bot_in_step(env: Env) -> None:
    """GUILD_CREATE carries "all active threads in the guild that current user has permission to view"; THREAD_LIST_SYNC
    is "Sent when the current user gains access to a channel"; List Active Guild Threads lists them; a thread deleted
    by a moderator goes with THREAD_DELETE and answers 10003 afterwards."""
    fd = env.fd
    stored, _thread = await _party(env)
    closed, closed_thread = await _party(env, name="Last week")
    await closed_thread.edit(archived=True)
    await fd.gateway.invalidate_session(False)  # the bot identifies again: GUILD_CREATE is its only source
    await fd.wait_until_ready()
    assert _cached(env, stored) is not None and _cached(env, closed) is None
    guild = env.bot.get_guild(int(env.guild.id))
    assert guild is not None
    assert [t.id for t in await guild.active_threads()] == [int(stored.id)]
    bot = env.guild.bot_member
    env.chan.set_member_permissions(bot, perms.DEFAULT_BOT & ~perms.VIEW_CHANNEL)
    env.chan.set_member_permissions(bot, None)
    (sync,) = _events(fd, "THREAD_LIST_SYNC")
    assert (sync["channel_ids"], [t["id"] for t in sync["threads"]]) == ([env.chan.id], [stored.id])
    assert sync["members"] == [stored.members[fd.bot_user_id].to_json(stored.id)]
    mod = env.guild.add_member("Mod", manage_guild=True)
    env.guild.delete_thread(stored, by=mod)
    await fd.gateway.sync()
    assert _events(fd, "THREAD_DELETE") == [
        {"id": stored.id, "guild_id": env.guild.id, "parent_id": env.chan.id, "type": 11}
    ]
    assert _cached(env, stored) is None
    with pytest.raises(discord.NotFound) as gone:
        await env.bot.get_partial_messageable(int(stored.id)).send("cue")
    assert gone.value.code == 10003
    with pytest.raises(PermissionError):
        env.guild.delete_thread(closed, by=env.fan)
