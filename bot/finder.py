"""Autocomplete choices and free-text resolution over the catalogue, shared by every feature that names tracks.

`/soundtrack` and `/poll` both let a member type a track; they resolve it the same way, through the one
`SoundtrackFinder` the bot builds at start-up (`bot.finder`).
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.catalogue import Catalogue, Song, Track
from bot.errors import UserError
from bot.search import Index, fold, truncate


class SoundtrackFinder:
    """Autocomplete choices and free-text resolution over the catalogue; no Discord I/O."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.tracks = Index(catalogue.tracks_in_order(), key=lambda t: t.title, number=lambda t: t.number.value)
        self.songs = Index(catalogue.songs, key=lambda s: s.label, aliases=lambda s: [s.artist, s.title or ""])
        self.episodes = Index(catalogue.episodes, key=lambda e: e.title, number=lambda e: e.number)

    def track_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=truncate(m.item.label), value=m.item.id) for m in self.tracks.search(current)]

    def song_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=truncate(m.item.label), value=m.item.id) for m in self.songs.search(current)]

    def episode_choices(self, current: str) -> list[app_commands.Choice[int]]:
        return [
            app_commands.Choice(name=truncate(f"{m.item.number} · {m.item.title}"), value=m.item.number)
            for m in self.episodes.search(current)
        ]

    def resolve_track(self, text: str) -> Track:
        folded = fold(text)
        found = self.tracks.resolve(text, exact=lambda t: t.id == text or fold(t.title) == folded)
        if found is None:
            raise UserError(_no_match("track", text, [t.label for t in self.tracks.suggestions(text)],
                                      "`/soundtrack tracks` lists them all"))  # fmt: skip
        return found

    def resolve_song(self, text: str) -> Song:
        folded = fold(text)
        found = self.songs.resolve(text, exact=lambda s: s.id == text or fold(s.label) == folded)
        if found is None:
            raise UserError(_no_match("licensed song", text, [s.label for s in self.songs.suggestions(text)],
                                      "`/soundtrack episode` lists the songs of each episode"))  # fmt: skip
        return found


def _no_match(kind: str, text: str, suggestions: list[str], hint: str) -> str:
    shown = discord.utils.escape_markdown(truncate(text.strip(), 80))
    message = f"No {kind} matches '{shown}'."
    if suggestions:
        message += " Did you mean: " + ", ".join(f"**{discord.utils.escape_markdown(s)}**" for s in suggestions) + "?"
    return f"{message} Pick one from the list that appears as you type; {hint}."
