"""/soundtrack: the album card, the tracklist, one track, one episode, one licensed song."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cards import album_card, episode_card, song_card, track_card, tracklist_card, tracklist_page_count
from bot.catalogue import Catalogue, Song, Track
from bot.errors import UserError, guarded
from bot.search import Index, fold, truncate

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]


@app_commands.guild_only()
class Soundtrack(commands.GroupCog, group_name="soundtrack", group_description="The Heated Rivalry soundtrack"):
    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot
        self.finder = SoundtrackFinder(bot.catalogue)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(TracklistPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(TracklistPageButton)

    @app_commands.command(name="about", description="The album: composer, label, release, formats, where to listen")
    async def about(self, interaction: Interaction) -> None:
        await interaction.response.send_message(embed=album_card(self.bot.catalogue).build())

    @app_commands.command(name="tracks", description="The tracklist, as far as it is known")
    @app_commands.describe(page="Which page of the tracklist to show (default 1)")
    async def tracks(self, interaction: Interaction, page: int | None = None) -> None:
        catalogue = self.bot.catalogue
        pages = tracklist_page_count(catalogue)
        if page is not None and not 1 <= page <= pages:
            raise UserError(
                f"There is no page {page}: the tracklist has {pages} page{'s' if pages > 1 else ''}. "
                f"Use `page` from 1 to {pages}, or leave it out."
            )
        current = page or 1
        embed, view = tracklist_message(catalogue, current, interaction.user.id)
        if view is None:
            await interaction.response.send_message(embed=embed)
        else:
            await interaction.response.send_message(embed=embed, view=view)

    @app_commands.command(name="track", description="One track: position, duration, single, where it is heard")
    @app_commands.describe(track="Start typing a title or a track number")
    async def track(self, interaction: Interaction, track: str) -> None:
        found = self.finder.resolve_track(track)
        await interaction.response.send_message(embed=track_card(self.bot.catalogue, found).build())

    @track.autocomplete("track")
    async def track_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.finder.track_choices(current)

    @app_commands.command(name="episode", description="One episode: air date, score cues and licensed songs")
    @app_commands.describe(number="The episode number")
    async def episode(self, interaction: Interaction, number: int) -> None:
        catalogue = self.bot.catalogue
        found = catalogue.episode(number)
        if found is None:
            numbers = [e.number for e in catalogue.episodes]
            raise UserError(
                f"There is no episode {number}. Choose `number` from {min(numbers)} to {max(numbers)}."
                if numbers
                else "No episodes are in the catalogue yet."
            )
        await interaction.response.send_message(embed=episode_card(catalogue, found).build())

    @episode.autocomplete("number")
    async def episode_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        return self.finder.episode_choices(current)

    @app_commands.command(name="song", description="A licensed song from the series: artist, episode, scene")
    @app_commands.describe(query="Start typing an artist or a song title")
    async def song(self, interaction: Interaction, query: str) -> None:
        found = self.finder.resolve_song(query)
        await interaction.response.send_message(embed=song_card(self.bot.catalogue, found).build())

    @song.autocomplete("query")
    async def song_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.finder.song_choices(current)


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


def tracklist_message(catalogue: Catalogue, page: int, owner_id: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """The embed for `page` and, when there is more than one page, Previous/Next buttons that survive restarts."""
    pages = tracklist_page_count(catalogue)
    page = min(max(page, 1), pages)
    embed = tracklist_card(catalogue, page).build()
    if pages == 1:
        return embed, None
    view = discord.ui.View(timeout=None)
    view.add_item(TracklistPageButton(page - 1, "prev", owner_id, disabled=page == 1))
    view.add_item(TracklistPageButton(page + 1, "next", owner_id, disabled=page == pages))
    return embed, view


class TracklistPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:tracks:(?P<page>[0-9]{1,4}):(?P<direction>prev|next):(?P<owner>[0-9]{1,20})",
):
    """Its whole state is in the custom id, so it keeps working after the bot restarts.

    The member who asked turns the page in place; anyone else gets their own private copy, so one
    person's browsing never changes what the channel sees.
    """

    def __init__(self, page: int, direction: str, owner_id: int, *, disabled: bool = False) -> None:
        self.page = page
        self.direction = direction
        self.owner_id = owner_id
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"hr:tracks:{max(page, 0)}:{direction}:{owner_id}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TracklistPageButton:
        return cls(int(match["page"]), match["direction"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.turn(interaction), "tracklist page button")

    async def turn(self, interaction: discord.Interaction[Any]) -> None:
        catalogue: Catalogue = interaction.client.catalogue
        if interaction.user.id == self.owner_id:
            embed, view = tracklist_message(catalogue, self.page, self.owner_id)
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            embed, view = tracklist_message(catalogue, self.page, interaction.user.id)
            if view is None:
                await interaction.response.send_message(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: HeatedRivalryBot) -> None:
    await bot.add_cog(Soundtrack(bot))
