"""One aiosqlite connection for the whole process, with its schema kept current by numbered migrations.

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
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.db.files import (
    QUICK_CHECK,
    DatabaseFileError,
    backup_file,
    damaged,
    findings,
    prepare_database_file,
)
from bot.db.reads import Reads, read_connection
from bot.i18n import N_, _l
from bot.refusal import Refusal

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5000  # background work and start-up: how long SQLite waits for another process's write lock
INTERACTIVE_WAIT_S = 2.0  # a member's action: how long it may wait for the database in all, then "busy"
MIN_WAIT_S = 0.25  # ... though any one call may wait this long, so a short queue never refuses it
BUSY_SLACK_MS = 250  # SQLite's busy timeout is left as set while it is at most this much shorter than allowed
BUSY = N_(
    "The bot's database is busy right now (another program is using it), so that was not done and nothing was "
    "saved. Please try again in a moment."
)

# The deadline (event-loop time) of the member's action the current task runs for; None for background work.
_deadline: ContextVar[float | None] = ContextVar("database_deadline", default=None)


class DatabaseBusy(Refusal):
    """The database stayed locked (by another process, or by a long queue here) past the allowed wait.

    Nothing was written: the member is told so (`BUSY`) and may try again; background work retries later.
    """


def interactive(seconds: float = INTERACTIVE_WAIT_S) -> None:
    """From now on in the current task (one interaction), every database call ends by `seconds` from now
    (a call made later still gets `MIN_WAIT_S`).

    A call that cannot get the connection and SQLite's write lock by then raises `DatabaseBusy` having
    written nothing, so the member gets an answer in time and what they were told failed never lands later.
    Tasks started afterwards from this one inherit the deadline (context variables are copied).
    """
    _deadline.set(asyncio.get_running_loop().time() + seconds)


class MigrationError(Exception):
    """The migrations on disk and the database disagree; the message says how."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(files: Iterable[tuple[str, str]] | None = None) -> list[Migration]:
    """Migrations sorted by version, checked to be numbered 1..N without gaps."""
    if files is None:
        folder = resources.files("bot.db").joinpath("migrations")
        files = [(entry.name, entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".sql")]
    migrations = []
    for filename, sql in files:
        match = _MIGRATION_NAME.match(filename)
        if match is None:
            raise MigrationError(f"migration file {filename!r} is not named NNNN_lower_snake_name.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), sql))
    migrations.sort(key=lambda m: m.version)
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {expected:04d} is missing (found {migration.version:04d}_{migration.name})"
            )
    return migrations


class Database:
    """The bot's data layer: feature modules add typed accessors in `bot/db/` on top of `execute`/`fetch*`."""

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
    async def open(cls, path: Path | str, *, migrations: list[Migration] | None = None) -> AsyncIterator[Database]:
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
                await db.migrate(load_migrations() if migrations is None else migrations)
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

    async def quick_check(self) -> list[str]:
        """`PRAGMA quick_check`'s findings: `[]` when the file is sound, else SQLite's lines (at most 5)."""
        async with self._turn(), self._conn.execute(QUICK_CHECK) as cursor:
            return findings([str(row[0]) for row in await cursor.fetchall()])

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: list[Migration]) -> list[Migration]:
        """Apply every migration newer than `PRAGMA user_version` in one transaction; return those applied."""
        current = await self.schema_version()
        latest = migrations[-1].version if migrations else 0
        if current > latest:
            raise MigrationError(
                f"the database is at schema version {current}, newer than this bot knows ({latest}): "
                "upgrade the bot, or restore a backup made by this version"
            )
        pending = [m for m in migrations if m.version > current]
        if not pending:
            return []
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            for migration in pending:
                log.info("applying migration %04d_%s", migration.version, migration.name)
                for statement in _split_statements(migration.sql):
                    await self._conn.execute(statement)
            await self._conn.execute(f"PRAGMA user_version = {latest}")
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        return pending

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This coroutine's turn on the shared connection, bounded by the task's `interactive` deadline if any.

        Without a deadline (background work, start-up) it waits for its turn, and SQLite waits up to
        `BUSY_TIMEOUT_MS` for another process's write lock. With one, both waits end at the deadline.
        Either way a write lock that does not come raises `DatabaseBusy` before anything was written.
        """
        deadline = _deadline.get()
        if deadline is not None:  # a call made after the deadline (the handler was busy with Discord) still waits a bit
            deadline = max(deadline, asyncio.get_running_loop().time() + MIN_WAIT_S)
        try:
            if deadline is None:
                await self._lock.acquire()
            else:
                async with asyncio.timeout_at(deadline):
                    await self._lock.acquire()
        except TimeoutError:
            raise DatabaseBusy(_l(BUSY)) from None
        try:
            left = BUSY_TIMEOUT_MS if deadline is None else int((deadline - asyncio.get_running_loop().time()) * 1000)
            left = max(left, 1)
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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A short write transaction; `BEGIN IMMEDIATE` takes the write lock up front so it never deadlocks.

        Use the yielded connection inside the block, not `execute`/`fetch*`, which would wait for the block.
        Raises `DatabaseBusy`, with nothing written, when the write lock does not come in time (see `_turn`):
        a transaction either starts within a member's deadline or never, so it is never applied later.
        """
        async with self._turn():
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
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
        """Run one statement (autocommitted unless inside `transaction`); returns the rows it changed."""
        async with self._turn():
            cursor = await self._conn.execute(sql, tuple(params))
            return cursor.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._turn(), self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._turn(), self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, int(time.time())),
        )

    async def backup(self, destination: Path) -> tuple[Path, Path, int]:
        """A verified copy of the live database, safe while the bot writes: see `bot.db.files.backup_file`.

        Returns `(database, destination, size in bytes)`; raises `DatabaseFileError`, and `ValueError` for
        an in-memory database, which has no file to copy.
        """
        if self.path is None:
            raise ValueError("an in-memory database cannot be backed up")
        return await asyncio.to_thread(backup_file, self.path, destination)


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for a lock another connection holds (SQLITE_BUSY or SQLITE_LOCKED)."""
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements with sqlite3's own completeness test (handles triggers and strings)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(part.strip().startswith("--") for part in buffer.strip().splitlines()):
        raise MigrationError(f"migration ends with an incomplete statement: {buffer.strip()[:80]!r}")
    return statements
