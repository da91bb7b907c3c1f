"""A server's own releases, shared by the features that follow them: what its moderators add with
`/reminders add-release`, and the listening parties they schedule (`Origin`, a release's `kind`).

A release of the server is a `bot.catalogue.Release` like the catalogue's, with the id `own:<number>` (catalogue ids
cannot contain ':', so one never shadows the other), so every feature reads both alike: the reminders plan posts
for it, `/releases` lists it, the events mirror makes its native event.

Each change is told to the `listeners` (a server id), awaited in order once the change is committed: the reminders
replan the server (its posts follow, and its events with them). So a feature adds or removes a release here and
never calls another feature. A number is never given twice in a server (`server_release_numbers`): a removed
release's posts and event stay recorded under its id, and a new release must not inherit them.

A release added by hand follows the server's time zone (`zone` None: a moderator who changes the zone moves it); a
party's zone is fixed when it is scheduled, so the time its fans were told stays its time. The server's time zone
is a reminders setting (`/reminders timezone`): the reminders feature tells this service how to read it
(`zone_of`), so a feature that schedules a release reads it here.

A server's own releases are read on every `/releases` command and change only through this class, so they are
kept in memory once read (`bot.db.cache.ReadCache`) and forgotten by the write that changes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.catalogue import Confidence, Release
from bot.db import Database, Row
from bot.db.cache import ReadCache
from bot.moments import DEFAULT_ZONE

OWN_PREFIX = "own:"  # catalogue ids cannot contain ':', so a server's own release never shadows one
MAX_OWN_RELEASES = 25  # a server's own releases at once, parties included: /reminders remove-release lists them all

Listener = Callable[[int], Awaitable[None]]
"""Told a server's id once its own releases changed (added, removed)."""
ZoneOf = Callable[[int], Awaitable[str]]
"""A server's time zone (an IANA name) by its id."""


class Origin(StrEnum):
    """What made a server's own release: its `Release.kind`."""

    MODERATOR = "event"  # /reminders add-release
    PARTY = "party"  # /party-admin schedule


async def _utc(guild_id: int) -> str:
    return DEFAULT_ZONE


def own_number(release_id: str) -> int | None:
    """The number of a server's own release from its id (`own:3`), or None for a catalogue id."""
    if not release_id.startswith(OWN_PREFIX) or not release_id[len(OWN_PREFIX) :].isdigit():
        return None
    return int(release_id[len(OWN_PREFIX) :])


