"""The tracklist's Previous / Next buttons, which keep working after restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.cards import tracklist_card, tracklist_page_count
from bot.catalogue import Catalogue
from bot.errors import guarded

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


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
        bot: HeatedRivalryBot = interaction.client
        catalogue = bot.catalogue
        if interaction.user.id == self.owner_id:
            embed, view = tracklist_message(catalogue, self.page, self.owner_id)
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            embed, view = tracklist_message(catalogue, self.page, interaction.user.id)
            if view is None:
                await interaction.response.send_message(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
