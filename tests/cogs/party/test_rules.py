"""A listening party's rules without Discord: what is played, the timeline, downtime, limits, the hearts."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import Catalogue, Fact
from bot.delivery import DEFAULT_GRACE_S, ON_TIME_S
from cogs.party.rules import (
    COUNTDOWN_S,
    MAX_LENGTH_S,
    MAX_TRACKS,
    Advance,
    PartyRuleError,
    Play,
    catch_up,
    check_length,
    heart,
    hearts,
    late,
    parse_numbers,
    playing,
    start,
    timeline,
    tracks_to_play,
)

T0 = 1_800_000_000


# -- what is played ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [
        ("1, 5, 8-12", (1, 5, 8, 9, 10, 11, 12)),
        ("3 1 2", (3, 1, 2)),
        ("8 - 10; 2", (8, 9, 10, 2)),
        ("7–9", (7, 8, 9)),  # an en dash, as phones type it
        (" 4 ", (4,)),
    ],
)
def test_track_numbers_are_read_as_people_type_them(typed: str, numbers: tuple[int, ...]) -> None:
    assert parse_numbers(typed) == numbers


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [
        ("1, five", "'five' is not a track number or a range: write them like 1, 5, 8-12."),
        ("12-8", "'12-8' goes backwards: write a range from low to high, like 8-12."),
        ("0", "'0' is not a track number or a range"),
        ("1, 2, 1", "Track 1 is listed twice: a party plays each once."),
        (", ,", "List the tracks to play by their numbers, like 1, 5, 8-12."),
        ("1-60", "That is 60 tracks; a party plays at most 50."),
    ],
)
def test_bad_track_numbers_are_refused_naming_the_part(typed: str, refusal: str) -> None:
    with pytest.raises(PartyRuleError) as refused:
        parse_numbers(typed)
    assert str(refused.value).startswith(refusal)


@given(st.lists(st.integers(1, 200), min_size=1, max_size=MAX_TRACKS, unique=True), st.sampled_from([", ", " ", ";"]))
def test_any_list_of_distinct_positions_reads_back_in_its_order(numbers: list[int], separator: str) -> None:
    assert parse_numbers(separator.join(map(str, numbers))) == tuple(numbers)


def test_the_album_the_singles_or_listed_positions(full_catalogue: Catalogue) -> None:
    album = tracks_to_play(full_catalogue, Play.ALBUM)
    assert [t.number.value for t in album] == list(range(1, 35))
    singles = tracks_to_play(full_catalogue, Play.SINGLES)
    assert singles and all(full_catalogue.single_for(t.id) is not None for t in singles)
    listed = tracks_to_play(full_catalogue, Play.TRACKS, (34, 1, 5))
    assert [t.number.value for t in listed] == [34, 1, 5], "in the order listed"
    with pytest.raises(PartyRuleError, match="The catalogue knows no tracks 35 and 40"):
        tracks_to_play(full_catalogue, Play.TRACKS, (1, 35, 40))


# -- the timeline ----------------------------------------------------------------------------------------------


def test_a_timed_party_cues_each_track_when_the_one_before_ends() -> None:
    line = timeline(T0, [120, 90, 200], Advance.TIMED)
    first = T0 + COUNTDOWN_S
    assert [line.due(step) for step in range(5)] == [T0, first, first + 120, first + 210, first + 410]
    assert line.switch is None and line.recap == 4 and line.tracks == 3


def test_a_timed_party_is_hosted_from_the_first_track_of_unknown_length() -> None:
    line = timeline(T0, [120, None, 200, 90], Advance.TIMED)
    assert [line.due(step) for step in range(3)] == [T0, T0 + COUNTDOWN_S, T0 + COUNTDOWN_S + 120]
    assert [line.hosted(step) for step in range(6)] == [False, False, False, True, True, True]
    assert line.switch == 2, "the cue of the track nobody knows the length of says the party is hosted from there"
    assert timeline(T0, [None, 200], Advance.TIMED).switch == 1, "today: no duration known, hosted after track 1"


def test_a_hosted_party_waits_for_next_after_track_1() -> None:
    line = timeline(T0, [120, 90], Advance.HOSTED)
    assert [line.due(step) for step in range(4)] == [T0, T0 + COUNTDOWN_S, None, None]
    assert line.switch is None and line.deadline == T0 + MAX_LENGTH_S


def test_a_party_longer_than_the_cap_is_refused() -> None:
    check_length(timeline(T0, [MAX_LENGTH_S - COUNTDOWN_S], Advance.TIMED))
    with pytest.raises(PartyRuleError, match="a party lasts at most 6 hours"):
        check_length(timeline(T0, [MAX_LENGTH_S], Advance.TIMED))
    check_length(timeline(T0, [MAX_LENGTH_S, None], Advance.TIMED))  # a hosted end: the deadline caps it instead


# -- after downtime --------------------------------------------------------------------------------------------


def test_a_start_follows_the_reminders_downtime_policy() -> None:
    assert start(T0, T0) == start(T0, T0 + 3) == dataclasses.replace(start(T0, T0), shift=0)
    assert start(T0, T0 + 90).shift == 90 and not start(T0, T0 + 90).late, "moved, and on time within 10 minutes"
    assert start(T0, T0 + ON_TIME_S + 1).late
    assert start(T0, T0 + DEFAULT_GRACE_S).shift == DEFAULT_GRACE_S
    assert start(T0, T0 + DEFAULT_GRACE_S + 1).missed


def test_a_restart_resumes_at_the_track_playing_now() -> None:
    line = timeline(T0, [100, 100, 100], Advance.TIMED)
    first = T0 + COUNTDOWN_S
    assert catch_up(line, 1, first - 1) == 1
    assert catch_up(line, 2, first + 150) == 2, "track 2 plays: its cue is the one to post"
    assert catch_up(line, 1, first + 250) == 3, "tracks 1 and 2 were slept through: track 3 plays now"
    assert catch_up(line, 2, first + 400) == 4, "it is over: the recap"
    hosted = timeline(T0, [100, None, 100], Advance.TIMED)
    assert catch_up(hosted, 2, first + 10_000) == 2, "a hosted step is never jumped"
    assert catch_up(line, 0, first + 10_000) == 0, "the start is `start`'s to decide"
    assert not late(first, first + 5) and late(first, first + 6)


def test_the_track_playing_is_the_timelines_once_its_time_came() -> None:
    """`/party now` is right even in the instant between a cue's time and its post."""
    line = timeline(T0, [100, 100, None, 100], Advance.TIMED)
    first = T0 + COUNTDOWN_S
    assert playing(line, 0, first - 1) == 0, "counting down"
    assert playing(line, 0, first) == 1 and playing(line, 1, first + 150) == 2
    assert playing(line, 1, first + 10_000) == 3, "up to the track of unknown length, whose end is the host's"
    assert playing(timeline(T0, [100], Advance.TIMED), 1, first + 10_000) == 1, "never past the last track"


