"""What the pacer (`bot.pacing`) guarantees, counted on the emulator's record of every request it received.

With `DISCORD_GLOBAL_RATE` set, no sliding second of the emulator's clock holds more of the bot's REST requests
than that rate, however many the bot sends at once; and a member's answer (the interaction endpoints, which
Discord does not count against the global limit) goes out ahead of the requests the pacer is still holding.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import discord
import pytest

from bot.catalogue import Catalogue
from fakediscord import FakeDiscord
from fakediscord.ratelimit import GlobalRateLimit
from fakediscord.rest import UNAUTHENTICATED_PREFIXES, RecordedRequest
from tests.e2e.conftest import FanServer, fan_server

RATE = 20  # DISCORD_GLOBAL_RATE here: low, so a burst of a few dozen requests takes seconds to pace
POSTS = 50  # two and a half seconds of requests at that rate


@pytest.fixture
async def paced(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue) -> AsyncIterator[FanServer]:
    """The bot started with `DISCORD_GLOBAL_RATE=RATE`, against a Discord that enforces that limit too."""
    fd.global_rate_limit = GlobalRateLimit(RATE)
    async with fan_server(fd, tmp_path / "bot.sqlite3", catalogue, {"DISCORD_GLOBAL_RATE": str(RATE)}) as running:
        yield running


def counted(requests: Sequence[RecordedRequest]) -> list[RecordedRequest]:
    """The requests Discord counts against the bot's global limit: all but the interaction endpoints."""
    return [r for r in requests if not r.path.startswith(UNAUTHENTICATED_PREFIXES)]


def busiest_second(requests: Sequence[RecordedRequest]) -> int:
    """The most requests that arrived within any one second of the emulator's clock."""
    times = sorted(r.received for r in requests)
    return max((sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0)


def burst(server: FanServer, name: str) -> list[asyncio.Task[discord.Message]]:
    """`POSTS` messages sent at once by the bot, one per new channel, as a storm of reminders would be."""
    channels = [server.guild.add_text_channel(f"{name}-{n}") for n in range(POSTS)]
    messageables = [server.bot.get_partial_messageable(int(channel.id)) for channel in channels]
    return [asyncio.create_task(m.send(f"post {n}")) for n, m in enumerate(messageables)]


async def test_no_second_holds_more_requests_than_the_configured_rate(paced: FanServer) -> None:
    fd, bot = paced.fd, paced.bot
    start = len(fd.requests)
    sent = await asyncio.gather(*burst(paced, "burst"))
    assert len({message.id for message in sent}) == POSTS, "every post was made, once"
    requests = counted(fd.requests[start:])
    assert len(requests) == POSTS and fd.global_429s == 0, "Discord never had to refuse one"
    assert busiest_second(requests) <= RATE
    assert len(bot.http._buckets) < 20, "discord.py's per-channel rate-limit records do not pile up"


async def test_an_answer_goes_out_ahead_of_the_requests_the_pacer_holds(paced: FanServer) -> None:
    """Discord does not count interaction endpoints against the global limit, and the bot does not pace them."""
    fd = paced.fd
    start = len(fd.requests)
    posts = burst(paced, "queue")
    await asyncio.wait(posts, return_when=asyncio.FIRST_COMPLETED)  # one post is through; the pacer holds the rest
    reply = await paced.fan.run("/soundtrack about")
    assert reply.rejected == [] and not reply.loading and "Peter Peter" in str(reply.embeds)
    await asyncio.gather(*posts)
    [answered] = [i for i, r in enumerate(fd.requests) if r.path.endswith("/callback") and i >= start]
    assert len(counted(fd.requests[answered:])) > POSTS // 2, (
        "most of the queued posts reached Discord after the answer"
    )
    assert busiest_second(counted(fd.requests[start:])) <= RATE
