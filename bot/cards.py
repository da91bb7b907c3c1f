"""What the soundtrack commands show: each function turns catalogue records into a `Card`.

They state only what the catalogue holds, say "unknown" where it holds nothing, and name sources on
every card, so fans can tell a confirmed fact from a fan blog's reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.catalogue import Catalogue, Confidence, Edition, Episode, Song, Source, Track, Use, format_words
from bot.embeds import (
    Card,
    confidence_note,
    fact_line,
    format_date,
    format_duration,
    join_within,
    source_links,
    source_list,
    source_name,
    spoiler,
)
from bot.i18n import N_, _, current, ngettext, pgettext
from bot.markup import discord_timestamp
from bot.when import days_away

TRACKS_PER_PAGE = 15
FOOTER = N_("Facts come with their sources. 'Unknown' means no source has said it yet.")


def album_card(cat: Catalogue, today: dt.date) -> Card:
    """The album card; `today` (a UTC calendar date) says whether a dated edition is out yet."""
    album = cat.album
    title_note = "" if album.title.known else "\n*" + _("The exact official album title has not been confirmed.") + "*"
    release = cat.digital_release
    card = Card(
        title=album_title(cat),
        description=_("The original score of *Heated Rivalry*.") + title_note,
        footer=_(FOOTER),
    )
    card.add(_("Composer"), fact_line(album.composer, unknown=pgettext("composer", "unknown")), inline=True)
    card.add(_("Label"), fact_line(album.label, unknown=pgettext("record label", "unknown")), inline=True)
    card.add(
        _("Digital release"),
        fact_line(
            release,
            format_date(release.value) if release.value else None,
            unknown=pgettext("release date", "unknown"),
        )
        + (f"\n{release.note}" if release.known and release.note else ""),
    )
    formats = "\n".join(edition_line(e, today) for e in cat.editions)
    card.add(_("Formats"), formats or pgettext("formats", "unknown"))
    singles = [s.title for s in cat.singles]
    card.add(_("Singles"), " · ".join(f"“{t}”" for t in singles) if singles else _("none known"))
    card.add(_("Tracks"), tracks_summary(cat))
    if album.awards.known:
        card.add(_("Awards"), fact_line(album.awards, unknown=pgettext("awards", "unknown")))
    card.add(_("Where to listen"), listen_line(cat))
    card.add(_("Sources"), source_links(album_sources(cat)))
    return card


def album_title(cat: Catalogue) -> str:
    """The album's title as published, or, while none is confirmed, a description in the reader's language."""
    return cat.album.title.value or _("Heated Rivalry soundtrack")


def edition_line(edition: Edition, today: dt.date) -> str:
    """'**Vinyl**: out on Fri 11 December 2026 (in 7 days)', or '(tomorrow)' (`bot.when`); a future date is never
    'out since'."""
    day = edition.release_date.value
    if edition.status == "cancelled":
        state = _("cancelled")
    elif day is None:
        status = edition_status(edition.status)
        if edition.expected:
            state = _("{status} for {expected}, date not announced", status=status, expected=edition.expected)
        else:
            state = _("{status}, date not announced", status=status)
    elif day > today:
        state = _("out on {date} ({countdown})", date=format_date(day), countdown=days_away(day, today))
    else:
        state = _("out since {date}", date=format_date(day))
    return labelled(edition_format(edition.format), state)


def labelled(label: str, text: str) -> str:
    """'**Vinyl**: out on …', with the colon as the reader's language writes it."""
    return _("**{label}**: {text}", label=label, text=text)


def edition_status(status: str) -> str:
    """An edition's status as the catalogue words it (`announced`, `expected`...), in the reader's language."""
    words = {
        "announced": _("announced"),
        "expected": _("expected"),
        "released": _("released"),
        "cancelled": _("cancelled"),
        "rumoured": _("rumoured"),
    }
    return words.get(status, status)


def edition_format(name: str) -> str:
    """An edition's format as the bundled catalogue names it, in the reader's language; others as written."""
    return str(format_words(name))


