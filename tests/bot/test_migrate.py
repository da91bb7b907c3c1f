"""`python -m bot migrate --to URL`: an operator moves a SQLite installation with data in every table to PostgreSQL,
and the copy is verified table by table; a target that is not empty is refused, and a copy that does not match is
rolled back."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from bot.__main__ import main
from bot.db import Database
from bot.db import copy as copying
from bot.languages import ServerLanguages
from bot.presence import Departures
from bot.releases import Origin, ServerReleases
from cogs.poll.rules import BallotMode
from cogs.poll.store import PollStore
from cogs.reminders.event_store import EventStore
from cogs.reminders.mirror import EventShape
from cogs.reminders.store import GuildConfig, PlannedPost, ReminderStore
from cogs.reminders.timeparse import parse_lead_time
from tests.bot.test_cli import run_bot

NOW = int(dt.datetime(2027, 1, 10, tzinfo=dt.UTC).timestamp())
SERVER, OTHER = 411, 522


async def fill_every_table(db: Database) -> dict[str, int]:
    """A server's life through the stores (votes and an ended round, reminders planned and sent, a mirrored event, a
    language, a departure, a sync hash), plus text that needs care (quotes, accents, emoji); rows per table."""
    await db.set_meta("commands_hash", "abc'123")
    poll = PollStore(db)
    await poll.remember_titles([("rivalry", "Rivalry"), ("its-you", "It's You — é ✨"), ("melt", "Melt")])
    await poll.configure(SERVER, mode=BallotMode.TOP3)
    for user, picks in ((1, ["rivalry", "melt"]), (2, ["its-you"]), (3, ["melt", "rivalry", "its-you"])):
        await poll.vote(SERVER, user, partial(_ballot, picks))
    await poll.reset(SERVER, 1)
    await poll.vote(SERVER, 4, lambda _: ["rivalry"])
    reminders = ReminderStore(db)
    await reminders.configure(GuildConfig(SERVER, channel_id=900, role_id=901, template='"{release}" à venir'), NOW)
    await reminders.configure(GuildConfig(OTHER, channel_id=902), NOW)
    releases = ServerReleases(db)
    await releases.add_release(
        SERVER,
        title="Soirée d'écoute",
        date=dt.date(2027, 2, 1),
        time=dt.time(20),
        link=None,
        description="🎧",
        now=NOW,
    )
    await releases.add_release(
        SERVER, title="Party", date=dt.date(2027, 2, 2), time=dt.time(21), link=None, description=None, now=NOW,
        kind=Origin.PARTY, channel_id=903, zone="America/Toronto",
    )  # fmt: skip
    await fill_party_tables(db)
    plan = [PlannedPost("own:1", parse_lead_time(lead), "2027-02-01T20:00", NOW + 3600, NOW + s) for lead, s in
            (("1d", 60), ("0", 3600))]  # fmt: skip
    await reminders.sync_plan(SERVER, plan, NOW)
    (first, *_) = await reminders.due(NOW + 60, 1)
    await reminders.mark_sent(first, 7001, NOW + 61, late=False)
    events = EventStore(db)
    await events.set_mirror(SERVER, enabled=True, now=NOW)
    await events.intend(SERVER, "own:1", EventShape("Soirée d'écoute", NOW + 3600, NOW + 7200, "Online", "🎧"), NOW)
    await ServerLanguages(db).choose(SERVER, "fr", NOW)
    await Departures(db).left([OTHER], NOW)
    await db.execute("INSERT INTO shard_turns (name, next_at_us) VALUES ('global', ?)", (NOW * 1_000_000,))
    return {table: int((await db.fetchall(f"SELECT COUNT(*) FROM {table}"))[0][0]) for table in await db.tables()}


async def fill_party_tables(db: Database) -> None:
    """A party that ran (its posts, a heart) and one cancelled and deleted, so the parties' numbers (never reused)
    are ahead of the rows. Written here: the parties' own store is not in this tree yet."""
    party = (
        "INSERT INTO parties (guild_id, release, title, start_at, play, tracks, advance, channel_id, host_id, state, "
        "due_at, created_at, updated_at) VALUES (?, 2, 'Party', ?, 'album', ?, 'timed', 903, 42, ?, ?, ?, ?)"
    )
    await db.execute(party, (SERVER, NOW, '[["rivalry", 200]]', "over", NOW, NOW, NOW))
    await db.execute(party, (SERVER, NOW, None, "cancelled", NOW, NOW, NOW))
    await db.execute("DELETE FROM parties WHERE state = 'cancelled'")
    await db.execute("INSERT INTO party_posts (party_id, step, due_at, posted_at, message_id) VALUES (1, 0, ?, ?, 8001)",
                     (NOW, NOW))  # fmt: skip
    await db.execute("INSERT INTO party_hearts (party_id, user_id, track_id, at) VALUES (1, 5, 'rivalry', ?)", (NOW,))


