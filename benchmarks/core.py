"""The shapes every benchmark shares: a figure with its floor, ratio and target, and the run's scale."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Scale:
    """How big a run is: `full` for the figures in the README and issues, `smoke` for the test suite."""

    name: str
    repeats: int  # timed repetitions per figure (the median is reported)
    items: int  # search: items in the index
    ballots: int  # standings: ballots in one server
    votes: int = 3_000  # database votes timed (and as many bare upserts)
    members: int = 2_000  # end-to-end ballots: members casting one each, spread over `servers`
    servers: int = 20
    in_flight: int = 200  # interactions dispatched at once in the loaded runs
    samples: int = 200  # interactions timed per command and concurrency, in each round
    rounds: int = 3  # command latencies: passes of the figure, each right after a pass of its floor, pooled
    storm: int = 10_000  # servers posting in the unlimited storm
    paced_storm: int = 1_000  # servers posting under the 50 req/s global limit
    global_rate: int = 50  # the emulator's global limit in the paced storm (Discord's, requests/s)
    startup: int = 10_000  # servers the bot is in, and has configured, at start-up
    shards: int = 4  # shards at start-up
    shard_storm: int = 10_000  # servers posting over 2 processes under the shared global limit (`shards.py`)


FULL = Scale("full", repeats=20, items=300, ballots=10_000)
SMOKE = Scale(
    "smoke", repeats=2, items=20, ballots=50, votes=50, members=20, servers=2, in_flight=5, samples=10, rounds=1, storm=20,
    paced_storm=20, global_rate=50, startup=40, shards=1, shard_storm=20,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: `value` and `floor` in `unit`; `ratio` is value / floor (or floor / value for rates).

    `target` says what the ratio should be, e.g. "≤ 2×"; `met` is None when a figure has no target.
    """

    name: str
    value: float
    unit: str
    floor: float | None = None
    floor_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def median_us(call: Callable[[], object], repeats: int) -> float:
    """Median wall time of `call()` in microseconds over `repeats` runs."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


async def median_ms_async(call: Callable[[], Awaitable[object]], repeats: int) -> float:
    """Median wall time of `await call()` in milliseconds over `repeats` runs."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e3)
    return statistics.median(samples)


def ratio_figure(
    name: str, value: float, unit: str, floor: float, floor_name: str, *, at_most: float | None = None
) -> Figure:
    """A cost compared with a floor: ratio = value / floor, met when at most `at_most` (None: no target)."""
    ratio = value / floor if floor > 0 else float("inf")
    return Figure(
        name, value, unit, floor, floor_name, ratio,
        target=f"≤ {at_most:g}×" if at_most is not None else "",
        met=None if at_most is None else ratio <= at_most,
    )  # fmt: skip


def rate_figure(name: str, value: float, unit: str, floor: float, floor_name: str, *, at_least: float) -> Figure:
    """A speed compared with a floor (higher is better): ratio = value / floor, met when at least `at_least`."""
    ratio = value / floor if floor > 0 else 0.0
    return Figure(name, value, unit, floor, floor_name, ratio, target=f"≥ {at_least:g}×", met=ratio >= at_least)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` (0-1) quantile of `samples` by nearest rank; ValueError when there are none."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def failed_figure(name: str, reason: str, target: str) -> Figure:
    """A figure that could not be measured (e.g. the bot could not start): printed as MISSED with the reason."""
    return Figure(name, float("nan"), reason, target=target, met=False)


def render(figures: Sequence[Figure]) -> str:
    """The table `python -m benchmarks` prints."""
    rows = [("figure", "measured", "floor", "ratio", "target", "")]
    for f in figures:
        floor = f"{f.floor:.3g} {f.unit} ({f.floor_name})" if f.floor is not None else "—"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "—"
        verdict = "" if f.met is None else ("met" if f.met else "MISSED")
        value = f"{f.value:.3g} {f.unit}" if f.value == f.value else f"not measured: {f.unit}"
        rows.append((f.name, value, floor, ratio, f.target or "—", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
