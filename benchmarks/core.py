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


FULL = Scale("full", repeats=20, items=300, ballots=10_000)
SMOKE = Scale("smoke", repeats=2, items=20, ballots=50)


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


def render(figures: Sequence[Figure]) -> str:
    """The table `python -m benchmarks` prints."""
    rows = [("figure", "measured", "floor", "ratio", "target", "")]
    for f in figures:
        floor = f"{f.floor:.3g} {f.unit} ({f.floor_name})" if f.floor is not None else "—"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "—"
        verdict = "" if f.met is None else ("met" if f.met else "MISSED")
        rows.append((f.name, f"{f.value:.3g} {f.unit}", floor, ratio, f.target or "—", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
