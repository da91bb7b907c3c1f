"""Reads on their own read-only connection, beside the single write connection.

In WAL mode SQLite lets readers run while one connection writes, each read seeing the last committed state,
so a read (`/releases upcoming`, `/poll results`, a member's ballot) never queues behind a write or behind
another feature's transaction. The write connection stays the one place that writes: this one is opened
`mode=ro` with `query_only`. A database without a file (`:memory:`, tests) has no second connection to
open: its reads take turns on the writer's, as every statement did before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiosqlite

if TYPE_CHECKING:
    from bot.db.database import Row
    from bot.db.sqlite import SqliteDatabase

READ_BUSY_TIMEOUT_MS = 5000  # a WAL reader waits only while a checkpoint restarts the log: rare and short


class Reads:
    """`fetchone` / `fetchall` for reads: on the read-only connection when there is one, else on `db`'s own."""

    def __init__(self, db: SqliteDatabase, conn: aiosqlite.Connection | None = None) -> None:
        self._db = db
        self._conn = conn

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of `sql`, or None; give a query that returns one row (it is read whole)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        if self._conn is None:
            return await self._db.fetchall(sql, params)
        # One trip to the connection's thread (execute, fetch and close would be three).
        return list(await self._conn.execute_fetchall(sql, tuple(params)))


@asynccontextmanager
async def read_connection(db: SqliteDatabase) -> AsyncIterator[Reads]:
    """Open the read-only connection of `db` (a file in WAL mode) as `db.read` for the block, then close it."""
    if db.path is None:
        yield db.read
        return
    conn = await aiosqlite.connect(f"{db.path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA query_only = ON")
        db.read = Reads(db, conn)
        yield db.read
    finally:
        db.read = Reads(db)
        await conn.close()
