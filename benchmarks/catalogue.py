"""Autocomplete search, poll standings and their chart: the per-call costs fans feel as they type and look."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from benchmarks.core import Figure, Scale, median_ms_async, median_us, ratio_figure
from bot.catalogue import load_catalogue
from bot.chart import draw_standings
from bot.db import Database
from bot.search import Index, fold
from cogs.poll.rules import BallotMode, Tally, compute_standings
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


async def chart(scale: Scale) -> list[Figure]:
    """The standings chart of a 34-track poll (the top 15 drawn, titles cut to fit), PNG encoded, vs 50 ms.

    The bundled catalogue's tracks plus stored titles for the rest, so titles are as long as real ones.
    """
    catalogue = load_catalogue()
    known = [(t.id, t.title) for t in catalogue.tracks_in_order()]
    unknown = [(f"cue-{n}", f"Cue {n}: a title not yet published, as long as the longest") for n in range(34)]
    tracks = (known + unknown)[:34]
    rng = random.Random(7)
    tallies = [Tally(track, rank, rng.randint(0, 400), title) for track, title in tracks for rank in (1, 2, 3)]
    board = compute_standings(BallotMode.TOP3, tallies, catalogue)
    title = "Favourite track · round 1 · live standings"
    draw_standings(board, title=title)  # loads the fonts, once per process
    cost = median_us(lambda: draw_standings(board, title=title), max(scale.repeats, 5)) / 1000
    name = f"standings chart, {len(board.entries)} tracks (PNG)"
    return [Figure(name, cost, "ms", target="< 50 ms", met=cost < 50)]


BENCHMARKS = (search, standings, chart)
