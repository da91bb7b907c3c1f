"""A vote at the database layer against the floor: a bare aiosqlite single-row upsert, same schema and PRAGMAs.

Both run on a temp file in WAL mode with `synchronous = NORMAL`, `scale.votes` distinct members over 20
servers, taking turns in `ROUNDS` rounds (each round's store opens the database afresh, as after a restart). Target (issue 12): ≥ 0.5× the floor's rate.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import aiosqlite

from benchmarks.core import Figure, Scale, rate_figure
from bot.catalogue import load_catalogue
from bot.db import Database
from cogs.poll.store import PollStore

SERVERS = 20
ROUNDS = 5  # floor and store take turns this many times; the medians are compared
UPSERT = (
    "INSERT INTO poll_ballots (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at) "
    "VALUES (?, 1, ?, ?, NULL, NULL, ?) ON CONFLICT (guild_id, round_id, user_id) DO UPDATE SET "
    "first_pick = excluded.first_pick, updated_at = excluded.updated_at"
)


async def vote(scale: Scale) -> list[Figure]:
    tracks = [t.id for t in load_catalogue().tracks_in_order()]
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        async with Database.open(path) as db:
            store = PollStore(db)
            await store.remember_titles((t, t) for t in tracks)
            for guild in range(SERVERS):
                await store.configure(guild)
        floors, rates = [], []
        per_round = max(1, scale.votes // ROUNDS)
        for round_ in range(ROUNDS):  # alternated, so a slower spell of the machine weighs on both alike
            floors.append(await _bare_upserts(path, per_round, tracks, first_user=round_ * per_round))
            async with Database.open(path) as db:
                store = PollStore(db)
                started = time.perf_counter()
                for n in range(round_ * per_round, (round_ + 1) * per_round):
                    await store.vote(n % SERVERS, 10**6 + n, partial(_only, tracks[n % len(tracks)]))
                rates.append(per_round / (time.perf_counter() - started))
        floor, rate = statistics.median(floors), statistics.median(rates)
    return [rate_figure("PollStore.vote on a temp file", rate, "/s", floor, "bare aiosqlite upsert", at_least=0.5)]


def _only(pick: str, _current: tuple[str, ...]) -> list[str | None]:
    """A ballot naming `pick`, whatever the member's ballot was."""
    return [pick]


async def _bare_upserts(path: Path, count: int, tracks: list[str], *, first_user: int) -> float:
    """Upserts per second through one plain aiosqlite connection with the bot's PRAGMAs, autocommit."""
    async with aiosqlite.connect(str(path), isolation_level=None) as conn:
        for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "foreign_keys = ON", "synchronous = NORMAL"):
            await conn.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        for n in range(first_user, first_user + count):
            await conn.execute(UPSERT, (n % SERVERS, n, tracks[n % len(tracks)], int(time.time())))
        return count / (time.perf_counter() - started)


BENCHMARKS = (vote,)
