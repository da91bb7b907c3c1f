"""The poll's tables, behind typed methods: each write is one short transaction, standings are SQL aggregates.

Writes that depend on the poll's state (is it open, which mode, which round) read that state inside
their own `BEGIN IMMEDIATE` transaction, so a vote can never slip past a close, a reset or a mode change.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.db.database import Database
from cogs.poll.rules import (
    CLOSED_MESSAGE,
    DEFAULT_MODE,
    DEFAULT_VISIBILITY,
    OPEN_BY_DEFAULT,
    BallotMode,
    PollRuleError,
    Tally,
    Visibility,
    check_ballot,
)


@dataclass(frozen=True, slots=True)
class PollState:
    guild_id: int
    round_id: int
    mode: BallotMode
    results: Visibility
    is_open: bool


@dataclass(frozen=True, slots=True)
class Ballot:
    round_id: int
    picks: tuple[str, ...]
    updated_at: int  # UTC epoch seconds


@dataclass(frozen=True, slots=True)
class Round:
    round_id: int
    mode: BallotMode
    started_at: int  # UTC epoch seconds
    ended_at: int | None  # None while the round is current
    voters: int | None  # counted when the round ends


# How many current ballots name each track at each rank: one GROUP BY per rank over its covering index.
# ?1 is the guild id, ?2 the round id.
_LIVE_TALLIES = """
    SELECT first_pick AS track_id, 1 AS rank, COUNT(*) AS ballots FROM poll_ballots
     WHERE guild_id = ?1 AND round_id = ?2 GROUP BY first_pick
    UNION ALL
    SELECT second_pick, 2, COUNT(*) FROM poll_ballots
     WHERE guild_id = ?1 AND round_id = ?2 AND second_pick IS NOT NULL GROUP BY second_pick
    UNION ALL
    SELECT third_pick, 3, COUNT(*) FROM poll_ballots
     WHERE guild_id = ?1 AND round_id = ?2 AND third_pick IS NOT NULL GROUP BY third_pick
"""

_STATE = """
    SELECT g.round_id, g.is_open, g.results, r.mode FROM poll_guilds AS g
      JOIN poll_rounds AS r ON r.guild_id = g.guild_id AND r.round_id = g.round_id
     WHERE g.guild_id = ?
