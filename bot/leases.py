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

import asyncpg

from bot.db.postgresql import LEASE_LOCKS, PostgresDatabase, server_settings
from bot.shards import format_ids

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0  # how often a holder shows it is alive
LEASE_TTL_S = 20.0  # a holder silent this long loses its leases (its session ends: `idle_session_timeout`)
WAIT_POLL_S = 2.0  # how often a process waiting for a held shard tries again
IDENTIFY_INTERVAL_MS = 5_250  # one IDENTIFY per bucket per 5 s (Discord), with a margin for the network's jitter

# One statement reserves a turn: the row's next free turn, or now if that has passed, is this caller's; the row
# moves one interval on. Returns how long to wait, in ms, on the database's clock, so every host agrees.
RESERVE = """
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms)
INSERT INTO shard_turns AS t (name, next_at_ms) SELECT $1, ms + $2 FROM now
ON CONFLICT (name) DO UPDATE SET next_at_ms = greatest(t.next_at_ms, excluded.next_at_ms - $2) + $2
RETURNING t.next_at_ms - $2 - (SELECT ms FROM now)
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
                    holder = await conn.fetchval(HOLDER, LEASE_LOCKS, shard)
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
                assert self._conn is not None
                await self._conn.fetchval("SELECT 1", timeout=self.ttl_s / 2)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self.lost = True
                log.warning(
                    "lost the database connection that holds this process's shards %s (%s): stopping, so that "
                    "no two processes run the same shard",
                    format_ids(tuple(self.held)), error or type(error).__name__,
                )  # fmt: skip
                self.held.clear()
                self.on_lost()
                return

    async def identify_turn(self, shard_id: int, max_concurrency: int) -> float:
        """Wait for this shard's turn to IDENTIFY in its `max_concurrency` bucket, shared by every process; returns
        the seconds waited."""
        conn = await self._connection()
        bucket = shard_id % max(1, max_concurrency)
        waited_ms = await conn.fetchval(RESERVE, f"identify:{bucket}", IDENTIFY_INTERVAL_MS)
        seconds = max(0, int(waited_ms)) / 1000
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
