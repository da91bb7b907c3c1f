"""Sharding with an unmodified ``discord.AutoShardedClient``: routing by ``(guild_id >> 22) % num_shards``, per-shard
sessions and controls, ``GET /gateway/bot``'s recommendation, and 4011 for a shard over 2,500 guilds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from fakediscord import FakeDiscord, Guild, Member
from fakediscord.gateway import Session, shard_for

from .conftest import TOKEN

SHARDS = 2


@app_commands.command(name="where", description="Says which guild answered")
async def where_cmd(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(f"guild {interaction.guild_id}")


class ShardedBot(commands.AutoShardedBot):
    def __init__(self, shard_count: int | None = SHARDS) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), shard_count=shard_count, guild_ready_timeout=0.05
        )
        self.resumed_shards: list[int] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return  # skip discord.py's 5 s pause between shard IDENTIFYs

    async def setup_hook(self) -> None:
        self.tree.add_command(where_cmd)
        await self.tree.sync()

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.resumed_shards.append(shard_id)


@dataclass
class ShardEnv:
    fd: FakeDiscord
    bot: ShardedBot
    guilds: dict[int, Guild]
    """One guild per shard id."""
    fans: dict[int, Member]


def _guild_per_shard(fd: FakeDiscord, shard_count: int) -> dict[int, Guild]:
    """Add guilds until every shard owns one (snowflakes of the same millisecond share a shard)."""
    found: dict[int, Guild] = {}
    while len(found) < shard_count:
        guild = fd.add_guild(f"Guild {len(fd.guilds)}")
        found.setdefault(shard_for(guild.id, shard_count), guild)
        fd.clock.advance(0.001)
    return found


@contextlib.asynccontextmanager
async def _running(bot: commands.AutoShardedBot) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        yield task
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
            await asyncio.wait_for(task, 5)


@pytest.fixture
def patched(fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    monkeypatch.setattr(discord.http.Route, "BASE", fd.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fd.gateway_url))
    return fd


@pytest.fixture
async def sharded(patched: FakeDiscord) -> AsyncIterator[ShardEnv]:
    fd = patched
    guilds = _guild_per_shard(fd, SHARDS)
    fans = {shard: guild.add_member(f"Fan {shard}") for shard, guild in guilds.items()}
    bot = ShardedBot()
    async with _running(bot):
        await fd.wait_until_ready()
        yield ShardEnv(fd, bot, guilds, fans)


def _dispatched(session: Session, t: str) -> list[dict[str, object]]:
    return [p["d"] for p in session.buffer if p["t"] == t]


async def test_each_shard_identifies_and_gets_only_its_guilds(sharded: ShardEnv) -> None:
    fd, bot = sharded.fd, sharded.bot
    identifies = [f["d"]["shard"] for f in fd.gateway.received if f["op"] == 2]
    assert sorted(identifies) == [[0, SHARDS], [1, SHARDS]]
    assert fd.gateway.identify_counts == {0: 1, 1: 1}
    sessions = fd.gateway.shards
    assert sorted(sessions) == [0, 1] and len({s.id for s in sessions.values()}) == 2
    assert fd.gateway.is_ready and all(s.ready for s in sessions.values())
    for shard_id, session in sessions.items():
        expected = {g.id for g in fd.guilds if shard_for(g.id, SHARDS) == shard_id}
        (ready,) = _dispatched(session, "READY")
        assert ready["shard"] == [shard_id, SHARDS]
        assert {g["id"] for g in ready["guilds"]} == expected  # type: ignore[attr-defined]
        assert {g["id"] for g in _dispatched(session, "GUILD_CREATE")} == expected
    for shard_id, guild in sharded.guilds.items():
        cached = bot.get_guild(int(guild.id))
        assert cached is not None and cached.shard_id == shard_id
    assert len(bot.guilds) == len(fd.guilds)


async def test_guild_events_and_interactions_reach_only_the_owning_shard(sharded: ShardEnv) -> None:
    fd = sharded.fd
    sessions = fd.gateway.shards
    for shard_id, fan in sharded.fans.items():
        reply = await fan.run("/where")
        assert reply.content == f"guild {sharded.guilds[shard_id].id}"
        for other_id, session in sessions.items():
            ids = [d["id"] for d in _dispatched(session, "INTERACTION_CREATE")]
            assert (reply.interaction_id in ids) == (other_id == shard_id)
    # a later guild event follows the formula, and a guild-less event goes to shard 0
    chan = sharded.guilds[1].add_text_channel("late")
    await fd.gateway.dispatch("USER_UPDATE", fd.bot_user.to_json())
    await fd.gateway.sync()
    assert [d["id"] for d in _dispatched(sessions[1], "CHANNEL_CREATE")] == [chan.id]
    assert _dispatched(sessions[0], "CHANNEL_CREATE") == []
    assert len(_dispatched(sessions[0], "USER_UPDATE")) == 1 and _dispatched(sessions[1], "USER_UPDATE") == []
    assert sharded.bot.get_channel(int(chan.id)) is not None
    # a test may also aim a dispatch at one shard
    await fd.gateway.dispatch("USER_UPDATE", fd.bot_user.to_json(), shard_id=1)
    await fd.gateway.sync(shard_id=1)
    assert len(_dispatched(sessions[1], "USER_UPDATE")) == 1


async def test_close_of_one_shard_resumes_only_that_shard(sharded: ShardEnv) -> None:
    fd = sharded.fd
    untouched = fd.gateway.shards[1].connection
    await fd.gateway.close(4000, shard_id=0)
    await fd.gateway.wait_for(lambda: fd.gateway.resume_counts.get(0) == 1, timeout=5)
    assert fd.gateway.shards[1].connection is untouched and fd.gateway.resume_counts == {0: 1}
    await fd.gateway.sync()
    assert fd.gateway.identify_counts == {0: 1, 1: 1}


async def test_reconnect_of_one_shard_leaves_the_other_untouched(sharded: ShardEnv) -> None:
    fd = sharded.fd
    before = fd.gateway.shards
    other_connection = before[0].connection
    await fd.gateway.send_reconnect(shard_id=1)
    await fd.gateway.wait_for(lambda: fd.gateway.resume_counts.get(1) == 1, timeout=5)
    after = fd.gateway.shards
    assert {k: s.id for k, s in after.items()} == {k: s.id for k, s in before.items()}
    assert after[0].connection is other_connection and after[0].resumes == 0
    assert fd.gateway.identify_counts == {0: 1, 1: 1}
    assert fd.gateway.resume_counts == {1: 1}
    for shard_id, fan in sharded.fans.items():
        assert (await fan.run("/where")).content == f"guild {sharded.guilds[shard_id].id}"
    assert sharded.bot.resumed_shards == [1]


async def test_non_resumable_op9_reidentifies_only_that_shard(sharded: ShardEnv) -> None:
    fd = sharded.fd
    kept = fd.gateway.shards[1].id
    await fd.gateway.invalidate_session(False, shard_id=0)
    await fd.gateway.wait_for(lambda: fd.gateway.identify_counts.get(0) == 2, timeout=5)
    await fd.wait_until_ready()
    assert fd.gateway.shards[1].id == kept and fd.gateway.identify_counts[1] == 1
    assert (await sharded.fans[0].run("/where")).content == f"guild {sharded.guilds[0].id}"


async def test_gateway_bot_recommends_shards(patched: FakeDiscord) -> None:
    fd = patched

    async def recommended() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.get(fd.api_base + "/gateway/bot", headers={"Authorization": f"Bot {TOKEN}"}) as resp,
        ):
            shards: int = (await resp.json())["shards"]
            return shards

    assert await recommended() == 1
    for i in range(1001):
        fd.add_guild(f"g{i}")
    assert await recommended() == 2  # one shard per 1,000 guilds
    fd.shards = 3
    assert await recommended() == 3


async def test_autosharded_client_uses_the_recommended_count() -> None:
    async with FakeDiscord(token=TOKEN, settle=0.1, shards=2) as fd:
        fd.gateway.identify_interval = None  # ShardedBot skips discord.py's 5 s between IDENTIFYs
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(discord.http.Route, "BASE", fd.api_base)
            mp.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fd.gateway_url))
            guilds = _guild_per_shard(fd, 2)
            bot = ShardedBot(shard_count=None)
            async with _running(bot):
                await fd.wait_until_ready()
                assert bot.shard_count == 2 and sorted(fd.gateway.shards) == [0, 1]
                reply = await guilds[1].add_member("Late fan").run("/where")
                assert reply.content == f"guild {guilds[1].id}"


async def test_unsharded_session_over_2500_guilds_is_closed_with_4011(patched: FakeDiscord) -> None:
    fd = patched
    for i in range(2501):
        fd.add_guild(f"g{i}")
    client = discord.Client(intents=discord.Intents.default())
    try:
        with pytest.raises(discord.ConnectionClosed) as info:
            await asyncio.wait_for(client.start(TOKEN), 15)
    finally:
        await client.close()
    assert info.value.code == 4011
    assert fd.gateway.closed_with == [(4011, "Sharding required.")]
    assert fd.gateway.identify_count == 0


async def test_shard_over_2500_guilds_is_closed_with_4011(patched: FakeDiscord) -> None:
    fd = patched
    for i in range(2 * 2500 + 1):  # two shards cannot split 5,001 guilds without one holding 2,501
        fd.add_guild(f"g{i}")
    per_shard = [sum(1 for g in fd.guilds if shard_for(g.id, 2) == s) for s in (0, 1)]
    oversize = 0 if per_shard[0] > 2500 else 1
    bot = ShardedBot()
    with pytest.raises(discord.ConnectionClosed) as info:
        await asyncio.wait_for(bot.start(TOKEN), 30)
    await bot.close()
    assert info.value.code == 4011
    assert (4011, "Sharding required.") in fd.gateway.closed_with
    assert oversize not in fd.gateway.identify_counts


async def test_invalid_shard_is_closed_with_4010(patched: FakeDiscord) -> None:
    fd = patched
    fd.add_guild("Only")
    client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=2, shard_ids=[2])
    try:
        with pytest.raises(discord.ConnectionClosed) as info:
            await asyncio.wait_for(client.start(TOKEN), 15)
    finally:
        await client.close()
    assert info.value.code == 4010
    assert fd.gateway.closed_with == [(4010, "Invalid shard.")]


async def _identify(session: aiohttp.ClientSession, fd: FakeDiscord, shard: list[int]) -> dict[str, object]:
    """Connect, IDENTIFY as `shard`, and return the first frame after HELLO (READY, or op 9)."""
    ws = await session.ws_connect(fd.gateway_url + "?v=10&encoding=json")
    hello = await ws.receive_json(timeout=5)
    assert hello["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 1, "properties": {}, "shard": shard}})
    frame: dict[str, object] = await ws.receive_json(timeout=5)
    return frame


@pytest.mark.parametrize("max_concurrency", [1, 2])
async def test_identify_is_limited_per_max_concurrency_bucket(fd: FakeDiscord, max_concurrency: int) -> None:
    """Shards of one bucket (`shard_id % max_concurrency`) IDENTIFY once per 5 s, whichever connection (or process)
    sends it; a faster one is answered op 9 (Gateway › Rate Limiting), and `GET /gateway/bot` names the limit."""
    fd.gateway.identify_interval = 5.0  # the conftest turns it off for clients that skip discord.py's pause
    fd.gateway.max_concurrency = max_concurrency
    async with aiohttp.ClientSession() as session:
        async with session.get(fd.api_base + "/gateway/bot", headers={"Authorization": f"Bot {TOKEN}"}) as resp:
            assert (await resp.json())["session_start_limit"]["max_concurrency"] == max_concurrency
        first = await _identify(session, fd, [0, 2])
        second = await _identify(session, fd, [1, 2])
    assert first["t"] == "READY"
    if max_concurrency == 1:  # one bucket: the second came too early
        assert second == {"op": 9, "d": False} and fd.gateway.early_identifies == [1]
        assert fd.gateway.identify_counts == {0: 1}
    else:  # two buckets: each may identify at once
        assert second["t"] == "READY" and fd.gateway.early_identifies == []
