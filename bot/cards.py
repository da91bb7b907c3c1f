"""What the soundtrack commands show: each function turns catalogue records into a `Card`.

They state only what the catalogue holds, say "unknown" where it holds nothing, and name sources on
every card, so fans can tell a confirmed fact from a fan blog's reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.catalogue import Catalogue, Confidence, Edition, Episode, Song, Source, Track, Use
from bot.embeds import (
    Card,
    confidence_note,
    fact_line,
    format_date,
    format_duration,
    join_within,
    source_links,
    source_list,
    spoiler,
)
from bot.markup import discord_timestamp

TRACKS_PER_PAGE = 15
FOOTER = "Facts come with their sources. 'Unknown' means no source has said it yet."


def album_card(cat: Catalogue, today: dt.date) -> Card:
    """The album card; `today` (a UTC calendar date) says whether a dated edition is out yet."""
    album = cat.album
    title_note = "" if album.title.known else "\n*The exact official album title has not been confirmed.*"
    release = cat.digital_release
    card = Card(
        title=album.display_title,
        description=f"The original score of *Heated Rivalry*.{title_note}",
        footer=FOOTER,
    )
    card.add("Composer", fact_line(album.composer), inline=True)
    card.add("Label", fact_line(album.label), inline=True)
    card.add(
        "Digital release",
        fact_line(release, format_date(release.value) if release.value else None)
        + (f"\n{release.note}" if release.known and release.note else ""),
    )
    card.add("Formats", "\n".join(edition_line(e, today) for e in cat.editions) or "unknown")
    singles = [s.title for s in cat.singles]
    card.add("Singles", " · ".join(f"“{t}”" for t in singles) if singles else "none known")
    card.add("Tracks", tracks_summary(cat))
    if album.awards.known:
        card.add("Awards", fact_line(album.awards))
    card.add("Where to listen", listen_line(cat))
    card.add("Sources", source_links(album_sources(cat)))
    return card


def edition_line(edition: Edition, today: dt.date) -> str:
    """'**Vinyl**: out on Fri 11 December 2026 (in 7 days)'; a future date is never 'out since'."""
    day = edition.release_date.value
    if edition.status == "cancelled":
        state = "cancelled"
    elif day is None:
        state = f"{edition.status} for {edition.expected}" if edition.expected else edition.status
        state += ", date not announced"
    elif day > today:
        days = (day - today).days
        state = f"out on {format_date(day)} (in {days} day{'s' if days != 1 else ''})"
    else:
        state = f"out since {format_date(day)}"
    return f"**{edition.format}**: {state}"


def tracks_summary(cat: Catalogue) -> str:
    durations = sum(1 for t in cat.tracks if t.duration_s.known)
    numbered = [t for t in cat.tracks if t.number.known]
    parts = [cat.coverage]
    parts.append(f"{durations} with a known duration" if durations else "durations unknown")
    single_sourced = [t for t in numbered if t.number.confidence is not Confidence.MULTI]
    if single_sourced:
        parts.append(f"{len(single_sourced)} positions rest on a single source")
    return " · ".join(parts)


def listen_line(cat: Catalogue) -> str:
    links = [f"[{link.name}]({link.url})" + (" (search)" if link.kind == "search" else "") for link in cat.listen]
    return join_within(links, 1024) if links else "no links yet"


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
        lines.append(f"`{span}.` *title not confirmed yet*")
    unplaced = [t for t in ordered if not t.number.known]
    for track in unplaced:
        lines.append(_track_line(track, singles) + " · *position unknown*")
    return lines


def _track_line(track: Track, singles: set[str | None]) -> str:
    number = f"`{track.number.value}.` " if track.number.known else "• "
    extras = []
    if track.duration_s.value is not None:
        extras.append(format_duration(track.duration_s.value))
    if track.id in singles:
        extras.append("single")
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
    footer = f"{cat.coverage} · {tracks_summary(cat).split(' · ', 1)[-1]}"
    if pages > 1:
        footer += f" · page {page} of {pages}"
    return Card(
        title=f"{cat.album.display_title}: tracklist",
        description="\n".join(chunk),
        footer=footer,
    )


# --- one track, one episode, one song --------------------------------------------------------------------


def track_card(cat: Catalogue, track: Track) -> Card:
    card = Card(title=track.label, description=track.note or "", footer=FOOTER)
    if track.number.known:
        card.add("Position", f"Track {fact_line(track.number)}" + _note(track.number.note), inline=True)
    else:
        card.add("Position", "unknown", inline=True)
    duration = track.duration_s
    card.add(
        "Duration",
        fact_line(duration, format_duration(duration.value) if duration.value is not None else None),
        inline=True,
    )
    single = cat.single_for(track.id)
    if single is not None:
        chart = f"\n{single.chart.value} ({confidence_note(single.chart.confidence)})" if single.chart.known else ""
        card.add("Single", f"Yes: released as a single. {single.description or ''}".strip() + chart)
    else:
        card.add("Single", "Not released as a single, as far as the sources say.", inline=True)
    card.add("Heard in", _uses(cat, track) or "No scene is recorded for this track yet.")
    card.add("Title", f"{track.title} ({confidence_note(track.confidence)})")
    card.add("Sources", source_links(track_sources(cat, track)))
    return card


def _uses(cat: Catalogue, track: Track) -> str:
    lines = []
    for use in track.uses:
        episode = cat.episode(use.episode) if use.episode is not None else None
        where = f"Episode {episode.number} · {episode.title}" if episode else "Episode not stated"
        lines.append(f"**{where}**: {use_text(use)}")
    return "\n".join(lines)


def use_text(use: Use) -> str:
    """The scene behind a spoiler bar; how the sources place it in plain italics (it spoils nothing)."""
    parts = [spoiler(use.scene)] if use.scene else []
    if use.note:
        parts.append(f"*{use.note}*")
    return " ".join(parts) or "*scene not described*"


def track_sources(cat: Catalogue, track: Track) -> list[Source]:
    """Every page behind the track card (the track's, its position's, its scenes' and its single's)."""
    single = cat.single_for(track.id)
    return [*track.sources, *track.number.sources, *track.duration_s.sources,
            *(s for use in track.uses for s in use.sources), *(single.sources if single else ())]  # fmt: skip


def _note(note: str | None) -> str:
    return f"\n*{note}*" if note else ""


def episode_card(cat: Catalogue, episode: Episode) -> Card:
    card = Card(title=f"Episode {episode.number} · {episode.title}", description=episode.note or "", footer=FOOTER)
    aired = []
    if episode.crave_date:
        aired.append(f"Crave (Canada): {format_date(episode.crave_date)}")
    if episode.us_date:
        aired.append(f"HBO Max (US): {format_date(episode.us_date)}")
    card.add("Aired", "\n".join(aired) or "unknown", inline=True)
    card.add("Length", f"{episode.length_min} min" if episode.length_min else "unknown", inline=True)
    cues = [f"**{t.label}**: {use_text(u)}" for t, u in cat.uses_in_episode(episode.number)]
    card.add("Score cues", "\n".join(cues) or "None recorded yet.")
    songs = [_song_in_episode(s) for s in cat.songs_in_episode(episode.number)]
    card.add("Licensed songs", "\n".join(songs) or "None recorded.")
    card.add("Sources", source_links(episode_sources(cat, episode)))
    return card


def episode_sources(cat: Catalogue, episode: Episode) -> list[Source]:
    """Every page behind the episode card."""
    sources = [*episode.sources, *(s for t, u in cat.uses_in_episode(episode.number) for s in u.sources)]
    return sources + [s for song in cat.songs_in_episode(episode.number) for s in song.sources]


def _song_in_episode(song: Song) -> str:
    line = f"**{song.label}**"
    episodes = song.episodes
    if episodes.confidence is Confidence.INFERRED and episodes.value and len(episodes.value) > 1:
        line += f" (episode {' or '.join(map(str, episodes.value))}, inferred)"
    if song.scene:
        line += f": {spoiler(song.scene)}"
    return line


def song_card(cat: Catalogue, song: Song) -> Card:
    card = Card(title=song.label, description=song.note or "", footer=FOOTER)
    episodes = song.episodes
    if episodes.value:
        names = []
        for number in episodes.value:
            episode = cat.episode(number)
            names.append(f"{number} · {episode.title}" if episode else str(number))
        joiner = " or " if episodes.confidence is Confidence.INFERRED else "\n"
        text = joiner.join(names)
        if episodes.confidence is Confidence.INFERRED:
            text += f"\n*Inferred: {episodes.note}*" if episodes.note else "\n*Inferred.*"
        card.add("Episode", text)
    else:
        card.add("Episode", "unknown")
    card.add("Scene", spoiler(song.scene) if song.scene else "unknown")
    card.add("Confidence", confidence_note(song.confidence).capitalize())
    card.add("Sources", source_links(song_sources(song)))
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
        return cat.album.display_title, album_sources(cat)
    if kind == "track" and (track := cat.track(key)) is not None:
        return track.label, track_sources(cat, track)
    if kind == "episode" and key.isdigit() and (episode := cat.episode(int(key))) is not None:
        return f"Episode {episode.number} · {episode.title}", episode_sources(cat, episode)
    if kind == "song" and (song := cat.song(key)) is not None:
        return song.label, song_sources(song)
    return None


def sources_card(title: str, sources: Sequence[Source]) -> Card:
    """Every page behind a card, labelled (mirror, AI press summary, fan blog), for whoever asks."""
    return Card(
        title=f"Sources · {title}",
        description=source_list(sources),
        footer="A mirror is a copy of an article whose original is not stored; an AI press summary restates "
        "press coverage. Facts resting only on those are marked as from one source.",
    )


# --- about the bot ----------------------------------------------------------------------------------------


def about_card(cat: Catalogue, *, version: str, started_at: int, latency_ms: float | None, guild_count: int) -> Card:
    card = Card(
        title="Heated Rivalry soundtrack bot",
        description=(
            "Answers questions about the *Heated Rivalry* soundtrack, posts release-day reminders, "
            "and runs this server's favourite-track poll."
        ),
        footer=FOOTER,
    )
    card.add("Version", version, inline=True)
    card.add("Up since", discord_timestamp(started_at, "R"), inline=True)
    card.add("Gateway latency", f"{latency_ms:.0f} ms" if latency_ms is not None else "measuring…", inline=True)
    card.add("Servers", str(guild_count), inline=True)
    card.add("Catalogue", tracks_summary(cat))
    overlay = "bundled catalogue" + (" + the operator's overlay" if len(cat.files) > 1 else "")
    used = sorted({s.name for s in cat.sources.values()})
    card.add(
        "Where the facts come from",
        f"{overlay}; every fact names its sources ({len(cat.sources)} pages, e.g. "
        + ", ".join(used[:6])
        + "). Use `/soundtrack about` for the album card.",
    )
    return card
