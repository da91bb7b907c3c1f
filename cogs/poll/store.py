"""The poll's tables, behind typed methods: each write is one short transaction, standings are SQL aggregates.

Every server's poll state (open or not, mode, round, visibility) is read from the database once and then
held here, changed only through this store after its transaction committed. A vote is then one statement
on the write connection, autocommitted: the ballot's upsert, guarded by the poll's state as the database
has it (`_VOTE`), so a vote can never slip past a close, a reset or a mode change committed just before
it; when the guard stops it, the state is read again and the member told why. Before it, when the member
already voted, the current ballot is read on the read connection (`Database.read`), which runs beside the
writer. A server's rows are created once, when its poll is first configured or used.

Votes that arrive while one is being written are written together next, in one statement (`_VOTES`, the
same guard row by row), by the first of them (`PollStore._upsert`): each trip to the database's thread
costs the event loop about as much as the statement itself, so a burst of ballots makes a few trips, not
one per ballot. A vote alone is written alone, as before.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from bot import i18n
from bot.db import Database, Row, Transaction
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
    check_voting_change,
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

_STATES = """
    SELECT g.guild_id, g.round_id, g.is_open, g.results, r.mode FROM poll_guilds AS g
      JOIN poll_rounds AS r ON r.guild_id = g.guild_id AND r.round_id = g.round_id
"""
_STATE = _STATES + " WHERE g.guild_id = ?"

# The member's ballot in a round, replacing `?9, ?10, ?11` (NULL: none), only while the server's poll is open
# on that round in that mode (?8) as the database has it. Changes no row when either no longer holds.
_VOTE = """
    INSERT INTO poll_ballots (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at)
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (
        SELECT 1 FROM poll_guilds AS g JOIN poll_rounds AS r ON r.guild_id = g.guild_id AND r.round_id = g.round_id
         WHERE g.guild_id = ?1 AND g.round_id = ?2 AND g.is_open = 1 AND r.mode = ?8)
    ON CONFLICT (guild_id, round_id, user_id) DO UPDATE SET
        first_pick = excluded.first_pick, second_pick = excluded.second_pick, third_pick = excluded.third_pick,
        updated_at = excluded.updated_at
     WHERE poll_ballots.first_pick IS NOT DISTINCT FROM ?9 AND poll_ballots.second_pick IS NOT DISTINCT FROM ?10
       AND poll_ballots.third_pick IS NOT DISTINCT FROM ?11
"""
# The same for several members at once: one row of `batch` per vote, its 11 values in `_VOTE`'s order
# (?1-?11); returns the key of each ballot it wrote. `{rows}` is `_VOTE_ROW` once per vote.
_VOTES = """
    WITH batch (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at, mode, was_first,
                was_second, was_third) AS (VALUES {rows})
    INSERT INTO poll_ballots (guild_id, round_id, user_id, first_pick, second_pick, third_pick, updated_at)
    SELECT v.guild_id, v.round_id, v.user_id, v.first_pick, v.second_pick, v.third_pick, v.updated_at
      FROM batch AS v WHERE EXISTS (
        SELECT 1 FROM poll_guilds AS g JOIN poll_rounds AS r ON r.guild_id = g.guild_id AND r.round_id = g.round_id
         WHERE g.guild_id = v.guild_id AND g.round_id = v.round_id AND g.is_open = 1 AND r.mode = v.mode)
    ON CONFLICT (guild_id, round_id, user_id) DO UPDATE SET
        first_pick = excluded.first_pick, second_pick = excluded.second_pick, third_pick = excluded.third_pick,
        updated_at = excluded.updated_at
     WHERE EXISTS (
        SELECT 1 FROM batch AS v
         WHERE v.guild_id = poll_ballots.guild_id AND v.round_id = poll_ballots.round_id
           AND v.user_id = poll_ballots.user_id AND poll_ballots.first_pick IS NOT DISTINCT FROM v.was_first
           AND poll_ballots.second_pick IS NOT DISTINCT FROM v.was_second
           AND poll_ballots.third_pick IS NOT DISTINCT FROM v.was_third)
    RETURNING guild_id, round_id, user_id
