"""Channel messages through injected faults, nonce de-duplication, limits, permissions, scheduled events."""

from __future__ import annotations

import datetime as dt

import aiohttp
import discord
import pytest

from fakediscord import permissions as perms
from fakediscord.openapi import default_spec_path

from .conftest import TOKEN, Env


def _channel(env: Env, channel_id: str) -> discord.PartialMessageable:
    return env.bot.get_partial_messageable(int(channel_id), guild_id=int(env.guild.id))


async def test_route_429_then_retry_creates_one_message(env: Env) -> None:
    env.fd.faults.add("POST", "/channels/{channel_id}/messages", kind="429", retry_after=0.05, count=1)
    sent = await _channel(env, env.chan.id).send("after a rate limit")
    posts = env.fd.requests_to("POST", "/channels/{channel_id}/messages")
    assert [p.status for p in posts] == [429, 200]
    assert posts[0].json["nonce"] == posts[1].json["nonce"]
    assert [m.id for m in env.fd.channel_messages(env.chan)] == [str(sent.id)]


async def test_global_429(env: Env) -> None:
    env.fd.faults.add(None, "/channels/", kind="429", retry_after=0.05, global_=True)
    await _channel(env, env.chan.id).send("global")
    assert [r.status for r in env.fd.requests_to("POST", "/channels/{channel_id}/messages")] == [429, 200]


async def test_nonce_deduplication(env: Env) -> None:
    channel = _channel(env, env.chan.id)
    first = await channel.send("once", nonce=424242)
    second = await channel.send("once", nonce=424242)
    assert first.id == second.id
    assert len(env.fd.channel_messages(env.chan)) == 1
    env.fd.clock.advance(600)  # the nonce window is a few minutes
    third = await channel.send("once", nonce=424242)
    assert third.id != first.id


async def test_commit_then_502_and_retry_with_same_nonce(env: Env) -> None:
    env.fd.faults.add("POST", "/channels/{channel_id}/messages", kind="commit_then_502")
    sent = await _channel(env, env.chan.id).send("exactly once")
    posts = env.fd.requests_to("POST", "/channels/{channel_id}/messages")
    assert [p.status for p in posts] == [502, 200]
    assert [m.id for m in env.fd.channel_messages(env.chan)] == [str(sent.id)]


async def test_embed_field_value_1025_is_rejected(env: Env) -> None:
    embed = discord.Embed(title="t").add_field(name="n", value="x" * 1025)
    with pytest.raises(discord.HTTPException) as info:
        await _channel(env, env.chan.id).send(embed=embed)
    assert info.value.status == 400 and info.value.code == 50035
    assert "embeds.0.fields.0.value" in str(info.value)
    assert "embeds.0.fields.0.value" in {v.path for v in env.fd.violations}
    assert env.fd.channel_messages(env.chan) == []


async def test_content_over_2000_is_rejected(env: Env) -> None:
    with pytest.raises(discord.HTTPException):
        await _channel(env, env.chan.id).send("x" * 2001)
    assert [v.path for v in env.fd.violations if v.source == "limits"] == ["content"]


