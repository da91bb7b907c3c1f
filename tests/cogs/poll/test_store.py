"""The poll's data layer on a real database: upserts, concurrency, rounds, isolation, indexes."""

from __future__ import annotations

import asyncio
import functools

import pytest

from bot.catalogue import Catalogue
from bot.db import Database
from cogs.poll.rules import (
    BallotMode,
    PollRuleError,
    Visibility,
    compute_standings,
    place_pick,
)
from cogs.poll.store import _LIVE_TALLIES, PollStore

GUILD = 111
OTHER_GUILD = 222


@pytest.fixture
async def store(db: Database, catalogue: Catalogue) -> PollStore:
    store = PollStore(db)
    await store.remember_titles((t.id, t.title) for t in catalogue.tracks)
    return store


# -- data layer ----------------------------------------------------------------------------------------------


async def test_a_vote_replaces_the_members_ballot(store: PollStore) -> None:
    await store.vote(GUILD, 1, lambda _: ["melt"])
    _, ballot = await store.vote(GUILD, 1, lambda _: ["rivalry"])
    assert ballot.picks == ("rivalry",)
    assert await store.ballot(GUILD, 1) == ballot
    assert [(t.track_id, t.ballots) for t in await store.tallies(GUILD, 1)] == [("rivalry", 1)]
    assert await store.withdraw(GUILD, 1) is True
    assert await store.withdraw(GUILD, 1) is False
    assert await store.ballot(GUILD, 1) is None and await store.tallies(GUILD, 1) == []


def only(track_id: str, _current: tuple[str, ...]) -> list[str | None]:
    """A ballot builder that picks `track_id` whatever the member's current ballot."""
    return [track_id]


async def test_concurrent_double_submissions_leave_one_ballot(store: PollStore, db: Database) -> None:
    picks = ["melt", "rivalry", "two-souls", "its-you"]
    await asyncio.gather(*(store.vote(GUILD, 7, functools.partial(only, p)) for p in picks * 10))
    await asyncio.gather(*(store.vote(GUILD, user, lambda _: ["melt"]) for user in range(100, 150) for _ in range(2)))
    row = await db.fetchone("SELECT COUNT(*) FROM poll_ballots WHERE guild_id = ? AND user_id = 7", (GUILD,))
    assert row is not None and row[0] == 1
    standings = await store.tallies(GUILD, 1)
    assert sum(t.ballots for t in standings if t.rank == 1) == 51


async def test_a_closed_poll_refuses_votes_and_keeps_ballots(store: PollStore) -> None:
    await store.vote(GUILD, 1, lambda _: ["melt"])
    await store.set_open(GUILD, False)
    with pytest.raises(PollRuleError, match=r"Voting is closed.*/poll-admin open"):
        await store.vote(GUILD, 1, lambda _: ["rivalry"])
    with pytest.raises(PollRuleError, match="already closed"):
        await store.set_open(GUILD, False)
    ballot = await store.ballot(GUILD, 1)
    assert ballot is not None and ballot.picks == ("melt",)
    assert (await store.set_open(GUILD, True)).is_open


async def test_a_vote_after_a_restart_builds_on_the_stored_ballot(store: PollStore, db: Database) -> None:
    """The restarted store does not know the member's ballot: a rank change still builds on the stored one."""
    await store.configure(GUILD, mode=BallotMode.TOP3)
    await store.vote(GUILD, 1, lambda _: ["melt", "rivalry"])
    restarted = PollStore(db)
    _, ballot = await restarted.vote(GUILD, 1, functools.partial(place_pick, track_id="two-souls", rank=1, size=3))
    assert ballot.picks == ("two-souls", "melt", "rivalry")
    assert await store.ballot(GUILD, 1) == ballot


async def test_a_close_made_elsewhere_stops_the_next_vote(store: PollStore, db: Database) -> None:
    """The poll's state is held in memory; the database's guard still refuses a vote past a close it missed."""
    await store.vote(GUILD, 1, lambda _: ["melt"])
    await PollStore(db).set_open(GUILD, False)
    with pytest.raises(PollRuleError, match=r"Voting is closed"):
        await store.vote(GUILD, 2, lambda _: ["rivalry"])
    assert not (await store.state(GUILD)).is_open, "the store read the state again"
    assert [(t.track_id, t.ballots) for t in await store.tallies(GUILD, 1)] == [("melt", 1)]


