"""The soundtrack catalogue: the bundled TOML, optionally overlaid by the operator's file, as frozen typed objects.

The catalogue is the only place the bot's facts come from. Every fact carries its confidence and its
sources, and an unknown fact is a `Fact` without a value, so the cogs can say "unknown" instead of guessing.
Facts stay as the fact sheet writes them; where a record needs the bot's own words (an edition's release title
and status when the fact sheet gives none), they are marked (`bot.i18n.Text`) and written in each reader's
language when shown.
Errors name the file and the key, e.g. `overlay.toml: tracks[id=melt].duration: expected "m:ss", got "3m"`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from bot.i18n import N_, Text, _l, _lp

T = TypeVar("T")

SCHEMA_VERSION = 1
BUNDLED_NAME = "catalogue.toml"
EDITION_RELEASE_PREFIX = "album-"  # an edition's release id: album-vinyl for the vinyl edition
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DURATION_RE = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)$")
# Sections that are lists of records, and the key that identifies a record across files.
_LIST_SECTIONS = {
    "tracks": "id",
    "singles": "id",
    "editions": "id",
    "episodes": "number",
    "songs": "id",
    "releases": "id",
    "listen": "id",
}


# Every key a file may write, per section: anything else is a typo and refused with a did-you-mean, so a
# misspelled `durration` is never silently ignored. Facts may also be tables of _FACT_KEYS.
_KEYS: dict[str, frozenset[str]] = {
    "album": frozenset({"title", "composer", "label", "track_count", "total_length", "awards"}),
    "tracks": frozenset({"id", "title", "number", "duration", "confidence", "sources", "uses", "note"}),
    "uses": frozenset({"episode", "scene", "note", "confidence", "sources"}),
    "singles": frozenset(
        {"id", "title", "track", "artist", "description", "release_date", "chart", "confidence", "sources"}
    ),
    "editions": frozenset(
        {
            *("id", "format", "status", "release_date", "confidence", "sources", "note"),
            *("release_title", "expected", "link", "description"),
        }
    ),
    "episodes": frozenset({"number", "title", "crave_date", "us_date", "length_min", "confidence", "sources", "note"}),
    "songs": frozenset({"id", "artist", "title", "episodes", "scene", "confidence", "sources", "note"}),
    "releases": frozenset(
        {"id", "title", "kind", "date", "time", "zone", "link", "description", "status", "confidence", "sources"}
    ),
    "listen": frozenset({"id", "name", "url", "kind"}),
    "overlay": frozenset({"sources", "confidence"}),
    "source": frozenset({"name", "url"}),
}
_FACT_KEYS = frozenset({"value", "confidence", "sources", "note"})
# What a record that is new (its id matches nothing in an earlier file) must state to be complete.
_REQUIRED_NEW = {
    "tracks": ("title",),  # a position may be unknown (as "It's You"'s is); a title never is
    "singles": ("title", "artist"),
    "editions": ("format", "status"),
    "episodes": ("title",),
    "songs": ("artist",),
    "releases": ("title",),
    "listen": ("name", "url"),
}
# Keys that moved, with where they live now.
_MOVED = {
    ("album", "digital_release"): 'the digital edition\'s date: [[editions]] id = "digital", release_date = ...',
}


class CatalogueError(Exception):
    """The catalogue cannot be loaded; the message names the file and the key."""


class Confidence(StrEnum):
    MULTI = "multi"
    SINGLE = "single"
    INFERRED = "inferred"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Source:
    """A page a fact comes from. `name` may end in a label: "Vulture (mirror)", "Glance (AI press summary)"."""

    id: str
    name: str
    url: str

    @property
    def publisher(self) -> str:
        """The name without its label, so one publisher's pages count once."""
        return self.name.split(" (", 1)[0].strip() or self.name

    @property
    def label(self) -> str | None:
        """What kind of page it is when it is not the publisher's own: "mirror", "AI press summary", "fan blog"."""
        _publisher, opened, rest = self.name.partition(" (")
        return (rest.removesuffix(")").strip() or None) if opened else None


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One statement with its provenance; `value is None` means nobody has said it yet."""

    value: T | None
    confidence: Confidence
    sources: tuple[Source, ...] = ()
    note: str | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


UNKNOWN: Fact[Any] = Fact(None, Confidence.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Sourced:
    confidence: Confidence
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Album:
    title: Fact[str]
    composer: Fact[str]
    label: Fact[str]
    track_count: Fact[int]
    total_length_s: Fact[int]
    awards: Fact[str] = UNKNOWN  # awards, nominations and eligibility, as the sources state them


@dataclass(frozen=True, slots=True)
class Use:
    """Where a piece of music is heard; `episode is None` when the sources don't say which."""

    episode: int | None
    scene: str | None  # what happens on screen: shown behind a spoiler bar
    confidence: Confidence
    sources: tuple[Source, ...]
    note: str | None = None  # how the sources place it (provenance, not a spoiler)


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    title: str
    number: Fact[int]
    duration_s: Fact[int]
    confidence: Confidence
    sources: tuple[Source, ...]
    uses: tuple[Use, ...] = ()
    note: str | None = None

    @property
    def label(self) -> str:
        return f"{self.number.value}. {self.title}" if self.number.known else self.title


