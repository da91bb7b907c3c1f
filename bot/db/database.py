"""One aiosqlite connection for the whole process, with its schema kept current by numbered migrations.

SQLite allows one writer at a time; a single shared connection in WAL mode with a busy timeout is the
arrangement that never reports "database is locked" to a fan, and lets `backup` read while the bot writes.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5000


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

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path | str, *, migrations: list[Migration] | None = None) -> AsyncIterator[Database]:
        """Open, configure and migrate the database; close it cleanly when the block ends."""
        target = Path(path) if str(path) != ":memory:" else None
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if target is not None:
                await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            db = cls(conn, target)
            await db.migrate(load_migrations() if migrations is None else migrations)
            yield db
        finally:
            await conn.close()

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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A short write transaction; `BEGIN IMMEDIATE` takes the write lock up front so it never deadlocks.

        Use the yielded connection inside the block, not `execute`/`fetch*`, which would wait for the block.
        """
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        async with self._lock:
            await self._conn.execute(sql, tuple(params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cursor:
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

    async def backup(self, destination: Path) -> None:
        """A consistent copy of the live database (SQLite's online backup), safe while the bot writes."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        target = await aiosqlite.connect(str(destination))
        try:
            async with self._lock:
                await self._conn.backup(target)
        finally:
            await target.close()


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
