"""Upgrades: a database written by schema version 4, with every kind of row, migrates to today's schema intact.

The fixture is `tests/fixtures/schema4/bot-schema4.sqlite3`, rebuilt by `python -m tests.fixtures.schema4.build`
(see its docstring for the rows). The test works on a copy; the fixture itself is never opened for writing.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.db import Database, load_migrations
from bot.releases import ServerReleases
from cogs.poll.rules import BallotMode, Tally, Visibility
from cogs.poll.store import PollStore
from cogs.reminders.store import GuildConfig, PostState, ReminderStore
from cogs.reminders.timeparse import parse_lead_times
from tests.fixtures.schema4.build import FIXTURE, ROWS, SCHEMA_VERSION

Rows = dict[str, list[tuple[object, ...]]]


def rows_of(database: Path, columns: dict[str, list[str]]) -> Rows:
    """Every row of each table, reading only the given columns (the ones schema version 4 had), sorted."""
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
        return {
            table: sorted(conn.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
            for table, names in columns.items()
        }


def columns_of(database: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
        tables = [str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [str(c[1]) for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_the_fixture_holds_every_kind_of_row_at_schema_version_4() -> None:
    columns = columns_of(FIXTURE)
    assert sorted(columns) == sorted(ROWS), "every table of version 4 has rows in the fixture"
    with closing(sqlite3.connect(f"{FIXTURE.as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        states = {str(r[0]) for r in conn.execute("SELECT state FROM reminder_posts")}
    assert states == {state.value for state in PostState}


async def test_a_schema_4_database_migrates_to_the_current_schema_without_losing_a_row(tmp_path: Path) -> None:
    copy = tmp_path / "bot.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    columns = columns_of(FIXTURE)
    before = rows_of(FIXTURE, columns)

    async with Database.open(copy) as db:
        assert await db.schema_version() == len(load_migrations())
        reminders, poll = ReminderStore(db), PollStore(db)
        assert await reminders.config(101) == GuildConfig(
            101, channel_id=5001, role_id=6001, zone="America/Toronto", lead_times=parse_lead_times("7d, 1d, 0"),
            template="{role} {release} {countdown}",
        )  # fmt: skip
        blocked = await reminders.config(202)
        assert blocked.blocked_reason == "Discord refused the post (403 Missing Access)" and not blocked.active
        assert [r.title for r in await ServerReleases(db).own_releases(101)] == ["Premiere rewatch", "Listening party"]
        assert await reminders.counts(101) == {
            PostState.PENDING: 2, PostState.SENT: 2, PostState.SKIPPED: 1, PostState.FAILED: 0,
        }  # fmt: skip
        retried = (await reminders.posts(101, [PostState.PENDING], 1))[0]
        assert (retried.attempts, retried.attempted_at, retried.error) == (1, 1772326800, "503 Service Unavailable")
        assert [p.detail for p in await reminders.posts(202, [PostState.FAILED], 5)] == ["400 Bad Request"]

        single, top3 = await poll.state(101), await poll.state(202)
        assert (single.round_id, single.mode, single.is_open, single.results) == (
            2,
            BallotMode.SINGLE,
            True,
            Visibility.LIVE,
        )
        assert (top3.mode, top3.is_open, top3.results) == (BallotMode.TOP3, False, Visibility.HIDDEN)
        ballot = await poll.ballot(202, 9001)
        assert ballot is not None and ballot.picks == ("its-you", "rivalry", "cut-cue")
        assert sorted(await poll.tallies(101, 1), key=repr) == sorted(
            [Tally("rivalry", 1, 2, "Rivalry"), Tally("its-you", 1, 1, "It's You")], key=repr
        )
        ended = await poll.round(101, 1)
        assert ended is not None and (ended.ended_at, ended.voters) == (1767312000, 3)

    assert rows_of(copy, columns) == before, "every row of version 4 is still there, unchanged"
