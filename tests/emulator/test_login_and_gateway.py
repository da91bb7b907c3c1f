"""Login, READY/GUILD_CREATE, command sync, resume and re-identify with an unmodified discord.py client."""

from __future__ import annotations

import aiohttp
import discord
import discord.http
import pytest

from fakediscord import FakeDiscord, application_id_from_token

from .conftest import APP_ID, TOKEN, Env


async def test_token_encodes_the_application_id(fd: FakeDiscord) -> None:
    assert application_id_from_token(TOKEN) == APP_ID
    assert fd.application_id == fd.bot_user_id == APP_ID
    assert fd.api_base.startswith("http://127.0.0.1:") and fd.api_base.endswith("/api/v10")
    assert fd.gateway_url.startswith("ws://127.0.0.1:") and fd.gateway_url.endswith("/gateway")


async def test_login_ready_and_guild_create(env: Env) -> None:
    fd, bot = env.fd, env.bot
    assert [(r.method, r.path) for r in fd.requests[:2]] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert bot.user is not None and str(bot.user.id) == fd.bot_user_id
    assert str(bot.application_id) == fd.application_id
    guild = bot.get_guild(int(env.guild.id))
    assert guild is not None and guild.name == "Rivalry Fans"
    assert {c.name for c in guild.text_channels} == {"general", "announcements"}
    assert guild.system_channel is not None and guild.system_channel.name == "general"
    assert fd.gateway.identify_count == 1
    identify = next(f for f in fd.gateway.received if f["op"] == 2)
    assert identify["d"]["token"] == TOKEN
    await bot.wait_until_ready()


async def test_guild_added_after_connect_is_dispatched(env: Env) -> None:
    late = env.fd.add_guild("Late Guild")
    chan = late.add_text_channel("later")
    await env.fd.gateway.sync()
    guild = env.bot.get_guild(int(late.id))
    assert guild is not None and guild.get_channel(int(chan.id)) is not None


async def test_command_sync_recorded(env: Env) -> None:
    fd = env.fd
    puts = fd.requests_to("PUT")
    assert [p.route for p in puts] == [
        "/applications/{application_id}/commands",
        "/applications/{application_id}/guilds/{guild_id}/commands",
    ]
    assert all(p.status == 200 for p in puts)
    assert {c["name"] for c in fd.commands()} == {"soundtrack", "panel", "slow", "silent", "bigfield", "steps"}
    assert "post" in {c["name"] for c in fd.commands(env.guild)}
    # discord.py can read what it registered back
    fetched = await env.bot.tree.fetch_commands()
    assert {c.name for c in fetched} == {c["name"] for c in fd.commands()}
    assert fd.violations == []


async def test_resume_after_op7(env: Env) -> None:
    fd = env.fd
    await fd.gateway.send_reconnect()
    await fd.gateway.wait_for(lambda: fd.gateway.resume_count == 1, timeout=5)
    assert fd.gateway.identify_count == 1
    assert fd.gateway.resume_paths == ["/gateway/resume"]
    reply = await env.fan.run("/soundtrack track", track="heated")
    assert reply.content == "Track: heated"
    assert env.bot.resumed_count == 1


async def test_dispatch_while_reconnecting_is_replayed(env: Env) -> None:
    fd = env.fd
    fd.gateway.send_reconnect()  # not awaited: the controls act immediately
    reply = await env.fan.run("/soundtrack track", track="overtime")
    assert reply.content == "Track: overtime"
    assert fd.gateway.identify_count == 1


async def test_close_4000_resumes(env: Env) -> None:
    fd = env.fd
    await fd.gateway.close(4000)
    await fd.gateway.wait_for(lambda: fd.gateway.resume_count == 1, timeout=5)
    assert fd.gateway.identify_count == 1


async def test_op9_not_resumable_reidentifies(env: Env) -> None:
    fd = env.fd
    await fd.gateway.invalidate_session(False)
    await fd.gateway.wait_for(lambda: fd.gateway.identify_count == 2, timeout=5)
    await fd.wait_until_ready()
    assert fd.gateway.resume_count == 0
    reply = await env.fan.run("/soundtrack track", track="rivalry")
    assert reply.content == "Track: rivalry"