def tracks_summary(cat: Catalogue) -> str:
    durations = sum(1 for t in cat.tracks if t.duration_s.known)
    numbered = [t for t in cat.tracks if t.number.known]
    parts = [coverage(cat)]
    if durations:
        parts.append(ngettext("{n} with a known duration", "{n} with a known duration", durations))
    else:
        parts.append(_("durations unknown"))
    single_sourced = [t for t in numbered if t.number.confidence is not Confidence.MULTI]
    if single_sourced:
        parts.append(
            ngettext(
                "{n} position rests on a single source", "{n} positions rest on a single source", len(single_sourced)
            )
        )
    return " · ".join(parts)


def coverage(cat: Catalogue) -> str:
    """'9 of 34 tracks listed' (the catalogue's `coverage`), in the reader's language."""
    listed = len(cat.tracks)
    if cat.track_total:
        return ngettext("{listed} of {n} track listed", "{listed} of {n} tracks listed", cat.track_total, listed=listed)
    return ngettext("{n} track listed", "{n} tracks listed", listed)


def listen_line(cat: Catalogue) -> str:
    search = " (" + _("search") + ")"
    links = [f"[{link.name}]({link.url})" + (search if link.kind == "search" else "") for link in cat.listen]
    return join_within(links, 1024) if links else _("no links yet")


def album_sources(cat: Catalogue) -> list[Source]:
    """Every page behind the album card."""
    album = cat.album
    facts = (album.composer, album.label, cat.digital_release, album.track_count, album.awards)
    return [*(s for fact in facts for s in fact.sources), *(s for e in cat.editions for s in e.sources)]


# --- tracklist -------------------------------------------------------------------------------------------


def tracklist_lines(cat: Catalogue) -> list[str]:
    """One line per listed track in album order, with the gaps said out loud."""
    lines: list[str] = []
    singles = {s.track_id for s in cat.singles}
    known_numbers = {t.number.value for t in cat.tracks if t.number.value is not None}
    total = cat.track_total or 0
    ordered = cat.tracks_in_order()
    for track in ordered:
        if not track.number.known:
            continue
        lines.append(_track_line(track, singles))
    missing = [n for n in range(1, total + 1) if n not in known_numbers]
    for start, end in _ranges(missing):
        span = f"{start}" if start == end else f"{start}–{end}"
        lines.append(f"`{span}.` *" + _("title not confirmed yet") + "*")
    unplaced = [t for t in ordered if not t.number.known]
    for track in unplaced:
        lines.append(_track_line(track, singles) + " · *" + _("position unknown") + "*")
    return lines


def _track_line(track: Track, singles: set[str | None]) -> str:
    number = f"`{track.number.value}.` " if track.number.known else "• "
    extras = []
    if track.duration_s.value is not None:
        extras.append(format_duration(track.duration_s.value))
    if track.id in singles:
        extras.append(_("single"))
    return number + track.title + (f" — {', '.join(extras)}" if extras else "")


