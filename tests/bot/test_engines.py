"""The two engines hold one schema, and the stores' one SQL reads the same on both.

The migrations are written once, for SQLite; PostgreSQL reads them through `bot.db.sql.postgresql_ddl`. Migrating an
empty database on each must give the same tables, columns (types mapped, nullability, defaults), primary keys,
foreign keys and indexes, so a migration that only one engine could take fails here, not in an operator's upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.db import Database
from bot.db.sql import numbered, postgresql_ddl

TYPES = {"INTEGER": "bigint", "TEXT": "text"}  # SQLite's declared type -> PostgreSQL's
ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}  # confdeltype
Schema = dict[str, Any]


async def sqlite_schema(db: Database) -> Schema:
    schema: Schema = {}
    for table in await db.tables():
        info = await db.fetchall(f"PRAGMA table_info({table})")
        columns = {
            str(c["name"]): (TYPES[str(c["type"])], bool(c["notnull"]) or c["pk"] > 0, c["dflt_value"]) for c in info
        }
        primary = [str(c["name"]) for c in sorted(info, key=lambda c: int(c["pk"])) if c["pk"] > 0]
        indexes = {}
        for index in await db.fetchall(f"PRAGMA index_list({table})"):
            if index["origin"] == "c":  # made by CREATE INDEX (primary keys are compared above)
                names = [str(c["name"]) for c in await db.fetchall(f"PRAGMA index_info({index['name']})")]
                indexes[str(index["name"])] = (names, bool(index["unique"]), bool(index["partial"]))
        keys = {
            (str(k["from"]), str(k["table"]), str(k["to"]), str(k["on_delete"]))
            for k in await db.fetchall(f"PRAGMA foreign_key_list({table})")
        }
        schema[table] = {"columns": columns, "primary key": primary, "indexes": indexes, "foreign keys": keys}
    return schema


async def postgresql_schema(db: Database) -> Schema:
    schema: Schema = {}
    for table in await db.tables():
        info = await db.fetchall(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        columns = {str(c[0]): (str(c[1]), c[2] == "NO", _default(c[3])) for c in info}
        indexes, primary = {}, []
        for index in await db.fetchall(
            "SELECT c.relname, i.indisprimary, i.indisunique, i.indpred IS NOT NULL, "
            "ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, n) "
            "JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) "
            "FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid WHERE i.indrelid = CAST(? AS regclass)",
            (table,),
        ):
            if index[1]:
                primary = list(index[4])
            else:
                indexes[str(index[0])] = (list(index[4]), bool(index[2]), bool(index[3]))
        keys = {
            (str(k[0]), str(k[1]), str(k[2]), ON_DELETE[str(k[3])])
            for k in await db.fetchall(
                "SELECT a.attname, r.relname, ra.attname, CAST(c.confdeltype AS TEXT) FROM pg_constraint AS c "
                "CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k (attnum, refnum) "
                "JOIN pg_class AS r ON r.oid = c.confrelid "
                "JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
                "JOIN pg_attribute AS ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum "
                "WHERE c.contype = 'f' AND c.conrelid = CAST(? AS regclass)",
                (table,),
            )
        }
        schema[table] = {"columns": columns, "primary key": primary, "indexes": indexes, "foreign keys": keys}
    return schema


def _default(expression: str | None) -> str | None:
    """A PostgreSQL column default as SQLite writes it: `'event'::text` is `'event'`."""
    return None if expression is None else expression.split("::", 1)[0]


async def test_the_migrations_make_one_schema_on_both_engines(tmp_path: Path, postgres_url: str) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as lite, Database.open(postgres_url) as pg:
        assert await lite.schema_version() == await pg.schema_version()
        on_sqlite, on_postgresql = await sqlite_schema(lite), await postgresql_schema(pg)
    assert on_sqlite == on_postgresql
    assert len(on_sqlite) >= 12 and on_sqlite["poll_ballots"]["indexes"], "the comparison saw the whole schema"
    assert on_sqlite["party_hearts"]["foreign keys"] == {("party_id", "parties", "id", "CASCADE")}
    assert on_sqlite["parties"]["columns"]["shift"] == ("bigint", True, "0")


def test_postgresql_reads_the_migrations_with_bigint_and_no_sqlite_table_options() -> None:
    statement = (
        "CREATE TABLE t (\n    id INTEGER PRIMARY KEY, -- an INTEGER, STRICT\n    note TEXT DEFAULT 'INTEGER'\n"
        ") STRICT, WITHOUT ROWID;"
    )
    assert postgresql_ddl(statement) == (
        "CREATE TABLE t (\n    id BIGINT PRIMARY KEY, -- an INTEGER, STRICT\n    note TEXT DEFAULT 'INTEGER'\n);"
    )
    counted = "CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused\n n INTEGER) STRICT;"
    assert postgresql_ddl(counted) == (
        "CREATE TABLE c (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, -- never reused\n n BIGINT);"
    )


async def test_an_autoincrement_key_numbers_rows_on_both_engines_and_never_reuses_a_number(db: Database) -> None:
    party = (
        "INSERT INTO parties (guild_id, release, title, start_at, play, advance, channel_id, host_id, state, due_at, "
        "created_at, updated_at) VALUES (1, 1, 'P', 0, 'album', 'timed', 2, 3, 'scheduled', 0, 0, 0) RETURNING id"
    )
    first = await db.fetchone(party)
    await db.execute("DELETE FROM parties")
    second = await db.fetchone(party)
    assert first is not None and second is not None and (first[0], second[0]) == (1, 2)


def test_parameters_are_numbered_as_sqlite_numbers_them() -> None:
    assert numbered("SELECT ?, ?3, ? FROM t WHERE a = ?1") == "SELECT $1, $3, $4 FROM t WHERE a = $1"
    assert numbered("SELECT '?', \"a?\" -- ?\nFROM t WHERE b = ?") == "SELECT '?', \"a?\" -- ?\nFROM t WHERE b = $1"


CODE = st.sampled_from(["SELECT ", "a = ", "?", ", ", " WHERE ", "?2", "x", "\n"])
QUOTED = st.sampled_from(["'?'", "'it''s ?'", '"col?"', "-- ? here\n", "/* ?1 */"])


@given(st.lists(st.one_of(CODE, QUOTED), max_size=30))
def test_only_parameters_outside_quotes_and_comments_change(pieces: list[str]) -> None:
    sql = "".join(pieces)
    translated = numbered(sql)
    code_marks = sum(piece.count("?") for piece in pieces if piece in {"?", "?2"})
    assert translated.count("$") == code_marks
    for piece in pieces:
        if piece not in {"?", "?2"} and "?" in piece:
            assert piece in translated, "a quoted string or comment is left as it was"
