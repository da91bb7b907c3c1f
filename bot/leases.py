"""Several processes, one PostgreSQL: a lease per shard, IDENTIFY turns, and the token's global rate, shared.

Each process runs a range of shards (`SHARD_COUNT`, `SHARD_IDS`: `bot.shards`). Through the database they share:

- **A lease per shard**, so two processes never run the same shard: a session-level advisory lock
  (`pg_try_advisory_lock(LEASE_LOCKS, shard_id)`) on a connection of the process's own, taken before the shard's
  IDENTIFY and held while the process runs. PostgreSQL releases it when that connection ends: at exit, and at once
  when the process is killed (the kernel closes its socket). The holder heartbeats every `HEARTBEAT_S`, and its
  connection has `idle_session_timeout` = `LEASE_TTL_S`, so a holder that stopped heartbeating (frozen, or cut off
  from the database) loses its leases after that, and another process takes them over; the holder, finding its
  connection gone at its next heartbeat, stops (`lost`), so it never runs a shard it no longer holds. A process
  started while a shard of its range is held waits, with a WARNING naming the holder (its `application_name`: pid
  and host), and connects none of its shards until it holds them all.
- **IDENTIFY turns**: Discord allows `max_concurrency` IDENTIFYs per 5 s, one per bucket `shard_id %
  max_concurrency` (Gateway › Sharding, "Max Concurrency"; `GET /gateway/bot`'s `session_start_limit`), and answers
  a faster one with op 9 Invalid Session (Gateway › Rate Limiting). The buckets' next free turn is a row of
  `shard_turns`; a process reserves it in one statement, on the database's clock, and waits for it.
- **The global rate** (50 requests per second per token, Topics › Rate Limits): see `SharedRate`.

On SQLite there is one process: the lock file keeps it alone, discord.py spaces its own IDENTIFYs, and `bot.pacing`
paces it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bot.db import Database
from bot.db.postgresql import LEASE_LOCKS, PostgresDatabase, server_settings
from bot.pacing import Pace, limiter, spacing_us
from bot.settings import Settings
from bot.shards import format_ids

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0  # how often a holder shows it is alive
LEASE_TTL_S = 20.0  # a holder silent this long loses its leases (its session ends: `idle_session_timeout`)
WAIT_POLL_S = 2.0  # how often a process waiting for a held shard tries again
IDENTIFY_INTERVAL_US = 5_250_000  # one IDENTIFY per bucket per 5 s (Discord), with a margin for the network's jitter

# One statement reserves a turn: the row's next free turn, or now if that has passed, is this caller's; the row
# moves one interval on. Returns how long to wait, in µs, on the database's clock, so every host agrees.
RESERVE = """
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us)
INSERT INTO shard_turns AS t (name, next_at_us) SELECT $1, us + $2 FROM now
ON CONFLICT (name) DO UPDATE SET next_at_us = greatest(t.next_at_us, excluded.next_at_us - $2) + $2
RETURNING t.next_at_us - $2 - (SELECT us FROM now)
"""
HOLDER = """
SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
"""


class LeaseLost(Exception):
    """The process lost its connection to the database, and with it its shards' leases: it stops (exit status 1), so
    that it never runs a shard another process may hold now; the service starts it again."""


@dataclass
class ShardLeases:
    """This process's leases on its shards, on a connection of their own."""

    db: PostgresDatabase
    heartbeat_s: float = HEARTBEAT_S
    ttl_s: float = LEASE_TTL_S
    poll_s: float = WAIT_POLL_S
    on_lost: Callable[[], object] = lambda: None  # called once when the leases are lost (the bot closes)
    held: set[int] = field(default_factory=set)
    lost: bool = False
    _conn: asyncpg.Connection | None = None
    _heartbeat: asyncio.Task[None] | None = None
    _using: asyncio.Lock = field(default_factory=asyncio.Lock)  # one statement at a time on the connection

    async def _fetchval(self, sql: str, *args: object, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """One statement on the leases' connection, after any other under way (asyncpg runs one at a time)."""
        async with self._using:
            conn = await self._connection()
            return await conn.fetchval(sql, *args, timeout=timeout)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None:
            settings = {
                **server_settings(),
                "idle_session_timeout": str(int(self.ttl_s * 1000)),
                # over TCP, a peer that vanished is noticed within about the lease's time
                "tcp_keepalives_idle": str(max(1, int(self.ttl_s / 2))),
                "tcp_keepalives_interval": str(max(1, int(self.ttl_s / 4))),
                "tcp_keepalives_count": "2",
            }
            self._conn = await asyncpg.connect(self.db.url, server_settings=settings)
        return self._conn

    async def take(self, shard_ids: Sequence[int], shard_count: int) -> None:
        """Hold every shard of `shard_ids`, waiting while another process holds one (a WARNING names it)."""
        conn = await self._connection()
        told: set[int] = set()
        while True:
            for shard in shard_ids:
                if shard not in self.held and await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)", LEASE_LOCKS, shard
                ):
                    self.held.add(shard)
            waiting = [shard for shard in shard_ids if shard not in self.held]
            if not waiting:
                break
            for shard in waiting:
                if shard not in told:
                    holder = await self._fetchval(HOLDER, LEASE_LOCKS, shard)
                    log.warning(
                        "shard %d of %d is run by another process (%s): this process waits for it to stop, and "
                        "connects none of its shards (%s) until then; two processes never run the same shard",
                        shard, shard_count, holder or "one that has not said its name", format_ids(tuple(shard_ids)),
                    )  # fmt: skip
                    told.add(shard)
            await asyncio.sleep(self.poll_s)
        if told:
            log.info("shards %s of %d are free again: this process runs them", format_ids(tuple(told)), shard_count)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name="shard-leases-heartbeat")

    async def _beat(self) -> None:
        """Show the database this process is alive; stop the process when its connection (its leases) is gone."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self._fetchval("SELECT 1", timeout=self.ttl_s / 2)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self.lost = True
                log.warning(
                    "lost the database connection that holds this process's shards %s (%s): stopping, so that "
                    "no two processes run the same shard",
                    format_ids(tuple(self.held)), str(error) or type(error).__name__,
                )  # fmt: skip
                self.held.clear()
                self.on_lost()
                return

    async def identify_turn(self, shard_id: int, max_concurrency: int) -> float:
        """Wait for this shard's turn to IDENTIFY in its `max_concurrency` bucket, shared by every process; returns
        the seconds waited."""
        bucket = shard_id % max(1, max_concurrency)
        waited_us = await self._fetchval(RESERVE, f"identify:{bucket}", IDENTIFY_INTERVAL_US)
        seconds = max(0, int(waited_us)) / 1_000_000
        if seconds:
            log.info("shard %d waits %.1f s for its turn to connect (one per 5 s in its bucket)", shard_id, seconds)
            await asyncio.sleep(seconds)
        return seconds

    async def release(self) -> None:
        """Give the leases back (at exit): closing the connection releases them all."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self._conn is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self._conn.close(timeout=5)
            self._conn = None
        self.held.clear()


