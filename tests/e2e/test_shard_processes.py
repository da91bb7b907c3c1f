"""Two bot processes, two shards each, one PostgreSQL, the emulator's four-shard gateway (issue 23).

1,000 servers have a post due at the same instant. One process is SIGKILLed mid-storm and started again: every post
goes out exactly once, none is lost, the other process never posts for the dead one's servers, and the dead one's
shards are served again (their sessions READY) within 60 s of its restart (the time is printed: `-s` shows it). A
third process given a shard that is already run waits, with a WARNING naming the process that runs it, and never
IDENTIFYs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import asyncpg
import pytest

from benchmarks.emulated import spread_guilds
from bot.db import Database
from bot.demo.harness import fake_token
from bot.shards import shard_of
from fakediscord import Channel, FakeDiscord
from tests.e2e.test_reminders import eventually

pytestmark = pytest.mark.slow

SHARDS = 4
SERVERS = 1_000
RANGES = {"first": "0-1", "second": "2-3"}
START_S = 45  # the release is this far ahead: both processes connect their shards first (4 IDENTIFYs, 5 s apart)
SERVED_AGAIN_S = 60  # the requirement, from the restart to the dead process's shards READY again

STORM_OVERLAY = """
[[releases]]
id = "storm"
title = "Storm drop"
kind = "single"
date = {date}
time = {time}
zone = "UTC"
confidence = "multi"
sources = ["joblo"]
"""


@pytest.fixture
async def fd() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=fake_token(), settle=0.05, shards=SHARDS, global_rate=50, openapi=False) as emulator:
        yield emulator
        assert emulator.violations == [], f"the bot broke Discord's rules: {emulator.violations}"


class Processes:
    """`python -m bot` processes on one PostgreSQL, each with its shard range; stderr goes to a file per process."""

    def __init__(self, fd: FakeDiscord, folder: Path, url: str, overlay: Path) -> None:
        self.folder = folder
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_", "SHARD_"))},
            "DISCORD_TOKEN": fake_token(), "DATABASE_URL": url, "DATABASE_PATH": str(folder / "unused.sqlite3"),
            "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url, "CATALOGUE_PATH": str(overlay),
            "LOG_LEVEL": "INFO", "SHARD_COUNT": str(SHARDS),
        }  # fmt: skip
        self.running: list[asyncio.subprocess.Process] = []

    async def start(self, name: str, shard_ids: str, *, stderr: int | None = None) -> asyncio.subprocess.Process:
        log = (self.folder / f"{name}.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.folder, env={**self.env, "SHARD_IDS": shard_ids},
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr if stderr is not None else log,
        )  # fmt: skip
        log.close()
        self.running.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text("utf-8", errors="replace")

    async def close(self) -> None:
        for process in self.running:
            if process.returncode is None:
                process.kill()
            await process.communicate()


def storm_overlay(folder: Path, moment: dt.datetime) -> Path:
    path = folder / "storm.toml"
    path.write_text(STORM_OVERLAY.format(date=moment.date(), time=moment.strftime("%H:%M:%S")), "utf-8")
    return path


async def seed(url: str, channels: Mapping[int, Channel]) -> None:
    """Every server configured before the bot starts (as moderators did earlier): reminders at the release moment."""
    async with Database.open(url) as db, db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_guilds (guild_id, channel_id, role_id, zone, lead_times, template, enabled, "
            "updated_at) VALUES (?, ?, NULL, 'UTC', '0', NULL, 1, 0)",
            [(guild_id, int(channel.id)) for guild_id, channel in channels.items()],
        )


def posts_requested(fd: FakeDiscord) -> dict[str, int]:
    """POSTs of a message that Discord accepted (not those refused with 429, which discord.py sends again), by channel."""
    counts: dict[str, int] = {}
    for request in fd.requests:
        if request.method == "POST" and request.route == "/channels/{channel_id}/messages" and request.status == 200:
            channel_id = request.path.split("/")[2]
            counts[channel_id] = counts.get(channel_id, 0) + 1
    return counts


async def pending_posts(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        sql = "SELECT count(*) FROM reminder_posts WHERE state = 'pending' AND release_id = 'storm'"
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def test_two_processes_share_a_storm_and_a_killed_one_is_served_again_without_a_post_lost_or_doubled(
    fd: FakeDiscord, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    channels = {int(g.id): g.add_text_channel("releases") for g in spread_guilds(fd, SERVERS, SHARDS)}
    await seed(postgres_url, channels)
    moment = dt.datetime.fromtimestamp(int(time.time()) + START_S, dt.UTC)
    processes = Processes(fd, tmp_path, postgres_url, storm_overlay(tmp_path, moment))
    try:
        first = await processes.start("first", RANGES["first"])
        await processes.start("second", RANGES["second"])
        await fd.wait_until_ready(timeout=START_S)
        assert fd.gateway.identify_counts == dict.fromkeys(range(SHARDS), 1), "each shard run by one process"
        assert fd.gateway.early_identifies == [], "IDENTIFYs 5 s apart across the two processes"

        def posted(servers: Callable[[int], bool]) -> int:
            return sum(1 for g, c in channels.items() if servers(g) and fd.channel_messages(c))

        firsts = {g for g in channels if shard_of(g, SHARDS) < 2}
        await eventually(lambda: posted(firsts.__contains__) >= 60, timeout=START_S + 60)
        first.send_signal(signal.SIGKILL)  # mid-storm: no chance to record, close or release anything
        await first.wait()
        killed_at = len(fd.requests)
        restarted = time.perf_counter()
        await processes.start("first-again", RANGES["first"])
        await fd.gateway.wait_for(
            lambda: (
                all(s in fd.gateway.shards and fd.gateway.shards[s].ready for s in (0, 1))
                and fd.gateway.identify_counts.get(0) == 2
                and fd.gateway.identify_counts.get(1) == 2
            ),
            timeout=SERVED_AGAIN_S,
        )
        served_again = time.perf_counter() - restarted
        with capsys.disabled():
            print(f"\nthe killed process's shards were served again {served_again:.1f} s after its restart")

        await eventually(lambda: posted(lambda _g: True) == SERVERS, timeout=120)
        async with asyncio.timeout(60):
            while await pending_posts(postgres_url):  # noqa: ASYNC110 - the bots' own record, in another process
                await asyncio.sleep(0.2)
        messages = {g: len(fd.channel_messages(c)) for g, c in channels.items()}
        assert sorted(set(messages.values())) == [1], "every server's post exactly once, none lost"
        requested = posts_requested(fd)
        seconds = [g for g in channels if g not in firsts]
        assert all(requested.get(str(channels[g].id)) == 1 for g in seconds), (
            "the second process posted each of its servers once, and never one of the first's"
        )
        assert len(fd.requests) > killed_at

        conn = await asyncpg.connect(postgres_url)
        try:
            departed = await conn.fetchval("SELECT count(*) FROM guild_departures")
        finally:
            await conn.close()
        assert departed == 0, "no process took another's servers for servers it had left"

        # A third process given a shard that is already run waits, and never IDENTIFYs it.
        identified = dict(fd.gateway.identify_counts)
        third = await processes.start("third", "1", stderr=asyncio.subprocess.PIPE)
        assert third.stderr is not None
        async with asyncio.timeout(30):
            while b"shard 1 of 4 is run by another process" not in (line := await third.stderr.readline()):
                assert line, processes.log("third")
        assert b"WARNING" in line and b"heated-rivalry-bot pid" in line, line
        assert fd.gateway.identify_counts == identified, "the third process identified nothing"
        third.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(third.communicate(), 20)
        assert third.returncode == 0, rest.decode()
        assert fd.gateway.identify_counts == identified
        for name in ("second", "first-again"):
            assert "Traceback" not in processes.log(name), processes.log(name)
    finally:
        await processes.close()
