"""Release storms: every server's reminder for one release, due at the same second.

The bot logs in (REST only: a storm is the dispatcher's work, whatever the gateway does) with `scale.storm`
servers configured and planned, then its clock jumps to the release and it posts. Its time runs from the jump
to the last post Discord accepted. Two storms:

- unlimited (`DISCORD_GLOBAL_RATE` at its highest, as for a bot whose limit Discord raised), against the
  floor: bare discord.py (`discord.Client`, login only) posting the same messages, with
  the same nonces, `FLOOR_IN_FLIGHT` at a time; target ≥ 0.9× its speed;
- under the emulator's sliding `scale.global_rate` req/s global limit, against that limit itself; targets
  ≥ 0.9× of it and ≤ 1 % of requests refused with 429.

Both check exactly once: each channel holds exactly one post (0 duplicates, 0 losses), else the run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from functools import partial
from pathlib import Path

import discord

from benchmarks.core import Figure, Scale, rate_figure
from benchmarks.emulated import bounded, current, emulator
from bot.bot import HeatedRivalryBot, intents
from bot.catalogue import Catalogue, Confidence, Release, load_catalogue
from bot.clock import SystemClock
from bot.db import Database
from bot.demo.harness import fake_token
from bot.endpoints import apply_endpoints
from bot.presence import Presence
from bot.settings import Settings, load_settings
from cogs.reminders.posts import ReminderMessage, compose
from cogs.reminders.sender import allowed_mentions, to_embed
from cogs.reminders.service import Reminders
from cogs.reminders.store import GuildConfig
from cogs.reminders.timeparse import format_lead_times, parse_lead_times
from fakediscord import Channel, FakeDiscord, Role

FLOOR_IN_FLIGHT = 16  # the bare client's posts at once (the dispatcher's own default before issue 12)
AHEAD_S = 24 * 3600  # the release is this far ahead of the real clock; the bot's clock jumps there
MESSAGES = "/channels/{channel_id}/messages"
UNLIMITED_RATE = 10_000  # DISCORD_GLOBAL_RATE for a storm without a limit (the setting's highest value)


@dataclasses.dataclass
class World:
    fd: FakeDiscord
    servers: list[tuple[int, Channel, Role]]  # (guild id, reminder channel, pinged role)
    release: Release
    release_at: int  # epoch seconds


async def storms(scale: Scale) -> list[Figure]:
    floor = await _timed(scale.storm, None, bare=True)
    unlimited = await _timed(scale.storm, None, bare=False)
    paced_rate, refused, sent = await _timed(scale.paced_storm, scale.global_rate, bare=False)
    limit_rate = float(scale.global_rate)
    share = refused / max(1, sent + refused)
    return [
        rate_figure(
            f"release storm, {scale.storm:,} servers, no rate limit", unlimited[0], "posts/s", floor[0],
            "bare discord.py", at_least=0.9,
        ),
        rate_figure(
            f"release storm, {scale.paced_storm:,} servers, global limit {scale.global_rate}/s", paced_rate,
            "posts/s", limit_rate, "the limit", at_least=0.9,
        ),
        Figure(
            f"429s in that storm ({refused} of {sent + refused} requests)", share * 100, "%",
            target="≤ 1 %", met=share <= 0.01,
        ),
    ]  # fmt: skip


async def _timed(count: int, global_rate: int | None, *, bare: bool) -> tuple[float, int, int]:
    """(posts per second, requests refused with 429, posts accepted) for one storm of `count` servers."""
    async with emulator(global_rate=global_rate) as fd:
        world = _world(fd, count)
        poster = _bare if bare else _bot
        elapsed = await poster(world)
        posts = [len(fd.channel_messages(channel)) for _, channel, _ in world.servers]
        if posts != [1] * count:
            lost, doubled = posts.count(0), sum(1 for p in posts if p > 1)
            raise AssertionError(f"{'bare' if bare else 'bot'} storm: {lost} servers got no post, {doubled} several")
        return count / elapsed, fd.global_429s, count


def _world(fd: FakeDiscord, count: int) -> World:
    servers = []
    for n in range(count):
        guild = fd.add_guild(f"Fan server {n}")
        servers.append(
            (int(guild.id), guild.add_text_channel("releases"), guild.add_role("Release news", mentionable=True))
        )
    moment = dt.datetime.fromtimestamp(int(time.time()) + AHEAD_S, dt.UTC)
    release = Release(
        id="storm", title="Storm drop", kind="single", date=moment.date(), time=moment.time(), zone="UTC",
        link=None, description=None, status=None, confidence=Confidence.MULTI, sources=(),
    )  # fmt: skip
    return World(fd, servers, release, int(moment.timestamp()))


def _config(guild_id: int, channel: Channel, role: Role) -> GuildConfig:
    return GuildConfig(guild_id, channel_id=int(channel.id), role_id=int(role.id), lead_times=parse_lead_times("0"))


async def _bare(world: World) -> float:
    """Seconds for a bare `discord.Client` to post every server's message, `FLOOR_IN_FLIGHT` at a time."""
    lead = parse_lead_times("0")[0]
    messages = [
        (
            int(channel.id),
            compose(world.release, world.release_at, world.release_at, lead, _config(g, channel, role), "this server"),
        )
        for g, channel, role in world.servers
    ]
    point_at(world.fd)
    client = discord.Client(intents=intents())
    async with client:
        await client.login(fake_token())

        async def post(channel_id: int, message: ReminderMessage) -> None:
            await client.get_partial_messageable(channel_id).send(
                message.content, embed=to_embed(message), allowed_mentions=allowed_mentions(message),
                nonce=f"{channel_id}"[-25:],
            )  # fmt: skip

        started = time.perf_counter()
        await bounded([partial(post, c, m) for c, m in messages], FLOOR_IN_FLIGHT)
        return time.perf_counter() - started


