"""The catalogue: bundled facts load, every stated fact has sources, and broken overlays name file and key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue import Catalogue, CatalogueError, Confidence, Edition, Fact, load_catalogue, parse_catalogue
from bot.i18n import language, text, using

BUNDLED = (Path(__file__).parents[2] / "bot" / "data" / "catalogue.toml").read_text("utf-8")
FACT_SHEET = Path(__file__).parents[3] / "shared" / "reference" / "soundtrack-facts.json"


def overlay(text: str) -> Catalogue:
    return parse_catalogue([("catalogue.toml", BUNDLED), ("overlay.toml", text)])


def overlay_error(text: str) -> str:
    with pytest.raises(CatalogueError) as caught:
        overlay(text)
    return str(caught.value)


def walk_facts(value: object, path: str = "catalogue") -> Iterator[tuple[str, Any]]:
    """Every record and Fact in the catalogue, with a readable path, for source checks."""
    if isinstance(value, Fact):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield path, value
        for f in dataclasses.fields(value):
            if f.name != "sources":
                yield from walk_facts(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from walk_facts(item, f"{path}[{index}]")


def test_bundled_catalogue_is_honest_about_what_is_known(catalogue: Catalogue) -> None:
    assert catalogue.coverage == "9 of 34 tracks listed"
    assert catalogue.album.title.value is None and catalogue.album.title.confidence is Confidence.UNKNOWN
    assert catalogue.album.composer.value == "Peter Peter"
    assert catalogue.album.label.value == "Milan Records"
    assert catalogue.digital_release.value == dt.date(2026, 1, 16)
    assert all(t.duration_s.value is None for t in catalogue.tracks), "no duration is confirmed yet"
    numbered = [t for t in catalogue.tracks if t.number.known]
    assert sorted(t.number.value or 0 for t in numbered) == list(range(1, 9))
    assert all(t.number.confidence is Confidence.SINGLE for t in numbered), "positions rest on one fan source"
    assert {s.track_id for s in catalogue.singles} == {"rivalry", "its-you"}
    assert len(catalogue.episodes) == 6
    assert {e.id for e in catalogue.editions} >= {"digital", "cd", "vinyl"}
    undated = {r.id for r in catalogue.releases if r.date is None}
    assert {"album-cd", "album-vinyl", "season-2"} <= undated


def test_every_stated_fact_names_a_source(catalogue: Catalogue) -> None:
    checked = 0
    for path, item in walk_facts(catalogue):
        confidence = getattr(item, "confidence", None)
        if confidence is None:
            continue
        stated = item.value is not None if isinstance(item, Fact) else confidence is not Confidence.UNKNOWN
        if stated:
            checked += 1
            assert item.sources, f"{path} states a fact without a source"
            assert all(s.url.startswith("https://") for s in item.sources), path
    assert checked > 50


def test_sources_come_from_the_fact_sheet(catalogue: Catalogue) -> None:
    if not FACT_SHEET.exists():
        pytest.skip("the shared fact sheet is not next to this checkout")
    sheet = FACT_SHEET.read_text("utf-8")
    json.loads(sheet)
    unknown = [s.url for s in catalogue.sources.values() if json.dumps(s.url)[1:-1] not in sheet]
    assert not unknown, f"sources not on the fact sheet: {unknown}"


def test_overlay_completes_a_track_with_its_own_source() -> None:
    cat = overlay(
        """
        [overlay]
        sources = ["milan"]
        [sources]
        milan = { name = "Milan Records", url = "https://www.milanrecords.com/" }
        [[tracks]]
        id = "rivalry"
        duration = "2:34"
        [[tracks]]
        id = "track-10"
        title = "Placeholder"
        number = 10
        confidence = "single"
        """
    )
    rivalry = cat.track("rivalry")
    assert rivalry is not None
    assert rivalry.duration_s.value == 154 and rivalry.duration_s.sources[0].name == "Milan Records"
    assert rivalry.number.value == 1 and rivalry.number.sources[0].name != "Milan Records", (
        "untouched facts keep theirs"
    )
    assert cat.coverage == "10 of 34 tracks listed"
    assert cat.files == ("catalogue.toml", "overlay.toml")


def test_readme_overlay_example_is_valid() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    example = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert example is not None
    cat = overlay(example.group(1))  # literally, as an operator would paste it
    vinyl = next(e for e in cat.editions if e.id == "vinyl")
    assert vinyl.release_date.known
    [release] = [r for r in cat.releases if r.id == "album-vinyl"]
    assert release.date == vinyl.release_date.value and release.link == vinyl.link, "one fact, one place"


def test_the_readme_shows_the_loaders_real_error() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    error = overlay_error("[[tracks]]\nid = 'rivalry'\ndurration = '2:34'\n")
    assert f"`` {error} ``" in readme


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[tracks]]\nid = 'rivalry'\nduration = '2:34'\n",
            "overlay.toml: tracks[id=rivalry].duration: this value needs its sources",
        ),
        ("[[tracks]\nid = 'x'", "overlay.toml: not valid TOML"),
        ("schema = 2", "overlay.toml: schema"),
        ("[[trakcs]]\nid = 'x'", "overlay.toml: trakcs: unknown section"),
        ("[[tracks]]\ntitle = 'No id'", "overlay.toml: tracks[0]: missing `id`"),
        (
            "[[tracks]]\nid = 'melt'\nnumber = { value = 99, confidence = 'single', sources = ['maxine'] }",
            "tracks[id=melt].number",
        ),
        (
            "[[tracks]]\nid = 'melt'\nnumber = { value = 1, confidence = 'single', sources = ['maxine'] }",
            "overlay.toml: tracks[id=melt].number: track 1 is also 'Rivalry'",
        ),
        (
            "[[tracks]]\nid = 'new'\ntitle = 'New'\nconfidence = 'single'\nsources = ['nowhere']",
            "overlay.toml: tracks[id=new].sources: unknown source id 'nowhere'",
        ),
        (
            "[[tracks]]\nid = 'new'\ntitle = 'New'\nconfidence = 'sure'\nsources = ['maxine']",
            "tracks[id=new].confidence: expected one of",
        ),
        (
            "[[tracks]]\nid = 'rivalry'\ndurration = '2:34'\nconfidence = 'single'\nsources = ['maxine']",
            "overlay.toml: tracks[id=rivalry].durration: unknown key; did you mean `duration`?",
        ),
        (
            "[[tracks]]\nid = 'rivalry'\nduration = { vaule = '2:34', confidence = 'single', sources = ['maxine'] }",
            "overlay.toml: tracks[id=rivalry].duration.vaule: unknown key; did you mean `value`?",
        ),
        (
            "[[tracks]]\nid = 'rivalri'\nduration = '2:34'\nconfidence = 'single'\nsources = ['maxine']",
            "overlay.toml: tracks[id=rivalri]: no bundled track has id 'rivalri'; did you mean 'rivalry'? "
            "A new track needs `title` as well.",
        ),
        (
            "[[tracks]]\nid = 'rivalry'\nnumber = { value = 2, confidence = 'single', sources = ['maxine'] }",
            "overlay.toml: tracks[id=rivalry].number: track 2 is also 'Melt'",
        ),
        (
            "[[releases]]\nid = 'album-vinyl'\ntitle = 'Vinyl'\ndate = 2027-02-12\nconfidence = 'single'\n"
            "sources = ['maxine']",
            'overlay.toml: releases[id=album-vinyl]: the album\'s formats are dated in one place, under [[editions]] id = "vinyl"',
        ),
        (
            "[album]\ndigital_release = 2026-01-16",
            "overlay.toml: album.digital_release: this is now the digital edition's date",
        ),
        (
            "[[releases]]\nid = 'party'\ntitle = 'Party'\nkind = 'event'\ndate = 2026-12-01\nzone = 'Mars/Base'\n"
            "confidence = 'single'\nsources = ['maxine']",
            "releases[id=party].zone: unknown IANA time zone",
        ),
    ],
)
def test_broken_overlay_names_file_and_key(text: str, expected: str) -> None:
    assert expected in overlay_error(text)


def test_overlay_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[album]\nlabel = 'Someone Else'\n", "utf-8")
    with pytest.raises(CatalogueError, match=r"mine\.toml: album\.label: this value needs its sources"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("format_name", "english", "french"),
    [
        ("Vinyl", "Heated Rivalry soundtrack on Vinyl", "Trame sonore de Rivalité passionnée en Vinyle"),
        ("CD", "Heated Rivalry soundtrack on CD", "Trame sonore de Rivalité passionnée en CD"),
    ],
)
def test_an_untitled_editions_release_names_its_format_in_the_readers_words(
    format_name: str, english: str, french: str
) -> None:
    """The bot's words around the format, and the format itself when the bundled catalogue names it (a pt-BR review
    found "em Vinyl" waiting for the first format without a release title of its own)."""
    edition = Edition("lp", format_name, "announced", Fact(None, Confidence.UNKNOWN), Confidence.MULTI, ())
    title = edition.release().title
    assert text(title) == english
    with using(language("fr")):
        assert text(title) == french