async def test_mode_changes_only_between_rounds(store: PollStore) -> None:
    assert (await store.configure(GUILD, mode=BallotMode.TOP3)).mode is BallotMode.TOP3, "no ballots yet: allowed"
    await store.vote(GUILD, 1, lambda _: ["melt", "rivalry", "two-souls"])
    with pytest.raises(PollRuleError, match=r"1 ballot in `top3` mode.*/poll-admin reset.*mode:single"):
        await store.configure(GUILD, mode=BallotMode.SINGLE, results=Visibility.HIDDEN)
    assert (await store.state(GUILD)).results is Visibility.LIVE, "a refused change changes nothing"
    state = await store.configure(GUILD, mode=BallotMode.TOP3, results=Visibility.HIDDEN)
    assert (state.mode, state.results) == (BallotMode.TOP3, Visibility.HIDDEN)
    await store.reset(GUILD, 1)
    assert (await store.configure(GUILD, mode=BallotMode.SINGLE)).mode is BallotMode.SINGLE


async def test_top3_tallies_are_aggregated_per_rank(store: PollStore, catalogue: Catalogue) -> None:
    await store.configure(GUILD, mode=BallotMode.TOP3)
    await store.vote(GUILD, 1, lambda _: ["melt", "rivalry", "two-souls"])
    await store.vote(GUILD, 2, lambda _: ["rivalry", "melt"])
    await store.vote(GUILD, 3, lambda current: place_pick(current, "two-souls", 2, 3))
    standings = compute_standings(BallotMode.TOP3, await store.tallies(GUILD, 1), catalogue)
    assert standings.voters == 3
    assert [(e.track_id, e.points, e.votes) for e in standings.entries] == [
        ("rivalry", 5, 2),
        ("melt", 5, 2),
        ("two-souls", 4, 2),
    ]


async def test_reset_keeps_results_but_not_ballots(store: PollStore, db: Database) -> None:
    for user, track in ((1, "melt"), (2, "melt"), (3, "rivalry")):
        await store.vote(GUILD, user, functools.partial(only, track))
    before = sorted(await store.tallies(GUILD, 1), key=lambda t: t.track_id)
    ended = await store.reset(GUILD, 1)
    assert (ended.round_id, ended.voters) == (1, 3) and ended.ended_at is not None
    assert sorted(await store.tallies(GUILD, 1), key=lambda t: t.track_id) == before
    row = await db.fetchone("SELECT COUNT(*) FROM poll_ballots")
    assert row is not None and row[0] == 0, "member ids leave with the round"
    state = await store.state(GUILD)
    assert state.round_id == 2 and await store.tallies(GUILD, 2) == [] and await store.ballot(GUILD, 1) is None
    with pytest.raises(PollRuleError, match="Round 1 has already ended"):
        await store.reset(GUILD, 1)
    with pytest.raises(PollRuleError, match="made for round 1, and round 2 has started"):
        await store.vote(GUILD, 1, lambda _: ["melt"], round_id=1)


async def test_stored_titles_outlive_the_catalogue(store: PollStore, catalogue: Catalogue) -> None:
    titles = await store.remember_titles([("lost-cue", "Lost Cue")])
    assert titles["lost-cue"] == "Lost Cue" and titles["melt"] == "Melt"
    await store.vote(GUILD, 1, lambda _: ["lost-cue"])
    (entry,) = compute_standings(BallotMode.SINGLE, await store.tallies(GUILD, 1), catalogue).entries
    assert (entry.title, entry.in_catalogue, entry.votes) == ("Lost Cue", False, 1)


async def test_servers_are_isolated(store: PollStore) -> None:
    await store.vote(GUILD, 1, lambda _: ["melt"])
    await store.configure(OTHER_GUILD, results=Visibility.HIDDEN)
    await store.set_open(OTHER_GUILD, False)
    assert await store.ballot(OTHER_GUILD, 1) is None
    assert await store.tallies(OTHER_GUILD, 1) == []
    assert (await store.state(GUILD)).is_open and (await store.state(GUILD)).results is Visibility.LIVE


async def test_standings_use_an_index_not_a_table_scan(db: Database) -> None:
    """Each count reads its own index alone, never the table. PostgreSQL's planner chooses by the table's size and
    scans a small one whole, so there it is asked to avoid whole scans, and then takes the index that serves best."""
    if db.dialect.name == "sqlite":
        plan = await db.fetchall("EXPLAIN QUERY PLAN " + _LIVE_TALLIES, (GUILD, 1))
        details = [str(row["detail"]) for row in plan if str(row["detail"]).startswith(("SCAN", "SEARCH"))]
        assert details and all("COVERING INDEX" in d for d in details), details
        return
    async with db.transaction() as tx:
        await tx.execute("SET LOCAL enable_seqscan = off")
        lines = [str(row[0]) for row in await tx.fetchall("EXPLAIN " + _LIVE_TALLIES, (GUILD, 1))]
    scans = [line.strip() for line in lines if "Scan" in line]
    assert [scan.split(" on ")[0] for scan in scans] == [
        f"->  Index Only Scan using poll_ballots_{pick}" for pick in ("first", "second", "third")
    ], lines
