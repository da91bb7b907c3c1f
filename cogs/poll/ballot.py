"""The ballot message and its components: menus, rank buttons, "My vote", "Results", and the reset confirmation.

Every component's state is in its custom id (`hr:poll:...`), so a ballot posted months ago still works
after any number of restarts; each reaches the poll service through `poll_service(interaction)`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.answer import Ack, reply, update
from bot.catalogue import Track
from bot.context import guild_id_of, is_moderator
from bot.embeds import Card
from bot.errors import UserError, guarded
from bot.i18n import _, ngettext, server_language, using
from bot.search import truncate
from cogs.poll.rules import CLOSED_MESSAGE, LEFT_CATALOGUE, BallotMode, place_pick
from cogs.poll.service import poll_service, refusals

MENU_SIZE = 25  # Discord: options in one select menu
MAX_MENUS = 4  # Discord: five action rows per message, and the buttons take one


def ballot_message(candidates: Sequence[Track]) -> tuple[discord.Embed, discord.ui.View]:
    """The public ballot: candidates spread evenly over up to four menus, then "My vote" and "Results".

    In the current language: the caller chooses the server's (`bot.i18n.server_language`), as for any public post.
    """
    if not candidates:
        raise UserError(_("The catalogue has no tracks yet, so there is nothing to vote for."))
    listed = candidates[: MENU_SIZE * MAX_MENUS]
    menus = math.ceil(len(listed) / MENU_SIZE)
    size = math.ceil(len(listed) / menus)
    view = discord.ui.View(timeout=None)
    for part in range(menus):
        chunk = listed[part * size : (part + 1) * size]
        options = [discord.SelectOption(label=truncate(t.label), value=t.id) for t in chunk]
        view.add_item(PickMenu(part, options, _menu_placeholder(chunk, part, menus)))
    view.add_item(MyVoteButton())
    view.add_item(ResultsButton())
    unlisted = len(candidates) - len(listed)
    description = ngettext(
        "Choose your favourite track from the menu below. In a top-3 poll you then say whether it is your #1, #2 or "
        "#3 (scored 3-2-1).",
        "Choose your favourite track from the menus below. In a top-3 poll you then say whether it is your #1, #2 "
        "or #3 (scored 3-2-1).",
        menus,
    )
    description += "\n\n" + _(
        "Your vote is private and you can change it while voting is open: **My vote** shows your ballot, "
        "**Results** the standings. `/poll vote` works too."
    )
    if unlisted:
        description += "\n\n" + ngettext(
            "{n} more track doesn't fit in menus: vote for it with `/poll vote`.",
            "{n} more tracks don't fit in menus: vote for them with `/poll vote`.",
            unlisted,
        )
    return Card(title=_("Favourite Heated Rivalry track"), description=description).build(), view


def _menu_placeholder(chunk: Sequence[Track], part: int, menus: int) -> str:
    if menus == 1:
        return _("Choose your favourite track")
    first, last = chunk[0].number.value, chunk[-1].number.value
    if first is not None and last is not None:
        return _("Tracks {first}–{last}", first=first, last=last)
    return _("More tracks ({part} of {menus})", part=part + 1, menus=menus)


class PickMenu(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"hr:poll:pick:(?P<part>[0-9])",
):
    """One of the ballot's menus; picking a track votes (single mode) or asks for its rank (top-3 mode)."""

    def __init__(self, part: int, options: list[discord.SelectOption], placeholder: str | None) -> None:
        self.part = part
        super().__init__(discord.ui.Select(custom_id=f"hr:poll:pick:{part}", options=options, placeholder=placeholder))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickMenu:
        options = item.options if isinstance(item, discord.ui.Select) else []
        placeholder = item.placeholder if isinstance(item, discord.ui.Select) else None
        return cls(int(match["part"]), options, placeholder)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.pick, "poll pick", ack=Ack.NONE)

    async def pick(self, interaction: discord.Interaction[Any]) -> None:
        """Answer by refreshing the ballot (today's tracks, and the menu no longer holds the member's pick, so
        the same track can be picked again later), then vote or ask for the rank privately."""
        desk = poll_service(interaction)
        guild_id = guild_id_of(interaction)
        with using(server_language(interaction)):  # the ballot is public: the server's language
            embed, view = ballot_message(desk.catalogue.tracks_in_order())
        await update(interaction, embed=embed, view=view)
        if not self.item.values:
            raise UserError(_("Choose a track in the menu to vote for it."))
        track_id = self.item.values[0]
        if desk.catalogue.track(track_id) is None:
            raise UserError(_(LEFT_CATALOGUE))
        state = await desk.store.state(guild_id)
        if not state.is_open:  # say so now, not after the member has chosen a rank
            raise UserError(_(CLOSED_MESSAGE))
        if state.mode is BallotMode.SINGLE:
            text = await desk.vote(guild_id, interaction.user.id, lambda _current: (track_id,))
            await reply(interaction, text, ephemeral=True)
            return
        ranks = discord.ui.View(timeout=None)
        for rank in range(1, len(state.mode.weights) + 1):
            ranks.add_item(RankButton(state.round_id, rank, track_id))
        question = _("Where does **{track}** go on your top 3?", track=desk.label(track_id))
        await reply(interaction, question, view=ranks, ephemeral=True)


class RankButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:poll:rank:(?P<round>[0-9]{1,9}):(?P<rank>[1-3]):(?P<track>[a-z0-9][a-z0-9-]{0,62})",
):
    """Top-3 mode: put the picked track at this rank of the member's ballot (swapping if it is already on it)."""

    def __init__(self, round_id: int, rank: int, track_id: str) -> None:
        self.round_id = round_id
        self.rank = rank
        self.track_id = track_id
        points = BallotMode.TOP3.weights[rank - 1]
        super().__init__(
            discord.ui.Button(
                label=f"#{rank} ({ngettext('{n} pt', '{n} pts', points)})",
                style=discord.ButtonStyle.primary,
                custom_id=f"hr:poll:rank:{round_id}:{rank}:{track_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RankButton:
        return cls(int(match["round"]), int(match["rank"]), match["track"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.place, "poll place", ack=Ack.UPDATE)

    async def place(self, interaction: discord.Interaction[Any]) -> None:
        desk = poll_service(interaction)
        text = await desk.vote(
            guild_id_of(interaction),
            interaction.user.id,
            lambda current: place_pick(current, self.track_id, self.rank, len(BallotMode.TOP3.weights)),
            round_id=self.round_id,
        )
        moves = _("The buttons below move **{track}**.", track=desk.label(self.track_id))
        await update(interaction, content=f"{text}\n\n{moves}")


class MyVoteButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hr:poll:mine"):
    """Each member who clicks sees only their own ballot."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=_("My vote"), style=discord.ButtonStyle.secondary, custom_id="hr:poll:mine")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MyVoteButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.show, "poll show")

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        text = await poll_service(interaction).mine(guild_id_of(interaction), interaction.user.id)
        await reply(interaction, text)


class ResultsButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hr:poll:results"):
    """The standings, privately to whoever clicks; hidden results stay hidden unless they manage the server."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=_("Results"), style=discord.ButtonStyle.secondary, custom_id="hr:poll:results")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ResultsButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.show, "poll show")

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        desk = poll_service(interaction)
        shown = await desk.results(guild_id_of(interaction), None, moderator=is_moderator(interaction))
        await reply(interaction, embed=shown.embed, file=await shown.chart())  # as /poll results, privately


class ResetButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:poll:reset:(?P<round>[0-9]{1,9}):(?P<owner>[0-9]{1,20})",
):
    """The reset confirmation: only its invoker sees it, and Manage Server is checked again on the click."""

    def __init__(self, round_id: int, owner_id: int) -> None:
        self.round_id = round_id
        self.owner_id = owner_id
        super().__init__(
            discord.ui.Button(
                label=_("Start round {round}", round=round_id + 1),
                style=discord.ButtonStyle.danger,
                custom_id=f"hr:poll:reset:{round_id}:{owner_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ResetButton:
        return cls(int(match["round"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.confirm, "poll confirm", ack=Ack.UPDATE)

    async def confirm(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise UserError(_("Only the moderator who asked for this reset can confirm it."))
        if not is_moderator(interaction):
            raise UserError(_("You need the Manage Server permission to start a new round."))
        desk = poll_service(interaction)
        guild_id = guild_id_of(interaction)
        with refusals():
            ended = await desk.store.reset(guild_id, self.round_id)
        final = await desk.results(guild_id, ended.round_id, moderator=True)
        await update(
            interaction,
            content=ngettext(
                "Round {next} has started. Round {round} ended with {n} voter; its final standings are kept:",
                "Round {next} has started. Round {round} ended with {n} voters; its final standings are kept:",
                ended.voters or 0,
                next=ended.round_id + 1,
                round=ended.round_id,
            ),
            embed=final.embed,
            view=None,
        )


COMPONENTS = (PickMenu, RankButton, MyVoteButton, ResultsButton, ResetButton)
