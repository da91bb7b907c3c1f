"""The parties' tables (migration 0008), behind typed methods.

A party row carries its cursor: the next post (`step`), when it is due, whether it waits for the host's Next, and
the first attempt at it (looked for in the channel after a crash). A post is recorded only after Discord took it,
together with the cursor's move, in one transaction (`record`), so a restart carries on exactly where the party was.
Reads go to the database's read-only connection, so `/party now` never waits for a write.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.db import Database, Row
from bot.releases import OWN_PREFIX
from bot.shards import ALL, ShardRange
from cogs.party.rules import Advance, PartyState, Play, Timeline, timeline

_UPCOMING = "state IN ('scheduled', 'running')"
# A step passed over (made by nobody); kept as it was when it is already recorded.
_PASSED = "INSERT INTO party_posts (party_id, step, due_at) VALUES (?, ?, ?) ON CONFLICT (party_id, step) DO NOTHING"


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    guild_id: int
    release: int
    title: str
    start_at: int
    play: Play
    picks: tuple[int, ...]
    tracks: tuple[tuple[str, int | None], ...] | None  # (track id, seconds) in play order, fixed at the start
    advance: Advance
    channel_id: int
    venue_id: int | None
    link: str | None
    host_id: int
    state: PartyState
    thread_id: int | None
    step: int
    due_at: int
    waits_next: bool
    shift: int
    attempted_at: int | None
    attempts: int
    error: str | None
    detail: str | None

    @property
    def release_id(self) -> str:
        """Its release's id in `bot.releases`."""
        return f"{OWN_PREFIX}{self.release}"

    @property
    def line(self) -> Timeline | None:
        """Its timeline, once it started (its tracks are fixed then)."""
        if self.tracks is None:
            return None
        return timeline(self.start_at, [seconds for _id, seconds in self.tracks], self.advance, self.shift)

    @property
    def posts_to(self) -> int:
        """Where its cues and recap go: its thread, or its channel when no thread could be opened."""
        return self.thread_id or self.channel_id


@dataclass(frozen=True, slots=True)
class Posted:
    """A post of a party: made (`message_id`), or passed over while the bot was away (None)."""

    step: int
    due_at: int
    posted_at: int | None
    message_id: int | None
    late: bool


@dataclass(frozen=True, slots=True)
class Made:
    """A post Discord took, to record with the cursor's move (see `PartyStore.record`)."""

    party: Party
    step: int
    due_at: int
    message_id: int
    late: bool
    passed: Sequence[tuple[int, int]] = ()  # (step, due) of the steps passed over to reach it
    next_due: int | None = None  # when the next post is due; None: it waits for Next (until `deadline`)
    deadline: int = 0
    thread_id: int | None = None
    state: PartyState = PartyState.RUNNING


