"""Run every benchmark, print the table, and write `benchmarks/results/latest.json`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import catalogue, commands, parties, shards, startup, storms, votes
from benchmarks.core import FULL, SMOKE, Figure, render

RESULTS = Path(__file__).parent / "results" / "latest.json"
ALL = (
    *votes.BENCHMARKS,
    *commands.BENCHMARKS,
    *storms.BENCHMARKS,
    *parties.BENCHMARKS,
    *startup.BENCHMARKS,
    *catalogue.BENCHMARKS,
    *shards.BENCHMARKS,
)


async def run_all(scale_name: str, only: Sequence[str] = ()) -> list[Figure]:
    scale = FULL if scale_name == "full" else SMOKE
    figures: list[Figure] = []
    for benchmark in ALL:
        if not only or benchmark.__name__ in only:
            figures += await benchmark(scale)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=("full", "smoke"), default="full")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument(
        "--only", nargs="+", default=(), choices=[b.__name__ for b in ALL], help="run only these benchmarks"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    figures = asyncio.run(run_all(args.scale, args.only))
    print(render(figures))
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"\n{len(figures)} figures in {elapsed:.1f} s ({args.scale} scale, {os.cpu_count()} CPUs); "
        f"1-minute load average {load_before} before, {load} after"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "scale": args.scale,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "load_average_before": load_before,
        "seconds": round(elapsed, 2),
        "figures": [figure.as_json() for figure in figures],
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