"""


class PollStore:
    """All poll reads and writes for every server; each method is scoped to one guild id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember_titles(self, tracks: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Record (track id, title) pairs; return every title ever recorded, including tracks since removed."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO poll_tracks (track_id, title) VALUES (?, ?) "
                "ON CONFLICT (track_id) DO UPDATE SET title = excluded.title WHERE title <> excluded.title",
                list(tracks),
            )
        rows = await self._db.fetchall("SELECT track_id, title FROM poll_tracks")
        return {str(r["track_id"]): str(r["title"]) for r in rows}

    async def state(self, guild_id: int) -> PollState:
        """The server's poll; a server that never used it reads as the defaults, without a write."""
        row = await self._db.fetchone(_STATE, (guild_id,))
        return _defaults(guild_id) if row is None else _state(guild_id, row)

    async def ballot(self, guild_id: int, user_id: int) -> Ballot | None:
        """The member's ballot in the current round."""
        row = await self._db.fetchone(
            "SELECT b.round_id, b.first_pick, b.second_pick, b.third_pick, b.updated_at FROM poll_ballots AS b "
            "JOIN poll_guilds AS g ON g.guild_id = b.guild_id AND g.round_id = b.round_id "
            "WHERE b.guild_id = ? AND b.user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _ballot(row)

    async def vote(
        self,
        guild_id: int,
        user_id: int,
        build: Callable[[tuple[str, ...]], Sequence[str | None]],
        *,
        round_id: int | None = None,
    ) -> tuple[PollState, Ballot]:
        """Replace the member's ballot with `build(current picks)`, checked against the poll's mode.

        `round_id`, when given, is the round the member was looking at: a ballot prepared before a reset
        is refused rather than silently counted in the new round.
        """
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            if round_id is not None and round_id != state.round_id:
                raise PollRuleError(
                    f"That choice was made for round {round_id}, and round {state.round_id} has started since. "
                    "Pick again from the menu, or use `/poll vote`."
                )
            if not state.is_open:
                raise PollRuleError(CLOSED_MESSAGE)
            async with conn.execute(
                "SELECT first_pick, second_pick, third_pick FROM poll_ballots "
                "WHERE guild_id = ? AND round_id = ? AND user_id = ?",
                (guild_id, state.round_id, user_id),
            ) as cursor:
                row = await cursor.fetchone()
            current = () if row is None else tuple(p for p in row if p is not None)
            picks = check_ballot(state.mode, build(current))
            padded = (*picks, None, None)[:3]
            now = int(time.time())
            await conn.execute(
                "INSERT INTO poll_ballots (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, round_id, user_id) DO UPDATE SET "
                "first_pick = excluded.first_pick, second_pick = excluded.second_pick, "
                "third_pick = excluded.third_pick, updated_at = excluded.updated_at",
                (guild_id, state.round_id, user_id, *padded, now),
            )
        return state, Ballot(state.round_id, picks, now)

    async def withdraw(self, guild_id: int, user_id: int) -> bool:
        """Delete the member's ballot; whether there was one."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM poll_ballots WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return cursor.rowcount > 0

    async def tallies(self, guild_id: int, round_id: int) -> list[Tally]:
        """A round's standings as counts per track and rank: live for the current round, archived for past ones."""
        rows = await self._db.fetchall(
            "SELECT c.track_id, c.rank, c.ballots, t.title FROM ("
            + _LIVE_TALLIES
            + " UNION ALL SELECT track_id, rank, ballots FROM poll_tallies WHERE guild_id = ?1 AND round_id = ?2"
            ") AS c JOIN poll_tracks AS t USING (track_id)",
            (guild_id, round_id),
        )
        return [Tally(str(r["track_id"]), int(r["rank"]), int(r["ballots"]), str(r["title"])) for r in rows]

    async def round(self, guild_id: int, round_id: int) -> Round | None:
        row = await self._db.fetchone(
            "SELECT round_id, mode, started_at, ended_at, voters FROM poll_rounds WHERE guild_id = ? AND round_id = ?",
            (guild_id, round_id),
        )
        return None if row is None else _round(row)

    async def set_open(self, guild_id: int, is_open: bool) -> PollState:
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            if state.is_open == is_open:
                raise PollRuleError(f"The poll is already {'open' if is_open else 'closed'}.")
            await conn.execute(
                "UPDATE poll_guilds SET is_open = ?, updated_at = ? WHERE guild_id = ?",
                (int(is_open), int(time.time()), guild_id),
            )
        return PollState(guild_id, state.round_id, state.mode, state.results, is_open)

    async def configure(
        self, guild_id: int, *, mode: BallotMode | None = None, results: Visibility | None = None
    ) -> PollState:
        """Change the mode and/or visibility; a mode change is refused while the round has ballots."""
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            now = int(time.time())
            if mode is not None and mode is not state.mode:
                async with conn.execute(
                    "SELECT COUNT(*) FROM poll_ballots WHERE guild_id = ? AND round_id = ?", (guild_id, state.round_id)
                ) as cursor:
                    row = await cursor.fetchone()
                cast = int(row[0]) if row else 0
                if cast:
                    raise PollRuleError(
                        f"Round {state.round_id} already has {cast} ballot{'' if cast == 1 else 's'} in "
                        f"`{state.mode}` mode, and ballots of two kinds can't be counted together. Start a new "
                        f"round with `/poll-admin reset` (this round's results are kept), then set `mode:{mode}`."
                    )
                await conn.execute(
                    "UPDATE poll_rounds SET mode = ? WHERE guild_id = ? AND round_id = ?",
                    (mode.value, guild_id, state.round_id),
                )
            if results is not None:
                await conn.execute(
                    "UPDATE poll_guilds SET results = ?, updated_at = ? WHERE guild_id = ?",
                    (results.value, now, guild_id),
                )
        return PollState(guild_id, state.round_id, mode or state.mode, results or state.results, state.is_open)

    async def reset(self, guild_id: int, round_id: int) -> Round:
        """End `round_id` and start the next with the same mode; return the ended round.

        The ended round's ballots are reduced to tallies: its results stay in history, its voters don't.
        """
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            if round_id != state.round_id:
                raise PollRuleError(f"Round {round_id} has already ended; round {state.round_id} is the current one.")
            now = int(time.time())
            await conn.execute(
                "INSERT INTO poll_tallies (guild_id, round_id, track_id, rank, ballots) "
                "SELECT ?1, ?2, track_id, rank, ballots FROM (" + _LIVE_TALLIES + ")",
                (guild_id, round_id),
            )
            await conn.execute(
                "UPDATE poll_rounds SET ended_at = ?3, voters = "
                "(SELECT COUNT(*) FROM poll_ballots WHERE guild_id = ?1 AND round_id = ?2) "
                "WHERE guild_id = ?1 AND round_id = ?2",
                (guild_id, round_id, now),
            )
            await conn.execute("DELETE FROM poll_ballots WHERE guild_id = ? AND round_id = ?", (guild_id, round_id))
            await conn.execute(
                "INSERT INTO poll_rounds (guild_id, round_id, mode, started_at) VALUES (?, ?, ?, ?)",
                (guild_id, round_id + 1, state.mode.value, now),
            )
            await conn.execute(
                "UPDATE poll_guilds SET round_id = ?, updated_at = ? WHERE guild_id = ?", (round_id + 1, now, guild_id)
            )
            async with conn.execute(
                "SELECT round_id, mode, started_at, ended_at, voters FROM poll_rounds "
                "WHERE guild_id = ? AND round_id = ?",
                (guild_id, round_id),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None, "the round just ended exists"
        return _round(row)


async def _current(conn: aiosqlite.Connection, guild_id: int) -> PollState:
    """The server's poll inside a write transaction, creating its rows with the defaults on first use."""
    now = int(time.time())
    await conn.execute(
        "INSERT INTO poll_guilds (guild_id, round_id, is_open, results, updated_at) VALUES (?, 1, ?, ?, ?) "
        "ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, int(OPEN_BY_DEFAULT), DEFAULT_VISIBILITY.value, now),
    )
    await conn.execute(
        "INSERT INTO poll_rounds (guild_id, round_id, mode, started_at) VALUES (?, 1, ?, ?) "
        "ON CONFLICT (guild_id, round_id) DO NOTHING",
        (guild_id, DEFAULT_MODE.value, now),
    )
    async with conn.execute(_STATE, (guild_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None, "the rows were just ensured"
    return _state(guild_id, row)


def _defaults(guild_id: int) -> PollState:
    return PollState(guild_id, 1, DEFAULT_MODE, DEFAULT_VISIBILITY, OPEN_BY_DEFAULT)


def _state(guild_id: int, row: sqlite3.Row) -> PollState:
    return PollState(
        guild_id, int(row["round_id"]), BallotMode(row["mode"]), Visibility(row["results"]), bool(row["is_open"])
    )


def _ballot(row: sqlite3.Row) -> Ballot:
    picks = tuple(str(p) for p in (row["first_pick"], row["second_pick"], row["third_pick"]) if p is not None)
    return Ballot(int(row["round_id"]), picks, int(row["updated_at"]))


def _round(row: sqlite3.Row) -> Round:
    ended, voters = row["ended_at"], row["voters"]
    return Round(
        int(row["round_id"]),
        BallotMode(row["mode"]),
        int(row["started_at"]),
        None if ended is None else int(ended),
        None if voters is None else int(voters),
    )
