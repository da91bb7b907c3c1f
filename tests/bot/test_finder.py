"""Autocomplete and free-text lookup: typos, partial words, accents, numbers; Discord's choice limits."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.catalogue import Catalogue
from bot.errors import UserError
from bot.finder import SoundtrackFinder
from bot.search import MAX_CHOICES, MAX_NAME, Index, fold


@pytest.fixture(scope="module")
def finder(catalogue: Catalogue) -> SoundtrackFinder:
    return SoundtrackFinder(catalogue)


def values(choices: list[app_commands.Choice[str]] | list[app_commands.Choice[int]]) -> list[object]:
    return [c.value for c in choices]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("rivalry", "rivalry"), ("rivl", "rivalry"), ("Rivalrey", "rivalry"), ("its you", "its-you"), ("3", None)],
)
def test_track_autocomplete_ranks_the_intended_track_first(
    finder: SoundtrackFinder, typed: str, expected: str | None
) -> None:
    choices = finder.track_choices(typed)
    assert choices
    if expected is None:  # a bare number means that track number
        assert choices[0].name.startswith("3. ")
    else:
        assert choices[0].value == expected


def test_empty_query_lists_tracks_in_order(finder: SoundtrackFinder, catalogue: Catalogue) -> None:
    choices = finder.track_choices("")
    assert values(choices) == [t.id for t in catalogue.tracks_in_order()][:MAX_CHOICES]


def test_accents_fold_both_ways() -> None:
    assert fold("Café Tacvba") == fold("cafe tacvba")
    index = Index(["Beyoncé", "Björk", "Sigur Rós"], key=lambda s: s)
    assert index.search("beyonce")[0].item == "Beyoncé"
    assert index.search("Sigur Ros")[0].item == "Sigur Rós"


def test_song_autocomplete_matches_artist_or_title(finder: SoundtrackFinder, catalogue: Catalogue) -> None:
    song = catalogue.songs[0]
    assert finder.song_choices(song.artist[:5])[0].value == song.id


def test_episode_autocomplete_by_number_and_title(finder: SoundtrackFinder, catalogue: Catalogue) -> None:
    assert finder.episode_choices("2")[0].value == 2
    title = catalogue.episodes[3].title
    assert finder.episode_choices(title.lower())[0].value == catalogue.episodes[3].number


def test_limits_hold_for_a_large_catalogue() -> None:
    titles = [f"{'Very long instrumental cue name ' * 5} number {i}" for i in range(400)]
    index = Index(titles, key=lambda s: s)
    matches = index.search("instrumental cue")
    assert len(matches) == MAX_CHOICES
    from bot.search import truncate

    assert all(len(truncate(m.item)) <= MAX_NAME for m in matches)


def test_free_text_that_matches_nothing_gets_suggestions(finder: SoundtrackFinder) -> None:
    with pytest.raises(UserError) as caught:
        finder.resolve_track("Rivalrry theme remix zzz")
    message = str(caught.value)
    assert message.startswith("No track matches 'Rivalrry theme remix zzz'.")
    assert "Did you mean" in message and "Rivalry" in message


def test_free_text_resolves_exact_ids_titles_and_clear_typos(finder: SoundtrackFinder) -> None:
    assert finder.resolve_track("its-you").id == "its-you"
    assert finder.resolve_track("it's you").id == "its-you"
    assert finder.resolve_track("Rivalyr").id == "rivalry"