async def test_permissions(env: Env) -> None:
    hidden = env.guild.add_text_channel("mods-only", bot_permissions=0)
    read_only = env.guild.add_text_channel("rules", bot_permissions=perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
    no_embeds = env.guild.add_text_channel("plain", bot_permissions=perms.VIEW_CHANNEL | perms.SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as info:
        await _channel(env, hidden.id).send("hi")
    assert info.value.code == 50001
    with pytest.raises(discord.Forbidden) as info:
        await _channel(env, read_only.id).send("hi")
    assert info.value.code == 50013
    with pytest.raises(discord.Forbidden) as info:
        await _channel(env, no_embeds.id).send(embed=discord.Embed(title="x"))
    assert info.value.code == 50013
    await _channel(env, no_embeds.id).send("plain text is fine")
    assert [m.content for m in env.fd.channel_messages(no_embeds)] == ["plain text is fine"]


async def test_injected_5xx_403_404(env: Env) -> None:
    channel = _channel(env, env.chan.id)
    env.fd.faults.add("POST", "/channels/{channel_id}/messages", kind="403")
    with pytest.raises(discord.Forbidden):
        await channel.send("x")
    env.fd.faults.add("POST", "/channels/{channel_id}/messages", kind="404")
    with pytest.raises(discord.NotFound) as info:
        await channel.send("x")
    assert info.value.code == 10003
    env.fd.faults.add("POST", "/channels/{channel_id}/messages", kind="5xx", status=503)
    with pytest.raises(discord.DiscordServerError):
        await channel.send("x")
    assert env.fd.channel_messages(env.chan) == []


async def test_mentions_follow_permissions_and_allowed_mentions(env: Env) -> None:
    quiet = env.guild.add_role("Listeners", mentionable=False)
    loud = env.guild.add_role("Pings", mentionable=True)
    channel = _channel(env, env.chan.id)
    msg = await channel.send(f"@everyone <@&{quiet.id}> <@&{loud.id}> {env.fan.mention}")
    stored = env.fd.channel_messages(env.chan)[-1]
    assert not stored.mention_everyone  # the bot lacks MENTION_EVERYONE
    assert stored.mentioned_role_ids == [loud.id]
    assert stored.mentioned_user_ids == [env.fan.id]
    await msg.edit(content=f"<@&{loud.id}>", allowed_mentions=discord.AllowedMentions.none())
    assert stored.mentioned_role_ids == []


async def test_edit_get_history_and_delete(env: Env) -> None:
    channel = _channel(env, env.chan.id)
    msg = await channel.send("v1")
    edited = await msg.edit(content="v2")
    assert edited.content == "v2" and edited.edited_at is not None
    fetched = await channel.fetch_message(msg.id)
    assert fetched.content == "v2"
    history = [m.content async for m in channel.history(limit=10)]
    assert history == ["v2"]
    await msg.delete()
    assert env.fd.channel_messages(env.chan) == []
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(msg.id)


async def test_channel_role_member_lookups(env: Env) -> None:
    http = env.bot.http
    data = await http.get_channel(int(env.chan.id))
    assert data["name"] == "announcements"
    roles = await http.get_roles(int(env.guild.id))
    assert roles[0]["id"] == env.guild.id and roles[0]["name"] == "@everyone"
    member = await http.get_member(int(env.guild.id), int(env.fan.id))
    assert member["user"]["username"] == "Shane"
    with pytest.raises(discord.NotFound):
        await http.get_member(int(env.guild.id), 1)


async def test_scheduled_events(env: Env) -> None:
    guild = env.bot.get_guild(int(env.guild.id))
    assert guild is not None
    start = env.fd.clock.now() + dt.timedelta(days=3)
    event = await guild.create_scheduled_event(
        name="Release day",
        start_time=start,
        end_time=start + dt.timedelta(hours=2),
        entity_type=discord.EntityType.external,
        location="Everywhere",
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert event.name == "Release day" and event.status is discord.EventStatus.scheduled
    assert list(env.guild.scheduled_events) == [str(event.id)]
    fetched = await guild.fetch_scheduled_event(event.id)
    assert fetched.location == "Everywhere"
    edited = await event.edit(name="Release day!")
    assert edited.name == "Release day!"
    assert len(await guild.fetch_scheduled_events()) == 1
    with pytest.raises(discord.HTTPException) as info:
        await guild.create_scheduled_event(
            name="Past",
            start_time=env.fd.clock.now() - dt.timedelta(hours=1),
            end_time=env.fd.clock.now() + dt.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="x",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
    assert info.value.code == 50035
    await event.delete()
    assert env.guild.scheduled_events == {}


@pytest.mark.skipif(default_spec_path() is None or not default_spec_path().exists(), reason="no OpenAPI spec")
async def test_openapi_validation_catches_what_hand_checks_do_not(env: Env) -> None:
    url = f"{env.fd.api_base}/channels/{env.chan.id}/messages"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"content": "hi", "tts": "yes"}, headers={"Authorization": f"Bot {TOKEN}"}) as resp,
    ):
        assert resp.status == 400
        assert resp.headers["Content-Type"] == "application/json"
        body = await resp.json()
    assert body["code"] == 50035 and "tts" in body["errors"]
    assert [(v.source, v.path) for v in env.fd.violations] == [("openapi", "tts")]
    assert env.fd.channel_messages(env.chan) == []
