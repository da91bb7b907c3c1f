"""`python -m bot catalogue check|import`: an operator's overlay, checked alone and explained before a restart.

`check` loads the overlay over the bundled catalogue exactly as the bot will at start and says what it
changes: tracks added, facts replaced, releases dated or moved. `import musicbrainz` writes an overlay
from a MusicBrainz release (see `bot.musicbrainz`), then checks it the same way. Nothing here connects to
Discord or opens the database.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.catalogue import Catalogue, CatalogueError, Release, Track, load_catalogue
from bot.embeds import format_date, format_duration
from bot.musicbrainz import (
    MusicBrainzError,
    fetch_release,
    parse_release_ref,
    release_to_overlay,
    validate_overlay,
    write_overlay,
)

DEFAULT_IMPORT_PATH = Path("musicbrainz-overlay.toml")


def describe_overlay(*paths: Path) -> list[str]:
    """What laying `paths` over the bundled catalogue, in order, changes, one line each, and where a later file
    replaced a value an earlier one gave; `CatalogueError` if they do not load.

    The reminders of a newly dated release are planned at the bot's next start (`python -m bot check` lists
    them then), so they are announced here, not computed: their times depend on each server's settings.
    """
    bundled = load_catalogue()
    combined = load_catalogue(*paths)
    lines = [f"{' + '.join(str(p) for p in paths)}: ok, {combined.coverage} (bundled: {bundled.coverage})"]
    lines += [f"conflict: {conflict}" for conflict in combined.conflicts]
    lines += _track_changes(bundled, combined)
    lines += _release_changes(bundled, combined)
    if len(lines) == 1:
        lines.append("it changes nothing the bundled catalogue says")
    return lines


def _track_changes(bundled: Catalogue, combined: Catalogue) -> list[str]:
    lines = []
    for track in combined.tracks_in_order():
        before = bundled.track(track.id)
        if before is None:
            lines.append(f"track added: {_describe_track(track)}")
            continue
        changed = [
            f"{name} {'unknown' if old is None else old} → {new}"
            for name, old, new in (
                ("title", before.title, track.title),
                ("number", before.number.value, track.number.value),
                ("duration", _duration(before), _duration(track)),
            )
            if old != new
        ]
        if changed:
            lines.append(f"track {track.id}: " + ", ".join(changed))
    return lines


def _describe_track(track: Track) -> str:
    parts = [f"{track.number.value}. {track.title}" if track.number.known else f"{track.title} (position unknown)"]
    if track.duration_s.value is not None:
        parts.append(format_duration(track.duration_s.value))
    return " · ".join(parts)


def _duration(track: Track) -> str | None:
    return None if track.duration_s.value is None else format_duration(track.duration_s.value)


def _release_changes(bundled: Catalogue, combined: Catalogue) -> list[str]:
    before = {release.id: release for release in bundled.releases}
    lines = []
    for release in combined.releases:
        old = before.get(release.id)
        if old is not None and (old.date, old.time, old.zone, old.link) == (
            release.date,
            release.time,
            release.zone,
            release.link,
        ):
            continue
        if release.date is None:
            if old is None:
                lines.append(f"release added without a date: {release.title} (listed, never scheduled)")
            continue
        verb = "added" if old is None else ("dated" if old.date is None else "changed")
        lines.append(
            f"release {verb}: {release.title} on {_when(release)}; its reminders are planned at the next start "
            "in every server with reminders on (python -m bot check lists them)"
        )
    return lines


def _when(release: Release) -> str:
    assert release.date is not None
    text = format_date(release.date)
    if release.time is not None:
        text += f" {release.time:%H:%M}" + (f" {release.zone}" if release.zone else " (server's time zone)")
    return text


async def import_musicbrainz(
    reference: str, *, from_file: Path | None, output: Path, force: bool, contact: str | None = None
) -> list[str]:
    """Write an overlay from a MusicBrainz release (id or URL), from the web service or a saved answer.

    Returns the lines to print: the overlay's summary (conflicts are listed, never applied), where it was
    written, and what `describe_overlay` says of it. Raises `MusicBrainzError` (network, 404, 503, a file
    that exists without `force`) or `CatalogueError`.
    """
    mbid = parse_release_ref(reference)
    if from_file is None:
        release = await fetch_release(mbid, contact=contact)
    else:
        release = await asyncio.to_thread(_saved_answer, from_file)
    overlay = release_to_overlay(release, load_catalogue())
    validate_overlay(overlay)
    written = write_overlay(output, overlay, force=force)
    return [
        *overlay.summary(),
        f"wrote {written.resolve()}",
        *describe_overlay(written),
        f"next: add {written.resolve()} to CATALOGUE_PATH in the bot's settings (after your own overlay, separated "
        f"by '{os.pathsep}', if you have one: a later file wins) and restart the bot",
    ]


def _saved_answer(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MusicBrainzError(f"{path}: cannot read a saved MusicBrainz answer ({exc})") from exc


def add_arguments(catalogue: Any) -> None:
    """The `catalogue` subcommands on an argparse sub-parser (kept here, beside what they run)."""
    actions = catalogue.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate overlays and say what they would change")
    check.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="overlays, applied in this order (default: CATALOGUE_PATH)"
    )
    importer = actions.add_parser("import", help="write an overlay from another catalogue")
    importer.add_argument("origin", choices=("musicbrainz",))
    importer.add_argument("release", help="a MusicBrainz release id or its musicbrainz.org URL")
    importer.add_argument("--from-file", type=Path, help="a saved answer of the web service instead of the network")
    importer.add_argument("-o", "--output", type=Path, default=DEFAULT_IMPORT_PATH, help="where to write it")
    importer.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    importer.add_argument(
        "--contact", help="your e-mail or web address for MusicBrainz's User-Agent, as its API rules ask"
    )


async def run(args: Any, configured: Sequence[Path]) -> Sequence[str]:
    """Run a parsed `catalogue` command; `configured` is CATALOGUE_PATH's files. Returns the lines to print."""
    if args.action == "check":
        paths = args.files or configured
        if not paths:
            raise CatalogueError("name the overlay to check, or set CATALOGUE_PATH")
        return describe_overlay(*paths)
    return await import_musicbrainz(
        args.release, from_file=args.from_file, output=args.output, force=args.force, contact=args.contact
    )