class SharedRate:
    """The token's global rate (50 requests per second, Topics › Rate Limits: "per bot", not per process), shared by
    the processes through PostgreSQL: one bucket, the `global` row of `shard_turns`, from which each request reserves
    the next free turn, `1 / (rate × PACE_SHARE)` after the last one, whichever process took it (`RESERVE`).

    Chosen over each process taking its share (`rate × len(SHARD_IDS) / SHARD_COUNT`), measured beside it by `python
    -m benchmarks --only shard_storms` (2 cores, emulator's sliding 50/s): 10,000 servers spread over 2 processes,
    48.2 posts/s shared against 45.6 with shares (the process that finishes first leaves its half unused), 1 and 0
    requests refused with 429; 1,000 servers all on one process's shards, 48.1 against 23.5. A share leaves half the
    rate idle whenever one process has more to post than the other (a release followed in some servers more than
    others), or while the other is down; the shared bucket gives the whole rate to whoever has work, at the cost of
    one round trip to the database per request (about a millisecond, against 20 ms between two requests at 50/s). When the database does not
    answer a reservation within `RESERVE_TIMEOUT_S`, the process falls back to its share until it does again, so a
    database outage never lets the processes together exceed the limit nor stops them.
    """

    RESERVE_TIMEOUT_S = 1.0
    AHEAD = 2  # turns a process holds at once, not yet taken
    RETRIES = 3  # turns reserved for one request that keeps waking up late, before it goes anyway
    RETRY_S = 5.0  # after the database gave no turn, requests pace at the share this long before asking it again

    def __init__(self, url: str, rate: float, share: float) -> None:
        self._url = url
        self._interval_us = spacing_us(rate)
        self._fallback = limiter(rate * share)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._ahead = asyncio.Semaphore(self.AHEAD)
        self._degraded = False
        self._retry_at = 0.0  # while degraded: when to ask the database again

    async def acquire(self) -> None:
        """Wait for this request's turn under the token's global rate.

        A process holds at most `AHEAD` turns not yet taken, so a stall of its event loop can bunch no more than
        that many requests; a turn it wakes up for more than one interval late is given up and another reserved, so
        late requests never go out together over the others' turns.
        """
        loop = asyncio.get_running_loop()
        if self._degraded and loop.time() < self._retry_at:  # asked the database a moment ago, in vain
            await self._fallback.acquire()
            return
        async with self._ahead:
            for _ in range(self.RETRIES):
                try:
                    pool = await self._connected()
                    waited_us = await pool.fetchval(
                        RESERVE, "global", self._interval_us, timeout=self.RESERVE_TIMEOUT_S
                    )
                except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    await self._degrade(error)
                    return
                if self._degraded:
                    self._degraded = False
                    log.info("the shared global rate answers again: this process takes its turns there")
                turn = loop.time() + max(0, waited_us) / 1_000_000
                await asyncio.sleep(max(0.0, turn - loop.time()))
                if loop.time() - turn <= self._interval_us / 1_000_000:
                    return

    async def _degrade(self, error: BaseException) -> None:
        """The database gave no turn: pace at this process's share until it does (asked again `RETRY_S` on)."""
        self._retry_at = asyncio.get_running_loop().time() + self.RETRY_S
        if not self._degraded:
            self._degraded = True
            log.warning(
                "the database did not give a turn under the shared global rate (%s): this process paces itself "
                "at its share of the rate until it does",
                str(error) or type(error).__name__,
            )
        await self._fallback.acquire()

    async def _connected(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._url, min_size=1, max_size=self.AHEAD, server_settings=server_settings(), timeout=10
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def global_pace(settings: Settings, db: Database, *, shared: bool = True) -> Pace | None:
    """What this process paces its requests on: None (the whole rate: it runs every shard, `bot.pacing`), else the
    rate shared through PostgreSQL (`SharedRate`), or with `shared=False` its share alone (what the benchmark
    measures beside it)."""
    shards = settings.shards
    if shards.everything or shards.count is None or not isinstance(db, PostgresDatabase):
        return None
    share = len(shards.ids) / shards.count
    return SharedRate(db.url, settings.global_rate, share) if shared else limiter(settings.global_rate * share)
