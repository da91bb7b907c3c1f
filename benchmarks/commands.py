"""What fans feel: a command's time from Discord's dispatch to the bot's answer, and ballots per second.

Every figure is compared with `/ping` (benchmarks/trivial.py), a command with no work of its own, measured in
the same run through the same emulator and bot, so the emulator's and discord.py's share cancels out.
Targets (issue 12): median ≤ 1.5× and p99 ≤ 2× the trivial command at 1 and at `scale.in_flight` in
flight; ballots end to end ≥ 0.8× the trivial command's rate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from benchmarks.core import Figure, Scale, percentile, rate_figure, ratio_figure
from benchmarks.emulated import bounded, current, emulator, interact, running_bot, settled_heap
from bot.catalogue import load_catalogue
from cogs.poll.service import PollService
from fakediscord import Member

TRIVIAL: tuple[str, Mapping[str, Any], str | None] = ("/ping", {}, None)
# (label, command, option values, focused option for an autocomplete)
MEASURED: tuple[tuple[str, str, Mapping[str, Any], str | None], ...] = (
    ("/poll vote", "/poll vote", {"track": "rivalry"}, None),
    ("/releases upcoming", "/releases upcoming", {}, None),
    ("/soundtrack about", "/soundtrack about", {}, None),
    ("autocomplete /releases countdown", "/releases countdown", {"release": "vin"}, "release"),
)


async def interactions(scale: Scale) -> list[Figure]:
    catalogue = load_catalogue()
    tracks = [t.id for t in catalogue.tracks_in_order()]
    async with emulator() as fd:
        guilds = [fd.add_guild(f"Fan server {n}") for n in range(scale.servers)]
        members = [guilds[n % len(guilds)].add_member(f"Fan {n}") for n in range(scale.members)]
        async with running_bot(fd, catalogue) as bot:

            def calls(
                command: str, values: Mapping[str, Any], focused: str | None, count: int
            ) -> list[Callable[[], Awaitable[float]]]:
                return [
                    partial(interact, members[n % len(members)], command, values, focused=focused) for n in range(count)
                ]

            async def passes(command: str, values: Mapping[str, Any], focused: str | None) -> dict[int, list[float]]:
                """One timed pass at 1 in flight and one at `scale.in_flight`, each over a settled heap."""
                with settled_heap():
                    alone = await bounded(calls(command, values, focused, scale.samples), 1)
                with settled_heap():
                    loaded = await bounded(calls(command, values, focused, 3 * scale.in_flight), scale.in_flight)
                return {1: alone, scale.in_flight: loaded}

            async def paired(
                command: str, values: Mapping[str, Any], focused: str | None
            ) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
                """The floor's samples and the command's, by concurrency: `scale.rounds` passes of each, the
                floor's right before the command's, pooled. A machine's drift (other work, the emulator's
                growing history) lands on both alike instead of on whichever ran later."""
                await bounded(calls(command, values, focused, 5), 1)  # warm up
                floor: dict[int, list[float]] = {1: [], scale.in_flight: []}
                measured: dict[int, list[float]] = {1: [], scale.in_flight: []}
                for _ in range(scale.rounds):
                    for pooled, timed in (
                        (floor, await passes(*TRIVIAL)),
                        (measured, await passes(command, values, focused)),
                    ):
                        for in_flight, samples in timed.items():
                            pooled[in_flight].extend(samples)
                return floor, measured

            await bounded(calls(*TRIVIAL, 3 * scale.in_flight), scale.in_flight)  # warm up every layer
            figures: list[Figure] = []
            for label, command, values, focused in MEASURED:
                floor, measured = await paired(command, values, focused)
                for in_flight, samples in measured.items():
                    base = floor[in_flight]
                    name = f"{label}, {in_flight} in flight"
                    figures.append(
                        _latency(f"{name}, median", statistics.median(samples), statistics.median(base), 1.5)
                    )
                    figures.append(_latency(f"{name}, p99", percentile(samples, 0.99), percentile(base, 0.99), 2.0))

            async def ballots(members: list[Member]) -> float:
                votes = [
                    partial(interact, m, "/poll vote", {"track": tracks[n % len(tracks)]})
                    for n, m in enumerate(members)
                ]
                with settled_heap():
                    started = time.perf_counter()
                    await bounded(votes, scale.in_flight)
                    return len(members) / (time.perf_counter() - started)

            async def pings(members: list[Member]) -> float:
                with settled_heap():
                    started = time.perf_counter()
                    await bounded([partial(interact, m, "/ping", {}) for m in members], scale.in_flight)
                    return len(members) / (time.perf_counter() - started)

            trivial_rate = await pings(members)
            vote_rate = await ballots(members)
            store = bot.service(current(PollService)).store
            counted = [sum(t.ballots for t in await store.tallies(int(g.id), 1)) for g in guilds]
            assert sum(counted) == len(members), f"one ballot per member: {counted}"
    name = f"ballots end to end ({scale.members:,} members, {scale.servers} servers, {scale.in_flight} in flight)"
    figures.insert(0, rate_figure(name, vote_rate, "/s", trivial_rate, "/ping", at_least=0.8))
    return figures


def _latency(name: str, value_s: float, floor_s: float, at_most: float) -> Figure:
    return ratio_figure(name, value_s * 1e3, "ms", floor_s * 1e3, "/ping", at_most=at_most)


BENCHMARKS = (interactions,)
