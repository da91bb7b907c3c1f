"""/soundtrack: the album card, the tracklist, one track, one episode, one licensed song.

Free text and autocomplete go through the bot's shared `SoundtrackFinder` (`bot.finder`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import instant, public, reply
from bot.cards import album_card, episode_card, song_card, track_card, tracklist_page_count
from bot.errors import UserError
from bot.i18n import _, ngettext
from cogs.soundtrack.components import SourcesButton, TracklistPageButton, sources_view, tracklist_message

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]


@app_commands.guild_only()
class Soundtrack(commands.GroupCog, group_name="soundtrack", group_description="The Heated Rivalry soundtrack"):
    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot
        self.finder = bot.finder
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(TracklistPageButton, SourcesButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(TracklistPageButton, SourcesButton)

    def today(self) -> dt.date:
        """The UTC calendar date on the bot's clock: whether a dated edition is out yet."""
        return dt.datetime.fromtimestamp(self.bot.clock.now(), dt.UTC).date()

    @instant
    @public
    @app_commands.command(name="about", description="The album: composer, label, release, formats, where to listen")
    async def about(self, interaction: Interaction) -> None:
        card = album_card(self.bot.catalogue, self.today())
        await reply(interaction, embed=card.build(), view=sources_view("album"))

    @instant
    @public
    @app_commands.command(name="tracks", description="The tracklist, as far as it is known")
    @app_commands.describe(page="Which page of the tracklist to show (default 1)")
    async def tracks(self, interaction: Interaction, page: int | None = None) -> None:
        catalogue = self.bot.catalogue
        pages = tracklist_page_count(catalogue)
        if page is not None and not 1 <= page <= pages:
            raise UserError(
                _("There is no page {page}: the tracklist has only one page. Leave `page` out.", page=page)
                if pages == 1
                else ngettext(
                    "There is no page {page}: the tracklist has {n} page. Use `page` from 1 to {n}, or leave it out.",
                    "There is no page {page}: the tracklist has {n} pages. Use `page` from 1 to {n}, or leave it out.",
                    pages,
                    page=page,
                )
            )
        current = page or 1
        embed, view = tracklist_message(catalogue, current, interaction.user.id)
        await reply(interaction, embed=embed, view=view)

    @instant
    @public
    @app_commands.command(name="track", description="One track: position, duration, single, where it is heard")
    @app_commands.describe(track="Start typing a title or a track number")
    async def track(self, interaction: Interaction, track: app_commands.Range[str, 1, 100]) -> None:
        found = self.finder.resolve_track(track)
        card = track_card(self.bot.catalogue, found)
        await reply(interaction, embed=card.build(), view=sources_view("track", found.id))

    @track.autocomplete("track")
    async def track_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.finder.track_choices(current)

    @instant
    @public
    @app_commands.command(name="episode", description="One episode: air date, score cues and licensed songs")
    @app_commands.describe(number="The episode number")
    async def episode(self, interaction: Interaction, number: int) -> None:
        catalogue = self.bot.catalogue
        found = catalogue.episode(number)
        if found is None:
            numbers = [e.number for e in catalogue.episodes]
            raise UserError(no_episode(number, numbers))
        card = episode_card(catalogue, found)
        await reply(interaction, embed=card.build(), view=sources_view("episode", str(number)))

    @episode.autocomplete("number")
    async def episode_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        return self.finder.episode_choices(current)

    @instant
    @public
    @app_commands.command(name="song", description="A licensed song from the series: artist, episode, scene")
    @app_commands.describe(query="Start typing an artist or a song title")
    async def song(self, interaction: Interaction, query: app_commands.Range[str, 1, 100]) -> None:
        found = self.finder.resolve_song(query)
        card = song_card(self.bot.catalogue, found)
        await reply(interaction, embed=card.build(), view=sources_view("song", found.id))

    @song.autocomplete("query")
    async def song_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.finder.song_choices(current)


def no_episode(number: int, numbers: list[int]) -> str:
    """Why there is no episode `number`, and which numbers there are (one alone is not a range)."""
    if not numbers:
        return _("No episodes are in the catalogue yet.")
    if len(numbers) == 1:
        return _("There is no episode {number}: the catalogue has only episode {only}.", number=number, only=numbers[0])
    return _(
        "There is no episode {number}. Choose `number` from {first} to {last}.",
        number=number,
        first=min(numbers),
        last=max(numbers),
    )
