"""`python -m bot catalogue …` and `--version` as an operator types them, in a subprocess."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.version import bot_version
from tests.bot.test_cli import run_bot

SAVED = Path(__file__).parents[1] / "fixtures" / "musicbrainz" / "release-34-tracks.json"


def test_version() -> None:
    result = run_bot(Path.cwd(), "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"python -m bot {bot_version()}"


def test_a_broken_overlay_is_diagnosed_even_when_it_is_the_configured_one(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.toml"
    overlay.write_text("[[tracks]]\nid = 'rivalri'\nduration = '1:00'\n", "utf-8")
    result = run_bot(tmp_path, "catalogue", "check", CATALOGUE_PATH=str(overlay))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {overlay}: tracks[id=rivalri]: no bundled track has id 'rivalri'; did you mean 'rivalry'? "
        "A new track needs `title` as well."
    )


def test_import_then_check_from_a_saved_answer(tmp_path: Path) -> None:
    mbid = json.loads(SAVED.read_text("utf-8"))["id"]
    imported = run_bot(tmp_path, "catalogue", "import", "musicbrainz", mbid, "--from-file", str(SAVED), "-o", "mb.toml")
    assert imported.returncode == 0, imported.stderr
    assert f"wrote {tmp_path / 'mb.toml'}" in imported.stdout
    checked = run_bot(tmp_path, "catalogue", "check", "mb.toml")
    assert checked.returncode == 0 and "ok, 34 of 34 tracks listed" in checked.stdout
    again = run_bot(tmp_path, "catalogue", "import", "musicbrainz", mbid, "--from-file", str(SAVED), "-o", "mb.toml")
    assert again.returncode == 1 and "already exists; pass --force" in again.stderr


def test_several_overlays_in_catalogue_path_and_their_conflicts(tmp_path: Path) -> None:
    """CATALOGUE_PATH names several files (os.pathsep between them): both checks name where a later file wins."""
    vinyl = (
        '[overlay]\nsources = ["milan"]\n[sources]\nmilan = {{ name = "Milan Records", url = '
        '"https://www.milanrecords.com/" }}\n[[editions]]\nid = "vinyl"\nrelease_date = {date}\n'
    )
    (tmp_path / "mine.toml").write_text(vinyl.format(date="2027-02-12"), "utf-8")
    (tmp_path / "later.toml").write_text(vinyl.format(date="2027-03-05"), "utf-8")
    conflict = "conflict: later.toml: editions[id=vinyl].release_date = 2027-03-05 wins over 2027-02-12 from mine.toml"
    both = f"mine.toml{os.pathsep}later.toml"
    checked = run_bot(tmp_path, "check", CATALOGUE_PATH=both)
    assert checked.returncode == 0, checked.stderr
    assert "catalogue: ok, 9 of 34 tracks listed (catalogue.toml + mine.toml + later.toml)" in checked.stdout
    assert f"  {conflict}\n" in checked.stdout
    alone = run_bot(tmp_path, "catalogue", "check", CATALOGUE_PATH=both)
    assert alone.returncode == 0, alone.stderr
    assert f"{conflict}\n" in alone.stdout
    assert "release dated: Heated Rivalry soundtrack on vinyl on Fri 5 March 2027" in alone.stdout
