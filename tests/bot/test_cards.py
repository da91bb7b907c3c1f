"""Cards: honest about unknowns, spoilers behind bars, and within Discord's embed limits for any catalogue."""

from __future__ import annotations

import datetime as dt
import json
import re

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import (
    about_card,
    album_card,
    card_sources,
    episode_card,
    song_card,
    sources_card,
    track_card,
    tracklist_card,
    tracklist_page_count,
)
from bot.catalogue import Catalogue, parse_catalogue
from bot.embeds import (
    DESCRIPTION_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    Card,
    join_within,
)
from bot.i18n import language, using
from tests.bot.test_catalogue import BUNDLED

TODAY = dt.date(2026, 12, 4)


def embed_problems(embed: discord.Embed) -> list[str]:
    """Every way an embed breaks Discord's limits (discord-protocol.md §9)."""
    data = embed.to_dict()
    problems = []
    if len(data.get("title", "")) > TITLE_LIMIT:
        problems.append("title")
    if len(data.get("description", "")) > DESCRIPTION_LIMIT:
        problems.append("description")
    fields = data.get("fields", [])
    if len(fields) > FIELD_COUNT_LIMIT:
        problems.append("field count")
    for index, item in enumerate(fields):
        if not 0 < len(item["name"]) <= FIELD_NAME_LIMIT:
            problems.append(f"fields[{index}].name")
        if not 0 < len(item["value"]) <= FIELD_VALUE_LIMIT:
            problems.append(f"fields[{index}].value")
    if len(data.get("footer", {}).get("text", "")) > FOOTER_LIMIT:
        problems.append("footer")
    if len(embed) > TOTAL_LIMIT:
        problems.append("total")
    return problems


def all_embeds(cat: Catalogue) -> list[discord.Embed]:
    cards = [album_card(cat, TODAY), about_card(cat, version="1", started_at=0, latency_ms=None, guild_count=3)]
    cards += [tracklist_card(cat, page) for page in range(1, tracklist_page_count(cat) + 1)]
    cards += [track_card(cat, t) for t in cat.tracks]
    cards += [episode_card(cat, e) for e in cat.episodes]
    cards += [song_card(cat, s) for s in cat.songs]
    return [card.build() for card in cards]


def test_bundled_cards_are_within_limits(catalogue: Catalogue) -> None:
    for embed in all_embeds(catalogue):
        assert embed_problems(embed) == [], embed.title


def test_album_card_is_honest(catalogue: Catalogue) -> None:
    text = json.dumps(album_card(catalogue, TODAY).build().to_dict(), ensure_ascii=False)
    assert "9 of 34 tracks listed" in text
    assert "Peter Peter" in text and "Milan Records" in text
    assert "not been confirmed" in text, "the album title is unconfirmed and must say so"
    assert "**Vinyl**: announced for later in 2026, date not announced" in text, "each thing said once"


def test_a_future_edition_is_out_on_its_date_never_out_since() -> None:
    cat = parse_catalogue(
        [("catalogue.toml", BUNDLED), ("o.toml", '[overlay]\nsources = ["variety"]\n'
         '[[editions]]\nid = "vinyl"\nstatus = "released"\nrelease_date = 2026-12-11\n')]
    )  # fmt: skip
    text = json.dumps(album_card(cat, TODAY).build().to_dict(), ensure_ascii=False)
    assert "**Vinyl**: out on Fri 11 December 2026 (in 7 days)" in text and "out since Fri 11" not in text
    later = json.dumps(album_card(cat, dt.date(2026, 12, 12)).build().to_dict(), ensure_ascii=False)
    assert "**Vinyl**: out since Fri 11 December 2026" in later


def test_a_card_lists_each_publisher_once_and_the_button_lists_every_page(catalogue: Catalogue) -> None:
    sources = album_card(catalogue, TODAY).build().to_dict()["fields"][-1]["value"]
    assert sources.count("Glance") <= 1
    assert "more: **Sources** lists them all" in sources and len(sources) < 600
    found = card_sources(catalogue, "album", "")
    assert found is not None
    full = sources_card(*found).build().description or ""
    assert full.count("Glance (AI press summary)") == 2, "each page, labelled, in the full list"
    assert "Vulture (mirror)" in full
    assert card_sources(catalogue, "track", "no-such-track") is None