class ServerReleases:
    """Every server's own releases (the `reminder_releases` table, named when only reminders read it), each
    method scoped to one server unless it says otherwise."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._own: ReadCache[tuple[Release, ...]] = ReadCache()
        self.listeners: list[Listener] = []
        self.zone_of: ZoneOf = _utc  # set by the feature that keeps the servers' time zones (the reminders)

    async def zone(self, guild_id: int) -> ZoneInfo:
        """The server's time zone: where a release typed as a date and a time is placed."""
        return ZoneInfo(await self.zone_of(guild_id))

    async def changed(self, guild_id: int) -> None:
        """Tell every listener that the server's releases changed."""
        for listener in self.listeners:
            await listener(guild_id)

    async def own_releases(self, guild_id: int) -> list[Release]:
        """The server's own releases, soonest first: from memory once read."""

        async def read() -> tuple[Release, ...]:
            rows = await self._db.read.fetchall(
                "SELECT * FROM reminder_releases WHERE guild_id = ? ORDER BY date, time, number", (guild_id,)
            )
            return tuple(_release(row) for row in rows)

        return list(await self._own.get(guild_id, read))

    def held_own_releases(self, guild_id: int) -> list[Release] | None:
        """`own_releases` if they are in memory, without any I/O; None when they would have to be read."""
        held = self._own.peek(guild_id)
        return None if held is None else list(held)

    async def own_releases_of(self, guild_ids: Collection[int]) -> dict[int, list[Release]]:
        """Each server's own releases by server id, soonest first as in `own_releases`, in one query."""
        rows = await self._db.read.fetchall(
            f"SELECT * FROM reminder_releases WHERE guild_id {self._db.dialect.in_ids} "
            "ORDER BY guild_id, date, time, number",
            (self._db.dialect.ids(guild_ids),),
        )
        found: dict[int, list[Release]] = {guild_id: [] for guild_id in guild_ids}
        for row in rows:
            found[int(row["guild_id"])].append(_release(row))
        return found

    async def add_release(
        self,
        guild_id: int,
        *,
        title: str,
        date: dt.date,
        time: dt.time | None,
        link: str | None,
        description: str | None,
        now: int,
        kind: Origin = Origin.MODERATOR,
        channel_id: int | None = None,
        zone: str | None = None,
    ) -> Release:
        """Store a release of the server under a number it never had, then tell the listeners."""
        with self._own.changing(guild_id):
            async with self._db.transaction() as conn:
                row = await conn.fetchone(
                    "INSERT INTO server_release_numbers (guild_id, last) VALUES (?, 1) "
                    "ON CONFLICT (guild_id) DO UPDATE SET last = server_release_numbers.last + 1 RETURNING last",
                    (guild_id,),
                )
                assert row is not None
                number = int(row[0])
                await conn.execute(
                    "INSERT INTO reminder_releases (guild_id, number, title, date, time, link, description, created_at, "
                    "kind, channel_id, zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (guild_id, number, title, date.isoformat(), time.strftime("%H:%M") if time else None, link,
                     description, now, kind.value, channel_id, zone),
                )  # fmt: skip
                added = await conn.fetchone(
                    "SELECT * FROM reminder_releases WHERE guild_id = ? AND number = ?", (guild_id, number)
                )
        assert added is not None
        await self.changed(guild_id)
        return _release(added)

    async def count_own_releases(self, guild_id: int) -> int:
        """How many releases of its own the server has (at most `MAX_OWN_RELEASES`)."""
        row = await self._db.read.fetchone("SELECT COUNT(*) FROM reminder_releases WHERE guild_id = ?", (guild_id,))
        return int(row[0]) if row else 0

    async def remove_release(self, guild_id: int, release_id: str) -> Release | None:
        """Remove one of the server's own releases (None when it has none of that id), then tell the listeners."""
        number = own_number(release_id)
        if number is None:
            return None
        with self._own.changing(guild_id):
            row = await self._db.fetchone(
                "DELETE FROM reminder_releases WHERE guild_id = ? AND number = ? RETURNING *", (guild_id, number)
            )
        if row is None:
            return None
        await self.changed(guild_id)
        return _release(row)

    async def server_ids(self) -> set[int]:
        """Every server with releases of its own (`bot.bot.ServerData`)."""
        return {int(row[0]) for row in await self._db.read.fetchall("SELECT guild_id FROM reminder_releases")}

    async def forget_server(self, guild_id: int) -> None:
        """The bot left the server long enough ago: its releases go with the rest of its data."""
        with self._own.changing(guild_id):
            async with self._db.transaction() as conn:
                await conn.execute("DELETE FROM reminder_releases WHERE guild_id = ?", (guild_id,))
                await conn.execute("DELETE FROM server_release_numbers WHERE guild_id = ?", (guild_id,))


def _release(row: Row) -> Release:
    time = row["time"]
    return Release(
        id=f"{OWN_PREFIX}{row['number']}",
        title=str(row["title"]),
        kind=Origin(str(row["kind"])).value,
        date=dt.date.fromisoformat(str(row["date"])),
        time=None if time is None else dt.time.fromisoformat(str(time)),
        zone=row["zone"],
        link=row["link"],
        description=row["description"],
        status=None,
        confidence=Confidence.UNKNOWN,
        sources=(),
        channel_id=row["channel_id"],
    )
