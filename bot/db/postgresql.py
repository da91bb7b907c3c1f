"""PostgreSQL (`DATABASE_URL=postgresql://…`): one write connection that takes turns, and a pool of readers.

The rules are SQLite's (`bot.db.database`): writes and the reads ordered with them take turns on one connection
(`_turn`), so the statements of a transaction never interleave with another's in this process; reads
(`read.fetch*`) go to a pool (asyncpg's) and run beside them. Several processes share the database, each serving
its own shards, so a server's writes all come from one process and keep the order they have on SQLite.

The members' deadline is PostgreSQL's own: before a statement of a member's action, `lock_timeout` and
`statement_timeout` are set to the time left (in steps of `BUSY_SLACK_MS`, so a burst of calls does not pay a trip
each), and the server cancels a statement that would run past it, so nothing of it is applied: `DatabaseBusy`.
Background work waits up to `BUSY_TIMEOUT_MS` for a lock, with no limit on a statement's time.

The stores' SQL is SQLite's: parameters are renumbered once per statement (`bot.db.sql.numbered`), and migrations
are read through `bot.db.sql.postgresql_ddl`. The schema's version is the one row of `schema_version`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

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
from bot.db.files import DatabaseFileError
from bot.db.sql import POSTGRESQL, numbered, postgresql_ddl
from bot.i18n import _l
from bot.settings import redacted_url

log = logging.getLogger(__name__)

READERS = 8  # the pool's connections at most, for reads beside the writer
MIGRATION_LOCK = 0x4852_0001  # advisory lock held while a process migrates: two starting at once take turns
INSTANCE_LOCK = 0x4852_0002  # advisory lock held by a command that needs no bot running (`instance_lock`)
LEASE_LOCKS = 0x4852_0003  # advisory locks (this, shard id): a running bot's leases on its shards (`bot.leases`)
VERSION_TABLE = "schema_version"
_BUSY_ERRORS = (asyncpg.exceptions.LockNotAvailableError, asyncpg.exceptions.QueryCanceledError)


def server_settings() -> dict[str, str]:
    """Every connection's settings: background work's lock wait, UTC, and a name `pg_stat_activity` shows."""
    return {
        "lock_timeout": str(BUSY_TIMEOUT_MS),
        "TimeZone": "UTC",
        "application_name": f"heated-rivalry-bot pid {os.getpid()} on {socket.gethostname()}"[:63],
    }


async def _keep(connection: asyncpg.Connection) -> None:
    """A reader going back to the pool: nothing to reset (reads change no session state), so no trip to the server
    (asyncpg's default runs RESET ALL, UNLISTEN and the rest on every release); an open transaction is rolled back
    by asyncpg before this."""


class PostgresDatabase(Database):
    """The database on a PostgreSQL server."""

    dialect = POSTGRESQL
    read: PostgresReads

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self._pool = pool
        self._writer: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._limits = (BUSY_TIMEOUT_MS, 0)  # (lock_timeout, statement_timeout) in ms as set on the writer
        self.read = PostgresReads(pool)

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, *, migrations: Sequence[Migration]) -> AsyncIterator[PostgresDatabase]:
        """Connect, migrate, and close every connection when the block ends."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=READERS, reset=_keep, server_settings=server_settings()
            )
        except (OSError, asyncpg.CannotConnectNowError) as error:  # down, starting, or not reachable yet
            raise DatabaseUnreachable(
                f"cannot reach PostgreSQL at DATABASE_URL {redacted_url(url)} ({error})"
            ) from error
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:  # a wrong password, database, role...
            raise DatabaseFileError(f"DATABASE_URL {redacted_url(url)}: PostgreSQL refused it ({error})") from error
        db = cls(url, pool)
        try:
            await db.migrate(migrations)
            yield db
        finally:
            if db._writer is not None:
                await db._writer.close()
            await pool.close()

    @property
    def where(self) -> str:
        return redacted_url(self.url)

    async def _connection(self) -> asyncpg.Connection:
        """The write connection, opened again when it was lost (the server restarted, a statement was cut short)."""
        if self._writer is None or self._writer.is_closed():
            self._writer = await asyncpg.connect(self.url, server_settings=server_settings())
            self._limits = (BUSY_TIMEOUT_MS, 0)
        return self._writer

    async def _limit(self, conn: asyncpg.Connection, until: float | None) -> None:
        """Set the writer's lock and statement timeouts for a call that must end by `until` (None: background)."""
        if until is None:
            wanted = (BUSY_TIMEOUT_MS, 0)
        else:
            left = wait_ms(until)
            if 0 < self._limits[1] <= left and left - BUSY_SLACK_MS < self._limits[1]:
                return
            step = left - left % BUSY_SLACK_MS or left
            wanted = (step, step)
        if wanted != self._limits:
            await conn.execute(f"SET lock_timeout = {wanted[0]}; SET statement_timeout = {wanted[1]}")
            self._limits = wanted

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[asyncpg.Connection]:
        """This coroutine's turn on the write connection, bounded by the task's `interactive` deadline if any:
        waiting for the turn, and PostgreSQL for its locks and the statement, both end by it (`DatabaseBusy`)."""
        until = deadline()
        await take_turn(self._lock, until)
        conn = None
        try:
            async with asyncio.timeout_at(until):
                conn = await self._connection()
            await self._limit(conn, until)
            yield conn
        except TimeoutError:
            if conn is not None:
                raise
            raise DatabaseBusy(_l(BUSY)) from None
        except _BUSY_ERRORS as error:
            raise DatabaseBusy(_l(BUSY)) from error
        except BaseException as error:
            # A statement cut short (cancelled) leaves the connection's state unknown: the next call opens another.
            if conn is not None and (not isinstance(error, Exception) or conn.is_in_transaction()):
                conn.terminate()
                self._writer = None
            raise
        finally:
            self._lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresStatements]:
        async with self._turn() as conn, conn.transaction():
            yield PostgresStatements(conn)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._turn() as conn:
            return rowcount(await conn.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        async with self._turn() as conn:  # asyncpg runs them in one transaction
            await conn.executemany(numbered(sql), [tuple(row) for row in rows])

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._turn() as conn:
            row: Row | None = await conn.fetchrow(numbered(sql), *params)
            return row

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._turn() as conn:
            return list(await conn.fetch(numbered(sql), *params))

    async def schema_version(self) -> int:
        async with self._turn() as conn:
            return await _version(conn)

    async def migrate(self, migrations: Sequence[Migration]) -> list[Migration]:
        async with self._turn() as conn, conn.transaction():
            return await apply_migrations(conn, migrations)

    async def tables(self) -> dict[str, list[str]]:
        return await tables(self.read)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[PostgresStatements]:
        """A connection of its own for the block (outside the pool and the writer's turns), closed at its end: for
        what lasts as long as a connection, such as a session-level advisory lock (`pg_try_advisory_lock`), which
        PostgreSQL releases when the connection ends, even when this process is killed."""
        conn = await asyncpg.connect(self.url, server_settings=server_settings())
        try:
            yield PostgresStatements(conn)
        finally:
            await conn.close()

    @asynccontextmanager
    async def instance_lock(self) -> AsyncIterator[None]:
        """Hold the database's instance lock for the block, for a command that needs no bot running on the database
        (`sync`): refused while another such command holds it, or a bot holds a lease on a shard (`bot.leases`).
        Raises `DatabaseFileError` naming the process that holds it."""
        async with self.session() as session:
            row = await session.fetchone("SELECT pg_try_advisory_lock(?)", (INSTANCE_LOCK,))
            running = await session.fetchone(
                "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ? AND l.objsubid = 2 LIMIT 1",
                (LEASE_LOCKS,),
            )
            if row is None or not row[0] or running is not None:
                holder = running or await session.fetchone(
                    "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = ? AND l.objsubid = 1",
                    (INSTANCE_LOCK,),
                )
                raise InstanceRunning(
                    self.where, "a process that has not said its name" if holder is None else str(holder[0])
                )
            yield


class DatabaseUnreachable(Exception):
    """The PostgreSQL server does not answer (down, starting, a network outage): not a setting to fix, so the
    service is restarted to try again (exit status 1), unlike a refusal (`DatabaseFileError`, status 2)."""


class InstanceRunning(DatabaseFileError):
    """Another process holds the database's instance lock; `holder` is its `application_name` (pid and host)."""

    def __init__(self, where: str, holder: str) -> None:
        super().__init__(
            f"another copy of the bot is already running on DATABASE_URL {where} ({holder}): stop it first, or give "
            "this one its own database"
        )
        self.holder = holder


class PostgresStatements:
    """Statements on one connection: a transaction's (`PostgresDatabase.transaction`), or a session's."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.connection = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return rowcount(await self.connection.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self.connection.executemany(numbered(sql), [tuple(row) for row in rows])

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        row: Row | None = await self.connection.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return list(await self.connection.fetch(numbered(sql), *params))


class PostgresReads:
    """Reads beside the writer, each on a connection of the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        row: Row | None = await self._pool.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return list(await self._pool.fetch(numbered(sql), *params))


async def apply_migrations(conn: asyncpg.Connection, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply every migration newer than `schema_version`, inside the caller's transaction, under an advisory lock so
    that two processes starting at once migrate one after the other; return those applied."""
    await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version BIGINT NOT NULL)")
    todo = pending(await _version(conn), migrations)
    for migration in todo:
        log.info("applying migration %04d_%s", migration.version, migration.name)
        for statement in split_statements(migration.sql):
            await conn.execute(postgresql_ddl(statement))
    if todo:
        await conn.execute(f"DELETE FROM {VERSION_TABLE}")
        await conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES ($1)", todo[-1].version)
    return todo


def rowcount(status: str) -> int:
    """The rows a statement changed, from PostgreSQL's command tag (`INSERT 0 3`, `UPDATE 2`, `DELETE 0`)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval(f"SELECT max(version) FROM {VERSION_TABLE}")
    return int(version or 0)


async def tables(reader: PostgresReads | PostgresStatements) -> dict[str, list[str]]:
    """The bot's tables in the connection's schema, with their columns in order (`schema_version` left out)."""
    rows = await reader.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name <> ? ORDER BY table_name, ordinal_position",
        (VERSION_TABLE,),
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(str(row[0]), []).append(str(row[1]))
    return found