LINK = re.compile(r"\[([^\[\]\"]+)\]\((https?://[^)\s\"]+)\)")


def every_card(cat: Catalogue) -> list[discord.Embed]:
    """Every card a fan can open, and each one's full list of sources."""
    cards = [album_card(cat, TODAY), *(track_card(cat, t) for t in cat.tracks)]
    cards += [*(episode_card(cat, e) for e in cat.episodes), *(song_card(cat, s) for s in cat.songs)]
    keys = [("album", ""), *(("track", t.id) for t in cat.tracks), *(("episode", str(e.number)) for e in cat.episodes)]
    for kind, key in [*keys, *(("song", s.id) for s in cat.songs)]:
        found = card_sources(cat, kind, key)
        assert found is not None
        cards.append(sources_card(*found))
    return [card.build() for card in cards]


@pytest.mark.parametrize(
    ("locale", "labels"),
    [("en", ("mirror", "AI press summary")), ("fr", ("miroir", "résumé")), ("pt-BR", ("espelho", "resumo"))],
)
def test_a_link_to_a_mirror_or_a_summary_says_so_on_every_card(
    catalogue: Catalogue, locale: str, labels: tuple[str, str]
) -> None:
    """Kind: a mirror link labelled as a mirror. A link named "Vulture" went to a copy on another site; every link
    to a page that is not its publisher's own (the catalogue labels them) now names the kind of page, in the
    reader's language, while the publisher's name stays as written."""
    labelled = {s.url: s for s in catalogue.sources.values() if s.label is not None}
    seen = set()
    with using(language(locale)):
        embeds = every_card(catalogue)
    for embed in embeds:
        text = json.dumps(embed.to_dict(), ensure_ascii=False)
        for name, url in LINK.findall(text):
            if url in labelled:
                source = labelled[url]
                assert name.startswith(source.publisher + " (") and name != source.publisher, (name, url)
                seen.add(name.split(" (", 1)[1])
    assert any(labels[0] in label for label in seen) and any(labels[1] in label for label in seen), seen
    assert any("[Vulture (" in json.dumps(embed.to_dict(), ensure_ascii=False) for embed in embeds)


@pytest.mark.parametrize(("locale", "mirror"), [("en", "Billboard (mirror)"), ("pt-BR", "Billboard (espelho)")])
def test_the_about_cards_example_sources_are_labelled_in_the_readers_language(
    catalogue: Catalogue, locale: str, mirror: str
) -> None:
    """The same kind as above, on the one card that names sources without linking them: its examples ("e.g.
    Billboard (mirror)") were the fact sheet's English names in every language."""
    with using(language(locale)):
        about = about_card(catalogue, version="1", started_at=0, latency_ms=None, guild_count=3).build()
    examples = about.fields[-1].value or ""  # "Where the facts come from"
    assert mirror in examples, examples


def test_provenance_notes_are_italic_not_spoilers(catalogue: Catalogue) -> None:
    heartbeat = catalogue.track("heartbeat-i")
    assert heartbeat is not None
    heard = next(
        f["value"] for f in track_card(catalogue, heartbeat).build().to_dict()["fields"] if f["name"] == "Heard in"
    )
    assert "*Listed in the blog's episode 1 section; the scene is not described.*" in heard and "||" not in heard


def test_tracklist_shows_gaps_instead_of_guessing(catalogue: Catalogue) -> None:
    text = "\n".join(tracklist_card(catalogue, p).build().description or "" for p in range(1, 3))
    assert "`1.` Rivalry" in text
    assert "`9–34.` *title not confirmed yet*" in text


def test_scenes_are_behind_spoiler_bars(catalogue: Catalogue) -> None:
    rivalry = catalogue.track("rivalry")
    assert rivalry is not None
    data = track_card(catalogue, rivalry).build().to_dict()
    scene = rivalry.uses[0].scene
    assert scene
    assert any(f"||{scene}||" in f["value"] for f in data["fields"])
    assert all(scene not in f["value"].replace(f"||{scene}||", "") for f in data["fields"])


