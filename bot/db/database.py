"""The database every store uses, whichever engine holds it: one API, numbered migrations, the members' deadline.

`Database.open(target)` opens SQLite (a file path, the default: `bot.db.sqlite`) or PostgreSQL (a `postgresql://`
URL, `DATABASE_URL`: `bot.db.postgresql`). Both take the stores' SQL as written (SQLite's, with `?` parameters:
`bot.db.sql`), return rows that read by column name and by index, and keep the same rules:

- writes take turns in the process, on one write connection, so a transaction and the statements around it never
  interleave (SQLite allows one writer anyway; on PostgreSQL each server's writes come from the one process that
  serves its shard, so this keeps the same order there); reads (`read.fetch*`) run beside them;
- a member's action (`interactive`) waits for the database at most `INTERACTIVE_WAIT_S` in all, and is answered
  `DatabaseBusy` ("busy, nothing was saved") rather than applied afterwards; background work waits up to
  `BUSY_TIMEOUT_MS` for another program's lock, then gets `DatabaseBusy` too and retries later;
- the schema is kept current by one numbered series of migrations (`load_migrations`); a database newer than the
  code is refused.
"""

from __future__ import annotations

import abc
import asyncio
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol

from bot.db.sql import Dialect
from bot.i18n import N_, _l
from bot.refusal import Refusal

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5000  # background work and start-up: how long a call waits for another program's lock
INTERACTIVE_WAIT_S = 2.0  # a member's action: how long it may wait for the database in all, then "busy"
MIN_WAIT_S = 0.25  # ... though any one call may wait this long, so a short queue never refuses it
BUSY_SLACK_MS = 250  # an engine's lock timeout is left as set while it is at most this much shorter than allowed
BUSY = N_(
    "The bot's database is busy right now (another program is using it), so that was not done and nothing was "
    "saved. Please try again in a moment."
)
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")

# The deadline (event-loop time) of the member's action the current task runs for; None for background work.
_deadline: ContextVar[float | None] = ContextVar("database_deadline", default=None)


class DatabaseBusy(Refusal):
    """The database stayed locked (by another process, or by a long queue here) past the allowed wait.

    Nothing was written: the member is told so (`BUSY`) and may try again; background work retries later.
    """


def interactive(seconds: float = INTERACTIVE_WAIT_S) -> None:
    """From now on in the current task (one interaction), every database call ends by `seconds` from now
    (a call made later still gets `MIN_WAIT_S`).

    A call that cannot get the write connection and the engine's locks by then raises `DatabaseBusy` having
    written nothing, so the member gets an answer in time and what they were told failed never lands later.
    Tasks started afterwards from this one inherit the deadline (context variables are copied).
    """
    _deadline.set(asyncio.get_running_loop().time() + seconds)


def deadline() -> float | None:
    """The event-loop time by which the current call must have its turn and its locks; None: background work."""
    found = _deadline.get()
    if found is None:
        return None
    # A call made after the deadline (the handler was busy with Discord) still waits a bit.
    return max(found, asyncio.get_running_loop().time() + MIN_WAIT_S)


async def take_turn(lock: asyncio.Lock, until: float | None) -> None:
    """Acquire `lock` by `until` (None: however long it takes); `DatabaseBusy` when the turn does not come in time."""
    if until is None:  # background work: the common case, without a timeout's cost
        await lock.acquire()
        return
    try:
        async with asyncio.timeout_at(until):
            await lock.acquire()
    except TimeoutError:
        raise DatabaseBusy(_l(BUSY)) from None


def wait_ms(until: float | None) -> int:
    """How long an engine may wait for a lock: `BUSY_TIMEOUT_MS` for background work, else up to `until`
    (at least 1 ms)."""
    if until is None:
        return BUSY_TIMEOUT_MS
    return max(int((until - asyncio.get_running_loop().time()) * 1000), 1)


def is_postgresql(target: Path | str) -> bool:
    """Whether `target` names a PostgreSQL database (a URL) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(POSTGRESQL_SCHEMES)


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


def pending(current: int, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations newer than the database's `current` version; `MigrationError` when it is newer than all."""
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise MigrationError(
            f"the database is at schema version {current}, newer than this bot knows ({latest}): "
            "upgrade the bot, or restore a backup made by this version"
        )
    return [m for m in migrations if m.version > current]


def split_statements(sql: str) -> list[str]:
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


class Row(Protocol):
    """A result row: `row["column"]` or `row[0]` (sqlite3.Row on SQLite, asyncpg.Record on PostgreSQL)."""

    def __getitem__(self, key: int | str, /) -> Any: ...


class Reader(Protocol):
    """Statements that return rows."""

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...


class Transaction(Reader, Protocol):
    """The statements of one transaction (`Database.transaction`), on the write connection."""

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; the rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None: ...


class Database(abc.ABC):
    """The bot's data layer: each feature's store runs its SQL through `execute` / `fetch*` / `transaction`, and its
    reads that need not wait for writes through `read.fetch*`.

    `dialect` says what the engines write differently (`bot.db.sql.Dialect`); `path` is the SQLite file (None for
    PostgreSQL and `:memory:`); `where` names the database for the operator (no password).
    """

    dialect: ClassVar[Dialect]
    path: Path | None = None
    read: Reader

    @classmethod
    @asynccontextmanager
    async def open(cls, target: Path | str, *, migrations: list[Migration] | None = None) -> AsyncIterator[Database]:
        """Open, configure and migrate the database at `target` (a SQLite file path or `:memory:`, or a
        `postgresql://` URL); close it cleanly when the block ends."""
        found = load_migrations() if migrations is None else migrations
        opened: AbstractAsyncContextManager[Database]
        if is_postgresql(target):
            assert isinstance(target, str)
            from bot.db.postgresql import PostgresDatabase

            opened = PostgresDatabase.connect(target, migrations=found)
        else:
            from bot.db.sqlite import SqliteDatabase

            opened = SqliteDatabase.connect(target, migrations=found)
        async with opened as db:
            yield db

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """The database as the operator names it: the file's absolute path, or the URL without its password."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement (autocommitted unless inside `transaction`); returns the rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each of `rows`, all in one transaction."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row, in turn with the writes (`read.fetchone` reads beside them)."""

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Every row, in turn with the writes (`read.fetchall` reads beside them)."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A short write transaction, committed when the block ends and rolled back if it raises.

        Use the yielded `Transaction` inside the block, not `execute`/`fetch*`, which would wait for the block.
        Raises `DatabaseBusy`, with nothing written, when the write lock does not come in time: a transaction
        either starts within a member's deadline or never, so it is never applied later.
        """

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """The number of the last migration applied (0: none)."""

    @abc.abstractmethod
    async def migrate(self, migrations: Sequence[Migration]) -> list[Migration]:
        """Apply every migration newer than the database's version in one transaction; return those applied."""

    @abc.abstractmethod
    async def tables(self) -> dict[str, list[str]]:
        """Every table of the bot's schema, with its columns in order (the engine's bookkeeping left out)."""

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, int(time.time())),
        )