"""
# Typed, since PostgreSQL gives a bare parameter in VALUES no type to compare with the columns.
_VOTE_ROW = "(" + ", ".join(f"CAST(? AS {t})" for t in ["BIGINT"] * 3 + ["TEXT"] * 3 + ["BIGINT"] + ["TEXT"] * 4) + ")"
BATCH_LIMIT = 256  # votes written in one statement at most (11 values each; SQLite allows 32,766)
VOTE_TRIES = 3  # a vote the guard stopped is tried again with the state read afresh, this often at most
KNOWN_BALLOTS = 100_000  # ballots remembered to skip reading them (about 200 bytes each)


VoteKey = tuple[int, int, int]  # (server, round, member): one ballot


class _Turn(Enum):
    LEAD = "lead"  # what a waiting vote is told when it is its turn to write the votes waiting


@dataclass(slots=True)
class _Pending:
    """A vote waiting to be written: `_VOTE`'s parameters, and whether it changed the ballot once written."""

    params: tuple[int | str | None, ...]
    outcome: asyncio.Future[bool | _Turn]
    retried: bool = False  # it went back to the queue once already, after a write that failed

    @property
    def key(self) -> VoteKey:
        guild_id, round_id, user_id = self.params[:3]
        assert isinstance(guild_id, int) and isinstance(round_id, int) and isinstance(user_id, int)
        return guild_id, round_id, user_id


