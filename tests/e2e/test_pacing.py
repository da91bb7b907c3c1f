"""The bot paces everything it sends under Discord's global rate limit (`bot.pacing`), as Discord counts it."""

from __future__ import annotations

import asyncio

from fakediscord.ratelimit import GlobalRateLimit
from tests.e2e.conftest import FanServer

POSTS = 120  # over two seconds of requests at 50 a second


async def test_a_burst_of_posts_stays_under_the_global_limit_and_keeps_few_rate_limit_records(
    server: FanServer,
) -> None:
    fd, bot = server.fd, server.bot
    fd.global_rate_limit = GlobalRateLimit(50)  # Discord's limit, a sliding second (DISCORD_GLOBAL_RATE's default)
    channels = [server.guild.add_text_channel(f"burst-{n}") for n in range(POSTS)]
    sent = await asyncio.gather(
        *(bot.get_partial_messageable(int(c.id)).send(f"post {n}") for n, c in enumerate(channels))
    )
    assert len({message.id for message in sent}) == POSTS
    assert [len(fd.channel_messages(c)) for c in channels] == [1] * POSTS
    assert fd.global_429s == 0, "paced below the limit: Discord never had to refuse"
    assert len(bot.http._buckets) < 20, "discord.py's per-channel rate-limit records do not pile up"


async def test_interaction_answers_are_not_held_back_by_the_pacer(server: FanServer) -> None:
    """Discord exempts interaction responses from the global limit; so does the pacer (3 s to answer)."""
    fd, bot = server.fd, server.bot
    fd.global_rate_limit = GlobalRateLimit(50)
    channels = [server.guild.add_text_channel(f"queue-{n}") for n in range(POSTS)]
    burst = asyncio.gather(*(bot.get_partial_messageable(int(c.id)).send("queued") for c in channels))
    await asyncio.sleep(0.1)  # the pacer now holds about two seconds of posts
    reply = await server.fan.run("/soundtrack about")
    assert reply.elapsed is not None and reply.elapsed < 0.5, "answered at once, ahead of the queued posts"
    assert "Peter Peter" in str(reply.embeds)
    await burst
