"""The favourite-track poll: rules and scoring, the data layer on a real database, and the ballot's limits."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import random
import time

import pytest

from bot.catalogue import UNKNOWN, Catalogue, Confidence, Fact, Track
from bot.db import Database
from bot.db.poll import PollStore
from bot.poll import (
    BAR_WIDTH,
    CSV_HEADER,
    Mode,
    PollRuleError,
    Tally,
    Visibility,
    bar,
    check_ballot,
    compute_standings,
    place_pick,
    render_standings,
    standings_csv,
    visible_to,
)
from cogs.poll import MAX_MENUS, MENU_SIZE, RankButton, ResetButton, ballot_message

GUILD = 111
OTHER_GUILD = 222


def make_tracks(count: int, *, id_length: int = 0) -> tuple[Track, ...]:
    return tuple(
        Track(
            id=f"t{n}".ljust(id_length, "x"),
            title=f"Track number {n} " + "with a very long title " * 6,
            number=Fact(n, Confidence.MULTI),
            duration_s=UNKNOWN,
            confidence=Confidence.MULTI,
            sources=(),
        )
        for n in range(1, count + 1)
    )


@pytest.fixture
async def store(db: Database, catalogue: Catalogue) -> PollStore:
    store = PollStore(db)
    await store.remember_titles((t.id, t.title) for t in catalogue.tracks)
    return store


def ids(catalogue: Catalogue) -> list[str]:
    return [t.id for t in catalogue.tracks_in_order()]


# -- rules ---------------------------------------------------------------------------------------------------


def test_single_mode_takes_one_pick_and_names_the_extra_options() -> None:
    assert check_ballot(Mode.SINGLE, ["melt", None, None]) == ("melt",)
    with pytest.raises(PollRuleError, match=r"leave out `second` and `third`.*mode:top3"):
        check_ballot(Mode.SINGLE, ["melt", "rivalry", "two-souls"])


def test_top3_needs_distinct_picks_in_order() -> None:
    assert check_ballot(Mode.TOP3, ["melt", "rivalry", None]) == ("melt", "rivalry")
    with pytest.raises(PollRuleError, match=r"`third` repeats `track`"):
        check_ballot(Mode.TOP3, ["melt", "rivalry", "melt"])
    with pytest.raises(PollRuleError, match=r"Fill `second` before `third`"):
        check_ballot(Mode.TOP3, ["melt", None, "rivalry"])


def test_placing_a_pick_inserts_it_and_shifts_the_rest_down() -> None:
    assert place_pick((), "a", 3, 3) == ("a",), "no gaps: an empty ballot's first pick is #1"
    assert place_pick(("a",), "b", 1, 3) == ("b", "a")
    assert place_pick(("a", "b", "c"), "x", 2, 3) == ("a", "x", "b")
    assert place_pick(("a", "b", "c"), "c", 1, 3) == ("c", "a", "b")
    assert place_pick(("a", "b"), "a", 3, 3) == ("b", "a")
    assert place_pick(("a",), "a", 1, 3) == ("a",)


def test_hidden_results_are_for_moderators_until_the_poll_closes() -> None:
    assert visible_to(Visibility.LIVE, is_open=True, moderator=False)
    assert not visible_to(Visibility.HIDDEN, is_open=True, moderator=False)
    assert visible_to(Visibility.HIDDEN, is_open=True, moderator=True)
    assert visible_to(Visibility.HIDDEN, is_open=False, moderator=False)


# -- scoring, ties, rendering --------------------------------------------------------------------------------


def tallies(*rows: tuple[str, int, int]) -> list[Tally]:
    return [Tally(track, rank, ballots, f"stored {track}") for track, rank, ballots in rows]


def test_top3_scores_3_2_1_and_counts_voters_once(catalogue: Catalogue) -> None:
    melt, rivalry, souls = "melt", "rivalry", "two-souls"
    rows = tallies((melt, 1, 2), (rivalry, 1, 1), (rivalry, 2, 2), (souls, 3, 3), (melt, 3, 1))
    standings = compute_standings(Mode.TOP3, rows, catalogue)
    assert standings.voters == 3
    scores = {e.track_id: (e.votes, e.points) for e in standings.entries}
    assert scores == {melt: (3, 7), rivalry: (3, 7), souls: (3, 3)}


def test_top3_lines_show_points_then_votes_in_the_singular_when_one(catalogue: Catalogue) -> None:
    standings = compute_standings(Mode.TOP3, tallies(("melt", 1, 2), ("rivalry", 3, 1)), catalogue)
    lines = render_standings(standings, 4000).splitlines()
    assert lines[1].endswith("` 6 pts · 2 votes (100%)")
    assert lines[3].endswith("` 1 pt · 1 vote (50%)")


def test_ties_share_a_place_and_list_in_album_order(catalogue: Catalogue) -> None:
    order = ids(catalogue)
    late, early, alone = order[5], order[1], order[3]
    standings = compute_standings(Mode.SINGLE, tallies((late, 1, 4), (early, 1, 4), (alone, 1, 2)), catalogue)
    assert [(e.place, e.tied, e.track_id) for e in standings.entries] == [
        (1, True, early),
        (1, True, late),
        (3, False, alone),
    ]
    text = render_standings(standings, 4000)
    assert text.count("**#1 (tie)**") == 2 and "**#3**" in text
    again = compute_standings(Mode.SINGLE, reversed(tallies((late, 1, 4), (early, 1, 4), (alone, 1, 2))), catalogue)
    assert again == standings, "the order never depends on the order rows arrive in"


def test_a_track_removed_from_the_catalogue_keeps_its_votes_and_stored_title(catalogue: Catalogue) -> None:
    smaller = dataclasses.replace(catalogue, tracks=tuple(t for t in catalogue.tracks if t.id != "melt"))
    standings = compute_standings(Mode.SINGLE, [Tally("melt", 1, 5, "Melt (old title)")], smaller)
    (entry,) = standings.entries
    assert (entry.votes, entry.in_catalogue) == (5, False)
    assert entry.label == "Melt (old title) · no longer in the catalogue"


def test_rendering_reads_on_a_phone_and_fits_its_limit(catalogue: Catalogue) -> None:
    rows = tallies(*((track_id, 1, 40 - i) for i, track_id in enumerate(ids(catalogue))))
    standings = compute_standings(Mode.SINGLE, rows, catalogue)
    full = render_standings(standings, 4000)
    bars = [line for line in full.splitlines() if line.startswith("`")]
    assert len(bars) == len(standings.entries)
    assert all(len(line) <= 40 for line in bars), "bar lines stay short enough not to wrap on a phone"
    assert bars[0].startswith("`" + "█" * BAR_WIDTH + "`")
    short = render_standings(standings, 300)
    assert len(short) <= 300 and short.endswith("more with fewer points.")
    assert bar(1, 1000) == "█" + "░" * (BAR_WIDTH - 1), "any vote shows"
    assert render_standings(compute_standings(Mode.TOP3, [], catalogue), 100) == "No votes yet."


def test_csv_has_standings_only(catalogue: Catalogue) -> None:
    rows = [Tally("melt", 1, 3, "Melt"), Tally("gone", 1, 3, "=HYPERLINK(1)")]
    text = standings_csv(compute_standings(Mode.SINGLE, rows, catalogue))
    parsed = list(csv.reader(io.StringIO(text)))
    assert tuple(parsed[0]) == CSV_HEADER
    assert parsed[1][:3] == ["1", "yes", "melt"] and parsed[1][-2:] == ["3", "3"]
    assert parsed[2][4] == "'=HYPERLINK(1)", "a title can't become a spreadsheet formula"


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


async def test_concurrent_double_submissions_leave_one_ballot(store: PollStore, db: Database) -> None:
    picks = ["melt", "rivalry", "two-souls", "its-you"]
    await asyncio.gather(*(store.vote(GUILD, 7, lambda _, p=p: [p]) for p in picks * 10))
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


async def test_mode_changes_only_between_rounds(store: PollStore) -> None:
    assert (await store.configure(GUILD, mode=Mode.TOP3)).mode is Mode.TOP3, "no ballots yet: allowed"
    await store.vote(GUILD, 1, lambda _: ["melt", "rivalry", "two-souls"])
    with pytest.raises(PollRuleError, match=r"1 ballot in `top3` mode.*/poll-admin reset.*mode:single"):
        await store.configure(GUILD, mode=Mode.SINGLE, results=Visibility.HIDDEN)
    assert (await store.state(GUILD)).results is Visibility.LIVE, "a refused change changes nothing"
    state = await store.configure(GUILD, mode=Mode.TOP3, results=Visibility.HIDDEN)
    assert (state.mode, state.results) == (Mode.TOP3, Visibility.HIDDEN)
    await store.reset(GUILD, 1)
    assert (await store.configure(GUILD, mode=Mode.SINGLE)).mode is Mode.SINGLE


async def test_top3_tallies_are_aggregated_per_rank(store: PollStore, catalogue: Catalogue) -> None:
    await store.configure(GUILD, mode=Mode.TOP3)
    await store.vote(GUILD, 1, lambda _: ["melt", "rivalry", "two-souls"])
    await store.vote(GUILD, 2, lambda _: ["rivalry", "melt"])
    await store.vote(GUILD, 3, lambda current: place_pick(current, "two-souls", 2, 3))
    standings = compute_standings(Mode.TOP3, await store.tallies(GUILD, 1), catalogue)
    assert standings.voters == 3
    assert [(e.track_id, e.points, e.votes) for e in standings.entries] == [
        ("rivalry", 5, 2),
        ("melt", 5, 2),
        ("two-souls", 4, 2),
    ]


async def test_reset_keeps_results_but_not_ballots(store: PollStore, db: Database) -> None:
    for user, track in ((1, "melt"), (2, "melt"), (3, "rivalry")):
        await store.vote(GUILD, user, lambda _, t=track: [t])
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
    (entry,) = compute_standings(Mode.SINGLE, await store.tallies(GUILD, 1), catalogue).entries
    assert (entry.title, entry.in_catalogue, entry.votes) == ("Lost Cue", False, 1)


async def test_servers_are_isolated(store: PollStore) -> None:
    await store.vote(GUILD, 1, lambda _: ["melt"])
    await store.configure(OTHER_GUILD, results=Visibility.HIDDEN)
    await store.set_open(OTHER_GUILD, False)
    assert await store.ballot(OTHER_GUILD, 1) is None
    assert await store.tallies(OTHER_GUILD, 1) == []
    assert (await store.state(GUILD)).is_open and (await store.state(GUILD)).results is Visibility.LIVE


async def test_standings_use_an_index_not_a_table_scan(store: PollStore, db: Database) -> None:
    from bot.db.poll import _LIVE_TALLIES

    plan = await db.fetchall("EXPLAIN QUERY PLAN " + _LIVE_TALLIES, (GUILD, 1))
    details = [str(row["detail"]) for row in plan if str(row["detail"]).startswith(("SCAN", "SEARCH"))]
    assert details and all("COVERING INDEX" in d for d in details), details


async def test_standings_over_10000_ballots(
    store: PollStore, db: Database, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    """A measurement, printed rather than asserted: machines differ, the figure is for humans to judge."""
    await store.configure(GUILD, mode=Mode.TOP3)
    rng = random.Random(5)
    tracks = ids(catalogue)
    rows = [(GUILD, 1, user, *rng.sample(tracks, 3), 0) for user in range(10_000)]
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO poll_ballots VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        await conn.execute("ANALYZE")
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        standings = compute_standings(Mode.TOP3, await store.tallies(GUILD, 1), catalogue)
        timings.append((time.perf_counter() - started) * 1000)
    assert standings.voters == 10_000
    assert sum(e.points for e in standings.entries) == 10_000 * 6
    with capsys.disabled():
        print(f"\nstandings over 10,000 top-3 ballots: median {sorted(timings)[10]:.2f} ms (of 20 runs)")


# -- the ballot message stays within Discord's limits by construction ------------------------------------------


@pytest.mark.parametrize(("count", "menus"), [(9, 1), (25, 1), (34, 2), (51, 3), (100, 4), (140, 4)])
def test_ballot_message_fits_discord(count: int, menus: int) -> None:
    embed, view = ballot_message(make_tracks(count, id_length=63))
    rows = view.to_components()
    assert len(rows) == menus + 1 <= 5
    selects = [c for row in rows[:-1] for c in row["components"]]
    assert all(len(s["options"]) <= MENU_SIZE for s in selects)
    assert sum(len(s["options"]) for s in selects) == min(count, MENU_SIZE * MAX_MENUS)
    assert all(len(o["label"]) <= 100 and len(o["value"]) <= 100 for s in selects for o in s["options"])
    assert [c["label"] for c in rows[-1]["components"]] == ["My vote", "Results"]
    custom_ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert len(set(custom_ids)) == len(custom_ids) and all(cid.startswith("hr:poll:") for cid in custom_ids)
    assert ("don't fit in menus" in (embed.description or "")) == (count > MENU_SIZE * MAX_MENUS)


def test_component_ids_stay_within_100_characters() -> None:
    longest_track = make_tracks(1, id_length=63)[0].id
    assert len(RankButton(999_999_999, 3, longest_track).custom_id) <= 100
    assert len(ResetButton(999_999_999, 2**64).custom_id) <= 100
