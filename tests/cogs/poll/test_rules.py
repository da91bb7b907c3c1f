"""The poll's rules without Discord or SQL: ballots, 3-2-1 scoring, ties, rendering, CSV."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from bot.catalogue import Catalogue
from cogs.poll.rules import (
    BAR_WIDTH,
    CSV_HEADER,
    BallotMode,
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

GUILD = 111
OTHER_GUILD = 222


# -- rules ---------------------------------------------------------------------------------------------------


def test_single_mode_takes_one_pick_and_names_the_extra_options() -> None:
    assert check_ballot(BallotMode.SINGLE, ["melt", None, None]) == ("melt",)
    with pytest.raises(PollRuleError, match=r"leave out `second` and `third`.*mode:top3"):
        check_ballot(BallotMode.SINGLE, ["melt", "rivalry", "two-souls"])


def test_top3_needs_distinct_picks_in_order() -> None:
    assert check_ballot(BallotMode.TOP3, ["melt", "rivalry", None]) == ("melt", "rivalry")
    with pytest.raises(PollRuleError, match=r"`third` repeats `track`"):
        check_ballot(BallotMode.TOP3, ["melt", "rivalry", "melt"])
    with pytest.raises(PollRuleError, match=r"Fill `second` before `third`"):
        check_ballot(BallotMode.TOP3, ["melt", None, "rivalry"])


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
    standings = compute_standings(BallotMode.TOP3, rows, catalogue)
    assert standings.voters == 3
    scores = {e.track_id: (e.votes, e.points) for e in standings.entries}
    assert scores == {melt: (3, 7), rivalry: (3, 7), souls: (3, 3)}


def test_top3_lines_show_points_then_votes_in_the_singular_when_one(catalogue: Catalogue) -> None:
    standings = compute_standings(BallotMode.TOP3, tallies(("melt", 1, 2), ("rivalry", 3, 1)), catalogue)
    lines = render_standings(standings, 4000).splitlines()
    assert lines[1].endswith("` 6 pts · 2 votes (100%)")
    assert lines[3].endswith("` 1 pt · 1 vote (50%)")


def test_ties_share_a_place_and_list_in_album_order(catalogue: Catalogue) -> None:
    order = [t.id for t in catalogue.tracks_in_order()]
    late, early, alone = order[5], order[1], order[3]
    standings = compute_standings(BallotMode.SINGLE, tallies((late, 1, 4), (early, 1, 4), (alone, 1, 2)), catalogue)
    assert [(e.place, e.tied, e.track_id) for e in standings.entries] == [
        (1, True, early),
        (1, True, late),
        (3, False, alone),
    ]
    text = render_standings(standings, 4000)
    assert text.count("**#1 (tie)**") == 2 and "**#3**" in text
    again = compute_standings(
        BallotMode.SINGLE, reversed(tallies((late, 1, 4), (early, 1, 4), (alone, 1, 2))), catalogue
    )
    assert again == standings, "the order never depends on the order rows arrive in"


def test_a_track_removed_from_the_catalogue_keeps_its_votes_and_stored_title(catalogue: Catalogue) -> None:
    smaller = dataclasses.replace(catalogue, tracks=tuple(t for t in catalogue.tracks if t.id != "melt"))
    standings = compute_standings(BallotMode.SINGLE, [Tally("melt", 1, 5, "Melt (old title)")], smaller)
    (entry,) = standings.entries
    assert (entry.votes, entry.in_catalogue) == (5, False)
    assert entry.label == "Melt (old title) · no longer in the catalogue"


def test_rendering_reads_on_a_phone_and_fits_its_limit(catalogue: Catalogue) -> None:
    rows = tallies(*((track_id, 1, 40 - i) for i, track_id in enumerate([t.id for t in catalogue.tracks_in_order()])))
    standings = compute_standings(BallotMode.SINGLE, rows, catalogue)
    full = render_standings(standings, 4000)
    bars = [line for line in full.splitlines() if line.startswith("`")]
    assert len(bars) == len(standings.entries)
    assert all(len(line) <= 40 for line in bars), "bar lines stay short enough not to wrap on a phone"
    assert bars[0].startswith("`" + "█" * BAR_WIDTH + "`")
    short = render_standings(standings, 300)
    assert len(short) <= 300 and short.endswith("more with fewer points.")
    assert bar(1, 1000) == "█" + "░" * (BAR_WIDTH - 1), "any vote shows"
    assert render_standings(compute_standings(BallotMode.TOP3, [], catalogue), 100) == "No votes yet."


def test_csv_has_standings_only(catalogue: Catalogue) -> None:
    rows = [Tally("melt", 1, 3, "Melt"), Tally("gone", 1, 3, "=HYPERLINK(1)")]
    text = standings_csv(compute_standings(BallotMode.SINGLE, rows, catalogue))
    parsed = list(csv.reader(io.StringIO(text)))
    assert tuple(parsed[0]) == CSV_HEADER
    assert parsed[1][:3] == ["1", "yes", "melt"] and parsed[1][-2:] == ["3", "3"]
    assert parsed[2][4] == "'=HYPERLINK(1)", "a title can't become a spreadsheet formula"
