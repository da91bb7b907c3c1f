"""The optional global rate limit (a sliding one-second window) against discord.py's global 429 handling."""

from __future__ import annotations

import asyncio

import aiohttp

from fakediscord import FakeDiscord
from fakediscord.ratelimit import GlobalRateLimit

from .conftest import TOKEN, Env

AUTH = {"Authorization": f"Bot {TOKEN}"}


def test_the_window_slides() -> None:
    limit = GlobalRateLimit(3)
    assert [limit.hit(t) for t in (0.0, 0.1, 0.2)] == [None, None, None]
    assert limit.hit(0.5) == 0.5, "the oldest admitted request (t=0) leaves the window at t=1"
    assert limit.hit(0.999) == 0.001
    assert limit.hit(1.0) is None, "t=0 has left; refused requests did not count"
    assert limit.hit(1.05) == 0.05, "a fixed window would have reset at t=1; this one still holds 0.1, 0.2, 1.0"
    assert limit.hit(1.1) is None and limit.in_window == 3


def test_off_by_default() -> None:
    fd = FakeDiscord(token=TOKEN)
    assert fd.global_rate_limit is None and fd.global_429s == 0
    assert FakeDiscord(token=TOKEN, global_rate=50).global_rate_limit is not None


async def test_global_429_shape_and_retry_after(fd: FakeDiscord) -> None:
    fd.global_rate_limit = GlobalRateLimit(3)
    url = fd.api_base + "/users/@me"
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(url, headers=AUTH) as resp:
                assert resp.status == 200
        async with session.get(url, headers=AUTH) as resp:
            assert resp.status == 429
            assert resp.headers["X-RateLimit-Global"] == "true"
            assert resp.headers["X-RateLimit-Scope"] == "global"
            assert resp.headers["Via"] and resp.headers["Retry-After"] == "1"
            assert resp.headers["Content-Type"] == "application/json"
            body = await resp.json()
        assert body["global"] is True and body["message"] == "You are being rate limited."
        assert 0 < body["retry_after"] <= 1
        await asyncio.sleep(body["retry_after"])
        async with session.get(url, headers=AUTH) as resp:
            assert resp.status == 200, "waiting retry_after is enough"
    assert fd.global_429s == 1
    assert [r.status for r in fd.requests] == [200, 200, 200, 429, 200]


async def test_discord_py_waits_out_global_429s(env: Env) -> None:
    fd = env.fd
    fd.global_rate_limit = GlobalRateLimit(5)
    channel = env.bot.get_partial_messageable(int(env.chan.id), guild_id=int(env.guild.id))
    # Three over the limit, not more: discord.py tries a request 5 times, and when the first five arrived spread
    # out (a loaded machine) the sliding window frees one place per retry, so a burst of 5 + n needs up to n + 1
    # tries; with 12 the last request could run out of tries and the test failed under load.
    burst = 8
    sent = await asyncio.gather(*(channel.send(f"burst {i}") for i in range(burst)))
    assert len({m.id for m in sent}) == burst
    assert sorted(m.content for m in fd.channel_messages(env.chan)) == sorted(f"burst {i}" for i in range(burst))
    posts = fd.requests_to("POST", "/channels/{channel_id}/messages")
    refused = [p for p in posts if p.status == 429]
    assert fd.global_429s == len(refused) > 0
    assert all(p.response["global"] is True and 0 < p.response["retry_after"] <= 1 for p in refused)
    assert len(posts) == burst + len(refused)


async def test_interaction_endpoints_are_exempt(env: Env) -> None:
    fd = env.fd
    fd.global_rate_limit = GlobalRateLimit(1)
    for track in ("rivalry", "heated", "overtime"):
        assert (await env.fan.run("/soundtrack track", track=track)).content == f"Track: {track}"
    deferred = await env.fan.run("/slow", count=2)  # callback, PATCH @original, followup
    assert deferred.content == "done x2" and [f.content for f in deferred.followups] == ["extra"]
    assert fd.global_429s == 0
    # the bot's other requests are limited: two in a row, the second waits out a global 429
    for _ in range(2):
        assert (await env.bot.http.get_channel(int(env.chan.id)))["id"] == env.chan.id
    assert fd.global_429s == 1
    assert [r.status for r in fd.requests_to("GET", "/channels/{channel_id}")] == [200, 429, 200]
