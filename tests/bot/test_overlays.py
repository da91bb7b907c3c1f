"""`python -m bot catalogue check|import`, without the CLI around it: what an overlay changes, and an import."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.catalogue import CatalogueError, load_catalogue
from bot.musicbrainz import MusicBrainzError
from bot.overlays import describe_overlay, import_musicbrainz

README = Path(__file__).parents[2] / "README.md"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "musicbrainz"


def readme_overlay(tmp_path: Path) -> Path:
    example = re.search(r"```toml\n(.*?)```", README.read_text("utf-8"), re.S)
    assert example is not None
    path = tmp_path / "overlay.toml"
    path.write_text(example.group(1), "utf-8")
    return path


def test_check_says_what_the_readme_example_changes(tmp_path: Path) -> None:
    lines = describe_overlay(readme_overlay(tmp_path))
    assert lines[0].endswith("ok, 10 of 34 tracks listed (bundled: 9 of 34 tracks listed)")
    assert "track added: 9. Title as printed on the release" in lines
    assert "track rivalry: duration unknown → 2:34" in lines
    [dated] = [line for line in lines if line.startswith("release dated:")]
    assert dated.startswith("release dated: Heated Rivalry soundtrack on vinyl on Fri 12 February 2027")


def test_check_refuses_a_broken_overlay_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[[tracks]]\nid = 'rivalry'\ndurration = '2:34'\n", "utf-8")
    with pytest.raises(CatalogueError, match=r"mine\.toml: tracks\[id=rivalry\]\.durration: unknown key; did you"):
        describe_overlay(path)


async def test_import_turns_a_34_track_release_into_an_overlay_check_accepts(tmp_path: Path) -> None:
    saved = FIXTURES / "release-34-tracks.json"
    mbid = json.loads(saved.read_text("utf-8"))["id"]
    output = tmp_path / "mb.toml"
    lines = await import_musicbrainz(mbid, from_file=saved, output=output, force=False)
    assert any(line.startswith("wrote ") for line in lines)
    catalogue = load_catalogue(output)
    assert len(catalogue.tracks) == 34 and all(t.duration_s.known for t in catalogue.tracks)
    assert describe_overlay(output)[0].endswith("ok, 34 of 34 tracks listed (bundled: 9 of 34 tracks listed)")
    with pytest.raises(MusicBrainzError, match="already exists; pass --force"):
        await import_musicbrainz(mbid, from_file=saved, output=output, force=False)


VINYL = """schema = 1
[overlay]
sources = ["milan"]
[sources]
milan = {{ name = "Milan Records", url = "https://www.milanrecords.com/" }}
[[editions]]
id = "vinyl"
release_date = {date}
"""


async def test_the_musicbrainz_import_and_the_operators_own_overlay_both_apply(tmp_path: Path) -> None:
    """CATALOGUE_PATH names both files: the import no longer replaces the operator's vinyl date."""
    mine = tmp_path / "mine.toml"
    mine.write_text(VINYL.format(date="2027-02-12"), "utf-8")
    saved = FIXTURES / "release-34-tracks.json"
    imported = tmp_path / "musicbrainz-overlay.toml"
    lines = await import_musicbrainz(json.loads(saved.read_text("utf-8"))["id"], from_file=saved, output=imported,
                                     force=False)  # fmt: skip
    assert lines[-1].startswith(f"next: add {imported} to CATALOGUE_PATH in the bot's settings (after your own")
    catalogue = load_catalogue(mine, imported)
    assert len(catalogue.tracks) == 34
    [vinyl] = [e for e in catalogue.editions if e.id == "vinyl"]
    assert str(vinyl.release_date.value) == "2027-02-12"
    assert catalogue.conflicts == ()


def test_a_later_overlay_wins_and_each_conflict_is_named(tmp_path: Path) -> None:
    first, second = tmp_path / "mine.toml", tmp_path / "later.toml"
    first.write_text(VINYL.format(date="2027-02-12") + '\n[[tracks]]\nid = "rivalry"\nduration = "2:34"\n', "utf-8")
    second.write_text(VINYL.format(date="2027-03-05") + '\n[[tracks]]\nid = "rivalry"\nduration = "2:34"\n', "utf-8")
    [vinyl] = [e for e in load_catalogue(first, second).editions if e.id == "vinyl"]
    assert str(vinyl.release_date.value) == "2027-03-05"
    [vinyl] = [e for e in load_catalogue(second, first).editions if e.id == "vinyl"]
    assert str(vinyl.release_date.value) == "2027-02-12"
    lines = describe_overlay(first, second)
    assert lines[0].startswith(f"{first} + {second}: ok, ")
    assert [line for line in lines if line.startswith("conflict:")] == [
        f"conflict: {second}: editions[id=vinyl].release_date = 2027-03-05 wins over 2027-02-12 from {first}"
    ], "the same value twice (the duration, the source) is no conflict"


def test_a_mistake_in_the_first_of_several_overlays_names_that_file(tmp_path: Path) -> None:
    first, second = tmp_path / "mine.toml", tmp_path / "later.toml"
    first.write_text('[sources]\nmine = { name = "Mine", url = "not a url" }\n', "utf-8")
    second.write_text(VINYL.format(date="2027-03-05"), "utf-8")
    with pytest.raises(CatalogueError, match=rf"^{re.escape(str(first))}: sources\.mine\.url"):
        load_catalogue(first, second)