@dataclass(frozen=True, slots=True)
class Single:
    id: str
    title: str
    track_id: str | None
    artist: str
    description: str | None
    release_date: Fact[dt.date]
    chart: Fact[str]
    confidence: Confidence
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Edition:
    """A format of the album (digital, CD, vinyl): the one place its date, status and link are stated.

    Each edition is also a release (`release`), so the album card, `/releases`, reminders and `check`
    all read the same date.
    """

    id: str
    format: str
    status: str  # released, announced or cancelled
    release_date: Fact[dt.date]
    confidence: Confidence
    sources: tuple[Source, ...]
    note: str | None = None
    release_title: str | None = None
    expected: str | None = None  # what was announced when there is no date, e.g. "later in 2026"
    link: str | None = None
    description: str | None = None

    @property
    def release_id(self) -> str:
        return f"{EDITION_RELEASE_PREFIX}{self.id}"

    def release(self) -> Release:
        """The edition as something fans count down to; an undated edition is listed, never scheduled.

        Without a `release_title` its title is the bot's words around the format ("Heated Rivalry soundtrack on
        CD"), and an undated edition's status is the bot's word for its status, with what was announced
        ("announced for later in 2026"): marked, so each reader reads them in their language."""
        day = self.release_date.value
        status: Text | None = None
        if day is None:
            word = _RELEASE_STATUS[self.status]
            expected = self.expected
            status = (
                _lp("release status", "{status} for {expected}", status=word, expected=expected) if expected else word
            )
        return Release(
            id=self.release_id,
            title=self.release_title or _l("Heated Rivalry soundtrack on {format}", format=format_words(self.format)),
            kind=self.id,
            date=day,
            time=None,
            zone=None,
            link=self.link,
            description=self.description,
            status=status,
            confidence=self.release_date.confidence if day is not None else self.confidence,
            sources=self.release_date.sources if day is not None else self.sources,
        )