def test_a_late_start_moves_the_whole_timeline() -> None:
    moved = timeline(T0, [100, 100], Advance.TIMED, shift=start(T0, T0 + 600).shift)
    assert moved.due(1) == T0 + 600 + COUNTDOWN_S and moved.due(3) == T0 + 600 + COUNTDOWN_S + 200
    assert moved.deadline == T0 + 600 + MAX_LENGTH_S


# -- the track of the night ------------------------------------------------------------------------------------


def test_hearts_are_ranked_with_ties_in_play_order() -> None:
    played = [("a", "Alpha"), ("b", "Bravo"), ("c", "Charlie"), ("d", "Delta")]
    night = hearts(played, {"c": 2, "a": 2, "d": 5, "b": 0, "gone": 9})
    assert [(e.place, e.tied, e.title, e.votes) for e in night.entries] == [
        (1, False, "Delta", 5), (2, True, "Alpha", 2), (2, True, "Charlie", 2),
    ]  # fmt: skip
    assert night.voters == 9 and not night.scored and night.how == "one heart per member"
    assert [e.title for e in night.top(1)] == ["Delta"] and len(night.top(3)) == 3
    assert hearts(played, {}).entries == ()


def test_a_heart_moves_or_is_taken_back() -> None:
    assert heart(None, "a") == "a" and heart("a", "b") == "b" and heart("b", "b") is None


def test_catalogue_durations_make_the_timeline(full_catalogue: Catalogue) -> None:
    tracks = tracks_to_play(full_catalogue, Play.TRACKS, (1, 2))
    timed = [dataclasses.replace(t, duration_s=Fact(100, t.duration_s.confidence)) for t in tracks]
    line = timeline(T0, [t.duration_s.value for t in timed], Advance.TIMED)
    assert line.due(3) == T0 + COUNTDOWN_S + 200
