"""Values read from the database per server, kept in memory until a write changes them.

A server's reminder configuration and its own releases are read on every `/releases` command and change only
through their stores, so each store keeps them once read and forgets them at the write that changes them: the
answer then needs no trip to the database. This holds while one process writes a server's rows: the only one on
SQLite, and on a shared PostgreSQL the one serving the server's shard (a process that wrote another's servers would
leave stale values there).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

CACHED_SERVERS = 20_000  # servers whose values stay in memory, most recently read
V = TypeVar("V")


class ReadCache(Generic[V]):
    """Values read from the database by server id, the `CACHED_SERVERS` most recently used, each kept until
    a write `changing` it ends.

    A read that was under way when a write ended is not kept: it may hold what the write replaced
    (`_generation` counts the writes). A value that failed to read (a bad row) is not kept either.
    """

    def __init__(self) -> None:
        self._values: OrderedDict[int, V] = OrderedDict()
        self._generation = 0

    async def get(self, guild_id: int, read: Callable[[], Awaitable[V]]) -> V:
        if guild_id in self._values:
            self._values.move_to_end(guild_id)
            return self._values[guild_id]
        generation = self._generation
        value = await read()
        if generation == self._generation:
            self._values[guild_id] = value
            if len(self._values) > CACHED_SERVERS:
                self._values.popitem(last=False)
        return value

    def peek(self, guild_id: int) -> V | None:
        """The server's value if it is held, without any I/O (and without counting as a use)."""
        return self._values.get(guild_id)

    @contextmanager
    def changing(self, guild_id: int) -> Iterator[None]:
        """Around a write to the server's rows: its value is forgotten once the write ends, committed or not."""
        try:
            yield
        finally:
            self._generation += 1
            self._values.pop(guild_id, None)
