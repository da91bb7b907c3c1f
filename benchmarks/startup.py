"""Start-up with many servers: time to ready and memory per server, the bot beside a bare discord.py client.

Each run is its own process (`python -m benchmarks.startup KIND SERVERS SHARDS`, printing one JSON line) so
that memory is measured from a clean heap: the resident set after every shard is ready minus the one
before the client started, both after a full garbage collection. The emulator recommends `shards` shards;
the bare floor is `discord.AutoShardedClient` with the bot's intents and caches. The bot starts with every
server configured for reminders (default lead times) in its database.

Targets (issue 12): ready ≤ 1.5× the bare client; ≤ 20 KB per extra server (the difference between
`servers` and a tenth of it, so fixed costs cancel).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import discord

from benchmarks.core import Figure, Scale, failed_figure, ratio_figure
from benchmarks.emulated import emulator, spread_guilds
from benchmarks.storms import seed
from bot.bot import intents
from bot.catalogue import load_catalogue
from bot.demo.harness import emulated_bot, fake_token
from bot.endpoints import apply_endpoints
from bot.settings import load_settings
from cogs.reminders.store import GuildConfig
from fakediscord import FakeDiscord

READY_TIMEOUT_S = 180.0


async def startup(scale: Scale) -> list[Figure]:
    small = max(1, scale.startup // 10)
    runs = {
        (kind, servers): await _in_process(kind, servers, scale.shards)
        for kind in ("bare", "bot")
        for servers in (small, scale.startup)
    }
    name = f"start-up to ready, {scale.startup:,} servers configured, {scale.shards} shards"
    memory = f"memory per extra server ({small:,} → {scale.startup:,})"
    failure = next((r["error"] for r in runs.values() if r["error"]), None)
    if failure is not None:
        return [failed_figure(name, failure, "≤ 1.5×"), failed_figure(memory, failure, "≤ 20 KB")]

    def per_server(kind: str) -> float:
        grown: int = runs[(kind, scale.startup)]["rss"] - runs[(kind, small)]["rss"]
        return max(grown, 1) / (scale.startup - small) / 1024

    bot_kb, bare_kb = per_server("bot"), per_server("bare")
    ready = runs[("bot", scale.startup)]["ready_s"], runs[("bare", scale.startup)]["ready_s"]
    return [
        ratio_figure(name, ready[0], "s", ready[1], "bare AutoShardedClient", at_most=1.5),
        Figure(memory, bot_kb, "KB", bare_kb, "bare AutoShardedClient", bot_kb / bare_kb, "≤ 20 KB", bot_kb <= 20),
    ]


async def _in_process(kind: str, servers: int, shards: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.startup", kind, str(servers), str(shards),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        last = err.decode().strip().splitlines()[-1:] or ["no output"]
        return {"ready_s": None, "rss": None, "error": f"{kind} run failed: {last[0][:200]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _rss() -> int:
    """This process's resident set in bytes (Linux /proc; elsewhere the peak, which only grows)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def measure(kind: str, servers: int, shards: int) -> dict[str, Any]:
    """{"ready_s" (to `on_ready`), "rss" (bytes grown from before the start), "error" (None, or why not ready)}."""
    async with emulator(shards=shards) as fd:
        guilds = spread_guilds(fd, servers, shards)
        with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
            path = Path(folder) / "bench.sqlite3"
            if kind == "bot":
                await seed(path, [GuildConfig(int(g.id), channel_id=int(g.system_channel.id)) for g in guilds])
            gc.collect()
            before = _rss()
            started = time.perf_counter()
            try:
                if kind == "bot":
                    async with emulated_bot(
                        fd, fake_token(), path, load_catalogue(), ready_timeout=READY_TIMEOUT_S, guild_ready_timeout=2.0
                    ) as bot:
                        await bot.wait_until_ready()
                        return _ready(started, before)
                return await _bare(fd, started, before)
            except (AssertionError, RuntimeError, discord.DiscordException) as error:
                closed = fd.gateway.closed_with
                return {"ready_s": None, "rss": None, "error": f"{type(error).__name__}; gateway closes {closed}"}


async def _bare(fd: FakeDiscord, started: float, before: int) -> dict[str, Any]:
    apply_endpoints(load_settings({"DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url}))
    client = discord.AutoShardedClient(
        intents=intents(), member_cache_flags=discord.MemberCacheFlags.none(), chunk_guilds_at_startup=False,
        max_messages=None,
    )  # fmt: skip
    async with client:
        runner = asyncio.create_task(client.start(fake_token()))
        await fd.wait_until_ready(timeout=READY_TIMEOUT_S)
        await client.wait_until_ready()
        result = _ready(started, before)
        await client.close()
        await runner
        return result


def _ready(started: float, before: int) -> dict[str, Any]:
    elapsed = time.perf_counter() - started
    gc.collect()
    return {"ready_s": elapsed, "rss": _rss() - before, "error": None}


BENCHMARKS = (startup,)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))))