class PartyStore:
    def __init__(self, db: Database, shards: ShardRange = ALL) -> None:
        self._db = db
        self._shards = shards  # the servers this process acts for: the runner and the tidying at start read theirs

    def owns(self, guild_id: int) -> bool:
        """Whether this process acts for the server (`bot.shards`)."""
        return self._shards.owns(guild_id)

    # -- scheduling ---------------------------------------------------------------------------------------------

    async def create(
        self,
        guild_id: int,
        *,
        release: int,
        title: str,
        start_at: int,
        play: Play,
        picks: Sequence[int],
        advance: Advance,
        channel_id: int,
        venue_id: int | None,
        link: str | None,
        host_id: int,
        now: int,
    ) -> Party:
        row = await self._db.fetchone(
            "INSERT INTO parties (guild_id, release, title, start_at, play, picks, advance, channel_id, venue_id, "
            "link, host_id, state, due_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?) RETURNING *",
            (guild_id, release, title, start_at, play.value, json.dumps(list(picks)) if picks else None,
             advance.value, channel_id, venue_id, link, host_id, start_at, now, now),
        )  # fmt: skip
        assert row is not None
        return _party(row)

    async def party(self, party_id: int) -> Party | None:
        row = await self._db.read.fetchone("SELECT * FROM parties WHERE id = ?", (party_id,))
        return None if row is None else _party(row)

    async def of_guild(self, guild_id: int, *, upcoming: bool = False, limit: int = 50) -> list[Party]:
        """The server's parties: upcoming ones soonest first, or all, the latest first."""
        where, order = (f"AND {_UPCOMING}", "start_at ASC") if upcoming else ("", "start_at DESC")
        rows = await self._db.read.fetchall(
            f"SELECT * FROM parties WHERE guild_id = ? {where} ORDER BY {order}, id LIMIT ?", (guild_id, limit)
        )
        return [_party(row) for row in rows]

    async def set_state(
        self, party: Party, state: PartyState, now: int, detail: str | None = None, *, expected: PartyState
    ) -> bool:
        """Move the party from `expected` to `state` (False when it was no longer in `expected`)."""
        changed = await self._db.execute(
            "UPDATE parties SET state = ?, detail = COALESCE(?, detail), updated_at = ? WHERE id = ? AND state = ?",
            (state.value, detail, now, party.id, expected.value),
        )
        return changed > 0

    async def request_next(self, party: Party, from_step: int, now: int, host_id: int) -> bool:
        """The host (or a moderator, who becomes the host) clicked Next under the cue of `from_step`: the next post is
        due now. False when the party has moved on since, or is not waiting for Next."""
        changed = await self._db.execute(
            "UPDATE parties SET due_at = ?, waits_next = 0, host_id = ?, updated_at = ? "
            "WHERE id = ? AND state = 'running' AND step = ? AND waits_next = 1",
            (now, host_id, now, party.id, from_step + 1),
        )
        return changed > 0

    async def party_releases(self) -> set[tuple[int, int]]:
        """(server, release number) of every party of this process's servers, for the releases left behind by a
        schedule cut short."""
        rows = await self._db.read.fetchall(
            f"SELECT guild_id, release FROM parties WHERE {self._shards.where('guild_id')}"
        )
        return {(int(row[0]), int(row[1])) for row in rows}

    # -- the runner ---------------------------------------------------------------------------------------------

    async def due(self, now: int, limit: int, *, excluding: Collection[int], parked: Collection[int]) -> list[Party]:
        """Upcoming parties whose next post is due, earliest first, leaving out the parties `excluding` (in flight)
        and the servers `parked`."""
        dialect = self._db.dialect
        rows = await self._db.read.fetchall(
            f"SELECT * FROM parties WHERE {_UPCOMING} AND due_at <= ? AND id NOT {dialect.in_ids} "
            f"AND guild_id NOT {dialect.in_ids} AND {self._shards.where('guild_id')} ORDER BY due_at, id LIMIT ?",
            (now, dialect.ids(excluding), dialect.ids(parked), limit),
        )
        return [_party(row) for row in rows]

    async def next_due(self, *, after: int, parked: Collection[int]) -> int | None:
        row = await self._db.read.fetchone(
            f"SELECT MIN(due_at) FROM parties WHERE {_UPCOMING} AND due_at > ? AND guild_id NOT {self._db.dialect.in_ids} "
            f"AND {self._shards.where('guild_id')}",
            (after, self._db.dialect.ids(parked)),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def begin(self, party: Party, tracks: Sequence[tuple[str, int | None]], shift: int, now: int) -> Party:
        """The party's first attempt at its start: its tracks (with their durations) and its timeline's shift are
        fixed now, so every retry, and a restart, post the same start and keep the same timeline."""
        row = await self._db.fetchone(
            "UPDATE parties SET tracks = ?, shift = ?, attempted_at = COALESCE(attempted_at, ?), updated_at = ? "
            "WHERE id = ? AND step = 0 RETURNING *",
            (json.dumps([list(t) for t in tracks]), shift, now, now, party.id),
        )
        assert row is not None
        return _party(row)

    async def mark_attempt(self, party: Party, now: int) -> None:
        """Remember that the next post is being handed to Discord (the first time only)."""
        await self._db.execute(
            "UPDATE parties SET attempted_at = COALESCE(attempted_at, ?) WHERE id = ? AND step = ?",
            (now, party.id, party.step),
        )

    async def record(self, made: Made, now: int) -> None:
        """Record a post Discord took, the steps passed over to reach it, and the cursor's move, at once."""
        party = made.party
        following = made.step + 1
        waits = made.next_due is None
        async with self._db.transaction() as conn:
            await conn.executemany(
                _PASSED,
                [(party.id, step, due) for step, due in made.passed],
            )
            await conn.execute(
                "INSERT INTO party_posts (party_id, step, due_at, posted_at, message_id, late) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (party_id, step) DO UPDATE SET due_at = excluded.due_at, posted_at = excluded.posted_at, "
                "message_id = excluded.message_id, late = excluded.late",
                (party.id, made.step, made.due_at, now, made.message_id, int(made.late)),
            )
            await conn.execute(
                "UPDATE parties SET state = ?, step = ?, due_at = ?, waits_next = ?, attempted_at = NULL, "
                f"attempts = 0, thread_id = COALESCE(?, thread_id), updated_at = ? WHERE id = ? AND step = ? "
                f"AND {_UPCOMING}",
                (made.state.value, following, made.deadline if waits else made.next_due, int(waits), made.thread_id,
                 now, party.id, party.step),
            )  # fmt: skip

    async def retry_later(self, party: Party, error: str, due_at: int, now: int) -> None:
        await self._db.execute(
            "UPDATE parties SET attempts = attempts + 1, due_at = ?, error = ?, error_at = ?, updated_at = ? "
            "WHERE id = ? AND step = ?",
            (due_at, error, now, now, party.id, party.step),
        )

    async def pass_over(
        self, party: Party, due_at: int, next_due: int | None, deadline: int, error: str, now: int
    ) -> None:
        """Give up on the next post (Discord will never take it) and move on to the one after."""
        waits = next_due is None
        async with self._db.transaction() as conn:
            await conn.execute(
                _PASSED,
                (party.id, party.step, due_at),
            )
            await conn.execute(
                "UPDATE parties SET step = step + 1, due_at = ?, waits_next = ?, attempted_at = NULL, attempts = 0, "
                "error = ?, error_at = ?, updated_at = ? WHERE id = ? AND step = ?",
                (deadline if waits else next_due, int(waits), error, now, now, party.id, party.step),
            )

    async def posts(self, party_id: int) -> list[Posted]:
        rows = await self._db.read.fetchall("SELECT * FROM party_posts WHERE party_id = ? ORDER BY step", (party_id,))
        return [
            Posted(int(r["step"]), int(r["due_at"]), r["posted_at"], r["message_id"], bool(r["late"])) for r in rows
        ]

    # -- hearts -------------------------------------------------------------------------------------------------

    async def heart_of(self, party_id: int, user_id: int) -> str | None:
        row = await self._db.read.fetchone(
            "SELECT track_id FROM party_hearts WHERE party_id = ? AND user_id = ?", (party_id, user_id)
        )
        return None if row is None else str(row[0])

    async def set_heart(self, party_id: int, user_id: int, track_id: str | None, now: int) -> None:
        """The member's heart for the party (None: taken back)."""
        if track_id is None:
            await self._db.execute("DELETE FROM party_hearts WHERE party_id = ? AND user_id = ?", (party_id, user_id))
            return
        await self._db.execute(
            "INSERT INTO party_hearts (party_id, user_id, track_id, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (party_id, user_id) DO UPDATE SET track_id = excluded.track_id, at = excluded.at",
            (party_id, user_id, track_id, now),
        )

    async def heart_counts(self, party_id: int) -> dict[str, int]:
        rows = await self._db.read.fetchall(
            "SELECT track_id, COUNT(*) FROM party_hearts WHERE party_id = ? GROUP BY track_id", (party_id,)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    # -- servers ------------------------------------------------------------------------------------------------

    async def server_ids(self) -> set[int]:
        return {int(row[0]) for row in await self._db.read.fetchall("SELECT DISTINCT guild_id FROM parties")}

    async def forget_server(self, guild_id: int) -> None:
        """Every party of the server, its posts and its hearts (`bot.presence.RETENTION_S`)."""
        await self._db.execute("DELETE FROM parties WHERE guild_id = ?", (guild_id,))


def _party(row: Row) -> Party:
    tracks = row["tracks"]
    return Party(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        release=int(row["release"]),
        title=str(row["title"]),
        start_at=int(row["start_at"]),
        play=Play(str(row["play"])),
        picks=tuple(json.loads(row["picks"])) if row["picks"] else (),
        tracks=None if tracks is None else tuple((str(t), s) for t, s in json.loads(tracks)),
        advance=Advance(str(row["advance"])),
        channel_id=int(row["channel_id"]),
        venue_id=row["venue_id"],
        link=row["link"],
        host_id=int(row["host_id"]),
        state=PartyState(str(row["state"])),
        thread_id=row["thread_id"],
        step=int(row["step"]),
        due_at=int(row["due_at"]),
        waits_next=bool(row["waits_next"]),
        shift=int(row["shift"]),
        attempted_at=row["attempted_at"],
        attempts=int(row["attempts"]),
        error=row["error"],
        detail=row["detail"],
    )
