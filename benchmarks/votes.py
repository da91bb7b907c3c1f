"""A vote at the database layer against the floor: a bare single-row upsert on the same engine, same schema.

SQLite: both run on a temp file in WAL mode with `synchronous = NORMAL`; the floor is a plain aiosqlite connection
with the bot's PRAGMAs. PostgreSQL: both run on a server started for the run in a temporary folder (fsync on,
`synchronous_commit = off`, as SQLite's WAL with NORMAL), over its unix socket; the floor is a plain asyncpg
connection. Each takes `scale.votes` distinct members over 20 servers, floor and store taking turns in `ROUNDS`
rounds (each round's store opens the database afresh, as after a restart). Target (issues 12 and 23): ≥ 0.5× the
floor's rate.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import aiosqlite
import asyncpg

from benchmarks.core import Figure, Scale, failed_figure, rate_figure
from bot.catalogue import load_catalogue
from bot.db import Database
from bot.db.sql import numbered
from cogs.poll.store import PollStore
from tests.postgres import NoServer, running

SERVERS = 20
ROUNDS = 5  # floor and store take turns this many times; the medians are compared
UPSERT = (
    "INSERT INTO poll_ballots (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at) "
    "VALUES (?, 1, ?, ?, NULL, NULL, ?) ON CONFLICT (guild_id, round_id, user_id) DO UPDATE SET "
    "first_pick = excluded.first_pick, updated_at = excluded.updated_at"
)


async def vote(scale: Scale) -> list[Figure]:
    tracks = _tracks()
    with tempfile.TemporaryDirectory(prefix="hr-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        rate, floor = await _compare(scale, path, tracks, partial(_bare_upserts, path))
    return [rate_figure("PollStore.vote on a temp file", rate, "/s", floor, "bare aiosqlite upsert", at_least=0.5)]


async def vote_postgresql(scale: Scale) -> list[Figure]:
    name = "PollStore.vote on PostgreSQL"
    try:
        server = running(durable=True)
        with server as postgres:
            url = postgres.url(postgres.create_database())
            rate, floor = await _compare(scale, url, _tracks(), partial(_bare_asyncpg_upserts, url))
    except NoServer as missing:
        return [failed_figure(name, str(missing), "≥ 0.5×")]
    return [rate_figure(name, rate, "/s", floor, "bare asyncpg upsert", at_least=0.5)]


def _tracks() -> list[str]:
    return [t.id for t in load_catalogue().tracks_in_order()]


async def _compare(
    scale: Scale, target: Path | str, tracks: list[str], bare: Callable[[int, list[str], int], Awaitable[float]]
) -> tuple[float, float]:
    """The store's votes per second and the bare upserts' on `target`, each the median of `ROUNDS` alternated rounds
    (so a slower spell of the machine weighs on both alike)."""
    async with Database.open(target) as db:
        store = PollStore(db)
        await store.remember_titles((t, t) for t in tracks)
        for guild in range(SERVERS):
            await store.configure(guild)
    floors, rates = [], []
    per_round = max(1, scale.votes // ROUNDS)
    for round_ in range(ROUNDS):
        floors.append(await bare(per_round, tracks, round_ * per_round))
        async with Database.open(target) as db:
            store = PollStore(db)
            started = time.perf_counter()
            for n in range(round_ * per_round, (round_ + 1) * per_round):
                await store.vote(n % SERVERS, 10**6 + n, partial(_only, tracks[n % len(tracks)]))
            rates.append(per_round / (time.perf_counter() - started))
    return statistics.median(rates), statistics.median(floors)


def _only(pick: str, _current: tuple[str, ...]) -> list[str | None]:
    """A ballot naming `pick`, whatever the member's ballot was."""
    return [pick]


async def _bare_upserts(path: Path, count: int, tracks: list[str], first_user: int) -> float:
    """Upserts per second through one plain aiosqlite connection with the bot's PRAGMAs, autocommit."""
    async with aiosqlite.connect(str(path), isolation_level=None) as conn:
        for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "foreign_keys = ON", "synchronous = NORMAL"):
            await conn.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        for n in range(first_user, first_user + count):
            await conn.execute(UPSERT, (n % SERVERS, n, tracks[n % len(tracks)], int(time.time())))
        return count / (time.perf_counter() - started)


async def _bare_asyncpg_upserts(url: str, count: int, tracks: list[str], first_user: int) -> float:
    """Upserts per second through one plain asyncpg connection, autocommit."""
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        for n in range(first_user, first_user + count):
            await conn.execute(numbered(UPSERT), n % SERVERS, n, tracks[n % len(tracks)], int(time.time()))
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


BENCHMARKS = (vote, vote_postgresql)
