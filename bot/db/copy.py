"""`python -m bot migrate --to URL`: the SQLite database copied into an empty PostgreSQL database, then verified.

The target must be empty (no table at all), so nothing of another installation is mixed in or overwritten. The
schema is made by the bot's own migrations, every table is copied (parents before the tables whose foreign keys
name them), and each table is then read back and compared with the source: its row count and an order-independent
checksum of its rows (`checksum`), computed the same way from both sides' values. A numbering (an AUTOINCREMENT key,
an identity column on PostgreSQL) goes on after the last number SQLite gave. All of it is one transaction on the
target: a copy that does not match is rolled back, leaving the target empty for another try.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter

import asyncpg

from bot.db.database import Database, load_migrations
from bot.db.files import DatabaseFileError
from bot.db.postgresql import apply_migrations
from bot.settings import redacted_url

SHOWN = 5  # tables named in a refusal at most


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's rows and checksum in the SQLite source and in the PostgreSQL copy."""

    table: str
    rows: int
    copied: int
    checksum: str
    copied_checksum: str

    @property
    def matches(self) -> bool:
        return self.rows == self.copied and self.checksum == self.copied_checksum


class CopyMismatch(DatabaseFileError):
    """The copy differs from the source (and was rolled back); `tables` says where."""

    def __init__(self, url: str, tables: list[TableCopy]) -> None:
        wrong = ", ".join(t.table for t in tables if not t.matches)
        super().__init__(
            f"the copy in {redacted_url(url)} does not match the source in {wrong}: nothing was kept (the target is "
            "empty again); report this as a bug, with the table above"
        )
        self.tables = tables


def checksum(rows: Iterable[Sequence[object]]) -> str:
    """An order-independent checksum of `rows`: the sum, modulo 2^128, of a SHA-256 of each row's values written as
    JSON (integers, text and NULL read alike from either engine)."""
    total = 0
    for row in rows:
        digest = hashlib.sha256(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")).encode()).digest()
        total = (total + int.from_bytes(digest[:16], "big")) % (1 << 128)
    return f"{total:032x}"


async def copy_to_postgresql(source: Database, url: str) -> list[TableCopy]:
    """Copy `source` (SQLite, at the current schema) into the empty PostgreSQL database at `url` and verify it.

    Raises `DatabaseFileError` when the target cannot be reached or is not empty, and `CopyMismatch` (with every
    table's figures) when the copy does not match; either way the target is left as it was.
    """
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DatabaseFileError(f"cannot connect to {redacted_url(url)} ({error})") from error
    try:
        await _refuse_unless_empty(conn, url)
        tables = await source.tables()
        report = []
        try:
            async with conn.transaction():
                await apply_migrations(conn, load_migrations())
                for table in await _parents_first(source, tables):
                    report.append(await _copy_table(source, conn, table, tables[table]))
                await _continue_numbering(source, conn)
                if not all(t.matches for t in report):
                    raise CopyMismatch(url, report)
        except asyncpg.PostgresError as error:
            raise DatabaseFileError(f"copying into {redacted_url(url)} failed ({error}); nothing was kept") from error
        return report
    finally:
        await conn.close()


async def _refuse_unless_empty(conn: asyncpg.Connection, url: str) -> None:
    found = [
        str(row[0])
        for row in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        )
    ]
    if found:
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise DatabaseFileError(
            f"the target {redacted_url(url)} is not empty: it has the tables {', '.join(found[:SHOWN])}{more}; "
            "give migrate --to a new, empty database (createdb), nothing was changed"
        )


async def _parents_first(source: Database, tables: dict[str, list[str]]) -> list[str]:
    """The tables in an order that copies each after the tables its foreign keys refer to."""
    graph = TopologicalSorter[str]()
    for table in sorted(tables):
        keys = await source.fetchall(f"PRAGMA foreign_key_list({table})")
        graph.add(table, *(str(key["table"]) for key in keys if str(key["table"]) != table))
    return list(graph.static_order())


async def _continue_numbering(source: Database, conn: asyncpg.Connection) -> None:
    """Each identity column (an AUTOINCREMENT key on SQLite) goes on from the source's last number, which SQLite keeps
    in `sqlite_sequence` even for deleted rows: a number given once is never given again, before the copy or after."""
    kept = await source.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    last = (
        {str(row[0]): int(row[1]) for row in await source.fetchall("SELECT name, seq FROM sqlite_sequence")}
        if kept
        else {}
    )
    for table, column in await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ):
        largest = await conn.fetchval(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')
        if number := max(last.get(table, 0), int(largest)):
            await conn.execute("SELECT setval(pg_get_serial_sequence($1, $2), $3)", f'"{table}"', column, number)


async def _copy_table(source: Database, conn: asyncpg.Connection, table: str, columns: list[str]) -> TableCopy:
    names = ", ".join(f'"{column}"' for column in columns)
    rows = [tuple(row[c] for c in columns) for row in await source.fetchall(f"SELECT {names} FROM {table}")]
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=columns)
    copied = [tuple(row) for row in await conn.fetch(f"SELECT {names} FROM {table}")]
    return TableCopy(table, len(rows), len(copied), checksum(rows), checksum(copied))
