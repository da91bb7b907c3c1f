"""A party storm: `scale.paced_storm` servers start a listening party at the same instant, under the emulator's
sliding `scale.global_rate` req/s global limit (Discord's 50/s), compared with that limit itself.

The bot logs in over REST only, as in the release storms (`storms.py`), with every server's party scheduled (one
transaction, as if by moderators in an earlier run); its clock then jumps to the parties' start. Two figures:

- the starts: each party's start message and the thread opened on it, in requests per second;
- the cues: once every thread is open, the clock jumps to when the last party's track 1 is due, so every
  server's cue is due at once (a party whose start the pacer made later has its timeline moved with it), in
  cues per second.

Targets: ≥ 0.9× the limit, ≤ 1 % of requests refused with 429, and exactly once: every channel holds one start
message and every thread one cue (0 duplicates, 0 losses), else the run fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from benchmarks.core import Figure, Scale, rate_figure
from benchmarks.emulated import current, emulator
from benchmarks.storms import bot_session, point_at
from bot.catalogue import load_catalogue
from bot.clock import SystemClock
from bot.db import Database
from bot.releases import Origin
from cogs.party.service import PartyService
from fakediscord import Channel, FakeDiscord

AHEAD_S = 24 * 3600  # the parties start this far ahead of the real clock; the bot's clock jumps there
MESSAGES = "/channels/{channel_id}/messages"
THREADS = "/channels/{channel_id}/messages/{message_id}/threads"


async def party_storm(scale: Scale) -> list[Figure]:
    count, limit = scale.paced_storm, float(scale.global_rate)
    async with emulator(global_rate=scale.global_rate) as fd:
        channels = [fd.add_guild(f"Fan server {n}").add_text_channel("listening-party") for n in range(count)]
        start_at = int(time.time()) + AHEAD_S
        starts_s, cues_s = await _run(fd, channels, start_at)
        _check_exactly_once(fd, channels)
        refused, accepted = fd.global_429s, sum(1 for r in fd.requests if 200 <= (r.status or 0) < 300)
    share = refused / max(1, accepted + refused)
    return [
        rate_figure(
            f"party storm, {count:,} servers starting at once, global limit {scale.global_rate}/s: start messages "
            "and threads", 2 * count / starts_s, "requests/s", limit, "the limit", at_least=0.9,
        ),
        rate_figure(
            f"party storm, {count:,} servers: track 1's cues due at once", count / cues_s, "cues/s", limit,
            "the limit", at_least=0.9,
        ),
        Figure(
            f"429s in the party storm ({refused} of {accepted + refused} requests)", share * 100, "%",
            target="≤ 1 %", met=share <= 0.01,
        ),
    ]  # fmt: skip


async def _run(fd: FakeDiscord, channels: list[Channel], start_at: int) -> tuple[float, float]:
    """Seconds for every start (message and thread), then for every cue once all are due."""
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        await seed(path, channels, start_at)
        settings = point_at(fd, path)
        clock = SystemClock()
        async with Database.open(path) as db, bot_session(settings, db, catalogue, clock) as bot:
            runner = bot.service(current(PartyService)).runner
            runner.start()  # what on_ready does; the bot is not connected to the gateway
            await runner.wait_idle()
            started = time.perf_counter()
            clock.jump_to(start_at)
            await _accepted(fd, THREADS, len(channels), timeout=60 + len(channels) / 10)
            starts_s = time.perf_counter() - started
            await runner.wait_idle()
            row = await db.read.fetchone("SELECT MAX(due_at) FROM parties WHERE state = 'running'")
            assert row is not None and row[0] is not None
            cues_before = _count(fd, MESSAGES)
            started = time.perf_counter()
            clock.jump_to(int(row[0]))
            await _accepted(fd, MESSAGES, cues_before + len(channels), timeout=60 + len(channels) / 10)
            cues_s = time.perf_counter() - started
            await runner.wait_idle()
            return starts_s, cues_s


async def seed(path: Path, channels: list[Channel], start_at: int) -> None:
    """A party of tracks 1 and 2 in every server, each its server's own release (as `/party-admin schedule` makes
    them), in one transaction."""
    moment = dt.datetime.fromtimestamp(start_at, dt.UTC)
    rows = [(int(channel.guild.id), int(channel.id)) for channel in channels]
    async with Database.open(path) as db, db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO server_release_numbers (guild_id, last) VALUES (?, 1)", [(g,) for g, _c in rows]
        )
        await conn.executemany(
            "INSERT INTO reminder_releases (guild_id, number, title, date, time, created_at, kind, zone) "
            "VALUES (?, 1, 'Album night', ?, ?, 0, ?, 'UTC')",
            [(g, moment.date().isoformat(), f"{moment:%H:%M}", Origin.PARTY.value) for g, _c in rows],
        )
        await conn.executemany(
            "INSERT INTO parties (guild_id, release, title, start_at, play, picks, advance, channel_id, host_id, "
            "state, due_at, created_at, updated_at) VALUES (?, 1, 'Album night', ?, 'tracks', ?, 'timed', ?, ?, "
            "'scheduled', ?, 0, 0)",
            [(g, start_at, json.dumps([1, 2]), c, g, start_at) for g, c in rows],
        )


def _count(fd: FakeDiscord, route: str) -> int:
    return sum(1 for r in fd.requests if r.method == "POST" and r.route == route and 200 <= (r.status or 0) < 300)


async def _accepted(fd: FakeDiscord, route: str, count: int, timeout: float) -> None:  # noqa: ASYNC109
    """Until the emulator accepted `count` POSTs to `route` in all."""
    deadline = time.perf_counter() + timeout
    while (accepted := _count(fd, route)) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {accepted} of {count} POSTs to {route} were accepted in {timeout:.0f} s")
        await asyncio.sleep(0.05)


def _check_exactly_once(fd: FakeDiscord, channels: list[Channel]) -> None:
    """Each channel holds one start message, and each party's thread one cue; else the run fails."""
    starts, cues = [], []
    for channel in channels:
        threads = list(channel.guild.threads.values())
        starts.append(sum(1 for m in fd.channel_messages(channel) if _footer(m.embeds).startswith("Listening")))
        cues.append(sum(1 for t in threads for m in fd.channel_messages(t) if " · track " in _footer(m.embeds)))
    if starts != [1] * len(channels) or cues != [1] * len(channels):
        raise AssertionError(
            f"party storm: {starts.count(0)} servers without a start message, {sum(s > 1 for s in starts)} with "
            f"several; {cues.count(0)} without track 1's cue, {sum(c > 1 for c in cues)} with several"
        )


def _footer(embeds: list[dict[str, object]]) -> str:
    footer = embeds[0].get("footer") if embeds else None
    return str(footer.get("text", "")) if isinstance(footer, dict) else ""


BENCHMARKS = (party_storm,)
