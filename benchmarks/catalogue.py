"""Autocomplete search and poll standings: the per-call costs fans feel as they type and look."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from benchmarks.core import Figure, Scale, median_ms_async, median_us, ratio_figure
from bot.catalogue import load_catalogue
from bot.db import Database
from bot.search import Index, fold
from cogs.poll.rules import BallotMode, compute_standings
from cogs.poll.store import PollStore

GUILD = 1


async def search(scale: Scale) -> list[Figure]:
    """Fuzzy autocomplete over `scale.items` titles against the cheapest useful lookup: a folded substring scan."""
    titles = [f"Cue {i} {w}" for i, w in enumerate(["ice", "heat", "rival", "cottage"] * (scale.items // 4 or 1))]
    index = Index(titles, key=lambda s: s)
    keys = [fold(t) for t in titles]
    queries = ["riv", "cottag", "heat 12", "ice"]

    def floor() -> None:
        for query in queries:
            folded = fold(query)
            [k for k in keys if folded in k]

    def searched() -> None:
        for query in queries:
            index.search(query)

    per_query = len(queries)
    cost = median_us(searched, scale.repeats) / per_query
    base = median_us(floor, scale.repeats) / per_query
    return [ratio_figure(f"autocomplete search, {len(titles)} items", cost, "µs", base, "substring scan")]


async def standings(scale: Scale) -> list[Figure]:
    """`/poll results` over `scale.ballots` top-3 ballots in one server: SQL tallies plus ranking, vs 20 ms."""
    catalogue = load_catalogue()
    tracks = [t.id for t in catalogue.tracks_in_order()]
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        async with Database.open(Path(folder) / "bench.sqlite3") as db:
            store = PollStore(db)
            await store.remember_titles((t.id, t.title) for t in catalogue.tracks)
            await store.configure(GUILD, mode=BallotMode.TOP3)
            rows = [(GUILD, 1, user, *rng.sample(tracks, 3), 0) for user in range(scale.ballots)]
            async with db.transaction() as conn:
                await conn.executemany("INSERT INTO poll_ballots VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                await conn.execute("ANALYZE")

            async def results() -> None:
                compute_standings(BallotMode.TOP3, await store.tallies(GUILD, 1), catalogue)

            cost = await median_ms_async(results, scale.repeats)
    name = f"/poll results, {scale.ballots:,} top-3 ballots"
    return [Figure(name, cost, "ms", target="< 20 ms", met=cost < 20)]


BENCHMARKS = (search, standings)
