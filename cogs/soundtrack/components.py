"""The tracklist's Previous / Next buttons, which keep working after restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.answer import Ack, reply, update
from bot.cards import card_sources, sources_card, tracklist_card, tracklist_page_count
from bot.catalogue import Catalogue
from bot.errors import UserError, guarded
from bot.i18n import _

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
                label=_("Previous") if direction == "prev" else _("Next"),
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
        await guarded(interaction, self.turn, "tracklist page button", ack=Ack.NONE)  # pure: answers at once

    async def turn(self, interaction: discord.Interaction[Any]) -> None:
        bot: HeatedRivalryBot = interaction.client
        catalogue = bot.catalogue
        if interaction.user.id == self.owner_id:
            embed, view = tracklist_message(catalogue, self.page, self.owner_id)
            await update(interaction, embed=embed, view=view)
        else:
            embed, view = tracklist_message(catalogue, self.page, interaction.user.id)
            await reply(interaction, embed=embed, view=view, ephemeral=True)


def sources_view(kind: str, key: str = "") -> discord.ui.View:
    """A **Sources** button under a card: the full, labelled list, privately to whoever clicks."""
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesButton(kind, key))
    return view


class SourcesButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:sources:(?P<kind>album|track|episode|song):(?P<key>[a-z0-9-]{0,63})",
):
    """Its card is named in the custom id, so it keeps working after restarts and catalogue changes."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(
            discord.ui.Button(
                label=_("Sources"), style=discord.ButtonStyle.secondary, custom_id=f"hr:sources:{kind}:{key}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SourcesButton:
        return cls(match["kind"], match["key"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.show, "sources button", ack=Ack.NONE)  # pure: answers at once

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: HeatedRivalryBot = interaction.client
        found = card_sources(bot.catalogue, self.kind, self.key)
        if found is None:
            raise UserError(_("That card's facts are no longer in the catalogue, so there are no sources to show."))
        title, sources = found
        await reply(interaction, embed=sources_card(title, sources).build(), ephemeral=True)
