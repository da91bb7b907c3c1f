"""Guild scheduled events: discord.py's create/edit/cancel/delete/fetch, Discord's rules and permission table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest

from fakediscord import FakeDiscord, Guild, ScheduledEvent
from fakediscord import permissions as perms

from .conftest import Env
from .helpers import dispatched, running

GUILD_ONLY = discord.PrivacyLevel.guild_only


def _later(fd: FakeDiscord, hours: float) -> dt.datetime:
    return fd.clock.now() + dt.timedelta(hours=hours)


async def _bot_guild(env: Env, guild: Guild | None = None) -> discord.Guild:
    await env.fd.gateway.sync()
    found = env.bot.get_guild(int((guild or env.guild).id))
    assert found is not None
    return found


async def _external(
    env: Env, guild: discord.Guild, name: str = "Release party", **extra: Any
) -> discord.ScheduledEvent:
    start = _later(env.fd, 24)
    return await guild.create_scheduled_event(
        name=name,
        start_time=start,
        end_time=start + dt.timedelta(hours=2),
        entity_type=discord.EntityType.external,
        location="Everywhere",
        privacy_level=GUILD_ONLY,
        **extra,
    )


async def _raw_create(env: Env, **payload: Any) -> None:
    await env.bot.http.create_guild_scheduled_event(int(env.guild.id), **payload)


async def test_create_edit_cancel_delete_an_external_event(env: Env) -> None:
    fd = env.fd
    guild = await _bot_guild(env)
    event = await _external(env, guild, description="Listen together", reason="Album release")
    stored = env.guild.scheduled_events[str(event.id)]
    assert isinstance(stored, ScheduledEvent)
    assert (stored.name, stored.status_name, stored.entity_type, stored.location) == (
        "Release party",
        "scheduled",
        3,
        "Everywhere",
    )
    assert stored.creator_id == fd.bot_user_id and stored.channel_id is None
    assert event.creator_id == int(fd.bot_user_id) and event.location == "Everywhere"
    await fd.gateway.sync()
    cached = guild.get_scheduled_event(event.id)
    assert cached is not None and cached.name == "Release party", "GUILD_SCHEDULED_EVENT_CREATE reached the bot"

    edited = await event.edit(name="Release party!", description="Bring snacks")
    assert (edited.name, edited.description) == ("Release party!", "Bring snacks")
    assert stored.name == "Release party!" and stored.location == "Everywhere"

    fetched = await guild.fetch_scheduled_events()
    assert [e.name for e in fetched] == ["Release party!"]

    canceled = await event.cancel()
    assert canceled.status is discord.EventStatus.cancelled and stored.status == 4
    with pytest.raises(discord.HTTPException) as info:  # edit(): start() refuses client-side
        await canceled.edit(status=discord.EventStatus.active)
    assert info.value.status == 400 and info.value.code == 50035
    assert [v.path for v in fd.violations] == ["status"]

    await event.delete()
    assert env.guild.scheduled_events == {}
    await fd.gateway.sync()
    assert guild.get_scheduled_event(event.id) is None
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_scheduled_event(event.id)
    assert missing.value.code == 10070
    assert [(a.action_type, a.reason) for a in env.guild.audit_log] == [
        (100, "Album release"),
        (101, None),
        (101, None),
        (102, None),
    ]


async def test_status_transitions(env: Env) -> None:
    guild = await _bot_guild(env)
    event = await _external(env, guild)
    active = await event.start()
    assert active.status is discord.EventStatus.active
    with pytest.raises(discord.HTTPException):  # active -> canceled is not a Discord transition
        await active.edit(status=discord.EventStatus.cancelled)
    done = await active.end()
    assert done.status is discord.EventStatus.completed
    for status in (discord.EventStatus.scheduled, discord.EventStatus.active, discord.EventStatus.cancelled):
        with pytest.raises(discord.HTTPException):  # completed is final
            await done.edit(status=status)
    assert env.guild.scheduled_events[str(event.id)].status_name == "completed"
    assert {v.code for v in env.fd.violations} == {"GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION"}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 1001}, "description"),
        ({"entity_metadata": {"location": "x" * 101}}, "entity_metadata.location"),
        ({"entity_metadata": {}}, "entity_metadata.location"),
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"scheduled_start_time": "PAST"}, "scheduled_start_time"),
        ({"scheduled_end_time": "BEFORE_START"}, "scheduled_end_time"),
        ({"privacy_level": 1}, "privacy_level"),
        ({"entity_type": 2, "entity_metadata": None}, "channel_id"),
    ],
)
async def test_creation_rules(env: Env, payload: dict[str, Any], path: str) -> None:
    start = _later(env.fd, 5)
    body: dict[str, Any] = {
        "name": "Listening party",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + dt.timedelta(hours=1)).isoformat(),
        "entity_metadata": {"location": "Online"},
    }
    body.update(payload)
    if body["scheduled_start_time"] == "PAST":
        body["scheduled_start_time"] = _later(env.fd, -1).isoformat()
    if body["scheduled_end_time"] == "BEFORE_START":
        body["scheduled_end_time"] = (start - dt.timedelta(minutes=1)).isoformat()
    with pytest.raises(discord.HTTPException) as info:
        await _raw_create(env, **body)
    assert info.value.status == 400 and info.value.code == 50035
    assert path in {v.path for v in env.fd.violations}
    assert env.guild.scheduled_events == {}


async def test_voice_and_stage_events_need_channel_permissions(env: Env) -> None:
    lounge = env.guild.add_voice_channel("Listening lounge")
    locked = env.guild.add_voice_channel("VIP lounge", bot_permissions=perms.VIEW_CHANNEL | perms.MANAGE_EVENTS)
    stage = env.guild.add_voice_channel("Q&A stage", stage=True)
    guild = await _bot_guild(env)
    start = _later(env.fd, 3)

    def voice(channel_id: str) -> discord.VoiceChannel | discord.StageChannel:
        found = guild.get_channel(int(channel_id))
        assert isinstance(found, discord.VoiceChannel | discord.StageChannel)
        return found

    event = await guild.create_scheduled_event(
        name="Listen along", start_time=start, channel=voice(lounge.id), privacy_level=GUILD_ONLY
    )
    assert event.entity_type is discord.EntityType.voice and event.channel_id == int(lounge.id)
    assert env.guild.scheduled_events[str(event.id)].channel_id == lounge.id
    for channel in (locked, stage):  # no CONNECT; no MANAGE_CHANNELS/MUTE_MEMBERS/MOVE_MEMBERS
        with pytest.raises(discord.Forbidden) as info:
            await guild.create_scheduled_event(
                name="Nope", start_time=start, channel=voice(channel.id), privacy_level=GUILD_ONLY
            )
        assert info.value.code == 50013
    with pytest.raises(discord.HTTPException):  # a text channel is no place for a voice event
        await _raw_create(
            env,
            name="Wrong",
            privacy_level=2,
            entity_type=2,
            channel_id=int(env.chan.id),
            scheduled_start_time=start.isoformat(),
        )
    assert [v.path for v in env.fd.violations] == ["channel_id"]

    moved = await event.edit(
        entity_type=discord.EntityType.external, location="Park", end_time=start + dt.timedelta(hours=1)
    )
    assert moved.entity_type is discord.EntityType.external and moved.channel_id is None
    assert env.guild.scheduled_events[str(event.id)].location == "Park"


async def test_create_events_permission_covers_only_own_events(env: Env) -> None:
    fd = env.fd
    creators = fd.add_guild("Creators", bot_permissions=perms.DEFAULT_BOT & ~perms.MANAGE_EVENTS)
    nobody = fd.add_guild("Plain", bot_permissions=perms.DEFAULT_BOT & ~(perms.MANAGE_EVENTS | perms.CREATE_EVENTS))
    theirs = creators.add_scheduled_event(
        "Mod meetup", _later(fd, 10), end=_later(fd, 11), location="Cafe", description="by a moderator"
    )
    guild = await _bot_guild(env, creators)
    ours = await _external(env, guild)
    assert (await ours.edit(name="Ours, renamed")).name == "Ours, renamed"
    cached = guild.get_scheduled_event(int(theirs.id))
    assert cached is not None and cached.creator_id == int(fd.world.owner_user.id)
    with pytest.raises(discord.Forbidden):
        await cached.edit(name="Hijacked")
    with pytest.raises(discord.Forbidden):
        await cached.delete()
    await ours.delete()
    plain = await _bot_guild(env, nobody)
    with pytest.raises(discord.Forbidden) as info:
        await _external(env, plain)
    assert info.value.code == 50013
    assert list(creators.scheduled_events) == [theirs.id] and nobody.scheduled_events == {}


async def test_a_moderator_deletes_an_event_by_hand(env: Env) -> None:
    fd = env.fd
    deleted: list[discord.ScheduledEvent] = []

    async def on_delete(event: discord.ScheduledEvent) -> None:
        deleted.append(event)

    env.bot.add_listener(on_delete, "on_scheduled_event_delete")
    moderator = env.guild.add_member("Ilya", manage_guild=True)
    event = env.guild.add_scheduled_event(
        "Watch party", _later(fd, 2), end=_later(fd, 4), location="Online", creator=moderator
    )
    guild = await _bot_guild(env)
    cached = guild.get_scheduled_event(int(event.id))
    assert cached is not None and cached.creator_id == int(moderator.id)

    started = env.guild.edit_scheduled_event(event, status=2)
    await fd.gateway.sync()
    assert started.status_name == "active" and cached.status is discord.EventStatus.active
    with pytest.raises(ValueError, match="active"):
        env.guild.edit_scheduled_event(event, status=4)

    env.guild.delete_scheduled_event(event)
    await fd.gateway.sync()
    assert guild.get_scheduled_event(int(event.id)) is None
    assert [e.id for e in deleted] == [int(event.id)]
    with pytest.raises(discord.NotFound):
        await guild.fetch_scheduled_event(int(event.id))


async def test_members_edit_events_by_hand_as_discords_permission_table_lets_them(env: Env) -> None:
    fan = env.guild.add_member("Shane")
    mod = env.guild.add_member("Ilya", manage_guild=True)
    guild = await _bot_guild(env)
    ours = await _external(env, guild)
    stored = env.guild.scheduled_events[str(ours.id)]
    with pytest.raises(PermissionError):  # neither MANAGE_EVENTS nor the event's creator
        env.guild.edit_scheduled_event(stored, by=fan, name="Mine now")
    with pytest.raises(PermissionError):
        env.guild.delete_scheduled_event(stored, by=fan)
    stream = "https://twitch.tv/hr_fans"
    env.guild.edit_scheduled_event(
        stored, by=mod, name="Release party + cast Q&A", entity_metadata={"location": stream}
    )
    await env.fd.gateway.sync()
    heard = guild.get_scheduled_event(ours.id)
    assert heard is not None and (heard.name, heard.location) == ("Release party + cast Q&A", stream)
    (entry,) = [a for a in env.guild.audit_log if a.user_id == mod.id]
    assert entry.action_type == 101 and [c["key"] for c in entry.changes] == ["name", "entity_metadata"]
    assert entry.changes[0]["old_value"] == "Release party"


async def test_at_most_100_open_events(env: Env) -> None:
    for i in range(100):
        env.guild.add_scheduled_event(f"e{i}", _later(env.fd, 1), end=_later(env.fd, 2), location="x")
    guild = await _bot_guild(env)
    with pytest.raises(discord.HTTPException) as info:
        await _external(env, guild)
    assert info.value.code == 30038
    env.guild.edit_scheduled_event(next(iter(env.guild.scheduled_events)), status=4)
    await _external(env, guild)


async def test_external_events_start_and_end_on_time_and_an_ended_one_frees_its_place(env: Env) -> None:
    """Discord's status automation: an external event goes ACTIVE at its start and COMPLETED at its end, each time
    with a GUILD_SCHEDULED_EVENT_UPDATE; a completed event no longer counts towards the 100 (30038)."""
    fd = env.fd
    for i in range(99):
        env.guild.add_scheduled_event(f"e{i}", _later(fd, 48), end=_later(fd, 49), location="x")
    party = env.guild.add_scheduled_event("Watch party", _later(fd, 1), end=_later(fd, 2), location="Online")
    guild = await _bot_guild(env)
    with pytest.raises(discord.HTTPException) as info:
        await _external(env, guild)
    assert info.value.code == 30038
    assert env.guild.run_event_automation() == []
    fd.clock.advance(90 * 60)
    assert [(e.name, e.status_name) for e in env.guild.run_event_automation()] == [("Watch party", "active")]
    fd.clock.advance(60 * 60)
    assert [(e.name, e.status_name) for e in env.guild.run_event_automation()] == [("Watch party", "completed")]
    await fd.gateway.sync()
    heard = guild.get_scheduled_event(int(party.id))
    assert heard is not None and heard.status is discord.EventStatus.completed, "the bot heard it end"
    await _external(env, guild)  # its place is free
    assert [u for u in dispatched(fd) if u == "GUILD_SCHEDULED_EVENT_UPDATE"] == ["GUILD_SCHEDULED_EVENT_UPDATE"] * 2


async def test_events_reach_the_bot_only_with_the_intent(fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    server = fd.add_guild("Fans")
    early = server.add_scheduled_event("Premiere", _later(fd, 5), end=_later(fd, 6), location="Cinema")
    intents = discord.Intents.default()
    intents.guild_scheduled_events = False
    async with running(fd, monkeypatch, intents) as bot:
        guild = bot.get_guild(int(server.id))
        assert guild is not None
        assert [e.name for e in guild.scheduled_events] == ["Premiere"], "GUILD_CREATE carries the events"
        start = _later(fd, 30)
        made = await guild.create_scheduled_event(
            name="Later",
            start_time=start,
            end_time=start + dt.timedelta(hours=1),
            location="Online",
            entity_type=discord.EntityType.external,
            privacy_level=GUILD_ONLY,
        )
        server.delete_scheduled_event(early)
        await fd.gateway.sync()
        assert not [t for t in dispatched(fd) if t.startswith("GUILD_SCHEDULED_EVENT")]
        assert list(server.scheduled_events) == [str(made.id)]
        assert bot.events == []
