"""A cue's buttons: ♥ (the member's track of the night) and Next (the host's), persistent `DynamicItem`s.

Each holds the party and the cue in its custom id (`hr:party:heart:<party>:<step>`), so a cue posted hours ago
still works after any number of restarts, and a second click on a Next that was already used (two moderators at
once) moves the party on only once. Their labels are written in the current language: the server's, under a cue.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.answer import Ack, reply
from bot.context import guild_id_of, is_moderator
from bot.errors import guarded
from bot.i18n import _

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot
    from cogs.party.posts import PartyPost
    from cogs.party.service import PartyService


def party_service(interaction: discord.Interaction[Any]) -> PartyService:
    """The bot's one party service, for components."""
    from cogs.party.service import PartyService

    bot: HeatedRivalryBot = interaction.client
    return bot.service(PartyService)


def post_view(party_id: int, post: PartyPost) -> discord.ui.View | None:
    """The buttons under a cue: ♥, and Next when the party waits for its host after it; None for other posts.

    The view holds only dynamic items, so discord.py keeps nothing per message (`ViewStore.add_view`)."""
    if post.heart is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(HeartButton(party_id, post.heart))
    if post.next is not None:
        view.add_item(NextButton(party_id, post.next))
    return view


class HeartButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:party:heart:(?P<party>[0-9]{1,18}):(?P<step>[0-9]{1,3})",
):
    """ "Track of the night": the member's one heart in this party goes to this cue's track (or is taken back)."""

    def __init__(self, party_id: int, step: int) -> None:
        self.party_id = party_id
        self.step = step
        super().__init__(
            discord.ui.Button(
                label=_("Track of the night"), emoji="♥", style=discord.ButtonStyle.secondary,
                custom_id=f"hr:party:heart:{party_id}:{step}",
            )
        )  # fmt: skip

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> HeartButton:
        return cls(int(match["party"]), int(match["step"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.heart, "party heart", ack=Ack.PRIVATE)

    async def heart(self, interaction: discord.Interaction[Any]) -> None:
        service = party_service(interaction)
        text = await service.heart(guild_id_of(interaction), self.party_id, self.step, interaction.user.id)
        await reply(interaction, text, ephemeral=True)


class NextButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:party:next:(?P<party>[0-9]{1,18}):(?P<step>[0-9]{1,3})",
):
    """The host (or a moderator, who takes over) moves the party on from this cue; anyone else is refused privately."""

    def __init__(self, party_id: int, step: int) -> None:
        self.party_id = party_id
        self.step = step
        super().__init__(
            discord.ui.Button(
                label=_("Next"), emoji="⏭️", style=discord.ButtonStyle.primary,
                custom_id=f"hr:party:next:{party_id}:{step}",
            )
        )  # fmt: skip

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NextButton:
        return cls(int(match["party"]), int(match["step"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.next, "party next", ack=Ack.PRIVATE)

    async def next(self, interaction: discord.Interaction[Any]) -> None:
        service = party_service(interaction)
        text = await service.next(
            guild_id_of(interaction), interaction.user.id, moderator=is_moderator(interaction),
            party_id=self.party_id, from_step=self.step,
        )  # fmt: skip
        await reply(interaction, text, ephemeral=True)


COMPONENTS = (HeartButton, NextButton)
