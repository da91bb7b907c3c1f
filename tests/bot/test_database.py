"""Migrations: applied once, in one transaction, to an empty or an existing database, on either engine; newer
schemas refused. A member's call waits for the database no longer than their deadline, and what it was refused is
never applied."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest

from bot.db import Database, DatabaseBusy, Migration, MigrationError, interactive, load_migrations
from bot.db.postgresql import PostgresDatabase
from bot.db.sqlite import SqliteDatabase


def test_bundled_migrations_are_numbered_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


async def test_empty_database_gets_latest_schema(db: Database) -> None:
    assert await db.schema_version() == load_migrations()[-1].version
    assert "meta" in await db.tables()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    db = sqlite_db
    row = await db.fetchone("PRAGMA journal_mode")
    assert row is not None and row[0] == "wal"
    row = await db.fetchone("PRAGMA foreign_keys")
    assert row is not None and row[0] == 1


async def test_reopening_keeps_data_and_applies_nothing(database_target: Path | str) -> None:
    async with Database.open(database_target) as db:
        await db.set_meta("greeting", "hello")
    async with Database.open(database_target) as db:
        assert await db.get_meta("greeting") == "hello"
        assert await db.migrate(load_migrations()) == []


async def test_existing_database_is_upgraded_in_place(database_target: Path | str) -> None:
    first = load_migrations()
    async with Database.open(database_target, migrations=first) as db:
        await db.set_meta("kept", "yes")
    extra = Migration(len(first) + 1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT) STRICT;")
    async with Database.open(database_target, migrations=[*first, extra]) as db:
        assert await db.schema_version() == extra.version
        assert await db.get_meta("kept") == "yes"
        await db.execute("INSERT INTO notes (id, body) VALUES (1, 'x')")


async def test_failed_migration_rolls_back_everything(database_target: Path | str) -> None:
    first = load_migrations()
    broken = Migration(len(first) + 1, "broken", "CREATE TABLE a (x INTEGER);\nINSERT INTO missing VALUES (1);")
    with pytest.raises((sqlite3.OperationalError, asyncpg.UndefinedTableError)):
        async with Database.open(database_target, migrations=[*first, broken]):
            pass
    async with Database.open(database_target, migrations=[]) as db:
        assert await db.schema_version() == 0
        assert await db.tables() == {}


async def test_database_newer_than_the_code_is_refused(database_target: Path | str) -> None:
    async with Database.open(database_target) as db:
        await db.migrate(
            [*load_migrations(), *(Migration(n, "later", "SELECT 1;") for n in range(len(load_migrations()) + 1, 100))]
        )
    with pytest.raises(MigrationError, match="schema version 99, newer than this bot knows"):
        async with Database.open(database_target):
            pass


def test_migration_files_are_checked() -> None:
    with pytest.raises(MigrationError, match="0002 is missing"):
        load_migrations([("0001_a.sql", "SELECT 1;"), ("0003_c.sql", "SELECT 1;")])
    with pytest.raises(MigrationError, match="not named"):
        load_migrations([("1_a.sql", "SELECT 1;")])


async def test_backup_is_a_consistent_copy(sqlite_db: Database, tmp_path: Path) -> None:
    db = sqlite_db
    assert isinstance(db, SqliteDatabase)
    await db.set_meta("k", "v")
    target = tmp_path / "backups" / "copy.sqlite3"
    await db.backup(target)
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)


async def test_a_members_write_under_another_programs_lock_is_refused_in_time_and_never_applied(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    assert db.path is not None
    with closing(sqlite3.connect(db.path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        interactive(0.3)
        with pytest.raises(DatabaseBusy, match="nothing was saved"):
            await db.set_meta("vote", "rivalry")
        assert await db.get_meta("vote") is None, "reading still works meanwhile"
        other.execute("ROLLBACK")
    await db.set_meta("other", "later")  # the queue moves on; the refused write is not in it
    assert await db.get_meta("vote") is None and await db.get_meta("other") == "later"


async def test_a_member_waiting_behind_a_long_queue_is_refused_by_the_deadline(db: Database) -> None:
    async def hold() -> None:
        async with db.transaction():
            await release.wait()

    release = asyncio.Event()
    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)  # the holder takes its turn first
    interactive(0.1)
    with pytest.raises(DatabaseBusy):
        await db.set_meta("vote", "melt")
    release.set()
    await holder
    assert await db.get_meta("vote") is None


async def test_a_transaction_cancelled_while_it_begins_leaves_no_transaction_open(db: Database) -> None:
    """aiosqlite runs a queued BEGIN even if its caller is cancelled; the connection must not stay inside it."""

    async def write() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('x', 'y', 0)")

    for _ in range(20):  # cancel at every point the first awaits reach
        task = asyncio.create_task(write())
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await db.execute("DELETE FROM meta WHERE key = 'x'")
    await write()  # a BEGIN after all that: no "cannot start a transaction within a transaction"
    assert await db.get_meta("x") == "y"


async def test_members_calls_reset_the_busy_timeout_only_when_it_would_outlast_their_deadline(
    sqlite_db: Database,
) -> None:
    """Each call of an interaction has a little less time left; re-setting SQLite's busy timeout for each cost
    a trip to the database thread per call. It is kept while it ends at most `BUSY_SLACK_MS` early."""
    db = sqlite_db
    assert isinstance(db, SqliteDatabase)
    statements: list[str] = []
    await db._conn.set_trace_callback(statements.append)  # what the connection really runs
    interactive(2.0)
    for n in range(20):
        await db.set_meta("k", str(n))
    interactive(0.5)  # a shorter deadline: the timeout must come down, or SQLite would wait past it
    await db.set_meta("k", "last")
    timeouts = [int(s.rsplit("=", 1)[1]) for s in statements if s.startswith("PRAGMA busy_timeout")]
    # [1750, 250] unless the machine is slow enough for the 20 calls to cross a 250 ms step
    assert timeouts[0] == 1750 and timeouts[-1] == 250 and len(timeouts) < 6, timeouts
    assert all(t % 250 == 0 for t in timeouts) and timeouts == sorted(timeouts, reverse=True)


async def test_on_postgresql_a_members_write_under_another_programs_lock_is_refused_in_time_and_never_applied(
    postgres_url: str,
) -> None:
    """PostgreSQL ends the statement at the member's deadline (`lock_timeout`), so it is refused, not applied later."""
    async with Database.open(postgres_url) as db:
        assert isinstance(db, PostgresDatabase)
        other = await asyncpg.connect(postgres_url)
        try:
            async with other.transaction():
                await other.execute("LOCK TABLE meta IN EXCLUSIVE MODE")  # another program writes meta
                interactive(0.3)
                with pytest.raises(DatabaseBusy, match="nothing was saved"):
                    await db.set_meta("vote", "rivalry")
                assert await db.get_meta("vote") is None, "reading still works meanwhile"
        finally:
            await other.close()
        await db.set_meta("other", "later")  # the refused write is not waiting anywhere
        assert await db.get_meta("vote") is None and await db.get_meta("other") == "later"


async def test_on_postgresql_background_work_waits_for_another_programs_lock(postgres_url: str) -> None:
    """Without a deadline a call waits for the lock (up to `BUSY_TIMEOUT_MS`), then goes through: a member's
    earlier short limits are not left on the connection for it."""
    async with Database.open(postgres_url) as db:
        interactive(0.3)
        await db.set_meta("first", "a member's")

        async def background() -> None:
            await db.set_meta("later", "background")

        other = await asyncpg.connect(postgres_url)
        try:
            async with other.transaction():
                await other.execute("LOCK TABLE meta IN EXCLUSIVE MODE")
                task = asyncio.create_task(asyncio.wait_for(background(), 10), context=contextvars.Context())
                await asyncio.sleep(0.6)  # past the member's limit: the background write still waits
                assert not task.done()
        finally:
            await other.close()
        await task
        assert await db.get_meta("later") == "background"
