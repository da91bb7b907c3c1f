"""Driving the emulator for the benchmarks: fan servers, the bot beside a trivial command, and timed interactions.

`interact` sends one interaction the way `fakediscord.Member.run` does, minus the autocomplete round trips
`run` makes first, so a command's time is its own; it returns the seconds from Discord's dispatch to the
answer the member reads: the initial response when it is the answer, else the edit that replaces a deferred
"thinking…" (whichever way a command answers, the time is what the member waits).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from benchmarks.trivial import EXTENSION
from bot.bot import EXTENSIONS, HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord, Guild, Member
from fakediscord.commands import build_data, canonical_values, find_command
from fakediscord.interactions import APPLICATION_COMMAND, AUTOCOMPLETE
from fakediscord.snowflake import DISCORD_EPOCH_MS

T = TypeVar("T")
ANSWER_TIMEOUT_S = 15.0  # a deferred answer later than this fails the run (Discord would wait 15 minutes)


def emulator(**options: Any) -> FakeDiscord:
    """The emulator as the benchmarks use it: no quiet period after an answer, no OpenAPI check (plumbing only)."""
    return FakeDiscord(token=fake_token(), settle=0.0, max_wait=0.0, openapi=False, **options)


@contextlib.asynccontextmanager
async def running_bot(fd: FakeDiscord, catalogue: Catalogue) -> AsyncIterator[HeatedRivalryBot]:
    """The real bot on a temp database, with `/ping` loaded beside its features, once `on_ready` has fired."""
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        async with emulated_bot(
            fd, fake_token(), Path(folder) / "bench.sqlite3", catalogue, extensions=(*EXTENSIONS, EXTENSION)
        ) as bot:
            await bot.wait_until_ready()
            yield bot


async def interact(member: Member, command: str, values: Mapping[str, Any], *, focused: str | None = None) -> float:
    """Run `command` (or, with `focused`, autocomplete that option) as `member`; seconds until it is answered.

    Raises AssertionError when the bot does not answer within Discord's 3 s or Discord rejects the answer.
    """
    fd = member._fd
    guild, record = member.guild, member.record
    resolved = find_command(fd.world, guild, record, command)
    data = build_data(
        fd.world, guild, record, resolved, canonical_values(resolved, record.locale, values), focused=focused
    )
    interaction = fd.interactions.create(
        AUTOCOMPLETE if focused else APPLICATION_COMMAND,
        guild=guild, channel=guild.system_channel, member=record, data=data, label=resolved.display,
    )  # fmt: skip
    await fd._run(interaction)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + ANSWER_TIMEOUT_S
    while interaction.loading and loop.time() < give_up:  # deferred: the answer is the edit that follows
        await interaction.wait_activity(give_up - loop.time())
    if interaction.rejected or interaction.dispatched_at is None or interaction.loading:
        raise AssertionError(f"{resolved.display}: {interaction.rejected or 'no answer'}")
    return interaction.last_activity - interaction.dispatched_at


async def bounded(calls: Sequence[Callable[[], Awaitable[T]]], in_flight: int) -> list[T]:
    """Await every call, at most `in_flight` at once, in order of start; results in the order of `calls`."""
    gate = asyncio.Semaphore(in_flight)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """Run a timed pass over a settled heap: what is alive before it is collected and frozen (`gc.freeze`),
    so the garbage collector scans only what the pass itself allocates; unfrozen after it.

    The emulator keeps every request, interaction and message it has seen (about 65 objects per interaction),
    which no deployed bot carries. Without this, each full collection rescans the whole run's history: by
    the ballots ~1M objects and 0.4-0.7 s per collection, 3 to 7 of them per 2,000 interactions at 200 in
    flight, up to half a pass's time, falling on the floor's pass or the figure's by chance (the same pair
    of passes measured 0.60× to 0.93×). Floor and figures are timed alike.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def current(kind: type[T]) -> type[T]:
    """`kind` as loaded now: closing a bot unloads its extensions, and the next bot imports their modules afresh."""
    return cast(type[T], getattr(importlib.import_module(kind.__module__), kind.__qualname__))


def spread_guilds(fd: FakeDiscord, count: int, shards: int) -> list[Guild]:
    """`count` guilds whose ids fall evenly on `shards` shards (`(id >> 22) % shards`: the id's millisecond).

    Ids made in a tight loop share milliseconds, and so shards, unevenly; one shard over 2,500 guilds is
    closed with 4011. Moving the emulator's clock to a millisecond of the least loaded shard before each
    guild keeps them within one or two of each other.
    """
    loads = [0] * shards
    guilds = []
    for n in range(count):
        target = min(range(shards), key=loads.__getitem__)
        now_ms = int(fd.clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        fd.clock.advance(((target - now_ms) % shards) / 1000)
        guild = fd.add_guild(f"Fan server {n}")
        loads[(int(guild.id) >> 22) % shards] += 1
        guilds.append(guild)
    return guilds
