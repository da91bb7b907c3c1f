"""Autocomplete choices and free-text resolution over the catalogue, shared by every feature that names tracks.

`/soundtrack` and `/poll` both let a member type a track; they resolve it the same way, through the one
`SoundtrackFinder` the bot builds at start-up (`bot.finder`).
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.cards import coverage, song_label
from bot.catalogue import Catalogue, Song, Track
from bot.errors import UserError
from bot.i18n import _, ngettext
from bot.markup import quote
from bot.search import Index, truncate, typed_number


class SoundtrackFinder:
    """Autocomplete choices and free-text resolution over the catalogue; no Discord I/O."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.tracks = Index(
            catalogue.tracks_in_order(),
            key=lambda t: t.title,
            number=lambda t: t.number.value,
            ident=lambda t: t.id,
            name=lambda t: t.label,
        )
        self.songs = Index(
            catalogue.songs,
            key=lambda s: s.label,
            aliases=lambda s: [s.artist, s.title or ""],
            ident=lambda s: s.id,
            name=song_label,  # shown in the reader's language: "Feist (song title unknown)"
        )
        self.episodes = Index(catalogue.episodes, key=lambda e: e.title, number=lambda e: e.number)

    def track_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=value) for name, value in self.tracks.choices(current)]

    def song_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=value) for name, value in self.songs.choices(current)]

    def episode_choices(self, current: str) -> list[app_commands.Choice[int]]:
        return [
            app_commands.Choice(name=truncate(f"{m.item.number} · {m.item.title}"), value=m.item.number)
            for m in self.episodes.search(current)
        ]

    def resolve_track(self, text: str) -> Track:
        """The track `text` names (an id, a choice's name, a number like "5", "#5" or "track 5", or a title
        as typed, typos allowed); `UserError` with suggestions when it is unclear.

        A number is told apart: a position on the album whose title is not confirmed yet is a track that exists,
        unlike a number past the album's end or a title that matches nothing."""
        found = self.tracks.resolve(text)
        if found is not None:
            return found
        number, total = typed_number(text), self.catalogue.track_total
        if number is not None and total is not None:
            if 1 <= number <= total:
                raise UserError(
                    _(
                        "Track {number} is on the album, but which title it has is not confirmed yet ({coverage}). "
                        "`/soundtrack tracks` shows every position, with what is known.",
                        number=number,
                        coverage=coverage(self.catalogue),
                    )
                )
            raise UserError(
                ngettext(
                    "There is no track {number}: the album has {n} track.",
                    "There is no track {number}: the album has {n} tracks.",
                    total,
                    number=number,
                )
            )
        found_none = _("No track matches {typed}.", typed=quote(text))
        hint = _("`/soundtrack tracks` lists them all")
        raise UserError(_no_match(found_none, [t.label for t in self.tracks.suggestions(text)], hint))

    def resolve_song(self, text: str) -> Song:
        """The licensed song `text` names (an id, a choice's name, an artist or title as typed)."""
        found = self.songs.resolve(text)
        if found is None:
            found_none = _("No licensed song matches {typed}.", typed=quote(text))
            hint = _("`/soundtrack episode` lists the songs of each episode")
            raise UserError(_no_match(found_none, [song_label(s) for s in self.songs.suggestions(text)], hint))
        return found


def _no_match(no_match: str, suggestions: list[str], hint: str) -> str:
    """`no_match` (a translated sentence), the closest names if any, and how to pick: one message per case, so a
    language joins and orders the sentences its own way."""
    if suggestions:
        names = ", ".join(f"**{discord.utils.escape_markdown(s)}**" for s in suggestions)
        # Translators: {no_match} is a whole sentence, already translated, like "No track matches 'rivlary'."
        return _(
            "{no_match} Did you mean: {names}? Pick one from the list that appears as you type; {hint}.",
            no_match=no_match,
            names=names,
            hint=hint,
        )
    # Translators: {no_match} is a whole sentence, already translated, like "No track matches 'rivlary'."
    return _("{no_match} Pick one from the list that appears as you type; {hint}.", no_match=no_match, hint=hint)
