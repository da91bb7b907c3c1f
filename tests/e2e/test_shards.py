"""The bot over two shards: commands, votes and reminders in servers on both, and one shard's reconnect.

The emulator recommends two shards (`GET /gateway/bot`), routes each server's events to shard
`(guild_id >> 22) % 2` and refuses an unsharded session past 2,500 servers; the bot follows the recommendation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import Channel, FakeDiscord, Guild, Member
from fakediscord.gateway import shard_for
from tests.e2e.test_reminders import add_release, answer, eventually, release_slot, reminder_posts, text_of

SHARDS = 2
# discord.py identifies one shard every 5 s (Discord's `max_concurrency` of 1): each bot here takes 6 s to start.
pytestmark = pytest.mark.slow


@dataclass
class Server:
    guild: Guild
    channel: Channel
    fan: Member
    mod: Member

    @property
    def shard(self) -> int:
        return shard_for(self.guild.id, SHARDS)


@dataclass
class Sharded:
    fd: FakeDiscord
    bot: HeatedRivalryBot
    servers: list[Server]  # one on each shard, in shard order


@pytest.fixture
async def fd() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=fake_token(), settle=0.05, shards=SHARDS) as emulator:
        yield emulator
        assert emulator.violations == [], f"the bot broke Discord's rules: {emulator.violations}"


def server_on(fd: FakeDiscord, shard: int) -> Server:
    """A fan server whose id puts it on `shard` (ids carry their millisecond, so the clock picks the shard)."""
    while True:
        guild = fd.add_guild(f"Fans of shard {shard}")
        if shard_for(guild.id, SHARDS) == shard:
            break
        fd.clock.advance(0.001)
    return Server(
        guild, guild.add_text_channel("releases"), guild.add_member("Fan"), guild.add_member("Mod", manage_guild=True)
    )


@pytest.fixture
async def sharded(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue) -> AsyncIterator[Sharded]:
    servers = [server_on(fd, shard) for shard in range(SHARDS)]
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", catalogue) as bot:
        yield Sharded(fd, bot, servers)


async def test_the_bot_runs_the_recommended_shards_each_with_its_own_servers(sharded: Sharded) -> None:
    fd, bot = sharded.fd, sharded.bot
    assert bot.shard_count == SHARDS
    assert fd.gateway.identify_counts == {0: 1, 1: 1}, "one session per shard"
    for server in sharded.servers:
        cached = bot.get_guild(int(server.guild.id))
        assert cached is not None and cached.shard_id == server.shard


async def test_commands_votes_and_reminders_work_in_servers_on_both_shards(sharded: Sharded) -> None:
    fd, bot = sharded.fd, sharded.bot
    clock = bot.clock
    assert isinstance(clock, SystemClock)
    release = release_slot(clock.now())
    for server in sharded.servers:
        assert "Peter Peter" in text_of(await server.fan.run("/soundtrack about")), "the album card"
        voted = answer(await server.fan.run("/poll vote", track="rivalry"))
        assert "Your vote in round 1" in voted, voted
        answer(await server.mod.run("/reminders channel", options={"channel": server.channel}))
        answer(await server.mod.run("/reminders leadtimes", spec="0"))
        await add_release(server.mod, release, title=f"Party on shard {server.shard}")
    for server in sharded.servers:
        assert "Rivalry" in text_of(await server.fan.run("/poll results")), "each server counts its own vote"
    clock.jump_to(int(release.timestamp()) - 0.5)
    await eventually(lambda: all(len(reminder_posts(fd, s.channel)) == 1 for s in sharded.servers))
    for server in sharded.servers:
        [post] = reminder_posts(fd, server.channel)
        assert post.embeds[0]["title"] == f"Party on shard {server.shard}"


async def test_a_reconnect_of_one_shard_leaves_the_other_untouched(sharded: Sharded) -> None:
    fd = sharded.fd
    untouched, reconnecting = sharded.servers
    session = fd.gateway.shards[untouched.shard]
    await fd.gateway.send_reconnect(shard_id=reconnecting.shard)
    await eventually(lambda: fd.gateway.resume_counts.get(reconnecting.shard, 0) == 1)
    assert fd.gateway.shards[untouched.shard] is session, "the other shard kept its session"
    assert fd.gateway.resume_counts.get(untouched.shard, 0) == 0
    assert fd.gateway.identify_counts == {0: 1, 1: 1}, "the reconnecting shard resumed, nobody identified again"
    for server in sharded.servers:
        assert "Your vote in round 1" in answer(await server.fan.run("/poll vote", track="rivalry"))