@dataclass(frozen=True, slots=True)
class Episode:
    number: int
    title: str
    crave_date: dt.date | None
    us_date: dt.date | None
    length_min: int | None
    confidence: Confidence
    sources: tuple[Source, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Song:
    """A licensed song (needle drop); title and scene may be unknown when only the artist is reported."""

    id: str
    artist: str
    title: str | None
    episodes: Fact[tuple[int, ...]]
    scene: str | None
    confidence: Confidence
    sources: tuple[Source, ...]
    note: str | None = None

    @property
    def label(self) -> str:
        """'Feist – Sealion', or the artist alone when the sources name no title (`bot.cards.song_label` says so
        in the reader's language)."""
        return f"{self.artist} – {self.title}" if self.title else self.artist


# The formats the bundled catalogue names, as marked words (an overlay's own format names are shown as written).
FORMATS = {"Digital (streaming and download)": N_("Digital (streaming and download)"), "Vinyl": N_("Vinyl")}


def format_words(name: str) -> str | Text:
    """An edition's format: the bot's marked words for a format the bundled catalogue names ("Vinyl" reads "Vinyle"
    in French), else the name as written ("CD")."""
    return _l(FORMATS[name]) if name in FORMATS else name


# An undated edition's status as a release (`/releases`: "Heated Rivalry soundtrack on CD · date not announced
# (announced for later in 2026)"): it agrees with the release, not with the format as on the album card.
_RELEASE_STATUS = {
    "announced": _lp("release status", "announced"),
    "released": _lp("release status", "released"),
    "cancelled": _lp("release status", "cancelled"),
}


@dataclass(frozen=True, slots=True)
class Release:
    """Something fans count down to; `date is None` means not announced (listed, never scheduled).

    `title` and `status` are the fact sheet's (or the moderator's) words, or the bot's marked words (`Text`),
    written in the reader's language by `bot.i18n.text` or an f-string."""

    id: str
    title: str | Text
    kind: str
    date: dt.date | None
    time: dt.time | None
    zone: str | None
    link: str | None
    description: str | None
    status: str | Text | None
    confidence: Confidence
    sources: tuple[Source, ...]
    # Where a server's own release happens, when it says (a listening party's channel, `bot.releases`): its native
    # event is then a voice or stage event there. The catalogue's releases happen everywhere.
    channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListenLink:
    id: str
    name: str
    url: str
    kind: str  # "search" (always valid) or "album" (an exact link an operator supplied)


@dataclass(frozen=True, slots=True)
class Catalogue:
    album: Album
    tracks: tuple[Track, ...]
    singles: tuple[Single, ...]
    editions: tuple[Edition, ...]
    episodes: tuple[Episode, ...]
    songs: tuple[Song, ...]
    releases: tuple[Release, ...]
    listen: tuple[ListenLink, ...]
    sources: Mapping[str, Source]
    files: tuple[str, ...] = field(default=())
    conflicts: tuple[str, ...] = field(default=())  # where a later overlay replaced a value an earlier one gave

    @property
    def digital_release(self) -> Fact[dt.date]:
        """The album's digital release date, as the `digital` edition states it."""
        digital = next((e for e in self.editions if e.id == "digital"), None)
        return digital.release_date if digital is not None else UNKNOWN

    @property
    def track_total(self) -> int | None:
        return self.album.track_count.value

    @property
    def coverage(self) -> str:
        """ "9 of 34 tracks listed" - the honest one-liner used across the bot."""
        total = self.track_total
        listed = len(self.tracks)
        return f"{listed} of {total} tracks listed" if total else f"{listed} tracks listed"

    def track(self, track_id: str) -> Track | None:
        return next((t for t in self.tracks if t.id == track_id), None)

    def episode(self, number: int) -> Episode | None:
        return next((e for e in self.episodes if e.number == number), None)

    def song(self, song_id: str) -> Song | None:
        return next((s for s in self.songs if s.id == song_id), None)

    def single_for(self, track_id: str) -> Single | None:
        return next((s for s in self.singles if s.track_id == track_id), None)

    def tracks_in_order(self) -> tuple[Track, ...]:
        """Known positions first, by number; tracks whose position is unknown after, by title."""
        numbered = sorted((t for t in self.tracks if t.number.known), key=lambda t: t.number.value or 0)
        unnumbered = sorted((t for t in self.tracks if not t.number.known), key=lambda t: t.title.casefold())
        return (*numbered, *unnumbered)

    def uses_in_episode(self, number: int) -> list[tuple[Track, Use]]:
        return [(t, u) for t in self.tracks_in_order() for u in t.uses if u.episode == number]

    def songs_in_episode(self, number: int) -> list[Song]:
        return [s for s in self.songs if s.episodes.value and number in s.episodes.value]


# --- loading -----------------------------------------------------------------------------------------------


def load_catalogue(*overlays: Path) -> Catalogue:
    """The bundled catalogue, with the operator's overlays laid over it in order (a later file wins).

    Raises `CatalogueError` naming the file and key of the first problem.
    """
    files = [(BUNDLED_NAME, resources.files("bot.data").joinpath(BUNDLED_NAME).read_text("utf-8"))]
    for overlay in overlays:
        try:
            files.append((str(overlay), overlay.read_text("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{overlay}: cannot read the overlay file ({exc})") from exc
    return parse_catalogue(files)


def parse_catalogue(files: list[tuple[str, str]]) -> Catalogue:
    """Build a catalogue from (filename, TOML text) layers, the first being the base."""
    layers = [_parse_layer(name, text) for name, text in files]
    return _build(_merge(layers), tuple(layer.file for layer in layers))


@dataclass(slots=True)
class _Layer:
    file: str
    data: dict[str, Any]
    defaults: dict[str, Any]  # from [overlay]: the confidence and sources of facts that name none


def _parse_layer(file: str, text: str) -> _Layer:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{file}: not valid TOML ({exc})") from exc
    schema = data.pop("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise CatalogueError(f"{file}: schema: this bot reads catalogue schema {SCHEMA_VERSION}, got {schema!r}")
    known = {"album", "sources", "overlay", *_LIST_SECTIONS}
    for key in data:
        if key not in known:
            raise CatalogueError(f"{file}: {key}: unknown section (expected one of {', '.join(sorted(known))})")
    _check_keys(f"{file}: album", data.get("album", {}), "album")
    _check_keys(f"{file}: overlay", data.get("overlay", {}), "overlay")
    for source_id, entry in data.get("sources", {}).items():
        _check_keys(f"{file}: sources.{source_id}", entry, "source")
    defaults = _overlay_defaults(file, data.pop("overlay", {}))
    for section, key_name in _LIST_SECTIONS.items():
        entries = data.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise CatalogueError(f"{file}: {section}: expected [[{section}]] tables")
        seen: set[Any] = set()
        for index, entry in enumerate(entries):
            where = f"{file}: {section}[{index}]"
            if key_name not in entry:
                raise CatalogueError(f"{where}: missing `{key_name}`, which identifies the entry across files")
            if entry[key_name] in seen:
                raise CatalogueError(f"{where}: duplicate {key_name} {entry[key_name]!r}")
            seen.add(entry[key_name])
            entry.setdefault("_origin", f"{file}: {section}[{key_name}={entry[key_name]}]")
            _check_keys(entry["_origin"], entry, section)
            for use_index, use in enumerate(entry.get("uses", []) if section == "tracks" else []):
                _check_keys(f"{entry['_origin']}.uses[{use_index}]", use, "uses")
    data.setdefault("album", {})["_origin"] = f"{file}: album"
    return _Layer(file, data, defaults)


def _check_keys(where: str, entry: object, section: str) -> None:
    """Refuse a key the section does not have, naming the nearest one; fact tables are checked too."""
    if not isinstance(entry, dict):
        return
    allowed = _KEYS[section]
    for key, value in entry.items():
        if key.startswith("_"):
            continue
        if key not in allowed:
            moved = _MOVED.get((section, key))
            if moved is not None:
                raise CatalogueError(f"{where}.{key}: this is now {moved}")
            raise CatalogueError(f"{where}.{key}: unknown key{_did_you_mean(key, allowed)}")
        if isinstance(value, dict) and key in _FACT_FIELDS.get(section, ()):
            for inner in value:
                if inner not in _FACT_KEYS:
                    raise CatalogueError(f"{where}.{key}.{inner}: unknown key{_did_you_mean(inner, _FACT_KEYS)}")


def _did_you_mean(typed: str, known: Iterable[str]) -> str:
    """'; did you mean `duration`?' when a known name is close, else a list of what is allowed."""
    close = difflib.get_close_matches(typed, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    return f" (expected one of: {', '.join(sorted(known))})"


def _overlay_defaults(file: str, overlay: object) -> dict[str, Any]:
    """`[overlay] sources = [...]` (and optionally `confidence`, default single) for an operator's whole file."""
    if not isinstance(overlay, dict):
        raise CatalogueError(f"{file}: overlay: expected an [overlay] table")
    if "sources" not in overlay:
        return {}
    return {"sources": overlay["sources"], "confidence": overlay.get("confidence", "single")}


def _merge(layers: list[_Layer]) -> dict[str, Any]:
    """Lay each file over the previous: records match by id, and a field given later replaces the earlier one.

    Shorthand facts are expanded per layer first, so a plain value always takes the sources of the entry
    it was written in, never those of an entry from another file. Where an overlay replaces a value an earlier
    overlay gave (not the bundled one: replacing that is what overlays are for), the later file wins and the
    conflict is listed in `_conflicts`, naming the file, the entry and the key.
    """
    merged: dict[str, Any] = {"album": {}, "sources": {}, **{s: {} for s in _LIST_SECTIONS}}
    source_files: dict[str, str] = {}
    given = _Given()
    for number, layer in enumerate(layers):
        album = dict(layer.data.get("album", {}))
        if number > 0:
            given.note(layer.file, "album", album)
        _expand_shorthand("album", album, layer.defaults)
        merged["album"].update(album)
        for source_id, source in layer.data.get("sources", {}).items():
            if number > 0:
                given.note(layer.file, f"sources.{source_id}", {"": source})
            merged["sources"][source_id] = source
            source_files[source_id] = layer.file
        for section, key_name in _LIST_SECTIONS.items():
            for entry in layer.data.get(section, []):
                existing = merged[section].get(entry[key_name])
                if section == "releases":
                    _check_not_an_edition(entry, merged["editions"])
                if number > 0 and not existing:
                    _check_new(section, key_name, entry, merged[section])
                if number > 0:
                    given.note(layer.file, f"{section}[{key_name}={entry[key_name]}]", entry)
                # A new record takes the file's default provenance; an amended one keeps its own, and only
                # the facts this file states get this file's sources.
                expanded = dict(entry) if existing else {**layer.defaults, **entry}
                _expand_shorthand(section, expanded, layer.defaults)
                merged[section][entry[key_name]] = {**existing, **expanded} if existing else expanded
    merged["_source_files"] = source_files
    merged["_conflicts"] = tuple(given.conflicts)
    return merged


class _Given:
    """What each overlay file gave, key by key, to name the conflicts between overlays."""

    _PROVENANCE = frozenset({"sources", "confidence", "note"})  # how a value is sourced, not the value

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], tuple[str, object]] = {}
        self.conflicts: list[str] = []

    def note(self, file: str, where: str, entry: Mapping[str, Any]) -> None:
        for key, raw in entry.items():
            if key.startswith("_") or key in self._PROVENANCE:
                continue
            value = raw.get("value") if isinstance(raw, dict) and "value" in raw else raw
            earlier = self._values.get((where, key))
            if earlier is not None and earlier[0] != file and earlier[1] != value:
                name = f"{where}.{key}" if key else where
                self.conflicts.append(
                    f"{file}: {name} = {_shown(value)} wins over {_shown(earlier[1])} from {earlier[0]}"
                )
            self._values[(where, key)] = (file, value)


def _shown(value: object) -> str:
    """A TOML value as the operator wrote it: dates bare, strings quoted."""
    return f'"{value}"' if isinstance(value, str) else str(value)


def _check_not_an_edition(entry: dict[str, Any], editions: Mapping[Any, Any]) -> None:
    """`album-vinyl` is the vinyl edition's release: dating it under [[releases]] would say it twice."""
    edition = str(entry["id"]).removeprefix(EDITION_RELEASE_PREFIX)
    if str(entry["id"]).startswith(EDITION_RELEASE_PREFIX) and edition in editions:
        raise CatalogueError(
            f"{entry['_origin']}: the album's formats are dated in one place, under [[editions]] "
            f'id = "{edition}" (release_date, status, link); write it there and remove this entry'
        )


def _check_new(section: str, key_name: str, entry: dict[str, Any], earlier: Mapping[Any, Any]) -> None:
    """An overlay record that amends nothing must be a whole record, or it is probably a mistyped id."""
    missing = [key for key in _REQUIRED_NEW[section] if key not in entry]
    if not missing:
        return
    singular = section.removesuffix("s")
    close = difflib.get_close_matches(str(entry[key_name]), [str(k) for k in earlier], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise CatalogueError(
        f"{entry['_origin']}: no bundled {singular} has {key_name} {entry[key_name]!r}{hint} "
        f"A new {singular} needs {' and '.join(f'`{k}`' for k in missing)} as well."
    )


# Fields that are facts of their own (with confidence and sources), per section; other fields are plain data.
_FACT_FIELDS = {
    "album": ("title", "composer", "label", "track_count", "total_length", "awards"),
    "tracks": ("number", "duration"),
    "singles": ("release_date", "chart"),
    "editions": ("release_date",),
    "songs": ("episodes",),
}


def _expand_shorthand(section: str, entry: dict[str, Any], defaults: dict[str, Any]) -> None:
    for name in _FACT_FIELDS.get(section, ()):
        value = entry.get(name)
        if name in entry and not isinstance(value, dict):
            entry[name] = {
                "value": value,
                "confidence": entry.get("confidence", defaults.get("confidence")),
                "sources": entry.get("sources", defaults.get("sources")),
                "_shorthand": True,
            }


def _build(data: dict[str, Any], files: tuple[str, ...]) -> Catalogue:
    sources = _build_sources(data["sources"], data["_source_files"])
    reader = _Reader(sources)
    album = reader.album(data["album"])
    total = album.track_count.value
    tracks = tuple(reader.track(e, total) for e in data["tracks"].values())
    editions = tuple(reader.edition(e) for e in data["editions"].values())
    catalogue = Catalogue(
        album=album,
        tracks=tracks,
        singles=tuple(reader.single(e) for e in data["singles"].values()),
        editions=editions,
        episodes=tuple(sorted((reader.episode(e) for e in data["episodes"].values()), key=lambda e: e.number)),
        songs=tuple(reader.song(e) for e in data["songs"].values()),
        releases=(*(e.release() for e in editions), *(reader.release(e) for e in data["releases"].values())),
        listen=tuple(reader.listen(e) for e in data["listen"].values()),
        sources=sources,
        files=files,
        conflicts=data["_conflicts"],
    )
    _cross_check(catalogue, data)
    return catalogue


def _build_sources(raw: Mapping[str, Any], files: Mapping[str, str]) -> dict[str, Source]:
    """Every source, checked; `files` names the file each one was last given in."""
    sources = {}
    for source_id, entry in raw.items():
        where = f"{files[source_id]}: sources.{source_id}"
        if not isinstance(entry, dict):
            raise CatalogueError(f'{where}: expected {{ name = "...", url = "https://..." }}')
        name, url = entry.get("name"), entry.get("url")
        if not isinstance(name, str) or not name.strip():
            raise CatalogueError(f"{where}.name: expected the publication's name")
        _check_url(f"{where}.url", url)
        sources[source_id] = Source(source_id, name.strip(), str(url))
    return sources


def _check_url(where: str, url: object) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise CatalogueError(f"{where}: expected an http(s) URL, got {url!r}")
    return url


class _Reader:
    """Turns merged TOML tables into typed records, raising errors that point at the file and key."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self._sources = sources

    # -- primitives --

    def _sourced(self, entry: Mapping[str, Any], where: str) -> Sourced:
        confidence = self._confidence(entry.get("confidence"), f"{where}.confidence")
        sources = self._source_refs(entry.get("sources", []), f"{where}.sources")
        if confidence is not Confidence.UNKNOWN and not sources:
            raise CatalogueError(f"{where}.sources: a stated fact needs at least one source id from [sources]")
        return Sourced(confidence, sources)

    def _confidence(self, raw: object, where: str) -> Confidence:
        allowed = [c.value for c in Confidence]
        if isinstance(raw, str) and raw in allowed:
            return Confidence(raw)
        raise CatalogueError(f"{where}: expected one of {', '.join(allowed)}, got {raw!r}")

    def _source_refs(self, raw: object, where: str) -> tuple[Source, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            raise CatalogueError(f"{where}: expected a list of source ids")
        missing = [r for r in raw if r not in self._sources]
        if missing:
            raise CatalogueError(f"{where}: unknown source id {missing[0]!r}; add it under [sources]")
        return tuple(self._sources[r] for r in raw)

    def fact(self, raw: object, where: str, convert: Callable[[object, str], T]) -> Fact[T]:
        if raw is None:
            return UNKNOWN
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: expected a value or {{ value = ..., confidence = ..., sources = [...] }}")
        note = self._text(raw.get("note"), f"{where}.note")
        if "value" not in raw or raw["value"] is None:
            return Fact(None, Confidence.UNKNOWN, self._source_refs(raw.get("sources"), f"{where}.sources"), note)
        if raw.get("_shorthand") and (raw.get("confidence") is None or not raw.get("sources")):
            raise CatalogueError(
                f"{where}: this value needs its sources: give the entry `confidence` and `sources`, "
                "write the fact as { value = ..., confidence = ..., sources = [...] }, or add [overlay] sources"
            )
        sourced = self._sourced(raw, where)
        if sourced.confidence is Confidence.UNKNOWN:
            raise CatalogueError(f"{where}.confidence: a fact with a value cannot be 'unknown'")
        return Fact(convert(raw["value"], f"{where}.value"), sourced.confidence, sourced.sources, note)

    @staticmethod
    def _text(raw: object, where: str, *, required: bool = False, limit: int = 1000) -> str | None:
        if raw is None and not required:
            return None
        if not isinstance(raw, str) or not raw.strip():
            raise CatalogueError(f"{where}: expected non-empty text")
        if len(raw) > limit:
            raise CatalogueError(f"{where}: at most {limit} characters, got {len(raw)}")
        return raw.strip()

    def _required_text(self, raw: object, where: str, limit: int = 200) -> str:
        text = self._text(raw, where, required=True, limit=limit)
        assert text is not None
        return text

    @staticmethod
    def _id(raw: object, where: str) -> str:
        if not isinstance(raw, str) or not _ID_RE.match(raw):
            raise CatalogueError(
                f"{where}: ids are lower-case letters, digits and dashes (e.g. 'two-souls'), got {raw!r}"
            )
        return raw

    @staticmethod
    def _date(raw: object, where: str) -> dt.date:
        if isinstance(raw, dt.datetime) or not isinstance(raw, dt.date):
            raise CatalogueError(f"{where}: expected a date written as YYYY-MM-DD (no quotes), got {raw!r}")
        return raw

    @staticmethod
    def _int(raw: object, where: str, low: int = 1, high: int = 10_000) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise CatalogueError(f"{where}: expected a whole number from {low} to {high}, got {raw!r}")
        return raw

    @staticmethod
    def _duration(raw: object, where: str) -> int:
        match = _DURATION_RE.match(raw) if isinstance(raw, str) else None
        if match is None:
            raise CatalogueError(f'{where}: expected a duration like "3:45" or "1:02:30", got {raw!r}')
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds

    def _opt(self, raw: object, where: str, convert: Callable[[object, str], T]) -> T | None:
        return None if raw is None else convert(raw, where)

    # -- records --

    def album(self, e: Mapping[str, Any]) -> Album:
        w = e.get("_origin", "album")
        text = lambda raw, where: self._required_text(raw, where)  # noqa: E731
        return Album(
            title=self.fact(e.get("title"), f"{w}.title", text),
            composer=self.fact(e.get("composer"), f"{w}.composer", text),
            label=self.fact(e.get("label"), f"{w}.label", text),
            track_count=self.fact(e.get("track_count"), f"{w}.track_count", self._int),
            total_length_s=self.fact(e.get("total_length"), f"{w}.total_length", self._duration),
            awards=self.fact(e.get("awards"), f"{w}.awards", lambda raw, where: self._required_text(raw, where, 300)),
        )

    def track(self, e: Mapping[str, Any], total: int | None) -> Track:
        w = e["_origin"]
        sourced = self._sourced(e, w)
        high = total or 10_000
        uses = []
        for index, use in enumerate(e.get("uses", [])):
            uw = f"{w}.uses[{index}]"
            use_sourced = self._sourced({"confidence": sourced.confidence, "sources": e.get("sources"), **use}, uw)
            uses.append(
                Use(
                    episode=self._opt(use.get("episode"), f"{uw}.episode", self._int),
                    scene=self._text(use.get("scene"), f"{uw}.scene", limit=500),
                    confidence=use_sourced.confidence,
                    sources=use_sourced.sources,
                    note=self._text(use.get("note"), f"{uw}.note", limit=300),
                )
            )
        return Track(
            id=self._id(e["id"], f"{w}.id"),
            title=self._required_text(e.get("title"), f"{w}.title", limit=100),
            number=self.fact(e.get("number"), f"{w}.number", lambda raw, where: self._int(raw, where, 1, high)),
            duration_s=self.fact(e.get("duration"), f"{w}.duration", self._duration),
            confidence=sourced.confidence,
            sources=sourced.sources,
            uses=tuple(uses),
            note=self._text(e.get("note"), f"{w}.note"),
        )

    def single(self, e: Mapping[str, Any]) -> Single:
        w = e["_origin"]
        sourced = self._sourced(e, w)
        return Single(
            id=self._id(e["id"], f"{w}.id"),
            title=self._required_text(e.get("title"), f"{w}.title", limit=100),
            track_id=self._opt(e.get("track"), f"{w}.track", self._id),
            artist=self._required_text(e.get("artist"), f"{w}.artist"),
            description=self._text(e.get("description"), f"{w}.description"),
            release_date=self.fact(e.get("release_date"), f"{w}.release_date", self._date),
            chart=self.fact(e.get("chart"), f"{w}.chart", lambda raw, where: self._required_text(raw, where, 300)),
            confidence=sourced.confidence,
            sources=sourced.sources,
        )

    def edition(self, e: Mapping[str, Any]) -> Edition:
        w = e["_origin"]
        sourced = self._sourced(e, w)
        status = e.get("status")
        if status not in ("released", "announced", "cancelled"):
            raise CatalogueError(f"{w}.status: expected released, announced or cancelled, got {status!r}")
        return Edition(
            id=self._id(e["id"], f"{w}.id"),
            format=self._required_text(e.get("format"), f"{w}.format", limit=100),
            status=status,
            release_date=self.fact(e.get("release_date"), f"{w}.release_date", self._date),
            confidence=sourced.confidence,
            sources=sourced.sources,
            note=self._text(e.get("note"), f"{w}.note"),
            release_title=self._text(e.get("release_title"), f"{w}.release_title", limit=100),
            expected=self._text(e.get("expected"), f"{w}.expected", limit=100),
            link=None if e.get("link") is None else _check_url(f"{w}.link", e.get("link")),
            description=self._text(e.get("description"), f"{w}.description", limit=1000),
        )

    def episode(self, e: Mapping[str, Any]) -> Episode:
        w = e["_origin"]
        sourced = self._sourced(e, w)
        return Episode(
            number=self._int(e["number"], f"{w}.number", 1, 999),
            title=self._required_text(e.get("title"), f"{w}.title", limit=100),
            crave_date=self._opt(e.get("crave_date"), f"{w}.crave_date", self._date),
            us_date=self._opt(e.get("us_date"), f"{w}.us_date", self._date),
            length_min=self._opt(e.get("length_min"), f"{w}.length_min", self._int),
            confidence=sourced.confidence,
            sources=sourced.sources,
            note=self._text(e.get("note"), f"{w}.note"),
        )

    def song(self, e: Mapping[str, Any]) -> Song:
        w = e["_origin"]
        sourced = self._sourced(e, w)

        def episodes(raw: object, where: str) -> tuple[int, ...]:
            if not isinstance(raw, list) or not raw:
                raise CatalogueError(f"{where}: expected a list of episode numbers such as [1, 2]")
            return tuple(self._int(n, f"{where}[{i}]", 1, 999) for i, n in enumerate(raw))

        return Song(
            id=self._id(e["id"], f"{w}.id"),
            artist=self._required_text(e.get("artist"), f"{w}.artist"),
            title=self._text(e.get("title"), f"{w}.title", limit=100),
            episodes=self.fact(e.get("episodes"), f"{w}.episodes", episodes),
            scene=self._text(e.get("scene"), f"{w}.scene", limit=500),
            confidence=sourced.confidence,
            sources=sourced.sources,
            note=self._text(e.get("note"), f"{w}.note"),
        )

    def release(self, e: Mapping[str, Any]) -> Release:
        w = e["_origin"]
        sourced = self._sourced(e, w)
        time = e.get("time")
        if time is not None and not isinstance(time, dt.time):
            raise CatalogueError(f"{w}.time: expected a local time written as HH:MM (no quotes), got {time!r}")
        zone = self._text(e.get("zone"), f"{w}.zone", limit=64)
        if zone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise CatalogueError(f"{w}.zone: unknown IANA time zone {zone!r} (e.g. America/Toronto)") from None
        date = self._opt(e.get("date"), f"{w}.date", self._date)
        if time is not None and date is None:
            raise CatalogueError(f"{w}.time: a time needs a date")
        link = e.get("link")
        return Release(
            id=self._id(e["id"], f"{w}.id"),
            title=self._required_text(e.get("title"), f"{w}.title", limit=100),
            kind=self._required_text(e.get("kind", "release"), f"{w}.kind", limit=32),
            date=date,
            time=time,
            zone=zone,
            link=None if link is None else _check_url(f"{w}.link", link),
            description=self._text(e.get("description"), f"{w}.description", limit=1000),
            status=self._text(e.get("status"), f"{w}.status", limit=200),
            confidence=sourced.confidence,
            sources=sourced.sources,
        )

    def listen(self, e: Mapping[str, Any]) -> ListenLink:
        w = e["_origin"]
        kind = e.get("kind", "album")
        if kind not in ("search", "album"):
            raise CatalogueError(f"{w}.kind: expected 'search' or 'album', got {kind!r}")
        return ListenLink(
            id=self._id(e["id"], f"{w}.id"),
            name=self._required_text(e.get("name"), f"{w}.name", limit=50),
            url=_check_url(f"{w}.url", e.get("url")),
            kind=kind,
        )


def _cross_check(catalogue: Catalogue, data: dict[str, Any]) -> None:
    """Rules that span records: unique track numbers, references that resolve, counts that add up."""
    by_number: dict[int, Track] = {}
    for track in catalogue.tracks:
        number = track.number.value
        if number is not None:
            if number in by_number:
                other = by_number[number]
                # Blame the record a later file wrote: that is where the operator changed something.
                mine, theirs = data["tracks"][track.id]["_origin"], data["tracks"][other.id]["_origin"]
                if mine.startswith(BUNDLED_NAME) and not theirs.startswith(BUNDLED_NAME):
                    track, other, mine = other, track, theirs
                raise CatalogueError(f"{mine}.number: track {number} is also {other.title!r}")
            by_number[number] = track

    total = catalogue.track_total
    if total is not None and len(catalogue.tracks) > total:
        raise CatalogueError(f"album.track_count: {total}, but {len(catalogue.tracks)} tracks are listed")
    episode_numbers = {e.number for e in catalogue.episodes}
    track_ids = {t.id for t in catalogue.tracks}
    for track in catalogue.tracks:
        for index, use in enumerate(track.uses):
            if use.episode is not None and use.episode not in episode_numbers:
                where = data["tracks"][track.id]["_origin"]
                raise CatalogueError(f"{where}.uses[{index}].episode: there is no episode {use.episode}")
    for single in catalogue.singles:
        if single.track_id is not None and single.track_id not in track_ids:
            where = data["singles"][single.id]["_origin"]
            raise CatalogueError(f"{where}.track: no track has id {single.track_id!r}")
    for song in catalogue.songs:
        for number in song.episodes.value or ():
            if number not in episode_numbers:
                where = data["songs"][song.id]["_origin"]
                raise CatalogueError(f"{where}.episodes: there is no episode {number}")
