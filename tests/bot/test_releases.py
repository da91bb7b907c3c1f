"""A server's own releases, shared by the reminders and the parties: numbers, what made them, where they happen."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from bot.db import Database, load_migrations
from bot.releases import Origin, ServerReleases

GUILD, OTHER = 111, 222
DAY = dt.date(2027, 3, 5)


async def add(releases: ServerReleases, title: str, guild_id: int = GUILD, **more: object) -> str:
    added = await releases.add_release(
        guild_id,
        title=title,
        date=DAY,
        time=dt.time(20, 0),
        link=None,
        description=None,
        now=0,
        **more,  # type: ignore[arg-type]
    )
    return added.id


async def test_a_removed_releases_number_is_never_given_again(db: Database) -> None:
    """Its posts and its native event stay recorded under its id: a new release under it would inherit them (a
    party at the same moment would get no reminders, and its event would be the old one's)."""
    releases = ServerReleases(db)
    assert [await add(releases, "Party"), await add(releases, "Vinyl day")] == ["own:1", "own:2"]
    assert await releases.remove_release(GUILD, "own:2") is not None
    assert await add(releases, "Party again") == "own:3"
    assert await add(releases, "Elsewhere", guild_id=GUILD + 1) == "own:1", "numbered per server"
    await releases.forget_server(GUILD)
    assert await releases.own_releases(GUILD) == [] and await add(releases, "Back") == "own:1"


async def test_a_party_says_what_made_it_where_it_happens_and_keeps_its_zone(db: Database) -> None:
    releases = ServerReleases(db)
    told: list[int] = []

    async def listener(guild_id: int) -> None:
        told.append(guild_id)

    releases.listeners.append(listener)
    await add(releases, "By hand")
    await add(releases, "Listening party", kind=Origin.PARTY, channel_id=999, zone="America/Toronto")
    by_hand, party = await releases.own_releases(GUILD)
    assert (by_hand.kind, by_hand.channel_id, by_hand.zone) == ("event", None, None), "it follows the server's zone"
    assert (party.kind, party.channel_id, party.zone) == ("party", 999, "America/Toronto")
    assert told == [GUILD, GUILD], "each change is told"
    assert str(await releases.zone(GUILD)) == "UTC", "until a feature says how to read the server's zone"


async def test_an_upgraded_database_never_gives_a_number_its_posts_or_events_still_hold(
    database_target: Path | str,
) -> None:
    """Before the numbers were kept, a removed release's number went back into use; the upgrade starts each server's
    count after every number its releases, posts and events hold."""
    path = database_target
    before = list(itertools.takewhile(lambda m: m.name != "parties", load_migrations()))  # as it was before them
    async with Database.open(path, migrations=before) as old:
        await old.execute(
            "INSERT INTO reminder_releases (guild_id, number, title, date, created_at) VALUES (?, 2, 'Kept', ?, 0)",
            (GUILD, DAY.isoformat()),
        )
        await old.executemany(
            "INSERT INTO reminder_posts (guild_id, release_id, lead, announced, release_at, due_at, wake_at, state, "
            "updated_at) VALUES (?, ?, '0', '2027-03-01', 0, 0, 0, 'sent', 0)",
            [(GUILD, "own:5"), (GUILD, "heated-rivalry-ost")],  # a catalogue release's post is no number
        )
        await old.execute(
            "INSERT INTO reminder_events (guild_id, release_id, name, start_at, end_at, location, description, state, "
            "updated_at) VALUES (?, 'own:3', 'Gone', 0, 1, 'Online', '', 'gone', 0)",
            (OTHER,),
        )
    async with Database.open(path) as db:
        assert await add(ServerReleases(db), "New") == "own:6", "own:5's sent post stays its own"
        assert await add(ServerReleases(db), "New", guild_id=OTHER) == "own:4", "own:3's event stays its own"
