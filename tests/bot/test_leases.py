"""Shard leases and IDENTIFY turns on a real PostgreSQL: two processes never run the same shard, a holder that stops
heartbeating loses its shards to another, and IDENTIFYs of one bucket are 5 s apart whoever sends them."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.postgresql import InstanceRunning, PostgresDatabase
from bot.leases import IDENTIFY_INTERVAL_US, ShardLeases, SharedRate
from bot.pacing import spacing_us


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[PostgresDatabase]:
    async with Database.open(postgres_url) as db:
        assert isinstance(db, PostgresDatabase)
        yield db


async def test_a_shard_held_by_one_process_waits_for_it_with_a_warning_naming_it(
    pg: PostgresDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = ShardLeases(pg), ShardLeases(pg, poll_s=0.05)
    await first.take([0, 1], 4)
    caplog.set_level(logging.WARNING, "bot.leases")
    warned = asyncio.Event()
    handler = logging.Handler()
    handler.emit = lambda record: warned.set()  # type: ignore[method-assign]
    logging.getLogger("bot.leases").addHandler(handler)
    taking = asyncio.create_task(second.take([1, 2], 4))
    try:
        await asyncio.wait_for(warned.wait(), 30)
    finally:
        logging.getLogger("bot.leases").removeHandler(handler)
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert f"shard 1 of 4 is run by another process (heated-rivalry-bot pid {os.getpid()} on " in warning.getMessage()
    assert "connects none of its shards (1-2) until then" in warning.getMessage()
    assert not taking.done() and first.held == {0, 1} and second.held == {2}
    with pytest.raises(InstanceRunning, match=rf"pid {os.getpid()}"):  # `sync` sees a bot running
        async with pg.instance_lock():
            pass
    await first.release()  # the first process stops: its leases go with its connection
    await asyncio.wait_for(taking, 30)
    assert second.held == {1, 2}
    await second.release()


async def test_a_holder_that_stops_heartbeating_loses_its_shards_to_another(pg: PostgresDatabase) -> None:
    lost = asyncio.Event()
    frozen = ShardLeases(pg, heartbeat_s=2.0, ttl_s=0.5, on_lost=lost.set)  # silent past its lease between beats
    await frozen.take([3], 4)
    successor = ShardLeases(pg, poll_s=0.1)
    await asyncio.wait_for(successor.take([3], 4), 30)  # PostgreSQL ended the silent session: the lease is free
    assert successor.held == {3}
    await asyncio.wait_for(lost.wait(), 30)  # and the old holder finds out at its next heartbeat, and stops
    assert frozen.lost and frozen.held == set()
    await frozen.release()
    await successor.release()


async def test_identify_turns_of_one_bucket_are_5_s_apart_across_processes(pg: PostgresDatabase) -> None:
    one, other = ShardLeases(pg), ShardLeases(pg)
    assert await one.identify_turn(0, 2) == 0, "the first of bucket 0 goes at once"
    assert await other.identify_turn(1, 2) == 0, "bucket 1 has its own turns"
    waited = await other.identify_turn(2, 2)  # bucket 0 again, from another process
    assert 4.0 < waited <= IDENTIFY_INTERVAL_US / 1_000_000
    await one.release()
    await other.release()


async def test_processes_take_turns_in_one_bucket_of_the_global_rate(pg: PostgresDatabase) -> None:
    """Each request of either process reserves the next turn of the one `global` bucket: 40 requests move it 40 turns
    on, whichever process made them."""
    rate = 2_000.0  # requests per second: the test's turns are half a millisecond apart
    one, other = SharedRate(pg.url, rate, share=0.5), SharedRate(pg.url, rate, share=0.5)
    start = await pg.read.fetchone("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")
    assert start is not None
    await asyncio.gather(*(limiter.acquire() for limiter in (one, other) for _ in range(20)))
    row = await pg.read.fetchone("SELECT next_at_us FROM shard_turns WHERE name = 'global'")
    assert row is not None and int(row[0]) >= int(start[0]) + 40 * spacing_us(rate)
    await one.close()
    await other.close()


async def test_a_database_that_gives_no_turn_leaves_the_process_at_its_share(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = SharedRate(f"postgresql://hrbot@/hrbot?host={tmp_path}", 50.0, share=0.5)  # nothing listens there
    caplog.set_level(logging.WARNING, "bot.leases")
    for _ in range(3):
        await down.acquire()  # never raises: the request goes out at the process's share of the rate
    [warning] = caplog.records
    assert "paces itself at its share of the rate until it does" in warning.getMessage()
    await down.close()
