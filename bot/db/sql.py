"""The one SQL the stores and migrations write, as each engine reads it.

The stores write SQLite's SQL with `?` and `?N` parameters, which PostgreSQL also reads once its parameters are
numbered `$N` (`numbered`); what the two engines write differently goes through `Dialect` (a list of ids as one
parameter). Migrations are written once, for SQLite, and `postgresql_ddl` gives PostgreSQL's form: SQLite's
INTEGER is a 64-bit integer (BIGINT), and its STRICT / WITHOUT ROWID table options have no counterpart to keep
(PostgreSQL's columns are strictly typed and its tables have no rowid). A test keeps the two schemas equal.

Both rewrites touch SQL code only, never a quoted string, a quoted name or a comment (`_segments`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

# A string literal, a quoted identifier, a line comment, a block comment; SQL code is what lies between.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_PARAMETER = re.compile(r"\?(\d*)")
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
_TABLE_OPTIONS = re.compile(r"\)\s*(?:STRICT|WITHOUT\s+ROWID)(?:\s*,\s*(?:STRICT|WITHOUT\s+ROWID))*\s*(;|$)", re.I)


def _segments(sql: str) -> Iterator[tuple[bool, str]]:
    """`sql` as consecutive (is code, text) pieces: code, and quoted strings, quoted names and comments."""
    at = 0
    for match in _QUOTED.finditer(sql):
        if match.start() > at:
            yield True, sql[at : match.start()]
        yield False, match.group()
        at = match.end()
    if at < len(sql):
        yield True, sql[at:]


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`sql` with PostgreSQL's `$N` parameters for SQLite's `?N` and `?`, numbered as SQLite numbers them (a bare
    `?` is one more than the largest number given so far). Cached: each statement is translated once."""
    largest = 0

    def number(match: re.Match[str]) -> str:
        nonlocal largest
        n = int(match.group(1)) if match.group(1) else largest + 1
        largest = max(largest, n)
        return f"${n}"

    return "".join(_PARAMETER.sub(number, text) if code else text for code, text in _segments(sql))


def postgresql_ddl(statement: str) -> str:
    """A migration statement written for SQLite, as PostgreSQL takes it: INTEGER columns as BIGINT (SQLite's are
    64-bit) and without the STRICT / WITHOUT ROWID table options."""
    return "".join(
        _TABLE_OPTIONS.sub(r")\1", _INTEGER.sub("BIGINT", text)) if code else text
        for code, text in _segments(statement)
    )


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the stores' SQL says differently on each engine.

    `in_ids` follows a column to test it against a list of ids given as one parameter, `ids(...)`, whatever the
    list's length (`guild_id {in_ids}`, or `guild_id NOT {in_ids}`): SQLite reads a JSON array, PostgreSQL an array.
    """

    name: str  # "sqlite" or "postgresql"
    in_ids: str

    def ids(self, ids: Collection[int]) -> object:
        ordered = sorted(ids)
        return json.dumps(ordered) if self.name == "sqlite" else ordered


SQLITE = Dialect("sqlite", "IN (SELECT value FROM json_each(?))")
POSTGRESQL = Dialect("postgresql", "IN (SELECT unnest(?::bigint[]))")