def _ranges(numbers: Sequence[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for n in numbers:
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def tracklist_page_count(cat: Catalogue) -> int:
    return max(1, -(-len(tracklist_lines(cat)) // TRACKS_PER_PAGE))


def tracklist_card(cat: Catalogue, page: int) -> Card:
    """Page `page` (1-based) of the tracklist; the caller has checked that the page exists."""
    lines = tracklist_lines(cat)
    pages = tracklist_page_count(cat)
    chunk = lines[(page - 1) * TRACKS_PER_PAGE : page * TRACKS_PER_PAGE]
    footer = f"{coverage(cat)} · {tracks_summary(cat).split(' · ', 1)[-1]}"
    if pages > 1:
        footer += " · " + _("page {page} of {pages}", page=page, pages=pages)
    return Card(
        title=_("{album}: tracklist", album=album_title(cat)),
        description="\n".join(chunk),
        footer=footer,
    )


# --- one track, one episode, one song --------------------------------------------------------------------


def track_card(cat: Catalogue, track: Track) -> Card:
    card = Card(title=track.label, description=track.note or "", footer=_(FOOTER))
    if track.number.known:
        number = fact_line(track.number, unknown=pgettext("position", "unknown"))
        card.add(_("Position"), _("Track {number}", number=number) + _note(track.number.note), inline=True)
    else:
        card.add(_("Position"), pgettext("position", "unknown"), inline=True)
    duration = track.duration_s
    card.add(
        _("Duration"),
        fact_line(
            duration,
            format_duration(duration.value) if duration.value is not None else None,
            unknown=pgettext("duration", "unknown"),
        ),
        inline=True,
    )
    single = cat.single_for(track.id)
    if single is not None:
        chart = f"\n{single.chart.value} ({confidence_note(single.chart.confidence)})" if single.chart.known else ""
        about = f" {single.description}" if single.description else ""
        card.add(_("Single"), _("Yes: released as a single.") + about + chart)
    else:
        card.add(_("Single"), _("Not released as a single, as far as the sources say."), inline=True)
    card.add(_("Heard in"), heard_in(cat, track) or _("No scene is recorded for this track yet."))
    card.add(_("Title"), f"{track.title} ({confidence_note(track.confidence)})")
    card.add(_("Sources"), source_links(track_sources(cat, track)))
    return card


def heard_in(cat: Catalogue, track: Track) -> str:
    """Each episode where `track` plays, with its scene behind spoiler bars (the track card, a party's cue)."""
    lines = []
    for use in track.uses:
        episode = cat.episode(use.episode) if use.episode is not None else None
        where = episode_title(episode) if episode else _("Episode not stated")
        lines.append(labelled(where, use_text(use)))
    return "\n".join(lines)


def use_text(use: Use) -> str:
    """The scene behind a spoiler bar; how the sources place it in plain italics (it spoils nothing)."""
    parts = [spoiler(use.scene)] if use.scene else []
    if use.note:
        parts.append(f"*{use.note}*")
    return " ".join(parts) or "*" + _("scene not described") + "*"


def track_sources(cat: Catalogue, track: Track) -> list[Source]:
    """Every page behind the track card (the track's, its position's, its scenes' and its single's)."""
    single = cat.single_for(track.id)
    return [*track.sources, *track.number.sources, *track.duration_s.sources,
            *(s for use in track.uses for s in use.sources), *(single.sources if single else ())]  # fmt: skip


def _note(note: str | None) -> str:
    return f"\n*{note}*" if note else ""


def episode_card(cat: Catalogue, episode: Episode) -> Card:
    card = Card(title=episode_title(episode), description=episode.note or "", footer=_(FOOTER))
    aired = []
    if episode.crave_date:
        aired.append(_("Crave (Canada): {date}", date=format_date(episode.crave_date)))
    if episode.us_date:
        aired.append(_("HBO Max (US): {date}", date=format_date(episode.us_date)))
    card.add(_("Aired"), "\n".join(aired) or pgettext("air dates", "unknown"), inline=True)
    length = (
        _("{minutes} min", minutes=episode.length_min) if episode.length_min else pgettext("episode length", "unknown")
    )
    card.add(_("Length"), length, inline=True)
    cues = [labelled(t.label, use_text(u)) for t, u in cat.uses_in_episode(episode.number)]
    card.add(_("Score cues"), "\n".join(cues) or _("None recorded yet."))
    songs = [_song_in_episode(s) for s in cat.songs_in_episode(episode.number)]
    card.add(_("Licensed songs"), "\n".join(songs) or _("None recorded."))
    card.add(_("Sources"), source_links(episode_sources(cat, episode)))
    return card


def episode_title(episode: Episode) -> str:
    """'Episode 1 · Rookies': the number in the reader's language, the title as published."""
    return _("Episode {number} · {title}", number=episode.number, title=episode.title)


def episode_sources(cat: Catalogue, episode: Episode) -> list[Source]:
    """Every page behind the episode card."""
    sources = [*episode.sources, *(s for t, u in cat.uses_in_episode(episode.number) for s in u.sources)]
    return sources + [s for song in cat.songs_in_episode(episode.number) for s in song.sources]


def _song_in_episode(song: Song) -> str:
    line = f"**{song_label(song)}**"
    episodes = song.episodes
    if episodes.confidence is Confidence.INFERRED and episodes.value and len(episodes.value) > 1:
        line += " (" + _("episode {numbers}, inferred", numbers=current().join(map(str, episodes.value), "or")) + ")"
    if song.scene:
        line += f": {spoiler(song.scene)}"
    return line


def song_label(song: Song) -> str:
    """'Feist – Sealion', or the artist alone when the sources name no title, said in the reader's language."""
    return song.label if song.title else _("{artist} (song title unknown)", artist=song.artist)


def song_card(cat: Catalogue, song: Song) -> Card:
    card = Card(title=song_label(song), description=song.note or "", footer=_(FOOTER))
    episodes = song.episodes
    if episodes.value:
        names = []
        for number in episodes.value:
            episode = cat.episode(number)
            names.append(f"{number} · {episode.title}" if episode else str(number))
        text = current().join(names, "or") if episodes.confidence is Confidence.INFERRED else "\n".join(names)
        if episodes.confidence is Confidence.INFERRED:
            text += "\n*" + (_("Inferred: {note}", note=episodes.note) if episodes.note else _("Inferred.")) + "*"
        card.add(_("Episode"), text)
    else:
        card.add(_("Episode"), pgettext("episode", "unknown"))
    card.add(_("Scene"), spoiler(song.scene) if song.scene else pgettext("scene", "unknown"))
    card.add(_("Confidence"), confidence_note(song.confidence).capitalize())
    card.add(_("Sources"), source_links(song_sources(song)))
    return card


def song_sources(song: Song) -> list[Source]:
    """Every page behind the song card."""
    return [*song.sources, *song.episodes.sources]


# --- the full list of sources behind a card ------------------------------------------------------------


CARD_KINDS = ("album", "track", "episode", "song")


def card_sources(cat: Catalogue, kind: str, key: str) -> tuple[str, list[Source]] | None:
    """The title and every source of the card `kind` (one of CARD_KINDS) for `key` (an id, an episode
    number as text, or "" for the album); None when the catalogue no longer has it."""
    if kind == "album":
        return album_title(cat), album_sources(cat)
    if kind == "track" and (track := cat.track(key)) is not None:
        return track.label, track_sources(cat, track)
    if kind == "episode" and key.isdigit() and (episode := cat.episode(int(key))) is not None:
        return episode_title(episode), episode_sources(cat, episode)
    if kind == "song" and (song := cat.song(key)) is not None:
        return song_label(song), song_sources(song)
    return None


def sources_card(title: str, sources: Sequence[Source]) -> Card:
    """Every page behind a card, labelled (mirror, AI press summary, fan blog), for whoever asks."""
    return Card(
        title=_("Sources · {title}", title=title),
        description=source_list(sources),
        footer=_(
            "A mirror is a copy of an article whose original is not stored; an AI press summary restates "
            "press coverage. Facts resting only on those are marked as from one source."
        ),
    )


# --- about the bot ----------------------------------------------------------------------------------------


def about_card(cat: Catalogue, *, version: str, started_at: int, latency_ms: float | None, guild_count: int) -> Card:
    card = Card(
        title=_("Heated Rivalry soundtrack bot"),
        description=_(
            "Answers questions about the *Heated Rivalry* soundtrack, posts release-day reminders, "
            "and runs this server's favourite-track poll."
        ),
        footer=_(FOOTER),
    )
    card.add(_("Version"), version, inline=True)
    card.add(_("Up since"), discord_timestamp(started_at, "R"), inline=True)
    latency = _("{ms} ms", ms=current().number(round(latency_ms))) if latency_ms is not None else _("measuring…")
    card.add(_("Gateway latency"), latency, inline=True)
    card.add(_("Servers"), current().number(guild_count), inline=True)
    card.add(_("Catalogue"), tracks_summary(cat))
    overlay = _("bundled catalogue + the operator's overlay") if len(cat.files) > 1 else _("bundled catalogue")
    used = sorted({source_name(s) for s in cat.sources.values()})  # "Vulture (mirror)" in the reader's words
    card.add(
        _("Where the facts come from"),
        ngettext(
            "{catalogue}; every fact names its sources ({n} page, e.g. {examples}). Use `/soundtrack about` for the "
            "album card.",
            "{catalogue}; every fact names its sources ({n} pages, e.g. {examples}). Use `/soundtrack about` for the "
            "album card.",
            len(cat.sources),
            catalogue=overlay,
            examples=", ".join(used[:6]),
        ),
    )
    return card
