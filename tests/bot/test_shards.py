"""Which servers a process acts for: `ShardRange.owns` in code and `ShardRange.where` in SQL agree, on both engines,
with Discord's formula `(guild_id >> 22) % shard_count`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.db import Database
from bot.shards import ALL, ShardRange, format_ids, parse_ids, shard_of

SNOWFLAKES = st.integers(min_value=1 << 22, max_value=(1 << 63) - 1)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_shard_ids_read_back_as_written(ids: list[int]) -> None:
    unique = tuple(sorted(set(ids)))
    assert parse_ids(format_ids(unique)) == unique


@given(SNOWFLAKES, st.integers(1, 64))
def test_each_server_is_owned_by_exactly_one_range_of_a_split(guild_id: int, count: int) -> None:
    halves = [ShardRange(count, tuple(range(count // 2))), ShardRange(count, tuple(range(count // 2, count)))]
    owners = [r for r in halves if r.ids and r.owns(guild_id)]
    assert len(owners) == 1 and shard_of(guild_id, count) in owners[0].ids
    assert ALL.owns(guild_id)


async def test_the_sql_condition_picks_the_servers_owns_picks(db: Database) -> None:
    """The dispatcher and the plans read only their servers through `where`: it must say what `owns` says."""
    guild_ids = [(n * 7919 + 13) << 22 | n for n in range(200)] + [(1 << 63) - 1]
    await db.executemany("INSERT INTO guild_departures (guild_id, left_at) VALUES (?, 0)", [(g,) for g in guild_ids])
    for shards in (ALL, ShardRange(4, (0, 1)), ShardRange(4, (2, 3)), ShardRange(5, (0, 3)), ShardRange(3, (0, 1, 2))):
        rows = await db.read.fetchall(f"SELECT guild_id FROM guild_departures WHERE {shards.where('guild_id')}")
        assert {int(r[0]) for r in rows} == {g for g in guild_ids if shards.owns(g)}, shards
