"""Several processes on one PostgreSQL (issue 23): a storm shared under the token's global rate, and a dead process.

- **A storm of `scale.shard_storm` servers over 2 processes** (shards 0-1 and 2-3 of 4, servers spread evenly) under
  the emulator's sliding `scale.global_rate`/s limit, which counts per token as Discord does: posts per second against
  the limit (target ≥ 0.9×) and the share of requests refused with 429 (target ≤ 1 %). Measured twice, once per way
  of sharing the rate (`bot.leases.global_pace`): the bucket shared in PostgreSQL (`SharedRate`, the bot's) and each
  process pacing at its share (`SHARD_IDS / SHARD_COUNT` of the rate); then a storm falling on one process's servers
  alone (`scale.paced_storm` servers), where a share leaves the other half of the rate unused. The two processes are
  two bots in this process (REST only, as `storms.py`'s), each with its own database connections, HTTP client and
  pacer: what they share is what two processes share, the database and the token.
- **The time to serve a dead process's shards again**: two `python -m bot` processes against the emulator's
  four-shard gateway; one is SIGKILLed and started again; the seconds from its start to its two shards READY again
  (target ≤ 60 s, the issue's), most of it the IDENTIFY turns of 5 s.

Every storm checks exactly once (each channel holds one post), else the run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence

from benchmarks.core import Figure, Scale, failed_figure, rate_figure
from benchmarks.emulated import current, emulator, spread_guilds
from benchmarks.storms import AHEAD_S, StormBot, _all_posted
from bot.catalogue import Confidence, Release, load_catalogue
from bot.clock import SystemClock
from bot.db import Database
from bot.demo.harness import fake_token
from bot.endpoints import apply_endpoints
from bot.leases import global_pace
from bot.settings import load_settings
from bot.shards import shard_of
from cogs.reminders.service import Reminders
from fakediscord import Channel, FakeDiscord
from tests.postgres import NoServer, Server, running

SHARDS = 4
RANGES = ("0-1", "2-3")
RESTART_SERVERS = 100  # servers of the dead-process measure (its time is the IDENTIFY turns, not the servers)


async def shard_storms(scale: Scale) -> list[Figure]:
    name = f"storm of {scale.shard_storm:,} servers over 2 processes, shared {scale.global_rate}/s"
    try:
        with running() as postgres:
            shared = await _storm(postgres, scale.shard_storm, scale.global_rate, shared=True, lopsided=False)
            share = await _storm(postgres, scale.shard_storm, scale.global_rate, shared=False, lopsided=False)
            lopsided = await _storm(postgres, scale.paced_storm, scale.global_rate, shared=True, lopsided=True)
            lopsided_share = await _storm(postgres, scale.paced_storm, scale.global_rate, shared=False, lopsided=True)
            again = await _served_again(postgres)
    except NoServer as missing:
        return [failed_figure(name, str(missing), "≥ 0.9×")]
    limit = float(scale.global_rate)
    figures: list[Figure] = []
    for label, (rate, refused, sent) in (
        (f"{name} (bucket in PostgreSQL, the bot's)", shared),
        (f"{name} (each process its share)", share),
        (f"storm of {scale.paced_storm:,} servers on one process's shards (bucket in PostgreSQL)", lopsided),
        (f"storm of {scale.paced_storm:,} servers on one process's shards (each process its share)", lopsided_share),
    ):
        figures.append(rate_figure(label, rate, "posts/s", limit, "the limit", at_least=0.9))
        part = refused / max(1, sent + refused)
        figures.append(
            Figure(f"429s in that storm ({refused} of {sent + refused} requests)", part * 100, "%", target="≤ 1 %",
                   met=part <= 0.01)
        )  # fmt: skip
    figures.append(
        Figure("a dead process's shards served again, from its restart", again, "s", target="≤ 60 s", met=again <= 60)
    )
    return figures


async def _storm(
    postgres: Server, count: int, global_rate: int, *, shared: bool, lopsided: bool
) -> tuple[float, int, int]:
    """(posts per second, requests refused with 429, posts accepted) for one storm of `count` servers over two bots."""
    database = postgres.create_database()
    url = postgres.url(database)
    try:
        async with emulator(global_rate=global_rate, shards=SHARDS) as fd:
            guilds = spread_guilds(fd, count * (2 if lopsided else 1), SHARDS)
            if lopsided:  # every server on the first process's shards
                guilds = [g for g in guilds if shard_of(int(g.id), SHARDS) < 2][:count]
            channels = {int(g.id): g.add_text_channel("releases") for g in guilds}
            await _seed(url, channels)
            moment = dt.datetime.fromtimestamp(int(time.time()) + AHEAD_S, dt.UTC)
            release = Release(
                id="storm", title="Storm drop", kind="single", date=moment.date(), time=moment.time(), zone="UTC",
                link=None, description=None, status=None, confidence=Confidence.MULTI, sources=(),
            )  # fmt: skip
            clocks = [SystemClock() for _ in RANGES]
            async with contextlib.AsyncExitStack() as stack:
                bots = [
                    await stack.enter_async_context(_process(fd, url, shard_ids, release, clock, shared=shared))
                    for shard_ids, clock in zip(RANGES, clocks, strict=True)
                ]
                for bot in bots:
                    await bot.wait_idle()
                started = time.perf_counter()
                for clock in clocks:
                    clock.jump_to(int(moment.timestamp()))
                await _all_posted(fd, len(channels), timeout=60 + len(channels) / 20)
                elapsed = time.perf_counter() - started
                for bot in bots:
                    await bot.wait_idle()
            posts = [len(fd.channel_messages(channel)) for channel in channels.values()]
            if posts != [1] * len(channels):
                lost, doubled = posts.count(0), sum(1 for p in posts if p > 1)
                raise AssertionError(f"shard storm: {lost} servers got no post, {doubled} several")
            return len(channels) / elapsed, fd.global_429s, len(channels)
    finally:
        postgres.drop_database(database)


async def _seed(url: str, channels: dict[int, Channel]) -> None:
    async with Database.open(url) as db, db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_guilds (guild_id, channel_id, role_id, zone, lead_times, template, enabled, "
            "updated_at) VALUES (?, ?, NULL, 'UTC', '0', NULL, 1, 0)",
            [(guild_id, int(channel.id)) for guild_id, channel in channels.items()],
        )


@contextlib.asynccontextmanager
async def _process(
    fd: FakeDiscord, url: str, shard_ids: str, release: Release, clock: SystemClock, *, shared: bool
) -> AsyncIterator[StormBot]:
    """One of the two processes: its settings, its own database connections and pacer, logged in over REST."""
    settings = load_settings(
        {
            "DISCORD_TOKEN": fake_token(), "DATABASE_URL": url, "DISCORD_API_BASE": fd.api_base,
            "DISCORD_GATEWAY_URL": fd.gateway_url, "DISCORD_GLOBAL_RATE": str(fd.global_rate_limit.rate if
            fd.global_rate_limit else 50), "SHARD_COUNT": str(SHARDS), "SHARD_IDS": shard_ids,
        }
    )  # fmt: skip
    apply_endpoints(settings)
    catalogue = dataclasses.replace(load_catalogue(), releases=(release,))
    async with Database.open(url) as db:
        pace = global_pace(settings, db, shared=shared)
        async with StormBot(
            settings=settings, db=db, catalogue=catalogue, clock=clock, sync_on_start=False, pace=pace
        ) as bot:
            await bot.login(fake_token())
            bot.service(current(Reminders)).dispatcher.start()
            yield bot


async def _served_again(postgres: Server) -> float:
    """Seconds from a SIGKILLed process's restart until its shards are READY again."""
    url = postgres.url(postgres.create_database())
    async with emulator(shards=SHARDS) as fd:
        spread_guilds(fd, RESTART_SERVERS, SHARDS)
        with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))},
                "DISCORD_TOKEN": fake_token(), "DATABASE_URL": url, "DATABASE_PATH": f"{folder}/unused.sqlite3",
                "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url, "LOG_LEVEL": "WARNING",
                "SHARD_COUNT": str(SHARDS),
            }  # fmt: skip
            processes: list[asyncio.subprocess.Process] = []

            async def start(shard_ids: str) -> asyncio.subprocess.Process:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", cwd=folder, env={**env, "SHARD_IDS": shard_ids},
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                processes.append(process)
                return process

            try:
                first = await start(RANGES[0])
                await start(RANGES[1])
                await fd.wait_until_ready(timeout=120)
                first.send_signal(signal.SIGKILL)
                await first.wait()
                started = time.perf_counter()
                await start(RANGES[0])
                await fd.gateway.wait_for(lambda: _ready_again(fd, (0, 1)), timeout=120)
                return time.perf_counter() - started
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                    await process.wait()


def _ready_again(fd: FakeDiscord, shards: Sequence[int]) -> bool:
    return all(fd.gateway.identify_counts.get(s) == 2 and fd.gateway.shards[s].ready for s in shards)


BENCHMARKS = (shard_storms,)