class PollStore:
    """All poll reads and writes for every server; each method is scoped to one guild id."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._states: dict[int, PollState] | None = None  # every configured server's poll, once loaded
        self._committed: dict[int, PollState] = {}  # states committed while the first load was under way
        # The picks of (server, round, member) as this store last stored them, so a vote need not read them
        # first; an entry that is wrong (evicted, or written elsewhere) only costs a read: `_VOTE` checks it.
        self._known: OrderedDict[tuple[int, int, int], tuple[str, ...]] = OrderedDict()
        # One vote at a time per member: a double submission waits for the first instead of racing it.
        self._members: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()
        # Votes waiting to be written (`_upsert`), oldest first, and whether one of them is being written.
        self._queue: list[_Pending] = []
        self._writing = False

    async def _loaded(self) -> dict[int, PollState]:
        """Every configured server's poll state, read from the database the first time it is needed."""
        if self._states is None:
            rows = await self._db.fetchall(_STATES)
            if self._states is None:
                self._states = {int(row["guild_id"]): _state(int(row["guild_id"]), row) for row in rows}
                self._states.update(self._committed)
        return self._states

    async def _configured(self, guild_id: int) -> PollState:
        """The server's poll state, its rows created with the defaults the first time it is used."""
        states = await self._loaded()
        state = states.get(guild_id)
        if state is None:
            async with self._db.transaction() as conn:
                state = await _current(conn, guild_id)
            states[guild_id] = state
        return state

    async def _reread(self, guild_id: int) -> PollState:
        """The server's poll state as the database has it now (after a guarded vote changed nothing)."""
        row = await self._db.fetchone(_STATE, (guild_id,))
        state = _defaults(guild_id) if row is None else _state(guild_id, row)
        (await self._loaded())[guild_id] = state
        return state

    def _remember(self, state: PollState) -> PollState:
        """Hold `state`, just committed, as the server's poll."""
        (self._committed if self._states is None else self._states)[state.guild_id] = state
        return state

    async def remember_titles(self, tracks: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Record (track id, title) pairs; return every title ever recorded, including tracks since removed."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO poll_tracks (track_id, title) VALUES (?, ?) "
                "ON CONFLICT (track_id) DO UPDATE SET title = excluded.title WHERE poll_tracks.title <> excluded.title",
                list(tracks),
            )
        rows = await self._db.fetchall("SELECT track_id, title FROM poll_tracks")
        return {str(r["track_id"]): str(r["title"]) for r in rows}

    async def server_ids(self) -> set[int]:
        """Every server with poll data (settings, rounds, ballots)."""
        rows = await self._db.fetchall("SELECT guild_id FROM poll_guilds UNION SELECT guild_id FROM poll_ballots")
        return {int(row[0]) for row in rows}

    async def forget_server(self, guild_id: int) -> None:
        """Delete everything of the server's poll, in one transaction (`bot.presence.RETENTION_S`); children first,
        for the foreign keys."""
        async with self._db.transaction() as conn:
            for table in ("poll_ballots", "poll_tallies", "poll_rounds", "poll_guilds"):
                await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))
        for states in (self._states, self._committed):
            if states is not None:
                states.pop(guild_id, None)
        for key in [key for key in self._known if key[0] == guild_id]:
            del self._known[key]

    async def load(self) -> None:
        """Read every server's poll state now (at start), so that `peek` knows them all."""
        await self._loaded()

    def peek(self, guild_id: int) -> PollState | None:
        """The server's poll as held in memory, without any I/O; None until `load` has read them."""
        return None if self._states is None else self._states.get(guild_id) or _defaults(guild_id)

    async def state(self, guild_id: int) -> PollState:
        """The server's poll (held in memory); a server that never used it reads as the defaults, without a write."""
        return (await self._loaded()).get(guild_id) or _defaults(guild_id)

    async def ballot(self, guild_id: int, user_id: int) -> Ballot | None:
        """The member's ballot in the current round (read on the read connection)."""
        state = await self.state(guild_id)
        row = await self._db.read.fetchone(
            "SELECT round_id, first_pick, second_pick, third_pick, updated_at FROM poll_ballots "
            "WHERE guild_id = ? AND round_id = ? AND user_id = ?",
            (guild_id, state.round_id, user_id),
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
        is refused rather than silently counted in the new round. Raises `PollRuleError` when the poll is
        closed, the round has changed, or the ballot breaks the mode's rules.

        Usually one statement: the guarded upsert (`_VOTE`), autocommitted, built on the ballot this store
        last wrote for the member, or on none. The guard also checks that the stored ballot is that one, so
        when it is not (the member voted before a restart), the ballot is read on the read connection and the
        vote tried again (see `VOTE_TRIES`); likewise when the poll closed, reset or changed mode meanwhile.
        """
        async with self._member(guild_id, user_id):
            state = await self._configured(guild_id)
            for _ in range(VOTE_TRIES):
                if round_id is not None and round_id != state.round_id:
                    raise PollRuleError(
                        i18n._(
                            "That choice was made for round {chosen}, and round {current} has started since. "
                            "Pick again from the menu, or use `/poll vote`.",
                            chosen=round_id,
                            current=state.round_id,
                        )
                    )
                if not state.is_open:
                    raise PollRuleError(i18n._(CLOSED_MESSAGE))
                known = (guild_id, state.round_id, user_id)
                was = self._known.get(known)
                try:
                    picks = check_ballot(state.mode, build(() if was is None else was))
                except PollRuleError:
                    if was is not None:
                        raise
                    was = await self._read_picks(guild_id, user_id)  # the rule may depend on the real ballot
                    picks = check_ballot(state.mode, build(was))
                was = was or ()
                now = int(time.time())
                params = (guild_id, state.round_id, user_id, *_padded(picks), now, state.mode.value, *_padded(was))
                if await self._upsert(params):
                    self._know(known, picks)
                    return state, Ballot(state.round_id, picks, now)
                # The poll closed, reset or changed mode, or the member's stored ballot is not `was`.
                state = await self._reread(guild_id)
                self._know((guild_id, state.round_id, user_id), await self._read_picks(guild_id, user_id))
        raise PollRuleError(i18n._("The poll changed several times while you voted; please vote again."))

    async def _upsert(self, params: tuple[int | str | None, ...]) -> bool:
        """Write one vote's guarded upsert (`_VOTE`'s parameters); whether it changed the ballot.

        When no vote is being written, this one is written at once, alone. Otherwise it waits, and when that
        write ends the oldest waiting vote writes every vote then waiting (up to `BATCH_LIMIT`) in one
        statement, under its own task's database deadline (`bot.db.interactive`). Each vote is told its own
        outcome: written, or stopped by the guard (`vote` then reads and tries again, as for a vote alone).
        A write that fails wrote nothing (one statement, in one transaction): the writer's own vote fails,
        the others go back to the front of the queue and are tried once more, then fail the same way.
        """
        entry = _Pending(params, asyncio.get_running_loop().create_future())
        self._queue.append(entry)
        if self._writing:
            try:
                outcome = await entry.outcome
            except asyncio.CancelledError:
                self._abandon(entry)
                raise
            if isinstance(outcome, bool):
                return outcome
        self._writing = True
        self._queue.remove(entry)
        batch = [entry, *self._queue[: BATCH_LIMIT - 1]]
        del self._queue[: BATCH_LIMIT - 1]
        try:
            written = await self._write(batch)
        except BaseException as error:
            self._failed(batch[1:], error)
            raise
        finally:
            self._pass_turn()
        for other in batch[1:]:
            if not other.outcome.done():
                other.outcome.set_result(other.key in written)
        return entry.key in written

    async def _write(self, batch: list[_Pending]) -> set[VoteKey]:
        """Run the votes' guarded upserts; the keys of the ballots written."""
        if len(batch) == 1:
            return {batch[0].key} if await self._db.execute(_VOTE, batch[0].params) else set()
        sql = _VOTES.format(rows=", ".join([_VOTE_ROW] * len(batch)))
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(sql, [value for entry in batch for value in entry.params])
        return {(int(row[0]), int(row[1]), int(row[2])) for row in rows}

    def _failed(self, others: list[_Pending], error: BaseException) -> None:
        """After a write that failed (nothing was written): `others` go back to the front of the queue, once."""
        back = []
        for other in others:
            if other.outcome.done():
                continue
            if other.retried and not isinstance(error, asyncio.CancelledError):
                other.outcome.set_exception(error)
            else:
                other.retried = True
                back.append(other)
        self._queue[:0] = back

    def _pass_turn(self) -> None:
        """Hand the writing to the oldest vote still waiting, or note that nothing is being written."""
        while self._queue:
            first = self._queue[0]
            if not first.outcome.done():
                first.outcome.set_result(_Turn.LEAD)
                return
            del self._queue[0]  # cancelled while it waited
        self._writing = False

    def _abandon(self, entry: _Pending) -> None:
        """A waiting vote was cancelled: it is not written, and a turn to write it was given passes on."""
        if entry in self._queue:
            self._queue.remove(entry)
            if entry.outcome.done() and not entry.outcome.cancelled() and entry.outcome.result() is _Turn.LEAD:
                self._pass_turn()

    def _member(self, guild_id: int, user_id: int) -> asyncio.Lock:
        """The member's lock: their votes and withdrawals take turns."""
        lock = self._members.get((guild_id, user_id))
        if lock is None:
            lock = self._members[(guild_id, user_id)] = asyncio.Lock()
        return lock

    async def _read_picks(self, guild_id: int, user_id: int) -> tuple[str, ...]:
        """The member's current picks as stored (none: `()`), read on the read connection."""
        ballot = await self.ballot(guild_id, user_id)
        return () if ballot is None else ballot.picks

    def _know(self, key: tuple[int, int, int], picks: tuple[str, ...]) -> None:
        """Remember the ballot of (server, round, member) as stored, forgetting the oldest past `KNOWN_BALLOTS`."""
        self._known[key] = picks
        self._known.move_to_end(key)
        if len(self._known) > KNOWN_BALLOTS:
            self._known.popitem(last=False)

    async def withdraw(self, guild_id: int, user_id: int) -> bool:
        """Delete the member's ballot; whether there was one."""
        async with self._member(guild_id, user_id):
            sql = "DELETE FROM poll_ballots WHERE guild_id = ? AND user_id = ?"
            removed = await self._db.execute(sql, (guild_id, user_id)) > 0
            self._know((guild_id, (await self.state(guild_id)).round_id, user_id), ())
        return removed

    async def tallies(self, guild_id: int, round_id: int) -> list[Tally]:
        """A round's standings as counts per track and rank: live for the current round, archived for past ones."""
        rows = await self._db.read.fetchall(
            "SELECT c.track_id, c.rank, c.ballots, t.title FROM ("
            + _LIVE_TALLIES
            + " UNION ALL SELECT track_id, rank, ballots FROM poll_tallies WHERE guild_id = ?1 AND round_id = ?2"
            ") AS c JOIN poll_tracks AS t USING (track_id)",
            (guild_id, round_id),
        )
        return [Tally(str(r["track_id"]), int(r["rank"]), int(r["ballots"]), str(r["title"])) for r in rows]

    async def round(self, guild_id: int, round_id: int) -> Round | None:
        row = await self._db.read.fetchone(
            "SELECT round_id, mode, started_at, ended_at, voters FROM poll_rounds WHERE guild_id = ? AND round_id = ?",
            (guild_id, round_id),
        )
        return None if row is None else _round(row)

    async def set_open(self, guild_id: int, is_open: bool) -> PollState:
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            check_voting_change(state.is_open, opening=is_open)
            await conn.execute(
                "UPDATE poll_guilds SET is_open = ?, updated_at = ? WHERE guild_id = ?",
                (int(is_open), int(time.time()), guild_id),
            )
        return self._remember(replace(state, is_open=is_open))

    async def configure(
        self, guild_id: int, *, mode: BallotMode | None = None, results: Visibility | None = None
    ) -> PollState:
        """Change the mode and/or visibility; a mode change is refused while the round has ballots."""
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            now = int(time.time())
            if mode is not None and mode is not state.mode:
                row = await conn.fetchone(
                    "SELECT COUNT(*) FROM poll_ballots WHERE guild_id = ? AND round_id = ?", (guild_id, state.round_id)
                )
                cast = int(row[0]) if row else 0
                if cast:
                    raise PollRuleError(
                        i18n.ngettext(
                            "Round {round} already has {n} ballot in `{mode}` mode, and ballots of two kinds can't be "
                            "counted together. Start a new round with `/poll-admin reset` (this round's results are "
                            "kept), then set `mode:{wanted}`.",
                            "Round {round} already has {n} ballots in `{mode}` mode, and ballots of two kinds can't be "
                            "counted together. Start a new round with `/poll-admin reset` (this round's results are "
                            "kept), then set `mode:{wanted}`.",
                            cast,
                            round=state.round_id,
                            mode=i18n.choice_name(state.mode),
                            wanted=i18n.choice_name(mode),
                        )
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
        return self._remember(replace(state, mode=mode or state.mode, results=results or state.results))

    async def reset(self, guild_id: int, round_id: int) -> Round:
        """End `round_id` and start the next with the same mode; return the ended round.

        The ended round's ballots are reduced to tallies: its results stay in history, its voters don't.
        """
        async with self._db.transaction() as conn:
            state = await _current(conn, guild_id)
            if round_id != state.round_id:
                raise PollRuleError(
                    i18n._(
                        "Round {ended} has already ended; round {current} is the current one.",
                        ended=round_id,
                        current=state.round_id,
                    )
                )
            now = int(time.time())
            await conn.execute(
                "INSERT INTO poll_tallies (guild_id, round_id, track_id, rank, ballots) "
                "SELECT ?1, ?2, track_id, rank, ballots FROM (" + _LIVE_TALLIES + ") AS live",
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
            row = await conn.fetchone(
                "SELECT round_id, mode, started_at, ended_at, voters FROM poll_rounds WHERE guild_id = ? AND round_id = ?",
                (guild_id, round_id),
            )
        self._remember(replace(state, round_id=round_id + 1))
        assert row is not None, "the round just ended exists"
        return _round(row)


async def _current(conn: Transaction, guild_id: int) -> PollState:
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
    row = await conn.fetchone(_STATE, (guild_id,))
    assert row is not None, "the rows were just ensured"
    return _state(guild_id, row)


def _padded(picks: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    """Picks as the ballot's three columns, NULL where there are fewer."""
    first, second, third = (*picks, None, None, None)[:3]
    return first, second, third


def _defaults(guild_id: int) -> PollState:
    return PollState(guild_id, 1, DEFAULT_MODE, DEFAULT_VISIBILITY, OPEN_BY_DEFAULT)


def _state(guild_id: int, row: Row) -> PollState:
    return PollState(
        guild_id, int(row["round_id"]), BallotMode(row["mode"]), Visibility(row["results"]), bool(row["is_open"])
    )


def _ballot(row: Row) -> Ballot:
    picks = tuple(str(p) for p in (row["first_pick"], row["second_pick"], row["third_pick"]) if p is not None)
    return Ballot(int(row["round_id"]), picks, int(row["updated_at"]))


def _round(row: Row) -> Round:
    ended, voters = row["ended_at"], row["voters"]
    return Round(
        int(row["round_id"]),
        BallotMode(row["mode"]),
        int(row["started_at"]),
        None if ended is None else int(ended),
        None if voters is None else int(voters),
    )