def test_card_trims_to_the_total_limit() -> None:
    card = Card(title="t" * 300, description="d" * 5000, footer="f" * 3000)
    for index in range(30):
        card.add(f"name {index}" * 40, "v" * 2000)
    assert embed_problems(card.build()) == []


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def printable(max_size: int) -> st.SearchStrategy[str]:
    """Any text the catalogue accepts: letters, digits, punctuation, symbols, spaces; not blank."""
    alphabet = st.characters(categories=("L", "N", "P", "S", "Zs"))
    return st.text(alphabet=alphabet, min_size=1, max_size=max_size).filter(lambda t: bool(t.strip()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(printable(100), min_size=1, max_size=25),
    note=printable(1000),
    scene=printable(500),
)
def test_generated_big_catalogues_stay_within_limits(titles: list[str], note: str, scene: str) -> None:
    blocks = ["[overlay]\nsources = ['maxine']\n"]
    for index, title in enumerate(titles):
        uses = ", ".join(f"{{ episode = {ep}, scene = {toml_string(scene)} }}" for ep in range(1, 7))
        blocks.append(
            f"[[tracks]]\nid = 'gen-{index}'\ntitle = {toml_string(title)}\nnumber = {index + 9}\n"
            f"note = {toml_string(note)}\nuses = [{uses}]\n"
        )
    cat = parse_catalogue([("catalogue.toml", BUNDLED), ("generated.toml", "\n".join(blocks))])
    for embed in all_embeds(cat):
        assert embed_problems(embed) == [], embed.title


@given(
    parts=st.lists(st.text(st.characters(blacklist_characters="\n"), max_size=60), max_size=40),
    limit=st.integers(min_value=20, max_value=600),
)
def test_join_within_keeps_the_limit_and_counts_what_it_left_out(parts: list[str], limit: int) -> None:
    """Every list the bot shortens (upcoming releases, tracklists): within the limit, a prefix, then the count."""
    joined = join_within(parts, limit, "\n")
    assert len(joined) <= limit
    if len("\n".join(parts)) <= limit:
        assert joined == "\n".join(parts)
    else:
        *shown, more = joined.split("\n")
        assert shown == parts[: len(shown)]
        assert more == f"+{len(parts) - len(shown)} more"


def fields_of(card: Card) -> dict[str, str]:
    return {name: value for name, value, _inline in card.fields}


def test_unknown_agrees_with_what_it_qualifies(catalogue: Catalogue) -> None:
    """Regression (issue 21): "Durée : inconnu" and "Duração: desconhecido" took the wrong gender; each unknown fact
    is asked for in its own gettext context, so each language agrees it with that fact."""
    its_you, scene_unknown = catalogue.track("its-you"), catalogue.song("quebec-acts")
    assert its_you is not None and scene_unknown is not None
    with using(language("fr")):
        track, song = fields_of(track_card(catalogue, its_you)), fields_of(song_card(catalogue, scene_unknown))
        assert (track["Durée"], track["Position"], song["Scène"], song["Épisode"]) == (
            "inconnue", "inconnue", "inconnue", "inconnu",
        )  # fmt: skip
    with using(language("pt-BR")):
        track, song = fields_of(track_card(catalogue, its_you)), fields_of(song_card(catalogue, scene_unknown))
        assert (track["Duração"], track["Posição"], song["Cena"], song["Episódio"]) == (
            "desconhecida", "desconhecida", "desconhecida", "desconhecido",
        )  # fmt: skip
    english = fields_of(track_card(catalogue, its_you))
    assert (english["Duration"], english["Position"]) == ("unknown", "unknown")


def test_a_single_is_said_so_in_the_readers_language(catalogue: Catalogue) -> None:
    """Regression (issue 21): "Yes: released as a single." was built inside an f-string, which `pybabel extract`
    never sees, so every language read it in English. The single's description is the fact sheet's, untranslated."""
    rivalry = catalogue.track("rivalry")
    assert rivalry is not None
    with using(language("fr")):
        assert fields_of(track_card(catalogue, rivalry))["Extrait"].startswith(
            "Oui\u00a0: sortie en extrait. A techno/EDM track"
        )
    with using(language("pt-BR")):
        assert fields_of(track_card(catalogue, rivalry))["Single"].startswith("Sim: lançada como single. A techno")
    assert fields_of(track_card(catalogue, rivalry))["Single"].startswith("Yes: released as a single. A techno")
