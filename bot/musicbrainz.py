"""Import a soundtrack tracklist from MusicBrainz as a catalogue overlay (the engine of a future CLI command).

`python -m bot catalogue import musicbrainz RELEASE [--from-file PATH] [--force] [-o OUT]` is meant to run:

    mbid = parse_release_ref(RELEASE)
    release = json.loads(Path(PATH).read_text("utf-8")) if PATH else await fetch_release(mbid)
    overlay = release_to_overlay(release, load_catalogue())
    validate_overlay(overlay)            # optional: load it over the bundled catalogue first
    write_overlay(OUT, overlay, force=FORCE)

The overlay is ordinary operator TOML (README, "Completing the soundtrack catalogue"): it can be read,
edited and then pointed at with CATALOGUE_PATH. Nothing here imports discord.

Rules and where they come from (MusicBrainz documentation):

- A release is identified by its MBID, a UUID (https://musicbrainz.org/doc/MusicBrainz_Identifier); its page
  is https://musicbrainz.org/release/<mbid>.
- One lookup, `GET /ws/2/release/<mbid>?inc=recordings+isrcs&fmt=json`, returns the release with its media
  and tracks; `isrcs` on the recordings needs `inc=isrcs` as well as `inc=recordings`
  (https://musicbrainz.org/doc/MusicBrainz_API#Lookups, examples at
  https://musicbrainz.org/doc/MusicBrainz_API/Examples).
- Every request carries a meaningful User-Agent, `Application/version ( contact )`; requests over the rate
  limit (about one per second per IP) are answered 503 Service Unavailable
  (https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting). This module makes exactly one request and
  never retries on its own.
- A release has media (https://musicbrainz.org/doc/Medium), each with a 1-based `position`; a medium has
  tracks (https://musicbrainz.org/doc/Track), each with an integer `position` on that medium, a free-text
  `number` as printed ("A1", "1-05"…), a `title` as printed on this release, a `length` in milliseconds or
  null, and the `recording` it is a copy of (`id`, `title`, `length` in ms or null, `isrcs`). Order comes from
  the integer positions; the printed `number` is not used.

How MusicBrainz values become catalogue facts:

- Album positions count continuously across media in medium order (disc 2 track 1 of a 17 + 17 release is
  number 18); for a release with several media every stated number carries a note saying so.
- Duration: the track's length, else the recording's (noted), rounded to the nearest second, written "m:ss"
  ("h:mm:ss" from one hour up, the catalogue's accepted forms); omitted when both are missing (or under half a
  second, which would round to 0:00).
- Every value the overlay states is sourced to one new source, the release's MusicBrainz page, with
  confidence `single`.
- A value the bundled catalogue already has and MusicBrainz agrees with (same position, same folded title,
  durations within one second) is not restated: the bundled fact keeps its own confidence and sources. It is
  never downgraded, and not upgraded to `multi` either, because the importer cannot tell whether the
  MusicBrainz editors used the same page as the bundled source; an operator who knows may raise it by hand.
  Such agreements are listed in `Overlay.confirmed`.
- A value that disagrees (another title at a bundled track's position, another position for a bundled title,
  another duration, another track count) is a `Conflict`: listed, written as a comment, never applied.
- Bundled tracks are matched by position first, then by folded title (case, accents, apostrophes and
  punctuation ignored); matched tracks keep their ids. New tracks get ids in the catalogue's style: the
  title's slug ("test-cue-9"), `track-<n>` when the title has no Latin letters or digits, `-2`, `-3`… on a
  collision.
- ISRCs: the catalogue's track model has no ISRC field, so they are written as TOML comments next to their
  track, for a later schema.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.catalogue import Catalogue, CatalogueError, Track, load_catalogue

DEFAULT_BASE = "https://musicbrainz.org/ws/2"
RELEASE_PAGE = "https://musicbrainz.org/release/{mbid}"
DISTRIBUTION = "heated-rivalry-bot"
DEFAULT_TIMEOUT = 20.0  # seconds for the whole request
# Catalogue limits the overlay must respect (bot/catalogue.py: track ids, titles).
MAX_TITLE = 100
MAX_ID = 63

_MBID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|beta\.)?musicbrainz\.org/(?P<entity>[a-z-]+)/(?P<mbid>[0-9a-fA-F-]{36})(?:[/?#].*)?$"
)
_ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")  # https://musicbrainz.org/doc/ISRC
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class MusicBrainzError(Exception):
    """The import cannot go on; the message says why and what to do, in one line for the operator.

    Not a subclass of the built-in ImportError, which is about Python modules: an `except ImportError`
    around an optional import must not swallow a failed catalogue import.
    """


# --- references --------------------------------------------------------------------------------------------


def parse_release_ref(text: str) -> str:
    """The release MBID (lower-case UUID) in `text`: a bare MBID or a MusicBrainz release URL.

    Accepted: "4f7e…-…", "https://musicbrainz.org/release/<mbid>", with or without a trailing path
    ("/discids", "/edit"…), query or fragment, over http or https, on www. or beta. too.
    Raises MusicBrainzError for anything else, naming a release group, recording… link for what it is.
    MBIDs are UUIDs: https://musicbrainz.org/doc/MusicBrainz_Identifier
    """
    ref = text.strip()
    if _MBID_RE.match(ref.lower()):
        return ref.lower()
    match = _URL_RE.match(ref)
    if match is not None and _MBID_RE.match(match["mbid"].lower()):
        if match["entity"] == "release":
            return match["mbid"].lower()
        raise MusicBrainzError(
            f"{ref!r} is a MusicBrainz {match['entity'].replace('-', ' ')}, not a release: open it on MusicBrainz "
            "and copy the link of one release (https://musicbrainz.org/release/<mbid>)"
        )
    raise MusicBrainzError(
        f"expected a MusicBrainz release MBID (36 characters like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or a release link "
        f"(https://musicbrainz.org/release/<mbid>), got {text!r}"
    )


def release_url(mbid: str) -> str:
    """The release's page on MusicBrainz, the source every imported fact cites."""
    return RELEASE_PAGE.format(mbid=mbid)


