"""The Scheduled Events mirror's tables (migration 0005), behind typed methods.

Writes go through the database's one write connection; reads use its read-only connection.
The states of a `reminder_events` row are in `mirror.EventState`, and migration 0005 says what each means.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.db import Database, Row
from bot.shards import ALL, ShardRange
from cogs.reminders.mirror import EventShape, EventState, MirroredEvent


@dataclass(frozen=True, slots=True)
class MirrorConfig:
    """Whether a server mirrors its releases as native events, and why the mirror waits if it does."""

    guild_id: int
    enabled: bool = False
    blocked_reason: str | None = None
    blocked_at: int | None = None


class EventStore:
    """All reads and writes of the mirror; each method is scoped to one server unless it says otherwise."""

    def __init__(self, db: Database, shards: ShardRange = ALL) -> None:
        self._db = db
        self._shards = shards  # the servers this process acts for: the sync at start reads only theirs

    # -- the switch ---------------------------------------------------------------------------------------------

    async def mirror(self, guild_id: int) -> MirrorConfig:
        row = await self._db.read.fetchone("SELECT * FROM reminder_event_mirrors WHERE guild_id = ?", (guild_id,))
        return MirrorConfig(guild_id) if row is None else _mirror(row)

    async def mirrors(self, guild_ids: Collection[int]) -> dict[int, MirrorConfig]:
        """The mirror settings of those of `guild_ids` that ever turned it on or off, by id, in one query."""
        rows = await self._db.read.fetchall(
            f"SELECT * FROM reminder_event_mirrors WHERE guild_id {self._db.dialect.in_ids}",
            (self._db.dialect.ids(guild_ids),),
        )
        return {int(row["guild_id"]): _mirror(row) for row in rows}

    async def mirrored_guild_ids(self) -> list[int]:
        """Every server with the mirror on, or with events left to cancel, for the sync at start (a catalogue date
        may have moved while the bot was down, or a cancellation was cut short)."""
        rows = await self._db.read.fetchall(
            "SELECT guild_id FROM reminder_event_mirrors WHERE (enabled = 1 "
            f"OR guild_id IN (SELECT guild_id FROM reminder_events)) AND {self._shards.where('guild_id')} "
            "ORDER BY guild_id"
        )
        return [int(row[0]) for row in rows]

    async def set_mirror(self, guild_id: int, *, enabled: bool, now: int) -> None:
        """Turn the mirror on or off; either clears a block (the moderator acted on it)."""
        await self._db.execute(
            "INSERT INTO reminder_event_mirrors (guild_id, enabled, blocked_reason, blocked_at, updated_at) "
            "VALUES (?, ?, NULL, NULL, ?) ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, "
            "blocked_reason = NULL, blocked_at = NULL, updated_at = excluded.updated_at",
            (guild_id, int(enabled), now),
        )

    async def set_block(self, guild_id: int, reason: str | None, now: int) -> None:
        """Record why Discord refused the mirror's calls (None: it accepts them again). Only a server with a row."""
        await self._db.execute(
            "UPDATE reminder_event_mirrors SET blocked_reason = ?, blocked_at = ?, updated_at = ? "
            "WHERE guild_id = ? AND blocked_reason IS DISTINCT FROM ?",
            (reason, None if reason is None else now, now, guild_id, reason),
        )

    # -- the events ---------------------------------------------------------------------------------------------

    async def events(self, guild_id: int) -> list[MirroredEvent]:
        rows = await self._db.read.fetchall(
            "SELECT * FROM reminder_events WHERE guild_id = ? ORDER BY start_at, release_id", (guild_id,)
        )
        return [_event(row) for row in rows]

    async def intend(self, guild_id: int, release_id: str, shape: EventShape, now: int) -> None:
        """Before the create call: a crash after Discord made the event leaves this row to find it by."""
        await self._write(guild_id, release_id, None, shape, EventState.CREATING, now)

    async def store(self, event: MirroredEvent, now: int) -> None:
        """The event as Discord now shows it (created, found again, or edited)."""
        await self._write(event.guild_id, event.release_id, event.event_id, event.shape, event.state, now)

    async def mark(self, guild_id: int, release_id: str, state: EventState, now: int) -> None:
        await self._db.execute(
            "UPDATE reminder_events SET state = ?, updated_at = ? WHERE guild_id = ? AND release_id = ?",
            (state.value, now, guild_id, release_id),
        )

    async def forget(self, guild_id: int, release_id: str) -> None:
        await self._db.execute(
            "DELETE FROM reminder_events WHERE guild_id = ? AND release_id = ?", (guild_id, release_id)
        )

    async def forget_removed_by_hand(self, guild_id: int) -> None:
        """A moderator turned the mirror on again: events deleted by hand may be made again."""
        await self._db.execute("DELETE FROM reminder_events WHERE guild_id = ? AND state = 'gone'", (guild_id,))

    async def removed_by_hand(self, guild_id: int, event_id: int, now: int) -> str | None:
        """A live event was deleted or cancelled by someone else: mark it `gone`. Returns its release id, or None
        when the bot has no live event of that id (its own cancellation, or an event it never made: then nothing
        is written, so a moderator's own event never waits for the write lock)."""
        live = await self._db.read.fetchone(
            "SELECT 1 FROM reminder_events WHERE guild_id = ? AND event_id = ? AND state = 'live'", (guild_id, event_id)
        )
        if live is None:
            return None
        row = await self._db.fetchone(
            "UPDATE reminder_events SET state = 'gone', updated_at = ? "
            "WHERE guild_id = ? AND event_id = ? AND state = 'live' RETURNING release_id",
            (now, guild_id, event_id),
        )
        return None if row is None else str(row[0])

    async def _write(
        self, guild_id: int, release_id: str, event_id: int | None, shape: EventShape, state: EventState, now: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO reminder_events (guild_id, release_id, event_id, name, start_at, end_at, location, "
            "description, channel_id, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, release_id) DO UPDATE SET event_id = excluded.event_id, name = excluded.name, "
            "start_at = excluded.start_at, end_at = excluded.end_at, location = excluded.location, "
            "description = excluded.description, channel_id = excluded.channel_id, state = excluded.state, "
            "updated_at = excluded.updated_at "
            "WHERE reminder_events.state != 'gone'",  # a moderator's removal, recorded meanwhile, stands
            (guild_id, release_id, event_id, shape.name, shape.start_at, shape.end_at, shape.location,
             shape.description, shape.channel_id, state.value, now),
        )  # fmt: skip


def _mirror(row: Row) -> MirrorConfig:
    return MirrorConfig(
        guild_id=int(row["guild_id"]),
        enabled=bool(row["enabled"]),
        blocked_reason=row["blocked_reason"],
        blocked_at=row["blocked_at"],
    )


def _event(row: Row) -> MirroredEvent:
    return MirroredEvent(
        guild_id=int(row["guild_id"]),
        release_id=str(row["release_id"]),
        event_id=row["event_id"],
        shape=EventShape(
            name=str(row["name"]),
            start_at=int(row["start_at"]),
            end_at=int(row["end_at"]),
            location=str(row["location"]),
            description=str(row["description"]),
            channel_id=row["channel_id"],
        ),
        state=EventState(str(row["state"])),
    )
