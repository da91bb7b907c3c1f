"""SQLite, the default: one aiosqlite write connection for the whole process, and a read-only one beside it.

SQLite allows one writer at a time; a single shared connection in WAL mode takes turns within the process,
and lets `backup` read while the bot writes. Another program can still hold the write lock: background work
then waits up to `BUSY_TIMEOUT_MS` and retries, while a member's action (`interactive`) waits at most
`INTERACTIVE_WAIT_S` and is answered `DatabaseBusy` ("busy, nothing was saved"), never applied afterwards.
Opening checks the file (`bot.db.files`: private modes, empty and damaged files refused, `quick_check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.db.database import (
    BUSY,
    BUSY_SLACK_MS,
    BUSY_TIMEOUT_MS,
    Database,
    DatabaseBusy,
    Migration,
    Row,
    deadline,
    pending,
    split_statements,
    take_turn,
    wait_ms,
)
from bot.db.files import (
    QUICK_CHECK,
    DatabaseFileError,
    backup_file,
    damaged,
    findings,
    prepare_database_file,
)
from bot.db.reads import Reads, read_connection
from bot.db.sql import SQLITE
from bot.i18n import _l

log = logging.getLogger(__name__)


class SqliteDatabase(Database):
    """The database in one SQLite file (or `:memory:`, for tests)."""

    dialect = SQLITE
    read: Reads

    def __init__(self, connection: aiosqlite.Connection, path: Path | None) -> None:
        self._conn = connection
        self.path = path
        # One connection is shared by every feature: while one coroutine holds a transaction, another's
        # statement would silently run inside it (or fail to BEGIN), so all access takes turns here.
        self._lock = asyncio.Lock()
        self._busy_ms = BUSY_TIMEOUT_MS  # SQLite's busy timeout as last set on the connection
        self.read = Reads(self)  # reads that need not take turns: on their own connection once `open` made it

    @classmethod
    @asynccontextmanager
    async def connect(cls, path: Path | str, *, migrations: Sequence[Migration]) -> AsyncIterator[SqliteDatabase]:
        """Open, configure and migrate the database; close it cleanly when the block ends."""
        target = None if str(path) == ":memory:" else await asyncio.to_thread(prepare_database_file, Path(path))
        conn = await aiosqlite.connect(str(target or path), isolation_level=None)
        try:
            try:
                conn.row_factory = aiosqlite.Row
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                if target is not None:
                    await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA foreign_keys = ON")
                await conn.execute("PRAGMA synchronous = NORMAL")
                db = cls(conn, target)
                problems = await db.quick_check()
                if problems and target is not None:
                    raise damaged(target, "; ".join(problems))
                await db.migrate(migrations)
            except (DatabaseBusy, sqlite3.OperationalError) as error:
                if target is None or not (isinstance(error, DatabaseBusy) or _busy(error)):
                    raise
                raise DatabaseFileError(
                    f"DATABASE_PATH {target} stayed locked by another program for {BUSY_TIMEOUT_MS // 1000} s: "
                    "close it (a backup tool, an sqlite3 shell), then start again"
                ) from error
            except sqlite3.DatabaseError as error:  # "file is not a database", "database disk image is malformed"
                if target is None:
                    raise
                raise damaged(target, str(error)) from error
            async with read_connection(db):
                yield db
        finally:
            await conn.close()

    @property
    def where(self) -> str:
        return str(self.path or ":memory:")

    async def quick_check(self) -> list[str]:
        """`PRAGMA quick_check`'s findings: `[]` when the file is sound, else SQLite's lines (at most 5)."""
        async with self._turn(), self._conn.execute(QUICK_CHECK) as cursor:
            return findings([str(row[0]) for row in await cursor.fetchall()])

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration]) -> list[Migration]:
        """Apply every migration newer than `PRAGMA user_version` in one transaction; return those applied."""
        todo = pending(await self.schema_version(), migrations)
        if not todo:
            return []
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            for migration in todo:
                log.info("applying migration %04d_%s", migration.version, migration.name)
                for statement in split_statements(migration.sql):
                    await self._conn.execute(statement)
            await self._conn.execute(f"PRAGMA user_version = {todo[-1].version}")
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        return todo

    async def tables(self) -> dict[str, list[str]]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        names = [str(row[0]) for row in rows]
        return {name: [str(c[1]) for c in await self.fetchall(f"PRAGMA table_info({name})")] for name in names}

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This coroutine's turn on the shared connection, bounded by the task's `interactive` deadline if any.

        Without a deadline (background work, start-up) it waits for its turn, and SQLite waits up to
        `BUSY_TIMEOUT_MS` for another process's write lock. With one, both waits end at the deadline.
        Either way a write lock that does not come raises `DatabaseBusy` before anything was written.
        """
        until = deadline()
        await take_turn(self._lock, until)
        try:
            left = wait_ms(until)
            # Never wait past the deadline, but keep a timeout that ends a little early: set in steps of
            # BUSY_SLACK_MS, so a burst of members' calls (each with a little less time left) does not pay a
            # PRAGMA trip each.
            if not left - BUSY_SLACK_MS < self._busy_ms <= left:
                self._busy_ms = left - left % BUSY_SLACK_MS or left
                await self._conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            yield
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
            raise DatabaseBusy(_l(BUSY)) from error
        finally:
            self._lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        """A short write transaction; `BEGIN IMMEDIATE` takes the write lock up front so it never deadlocks."""
        async with self._turn():
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield SqliteTransaction(self._conn)
            except BaseException:
                # Also when cancelled while BEGIN was on its way: aiosqlite's thread runs it regardless, so the
                # ROLLBACK, queued behind it, must run too (shielded), or the connection stays in a transaction.
                await asyncio.shield(self._rollback())
                raise
            await self._conn.execute("COMMIT")

    async def _rollback(self) -> None:
        """ROLLBACK whatever is open; nothing is, when BEGIN itself failed (busy), and that is fine."""
        with contextlib.suppress(sqlite3.OperationalError):  # "cannot rollback - no transaction is active"
            await self._conn.execute("ROLLBACK")

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._turn():
            cursor = await self._conn.execute(sql, tuple(params))
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._turn(), self._conn.execute(sql, tuple(params)) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._turn(), self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def backup(self, destination: Path) -> tuple[Path, Path, int]:
        """A verified copy of the live database, safe while the bot writes: see `bot.db.files.backup_file`.

        Returns `(database, destination, size in bytes)`; raises `DatabaseFileError`, and `ValueError` for
        an in-memory database, which has no file to copy.
        """
        if self.path is None:
            raise ValueError("an in-memory database cannot be backed up")
        return await asyncio.to_thread(backup_file, self.path, destination)


class SqliteTransaction:
    """The statements of one SQLite transaction (`SqliteDatabase.transaction`)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        cursor = await self._conn.execute(sql, tuple(params))
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(row) for row in rows])

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for a lock another connection holds (SQLITE_BUSY or SQLITE_LOCKED)."""
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
