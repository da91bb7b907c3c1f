"""Autocomplete and free-text lookup: typos, partial words, accents, numbers; Discord's choice limits."""

from __future__ import annotations

import pytest
from discord import app_commands
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import Catalogue, load_catalogue
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


# -- what Discord may send for an autocompleted option (issue 10, kind 6) ---------------------------------------


def test_every_choice_name_and_number_form_resolves_to_its_track(finder: SoundtrackFinder) -> None:
    """Regression: some clients send a choice's name ("2. Melt") instead of its value; "5", "#5" and "track 5"
    were refused although the option invites a track number."""
    for track in finder.catalogue.tracks_in_order():
        forms = [track.id, finder.tracks.choice_name(track)]
        if track.number.value is not None:
            n = track.number.value
            forms += [str(n), f"#{n}", f"track {n}", f"Track #{n}", f"no. {n}"]
        assert {finder.resolve_track(form).id for form in forms} == {track.id}, forms
    for song in finder.catalogue.songs:
        assert finder.resolve_song(finder.songs.choice_name(song)).id == song.id


def test_symbols_fold_to_themselves_so_an_emoji_title_is_found_and_a_question_mark_is_not() -> None:
    """Regression: an emoji-only title folded to "", like "?", so "?" matched it and its emoji did not."""
    index = Index(["🔥🔥", "Melt"], key=lambda s: s, ident=lambda s: s)
    assert fold("🔥🔥") == "🔥🔥" and fold("?") == "?"
    assert index.resolve("🔥🔥") == "🔥🔥" and index.resolve(" 🔥🔥 ") == "🔥🔥"
    assert index.resolve("?") is None and index.resolve("") is None


@given(st.text(max_size=120))
def test_any_text_resolves_to_a_track_or_a_refusal_that_quotes_it_short(text: str) -> None:
    """Kind: free text naming a track. Never an exception other than `UserError`; a refusal stays short."""
    finder = SoundtrackFinder(load_catalogue())
    try:
        finder.resolve_track(text)
    except UserError as error:
        assert len(str(error)) < 600


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("20", "Track 20 is on the album, but which title it has is not confirmed yet (9 of 34 tracks listed)."),
        ("#34", "Track 34 is on the album, but which title it has is not confirmed yet"),
        ("track 35", "There is no track 35: the album has 34 tracks."),
        ("0", "There is no track 0: the album has 34 tracks."),
        ("rivalry theme remix", "No track matches 'rivalry theme remix'."),
    ],
)
def test_a_position_whose_title_is_unconfirmed_is_not_an_unknown_track(
    finder: SoundtrackFinder, typed: str, says: str
) -> None:
    """Kind: unconfirmed versus unknown (issue 21). "No track matches" was said of track 20, which is on the album
    with its title not confirmed yet; only a number past the album's end or a title that matches nothing is unknown."""
    with pytest.raises(UserError) as refused:
        finder.resolve_track(typed)
    assert str(refused.value).startswith(says)