# --- fetching ----------------------------------------------------------------------------------------------


def user_agent(contact: str | None = None) -> str:
    """`heated-rivalry-bot/<version> ( <contact> )`, the form MusicBrainz asks for.

    The version is the installed distribution's ("dev" when not installed). The contact is `contact`, else the
    distribution's first Project-URL or Home-page; when the package declares none, a plain description stands
    in (add `[project.urls]` to pyproject.toml to give MusicBrainz a way to reach the maintainers).
    Rule: https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting ("Provide meaningful User-Agent strings").
    """
    try:
        version = metadata.version(DISTRIBUTION)
        meta = metadata.metadata(DISTRIBUTION)
        urls = [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
        homes = meta.get_all("Home-page") or []
        found = next(iter([*urls, *homes]), None)
    except metadata.PackageNotFoundError:
        version, found = "dev", None
    return f"{DISTRIBUTION}/{version} ( {contact or found or 'Heated Rivalry fan-server Discord bot'} )"


def save_by_hand(url: str, mbid: str) -> str:
    """How to import without this machine reaching MusicBrainz: the exact address to save the answer from."""
    return (
        f"open {url} in a browser (on any machine), save the page as release.json, and run: python -m bot catalogue "
        f"import musicbrainz {mbid} --from-file release.json"
    )


async def fetch_release(
    mbid: str,
    *,
    session: aiohttp.ClientSession | None = None,
    base: str = DEFAULT_BASE,
    timeout_s: float = DEFAULT_TIMEOUT,
    contact: str | None = None,
) -> dict[str, Any]:
    """One lookup of a release with its tracks, recordings and ISRCs: the decoded JSON object.

    Request: `GET {base}/release/{mbid}?inc=recordings+isrcs&fmt=json` with `User-Agent: user_agent(contact)`
    and `Accept: application/json`; `timeout_s` is in seconds for the whole request. `mbid` may also be a release
    URL (see parse_release_ref). With no `session` a private one is opened and closed; a given one is left open.
    No retry is made (MusicBrainz allows about one request per second per IP).

    Returns the release object as documented at https://musicbrainz.org/doc/MusicBrainz_API (Lookups):
    `{"id", "title", "date", "country", …, "media": [{"position", "format", "track-count",
    "tracks": [{"position", "number", "title", "length" (ms | null),
    "recording": {"id", "title", "length", "isrcs": [...]}}]}]}`.

    Raises MusicBrainzError: connection failure (no network, DNS, refused), timeout, 404 (no such release),
    503/429 (rate limited or overloaded: try again in a few seconds), any other non-200 status, or a body that
    is not a JSON object.
    """
    mbid = parse_release_ref(mbid)
    url = f"{base.rstrip('/')}/release/{mbid}?inc=recordings+isrcs&fmt=json"
    headers = {"User-Agent": user_agent(contact), "Accept": "application/json"}
    host = urlsplit(base).netloc or base
    own = session is None
    client = aiohttp.ClientSession() if session is None else session
    try:
        async with client.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            body = await response.read()
            status, reason = response.status, response.reason or ""
            retry_after = response.headers.get("Retry-After")
            content_type = response.content_type
    except TimeoutError:
        raise MusicBrainzError(
            f"MusicBrainz ({host}) did not answer within {timeout_s:g} s; try again later, or {save_by_hand(url, mbid)}"
        ) from None
    except aiohttp.ClientConnectionError as exc:
        raise MusicBrainzError(
            f"cannot reach MusicBrainz at {host} ({exc}); check the network connection, or {save_by_hand(url, mbid)}"
        ) from None
    except aiohttp.ClientError as exc:
        raise MusicBrainzError(f"the request to MusicBrainz at {host} failed ({exc})") from None
    finally:
        if own:
            await client.close()
    detail = _error_detail(body)
    if status == 404:
        raise MusicBrainzError(
            f"MusicBrainz has no release {mbid} (404 Not Found); check the MBID at {release_url(mbid)}"
        )
    if status in (503, 429):
        wait = f" (Retry-After: {retry_after}{' s' if retry_after.strip().isdigit() else ''})" if retry_after else ""
        raise MusicBrainzError(
            f"MusicBrainz is rate limiting or overloaded ({status} {reason}){wait}: try again in a few seconds"
        )
    if status != 200:
        raise MusicBrainzError(
            f"MusicBrainz answered HTTP {status} {reason}".rstrip() + (f": {detail}" if detail else "")
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MusicBrainzError(
            f"MusicBrainz answered 200 but not with JSON (Content-Type {content_type}, {len(body)} bytes); "
            "is the base URL MusicBrainz's web service (…/ws/2)?"
        ) from None
    if not isinstance(data, dict):
        raise MusicBrainzError(f"MusicBrainz answered JSON that is not a release object ({type(data).__name__})")
    return data


def _error_detail(body: bytes) -> str:
    """MusicBrainz's `{"error": "…"}` message, when the body is one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return error.strip()[:200] if isinstance(error, str) else ""


# --- reading the release -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReleaseTrack:
    """One track of the release as the importer reads it.

    `position` counts continuously across media (1-based); `disc` and `disc_position` are MusicBrainz's
    medium position and track position. `duration` is "m:ss"/"h:mm:ss" or None; `length_from` says which
    MusicBrainz length it came from ("track", "recording" or None).
    """

    position: int
    disc: int
    disc_position: int
    title: str
    duration: str | None
    length_from: str | None
    isrcs: tuple[str, ...]


def read_release(release: Mapping[str, Any]) -> tuple[str, str, int, list[ReleaseTrack]]:
    """(mbid, title, number of media, tracks in album order) from a release lookup's JSON.

    Raises MusicBrainzError when the JSON is not a release with tracks (for instance a lookup made without
    `inc=recordings`, which returns media without tracks).
    """
    if not isinstance(release, Mapping):
        raise MusicBrainzError("expected a MusicBrainz release JSON object")
    mbid = release.get("id")
    if not isinstance(mbid, str) or not _MBID_RE.match(mbid):
        raise MusicBrainzError(f"the JSON is not a MusicBrainz release: its `id` is {mbid!r}, not an MBID")
    title = release.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else mbid
    media = release.get("media")
    if not isinstance(media, list) or not media:
        raise MusicBrainzError(f"release {mbid} lists no media; it may be an empty release")
    tracks: list[ReleaseTrack] = []
    objects = [m for m in media if isinstance(m, dict)]
    if len(objects) != len(media):
        raise MusicBrainzError(f"release {mbid}: `media` holds something that is not a medium object")
    ordered = sorted(objects, key=lambda m: _int_or(m.get("position"), 0))
    for medium_index, medium in enumerate(ordered, start=1):
        disc = _int_or(medium.get("position"), medium_index)
        raw_tracks = medium.get("tracks")
        if not isinstance(raw_tracks, list):
            raise MusicBrainzError(f"release {mbid}: medium {disc} has no `tracks`; fetch it with inc=recordings+isrcs")
        if not all(isinstance(t, dict) for t in raw_tracks):
            raise MusicBrainzError(f"release {mbid}: medium {disc} has a track that is not an object")
        for raw in sorted(raw_tracks, key=lambda t: _int_or(t.get("position"), 0)):
            tracks.append(_read_track(raw, len(tracks) + 1, disc))
    if not tracks:
        raise MusicBrainzError(f"release {mbid} has no tracks")
    return mbid, title, len(ordered), tracks


def _read_track(raw: Mapping[str, Any], position: int, disc: int) -> ReleaseTrack:
    recording = _dict(raw.get("recording"))
    title = _str(raw.get("title")) or _str(recording.get("title")) or ""
    length, length_from = raw.get("length"), "track"
    if not _is_ms(length):
        length, length_from = recording.get("length"), "recording"
    duration = format_duration(length) if isinstance(length, int) and _is_ms(length) else None
    isrcs = recording.get("isrcs")
    return ReleaseTrack(
        position=position,
        disc=disc,
        disc_position=_int_or(raw.get("position"), position),
        title=title,
        duration=duration,
        length_from=length_from if duration else None,
        isrcs=tuple(i for i in isrcs if isinstance(i, str) and _ISRC_RE.match(i)) if isinstance(isrcs, list) else (),
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int_or(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _is_ms(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 500


def format_duration(ms: int) -> str:
    """Milliseconds as the catalogue writes durations: "2:34", or "1:02:30" from one hour up.

    Rounded to the nearest second (MusicBrainz lengths are in ms); the catalogue's "m:ss" allows minutes up to
    59 only, hence the hour form.
    """
    hours, rest = divmod((ms + 500) // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _seconds(duration: str) -> int:
    total = 0
    for part in duration.split(":"):
        total = total * 60 + int(part)
    return total


# --- the overlay -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """A MusicBrainz value that disagrees with the bundled catalogue; listed, never applied.

    `field` is "title", "number", "duration" or "track_count"; `position` the release position (None for the
    track count); `track_id` the bundled track concerned, if any; `bundled` and `musicbrainz` the two values
    as text.
    """

    field: str
    position: int | None
    track_id: str | None
    bundled: str
    musicbrainz: str

    def __str__(self) -> str:
        where = f"track {self.position}" if self.position is not None else "album"
        who = f" ({self.track_id})" if self.track_id else ""
        return (
            f"{where}{who}: {self.field} is {self.bundled} in the bundled catalogue but {self.musicbrainz} "
            "on MusicBrainz; not applied"
        )


@dataclass(frozen=True, slots=True)
class TrackChange:
    """What the overlay states for one track: `fields` among "title", "number", "duration".

    `new` is True for a track the bundled catalogue does not have (then `fields` has all it states).
    """

    track_id: str
    position: int
    title: str
    fields: tuple[str, ...]
    new: bool


@dataclass(frozen=True, slots=True)
class Overlay:
    """The generated overlay: `text` is the TOML; the lists say what it does, for the operator's review.

    `added`: new tracks. `changed`: bundled tracks given a number or a duration. `confirmed`: bundled values
    MusicBrainz agrees with (not restated). `conflicts`: disagreements, not applied. `notes`: everything else
    worth reading (multi-disc numbering, ISRCs kept as comments, lengths taken from recordings, skipped
    tracks).
    """

    mbid: str
    source_id: str
    text: str
    added: tuple[TrackChange, ...] = ()
    changed: tuple[TrackChange, ...] = ()
    confirmed: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> list[str]:
        """Lines for a terminal: counts, then every conflict and note."""
        lines = [
            f"{release_url(self.mbid)}: {len(self.added)} tracks added, {len(self.changed)} completed, "
            f"{len(self.confirmed)} values confirmed, {len(self.conflicts)} conflicts"
        ]
        lines += [f"conflict: {c}" for c in self.conflicts]
        lines += [f"note: {n}" for n in self.notes]
        return lines


def release_to_overlay(release: Mapping[str, Any], bundled: Catalogue) -> Overlay:
    """The catalogue overlay stating what the release says and the bundled catalogue does not.

    `release` is a release lookup's JSON (fetch_release, or a saved copy); `bundled` the catalogue to complete
    (normally load_catalogue() without an overlay). The rules are in this module's docstring. Raises
    MusicBrainzError when the JSON is not a release with tracks.
    """
    return _Importer(release, bundled).run()


class _Importer:
    """One release laid against one catalogue; `run` walks the tracks in album order once."""

    def __init__(self, release: Mapping[str, Any], bundled: Catalogue) -> None:
        self.mbid, self.title, self.media, self.tracks = read_release(release)
        self.bundled = bundled
        self.source_id = _source_id(self.mbid, bundled)
        self.source = f"[{toml_string(self.source_id)}]"
        self.total = bundled.track_total
        self.by_number = {t.number.value: t for t in bundled.tracks if t.number.value is not None}
        self.by_title: dict[str, list[Track]] = {}
        for track in sorted(bundled.tracks, key=lambda t: t.number.known):  # unnumbered tracks first
            self.by_title.setdefault(fold_title(track.title), []).append(track)
        self.taken_ids = {t.id for t in bundled.tracks}
        self.claimed: set[str] = set()
        self.conflicts: list[Conflict] = []
        self.notes: list[str] = []
        self.confirmed: list[str] = []
        self.added: list[TrackChange] = []
        self.changed: list[TrackChange] = []
        self.entries: list[str] = []

    def run(self) -> Overlay:
        if self.total is not None and len(self.tracks) != self.total:
            self.conflicts.append(Conflict("track_count", None, None, str(self.total), str(len(self.tracks))))
        if self.media > 1:
            self.notes.append(
                f"the release has {self.media} media; album numbers count continuously across them "
                "(each number's note gives the disc and track)"
            )
        for rt in self.tracks:
            if self._importable(rt):
                self._import(rt)
        if any(rt.isrcs for rt in self.tracks):
            self.notes.append("ISRCs are written as comments: the catalogue's track model has no ISRC field")
        album = self._album()
        text = _render(self.mbid, self.title, self.source_id, self.conflicts, album, self.entries)
        _check_round_trip(text, self.added)
        return Overlay(
            mbid=self.mbid,
            source_id=self.source_id,
            text=text,
            added=tuple(self.added),
            changed=tuple(self.changed),
            confirmed=tuple(self.confirmed),
            conflicts=tuple(self.conflicts),
            notes=tuple(self.notes),
        )

    def _importable(self, rt: ReleaseTrack) -> bool:
        """False, with a note or a conflict, for a track the catalogue cannot take."""
        if not rt.title.strip():
            self.notes.append(f"track {rt.position} has no title on MusicBrainz; skipped")
        elif len(rt.title.strip()) > MAX_TITLE:
            self.notes.append(
                f"track {rt.position} {toml_string(rt.title)} is longer than the catalogue's {MAX_TITLE} "
                "characters; skipped"
            )
        elif self.total is not None and rt.position > self.total:
            bundled = f"at most {self.total} (the album's track count)"
            self.conflicts.append(Conflict("number", rt.position, None, bundled, str(rt.position)))
        else:
            return True
        return False

    def _import(self, rt: ReleaseTrack) -> None:
        folded = fold_title(rt.title)
        at_position = self.by_number.get(rt.position)
        if at_position is not None:  # matched by position: the title must agree
            if fold_title(at_position.title) != folded:
                bundled, theirs = toml_string(at_position.title), toml_string(rt.title)
                self.conflicts.append(Conflict("title", rt.position, at_position.id, bundled, theirs))
            else:
                self._amend(rt, at_position, number_known=True)
            return
        candidates = [t for t in self.by_title.get(folded, []) if t.id not in self.claimed]
        if not candidates:
            self._add(rt)
        elif candidates[0].number.value is not None:  # the bundled catalogue places this title elsewhere
            match = candidates[0]
            self.conflicts.append(Conflict("number", rt.position, match.id, str(match.number.value), str(rt.position)))
        else:
            self._amend(rt, candidates[0], number_known=False)

    def _add(self, rt: ReleaseTrack) -> None:
        track_id = _new_id(rt.title, rt.position, self.taken_ids)
        self.taken_ids.add(track_id)
        lines = [
            "[[tracks]]",
            f"id = {toml_string(track_id)}",
            f"title = {toml_string(rt.title.strip())}",
            'confidence = "single"',
            f"sources = {self.source}",
            self._number_line(rt) if self.media > 1 else f"number = {rt.position}",
        ]
        fields = ["title", "number"]
        if rt.duration:
            plain = rt.length_from == "track"
            lines.append(f"duration = {toml_string(rt.duration)}" if plain else self._duration_line(rt))
            fields.append("duration")
        self.entries.append("\n".join([*self._isrc_comment(rt), *lines]))
        self.added.append(TrackChange(track_id, rt.position, rt.title.strip(), tuple(fields), new=True))

    def _amend(self, rt: ReleaseTrack, match: Track, *, number_known: bool) -> None:
        self.claimed.add(match.id)
        lines = [
            f"# track {rt.position} on MusicBrainz: {toml_string(rt.title)}",
            "[[tracks]]",
            f"id = {toml_string(match.id)}",
        ]
        fields = []
        if number_known:
            self.confirmed.append(f"{match.id}: number {rt.position} and title {toml_string(match.title)}")
        else:
            lines.append(self._number_line(rt))
            fields.append("number")
        bundled_s = match.duration_s.value
        if rt.duration is None:
            pass
        elif bundled_s is None:
            lines.append(self._duration_line(rt))
            fields.append("duration")
        elif abs(bundled_s - _seconds(rt.duration)) <= 1:
            self.confirmed.append(f"{match.id}: duration {format_duration(bundled_s * 1000)}")
        else:
            bundled = format_duration(bundled_s * 1000)
            self.conflicts.append(Conflict("duration", rt.position, match.id, bundled, rt.duration))
        if fields:
            self.entries.append("\n".join([*self._isrc_comment(rt), *lines]))
            self.changed.append(TrackChange(match.id, rt.position, match.title, tuple(fields), new=False))
        elif rt.isrcs:
            self.entries.append(f"# {match.id} (track {rt.position}), ISRC on MusicBrainz: {', '.join(rt.isrcs)}")

    def _album(self) -> str:
        """`[album] track_count` when the catalogue has none and the release's count fits what it lists."""
        if self.total is not None:
            return ""
        count = len(self.tracks)
        listed = len(self.bundled.tracks) + len(self.added)
        highest = max(self.by_number, default=0)
        if listed <= count and highest <= count:  # the catalogue's own cross-checks
            return f"[album]\ntrack_count = {_fact_value(str(count), self.source)}\n\n"
        bundled = f"unknown, with {listed} tracks listed and numbers up to {highest}"
        self.conflicts.append(Conflict("track_count", None, None, bundled, str(count)))
        return ""

    def _number_line(self, rt: ReleaseTrack) -> str:
        note = None
        if self.media > 1:
            note = (
                f"Disc {rt.disc}, track {rt.disc_position} of the MusicBrainz release; "
                f"numbered continuously across its {self.media} discs."
            )
        return f"number = {_fact_value(str(rt.position), self.source, note)}"

    def _duration_line(self, rt: ReleaseTrack) -> str:
        assert rt.duration is not None
        note = None
        if rt.length_from == "recording":
            note = "Length of the MusicBrainz recording; the release gives none for this track."
            self.notes.append(
                f"track {rt.position} {toml_string(rt.title)}: no length on the release; the recording's length is used"
            )
        return f"duration = {_fact_value(toml_string(rt.duration), self.source, note)}"

    @staticmethod
    def _isrc_comment(rt: ReleaseTrack) -> list[str]:
        return [f"# ISRC on MusicBrainz (not read by the catalogue): {', '.join(rt.isrcs)}"] if rt.isrcs else []


def _fact_value(value: str, source: str, note: str | None = None) -> str:
    """An explicit fact table: `{ value = …, confidence = "single", sources = […] }`, with a note if given."""
    extra = f", note = {toml_string(note)}" if note else ""
    return f'{{ value = {value}, confidence = "single", sources = {source}{extra} }}'


def _render(
    mbid: str, title: str, source_id: str, conflicts: Sequence[Conflict], album: str, entries: list[str]
) -> str:
    head = [
        f"# Catalogue overlay imported from MusicBrainz release {_comment(title)}",
        f"# {release_url(mbid)}",
        "# Every value below cites that page with confidence single. Review it, then set CATALOGUE_PATH to",
        "# this file and run `python -m bot check`.",
    ]
    if conflicts:
        head.append("#")
        head.append("# Conflicts with the bundled catalogue (not applied; check the sources by hand):")
        head += [f"#   {_comment(str(c))}" for c in conflicts]
    name = f"MusicBrainz release: {title}"
    sources = f"[sources]\n{_toml_key(source_id)} = {{ name = {toml_string(name)}, url = {toml_string(release_url(mbid))} }}\n"
    body = "\n\n".join(entries)
    return "\n".join(head) + "\n\nschema = 1\n\n" + sources + "\n" + album + body + ("\n" if body else "")


def _check_round_trip(text: str, added: Sequence[TrackChange]) -> None:
    """The generated TOML parses and gives back every new title exactly (a bug guard, not a user error)."""
    data = tomllib.loads(text)
    titles = {t["id"]: t.get("title") for t in data.get("tracks", [])}
    for change in added:
        if titles.get(change.track_id) != change.title:
            raise AssertionError(f"TOML round trip changed the title of {change.track_id!r}")


def _source_id(mbid: str, bundled: Catalogue) -> str:
    """`musicbrainz-<first 8 hex digits>`, the bundled style ("glance-f7ed"), longer if that id is taken."""
    url = release_url(mbid)
    digits = mbid.replace("-", "")
    for size in (8, 12, 32):
        candidate = f"musicbrainz-{digits[:size]}"
        existing = bundled.sources.get(candidate)
        if existing is None or existing.url == url:
            return candidate
    raise MusicBrainzError(f"source id musicbrainz-{digits} is already used for another page")


# --- text helpers ------------------------------------------------------------------------------------------


def fold_title(title: str) -> str:
    """The form titles are compared in: accents, case, apostrophes and punctuation ignored.

    "It’s You", "its you" and "IT'S YOU!" all fold to "its you"; "Face-Off" and "Face Off" to "face off".
    """
    decomposed = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['’ʼ‘`´]", "", text)
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def slug(title: str) -> str:
    """Lower-case ASCII letters, digits and dashes from the title, at most 63 characters; may be empty."""
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = re.sub(r"['`]", "", ascii_text)
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:MAX_ID].strip("-")


def _new_id(title: str, position: int, taken: set[str]) -> str:
    base = slug(title) or f"track-{position}"
    candidate, counter = base, 1
    while candidate in taken:
        counter += 1
        suffix = f"-{counter}"
        candidate = base[: MAX_ID - len(suffix)].rstrip("-") + suffix
    return candidate


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes and backslashes escaped, control characters as escapes.

    TOML 1.0 (https://toml.io/en/v1.0.0#string) forbids raw U+0000–U+001F (except tab) and U+007F in basic
    strings; tab is escaped too, and the C1 controls U+0080–U+009F for readability.
    """
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY_RE.match(key) else toml_string(key)


def _comment(text: str) -> str:
    """Text safe inside a TOML comment: no raw control characters (TOML 1.0 forbids them there)."""
    return "".join(
        c if c == "\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) else "\N{REPLACEMENT CHARACTER}" for c in text
    )


# --- checking and writing ----------------------------------------------------------------------------------


def validate_overlay(overlay: Overlay) -> Catalogue:
    """Load the overlay over the bundled catalogue with the real loader, as the bot will at start.

    Returns the combined catalogue; raises MusicBrainzError with the loader's message (file and key) when it
    does not load. Uses a temporary file, removed afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="hr-overlay-") as folder:
        path = Path(folder) / "musicbrainz-overlay.toml"
        path.write_text(overlay.text, "utf-8")
        try:
            return load_catalogue(path)
        except CatalogueError as exc:
            raise MusicBrainzError(f"the generated overlay does not load: {exc}") from exc


def write_overlay(path: Path | str, overlay: Overlay, *, force: bool) -> Path:
    """Write the overlay's TOML (UTF-8, LF) to `path`, creating its folder; returns the path written.

    An existing file is never replaced unless `force` is true (MusicBrainzError naming the path and --force);
    with `force` the file is replaced atomically (a temporary file in the same folder, then os.replace), so a
    failed write leaves the old file intact. Other OS errors become MusicBrainzError.
    """
    target = Path(path)
    if target.is_dir():
        raise MusicBrainzError(f"{target} is a folder; give a file name such as {target / 'musicbrainz.toml'}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not force:
            try:
                handle = target.open("x", encoding="utf-8", newline="\n")
            except FileExistsError:
                raise MusicBrainzError(
                    f"{target} already exists; pass --force to overwrite it, or choose another file with -o"
                ) from None
            try:
                with handle:
                    handle.write(overlay.text)
            except BaseException:
                with contextlib.suppress(OSError):
                    target.unlink()
                raise
            return target
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(overlay.text)
            # mkstemp makes the file private (0600); keep the replaced file's mode, or an ordinary file's.
            if target.exists():
                shutil.copymode(target, temp)
            else:
                os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise MusicBrainzError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
