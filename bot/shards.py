"""Which servers this process acts for: the shards it runs (`SHARD_COUNT`, `SHARD_IDS`), and nothing else.

Discord gives each server to one shard, `(guild_id >> 22) % shard_count` (Gateway › Sharding). Several processes
sharing one PostgreSQL database each run a range of shards; each acts only for the servers of its own shards, so a
server's reminders, events, parties and notices come from one process, and no two processes ever post the same thing.
`ShardRange` is the one place that says which servers those are, for code (`owns`) and for SQL (`where`): every
feature's scheduler asks it, through `HeatedRivalryBot.owns` and `HeatedRivalryBot.shard_range`, before it acts on a
server it read from the shared database. Unset, the process runs every shard and owns every server.
"""

from __future__ import annotations

from dataclasses import dataclass

SHARD_SHIFT = 22  # a snowflake's bits below its timestamp (Discord: Reference › Snowflakes)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that serves the server `guild_id` (Discord: Gateway › Sharding, "Sharding Formula")."""
    return (guild_id >> SHARD_SHIFT) % shard_count


@dataclass(frozen=True, slots=True)
class ShardRange:
    """This process's shards: `ids` of `count`; `count` None runs every recommended shard here, owning every server."""

    count: int | None = None
    ids: tuple[int, ...] = ()

    @property
    def everything(self) -> bool:
        """Whether this process owns every server (it runs every shard)."""
        return self.count is None or len(set(self.ids)) == self.count

    def owns(self, guild_id: int) -> bool:
        """Whether this process acts for the server `guild_id`."""
        return self.count is None or shard_of(guild_id, self.count) in self.ids

    def where(self, column: str) -> str:
        """An SQL condition on the server id `column`, true for this process's servers (both engines read it: the
        numbers are validated integers, written in, so a statement keeps its parameters as they are)."""
        if self.everything or self.count is None:
            return "1 = 1"
        return f"(({column} >> {SHARD_SHIFT}) % {self.count}) IN ({', '.join(str(i) for i in sorted(self.ids))})"

    def describe(self) -> str:
        """`0-1 of 4`, as the operator wrote it in SHARD_IDS, or that every shard runs here."""
        if self.count is None:
            return "every recommended shard, in this process"
        return f"{format_ids(self.ids)} of {self.count}"


ALL = ShardRange()


def parse_ids(raw: str) -> tuple[int, ...] | None:
    """`0-3`, `0,2` or `0-1,5` as sorted shard ids without repeats; None when it is not such a list."""
    ids: set[int] = set()
    for part in raw.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            return None
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            return None
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def format_ids(ids: tuple[int, ...]) -> str:
    """Shard ids as ranges: (0, 1, 2, 5) is `0-2,5`."""
    runs: list[list[int]] = []
    for shard in sorted(ids):
        if runs and shard == runs[-1][1] + 1:
            runs[-1][1] = shard
        else:
            runs.append([shard, shard])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in runs)