async def test_bad_token_is_401(fd: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(fd.api_base + "/users/@me", headers={"Authorization": "Bot nope"}) as resp,
    ):
        assert resp.status == 401
        assert resp.headers["Content-Type"] == "application/json"


async def test_unknown_route_is_json_404(fd: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(fd.api_base + "/no/such/route", headers={"Authorization": f"Bot {TOKEN}"}) as resp,
    ):
        assert resp.status == 404
        assert resp.headers["Content-Type"] == "application/json"
        assert await resp.json() == {"message": "404: Not Found", "code": 0}
    assert fd.requests[-1].status == 404 and fd.requests[-1].path == "/no/such/route"


@pytest.mark.parametrize("path", ["/gateway", "/gateway/bot"])
async def test_gateway_endpoints(fd: FakeDiscord, path: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(fd.api_base + path, headers={"Authorization": f"Bot {TOKEN}"}) as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["url"] == fd.gateway_url


async def test_zlib_stream_is_used_when_requested(env: Env) -> None:
    query = env.fd.gateway.connect_queries[0]
    assert query["v"] == "10" and query["encoding"] == "json"
    if query.get("compress") == "zlib-stream":
        session = env.fd.gateway.current
        assert session is not None and session.connection is not None
        assert session.connection.compressor is not None


async def test_dropped_connection_resumes(env: Env) -> None:
    fd = env.fd
    await fd.gateway.drop()
    await fd.gateway.wait_for(lambda: fd.gateway.resume_count == 1, timeout=15)
    assert fd.gateway.identify_count == 1
    reply = await env.fan.run("/soundtrack track", track="rivalry")
    assert reply.content == "Track: rivalry"


async def test_custom_dispatch_reaches_the_client(env: Env) -> None:
    role = {
        "id": "42",
        "name": "Injected",
        "permissions": "0",
        "position": 5,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    await env.fd.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": env.guild.id, "role": role})
    await env.fd.gateway.sync()
    guild = env.bot.get_guild(int(env.guild.id))
    assert guild is not None and guild.get_role(42) is not None


async def test_wrong_token_fails_login(fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", fd.api_base)
    client = discord.Client(intents=discord.Intents.default())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login(TOKEN[:-1] + "Z")
    finally:
        await client.close()


async def test_an_outage_makes_the_guild_an_empty_stub_until_it_ends(env: Env) -> None:
    """Gateway, "Guild Delete": sent when a guild becomes, or was already, unavailable due to an outage."""
    fd, bot, guild_id = env.fd, env.bot, int(env.guild.id)
    env.guild.outage()
    await fd.gateway.sync()
    assert bot.get_guild(guild_id).unavailable  # type: ignore[union-attr]
    await fd.gateway.invalidate_session(False)  # the bot identifies again during the outage
    await fd.gateway.wait_for(lambda: fd.gateway.identify_count == 2 and fd.gateway.is_ready, timeout=5)
    stub = bot.get_guild(guild_id)
    assert stub is not None and stub.unavailable and stub.me is None and not stub.roles and not stub.name
    env.guild.restore()
    await fd.gateway.sync()
    back = bot.get_guild(guild_id)
    assert back is not None and not back.unavailable and back.name == "Rivalry Fans" and back.me is not None


async def test_a_removed_bot_hears_guild_delete_and_is_left_out_of_ready_until_added_back(env: Env) -> None:
    fd, bot, guild_id = env.fd, env.bot, int(env.guild.id)
    env.guild.remove_bot()
    await fd.gateway.sync()
    assert bot.get_guild(guild_id) is None
    await fd.gateway.invalidate_session(False)
    await fd.gateway.wait_for(lambda: fd.gateway.identify_count == 2 and fd.gateway.is_ready, timeout=5)
    assert bot.get_guild(guild_id) is None
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(f"{fd.api_base}/guilds/{guild_id}", headers=headers) as got:
        assert got.status == 403 and (await got.json())["code"] == 50001
    env.guild.add_bot()
    await fd.gateway.sync()
    joined = bot.get_guild(guild_id)
    assert joined is not None and not joined.unavailable and joined.me is not None