async def _bot(world: World) -> float:
    """Seconds from the clock's jump to the release until Discord accepted every server's post from the bot."""
    catalogue = dataclasses.replace(load_catalogue(), releases=(world.release,))
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        await seed(path, [_config(g, channel, role) for g, channel, role in world.servers])
        settings = point_at(world.fd, path)
        clock = SystemClock()
        async with Database.open(path) as db, bot_session(settings, db, catalogue, clock) as bot:
            dispatcher = bot.service(current(Reminders)).dispatcher
            dispatcher.start()  # what on_ready does; the bot is not connected to the gateway
            await bot.wait_idle()  # the start-up replanning is done and nothing is due yet
            started = time.perf_counter()
            clock.jump_to(world.release_at)
            await _all_posted(world.fd, len(world.servers), timeout=60 + len(world.servers) / 20)
            elapsed = time.perf_counter() - started
            await dispatcher.wait_idle()
            return elapsed


async def seed(path: Path, configs: Sequence[GuildConfig]) -> None:
    """Servers configured before the bot starts, as if by moderators in an earlier run (one transaction)."""
    async with Database.open(path) as db, db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_guilds (guild_id, channel_id, role_id, zone, lead_times, template, enabled, "
            "updated_at) VALUES (?, ?, ?, ?, ?, NULL, 1, 0)",
            [(c.guild_id, c.channel_id, c.role_id, c.zone, format_lead_times(c.lead_times)) for c in configs],
        )


def point_at(fd: FakeDiscord, database: Path | None = None) -> Settings:
    """Settings for the emulator, with discord.py's REST and gateway pointed at it.

    The bot paces itself to the emulator's global limit, or to `UNLIMITED_RATE` when it has none.
    """
    rate = fd.global_rate_limit.rate if fd.global_rate_limit is not None else UNLIMITED_RATE
    settings = load_settings(
        {
            "DISCORD_TOKEN": fake_token(), "DATABASE_PATH": str(database or "unused.sqlite3"),
            "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url,
            "DISCORD_GLOBAL_RATE": str(rate),
        }
    )  # fmt: skip
    apply_endpoints(settings)
    return settings


class StormBot(HeatedRivalryBot):
    """The bot as the storm measures it: logged in over REST only, every server taken as available (the gateway,
    which would say so, is the start-up benchmark's subject, not this one's)."""

    def presence(self, guild_id: int) -> Presence:
        return Presence.AVAILABLE


@contextlib.asynccontextmanager
async def bot_session(
    settings: Settings, db: Database, catalogue: Catalogue, clock: SystemClock
) -> AsyncIterator[HeatedRivalryBot]:
    """The bot logged in over REST with its features loaded (start-up replanning included), not connected."""
    async with StormBot(settings=settings, db=db, catalogue=catalogue, clock=clock, sync_on_start=False) as bot:
        await bot.login(fake_token())  # runs setup_hook: the features load
        yield bot


async def _all_posted(fd: FakeDiscord, count: int, timeout: float) -> None:  # noqa: ASYNC109
    """Until the emulator accepted `count` message posts (each request is looked at once)."""
    seen, accepted = 0, 0
    deadline = time.perf_counter() + timeout
    while accepted < count:
        requests = fd.requests
        for request in requests[seen:]:
            if request.method == "POST" and request.route == MESSAGES and 200 <= (request.status or 0) < 300:
                accepted += 1
        seen = len(requests)
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {accepted} of {count} posts were accepted in {timeout:.0f} s")
        await asyncio.sleep(0.01)


BENCHMARKS = (storms,)