def _ballot(picks: list[str], _current: tuple[str, ...]) -> list[str | None]:
    return list[str | None](picks)


@pytest.fixture
def installation(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A SQLite database with rows in every table, as the bot left it; its rows per table."""
    path = tmp_path / "var" / "bot.sqlite3"

    async def make() -> dict[str, int]:
        async with Database.open(path) as db:
            return await fill_every_table(db)

    counts = asyncio.run(make())
    assert all(counts.values()), counts
    return path, counts


async def counts_in(url: str) -> dict[str, int]:
    async with Database.open(url) as db:
        return {table: int((await db.fetchall(f"SELECT COUNT(*) FROM {table}"))[0][0]) for table in await db.tables()}


def test_migrate_copies_every_table_and_checks_each(
    tmp_path: Path, installation: tuple[Path, dict[str, int]], postgres_url: str
) -> None:
    database, counts = installation
    done = run_bot(tmp_path, "migrate", "--to", postgres_url, DATABASE_PATH=str(database))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "table",
        "SQLite",
        "rows",
        "PostgreSQL",
        "rows",
        "checksum",
        "(SQLite",
        "/",
        "PostgreSQL)",
    ]
    shown = {line.split()[0]: line.split() for line in lines[1 : len(counts) + 1]}
    assert set(shown) == set(counts)
    for table, fields in shown.items():
        assert fields[1] == fields[2] == f"{counts[table]:,}" and fields[3] == fields[5] and fields[-1] == "ok", fields
    assert lines[-1].startswith(f"copied {sum(counts.values()):,} rows in {len(counts)} tables from {database} to ")
    assert asyncio.run(counts_in(postgres_url)) == counts

    async def read_back() -> None:  # what the bot reads there is what it read on SQLite
        async with Database.open(postgres_url) as db:
            config = await ReminderStore(db).config(SERVER)
            assert (config.channel_id, config.template) == (900, '"{release}" à venir')
            assert [r.title for r in await ServerReleases(db).own_releases(SERVER)] == ["Soirée d'écoute", "Party"]
            poll = PollStore(db)
            assert sum(t.ballots for t in await poll.tallies(SERVER, 1)) == 6  # three ballots of 1, 1 and 3 picks
            assert (await poll.state(SERVER)).round_id == 2
            later = await ServerReleases(db).add_release(
                SERVER, title="Next", date=dt.date(2027, 3, 1), time=None, link=None, description=None, now=NOW
            )
            assert later.id == "own:3", "a release's number is never given twice, after a copy"
            new_party = await db.fetchone(
                "INSERT INTO parties (guild_id, release, title, start_at, play, advance, channel_id, host_id, state, "
                "due_at, created_at, updated_at) VALUES (?, 3, 'Next', ?, 'album', 'timed', 903, 42, 'scheduled', ?, "
                "?, ?) RETURNING id",
                (SERVER, NOW, NOW, NOW, NOW),
            )
            assert new_party is not None and new_party[0] == 3, "a party's number is never given twice, after a copy"

    asyncio.run(read_back())


def test_migrate_refuses_a_target_that_is_not_empty_naming_what_it_holds(
    tmp_path: Path, installation: tuple[Path, dict[str, int]], postgres_url: str
) -> None:
    database, _ = installation

    async def someone_elses_table() -> None:
        conn = await asyncpg.connect(postgres_url)
        await conn.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
        await conn.close()

    asyncio.run(someone_elses_table())
    refused = run_bot(tmp_path, "migrate", "--to", postgres_url, DATABASE_PATH=str(database))
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        f"error: the target {postgres_url} is not empty: it has the tables invoices; give migrate --to a new, empty "
        "database (createdb), nothing was changed"
    ]


def test_a_copy_that_does_not_match_is_rolled_back_and_is_one_line(
    installation: tuple[Path, dict[str, int]],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As if PostgreSQL had stored one table's rows differently: the table shows it, nothing is kept, exit 2."""
    database, counts = installation
    monkeypatch.setenv("DATABASE_PATH", str(database))
    real = copying.checksum
    seen: list[str] = []

    def second_call_differs(rows: object) -> str:
        seen.append(real(rows))  # type: ignore[arg-type]
        return "0" * 32 if len(seen) == 2 else seen[-1]

    monkeypatch.setattr(copying, "checksum", second_call_differs)
    assert main(["migrate", "--to", postgres_url]) == 2
    out, err = capsys.readouterr()
    assert "DIFFERENT" in out and out.count(" ok\n") == len(counts) - 1
    assert err.strip().count("\n") == 0 and "does not match the source in" in err and "nothing was kept" in err

    async def tables_there() -> list[str]:  # read as is: opening it as the bot's database would migrate it
        conn = await asyncpg.connect(postgres_url)
        try:
            return [r[0] for r in await conn.fetch("SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = current_schema()")]  # fmt: skip
        finally:
            await conn.close()

    assert asyncio.run(tables_there()) == [], "the target is left empty"
