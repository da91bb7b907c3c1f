"""/poll and /poll-admin: the favourite-track poll, by command and by a ballot message that survives restarts.

Commands stay thin: `PollDesk` does what commands and the ballot message's components share, and the
rules live in `bot.poll`. Every component's state is in its custom id (`hr:poll:...`), so a ballot
posted months ago still works after any number of restarts.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import Catalogue, Track
from bot.db.poll import Ballot, PollState, PollStore
from bot.embeds import Card
from bot.errors import UserError, guarded
from bot.markup import discord_timestamp
from bot.poll import (
    CLOSED_MESSAGE,
    PICK_OPTIONS,
    TIE_NOTE,
    Mode,
    PollRuleError,
    Standings,
    Visibility,
    compute_standings,
    place_pick,
    render_standings,
    standings_csv,
    summary_line,
    track_label,
    visible_to,
)
from bot.search import truncate
from cogs.soundtrack import SoundtrackFinder

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]

MENU_SIZE = 25  # Discord: options in one select menu
MAX_MENUS = 4  # Discord: five action rows per message, and the buttons take one
STANDINGS_LIMIT = 3800  # the standings' share of an embed description (4,096)
HIDDEN_MESSAGE = (
    "This server keeps the standings hidden until the poll closes, so everyone votes without knowing "
    "who leads. `/poll mine` shows your own ballot."
)
CHANGE_HINT = "Change it any time while voting is open, or remove it with `/poll withdraw`."


@contextmanager
def refusals() -> Iterator[None]:
    """The poll's rules speak in plain sentences; show them to the member like any other bad input."""
    try:
        yield
    except PollRuleError as error:
        raise UserError(str(error)) from error


def guild_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("The poll belongs to a server; use it there, not in direct messages.")
    return interaction.guild_id


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Components are not gated by Discord, so moderator powers are checked on each click."""
    return interaction.permissions.manage_guild


class PollDesk:
    """What the commands and the ballot message share: resolving tracks, voting, and the answers' text."""

    def __init__(self, store: PollStore, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue
        self.finder = SoundtrackFinder(catalogue)
        self.stored_titles: dict[str, str] = {}

    async def load(self) -> None:
        """Remember the titles of today's tracks, and read those of tracks that have left the catalogue."""
        self.stored_titles = await self.store.remember_titles((t.id, t.title) for t in self.catalogue.tracks)

    def resolve(self, option: str, text: str) -> str:
        try:
            return self.finder.resolve_track(text).id
        except UserError as error:
            raise UserError(f"`{option}`: {error}") from error

    def label(self, track_id: str) -> str:
        track = self.catalogue.track(track_id)
        if track is None:
            return track_label(self.stored_titles.get(track_id, track_id), None, in_catalogue=False)
        return track_label(track.title, track.number.value, in_catalogue=True)

    async def vote(
        self,
        guild_id: int,
        user_id: int,
        build: Callable[[tuple[str, ...]], Sequence[str | None]],
        *,
        round_id: int | None = None,
    ) -> str:
        with refusals():
            state, ballot = await self.store.vote(guild_id, user_id, build, round_id=round_id)
        return f"{self.ballot_text(state, ballot)}\n{CHANGE_HINT}"

    def ballot_text(self, state: PollState, ballot: Ballot) -> str:
        changed = f"(last changed {discord_timestamp(ballot.updated_at, 'R')})"
        if state.mode is Mode.SINGLE:
            return f"Your vote in round {ballot.round_id}: **{self.label(ballot.picks[0])}** {changed}."
        lines = [f"Your top 3 in round {ballot.round_id} {changed}:"]
        for rank, (pick, weight) in enumerate(zip(ballot.picks, state.mode.weights, strict=False), start=1):
            lines.append(f"**#{rank}** {self.label(pick)} ({weight} pt{'' if weight == 1 else 's'})")
        if len(ballot.picks) < len(state.mode.weights):
            lines.append("You can add more picks: each counts for points.")
        return "\n".join(lines)

    async def mine(self, guild_id: int, user_id: int) -> str:
        state = await self.store.state(guild_id)
        ballot = await self.store.ballot(guild_id, user_id)
        if ballot is None:
            return f"You haven't voted in round {state.round_id} yet: use `/poll vote` or the ballot message."
        return f"{self.ballot_text(state, ballot)}\n{CHANGE_HINT}"

    async def compute(self, guild_id: int, round_id: int, mode: Mode) -> Standings:
        return compute_standings(mode, await self.store.tallies(guild_id, round_id), self.catalogue)

    async def standings(self, guild_id: int, round_id: int | None, *, moderator: bool) -> tuple[discord.Embed, bool]:
        """The standings card, and whether it must be private (hidden results, shown to a moderator)."""
        state = await self.store.state(guild_id)
        number = state.round_id if round_id is None else round_id
        if number == state.round_id:
            if not visible_to(state.results, is_open=state.is_open, moderator=moderator):
                raise UserError(HIDDEN_MESSAGE)
            mode, final = state.mode, not state.is_open
            private = state.is_open and state.results is Visibility.HIDDEN
        else:
            past = await self.store.round(guild_id, number) if 1 <= number < state.round_id else None
            if past is None:
                raise UserError(
                    f"There is no round {number}: this server's poll is on round {state.round_id}. "
                    f"Use `round` from 1 to {state.round_id}, or leave it out for the current round."
                )
            mode, final, private = past.mode, True, False
        standings = await self.compute(guild_id, number, mode)
        card = Card(
            title=f"Favourite track · round {number} · {'final' if final else 'live'} standings",
            description=f"{summary_line(standings)}\n\n{render_standings(standings, STANDINGS_LIMIT)}",
            footer=TIE_NOTE + (" Hidden from members until the poll closes: only you can see this." if private else ""),
        )
        return card.build(), private


def settings_text(state: PollState) -> str:
    results = "shown live" if state.results is Visibility.LIVE else "hidden from members until the poll closes"
    return (
        f"Round **{state.round_id}** · voting **{'open' if state.is_open else 'closed'}** · "
        f"mode **{state.mode}** ({state.mode.description}) · results **{results}**."
    )


def desk_of(interaction: discord.Interaction[Any]) -> PollDesk:
    cog = interaction.client.get_cog(Poll.__cog_name__)
    if not isinstance(cog, Poll):
        raise RuntimeError("the poll cog is not loaded")
    return cog.desk


class Poll(commands.Cog):
    poll = app_commands.Group(name="poll", description="The server's favourite-track poll", guild_only=True)
    admin = app_commands.Group(
        name="poll-admin",
        description="Run the server's favourite-track poll",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot
        self.desk = PollDesk(PollStore(bot.db), bot.catalogue)

    async def cog_load(self) -> None:
        await self.desk.load()
        self.bot.add_dynamic_items(*COMPONENTS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*COMPONENTS)

    # -- members --

    @poll.command(name="vote", description="Vote for your favourite track, or change your vote")
    @app_commands.describe(
        track="Your favourite: start typing a title or a track number",
        second="Top-3 polls: your second favourite",
        third="Top-3 polls: your third favourite",
    )
    async def vote(
        self, interaction: Interaction, track: str, second: str | None = None, third: str | None = None
    ) -> None:
        picks = [
            None if text is None else self.desk.resolve(o, text)
            for o, text in zip(PICK_OPTIONS, (track, second, third), strict=True)
        ]
        text = await self.desk.vote(guild_of(interaction), interaction.user.id, lambda _current: picks)
        await interaction.response.send_message(text, ephemeral=True)

    @vote.autocomplete("track")
    @vote.autocomplete("second")
    @vote.autocomplete("third")
    async def pick_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.desk.finder.track_choices(current)

    @poll.command(name="mine", description="Your current ballot (only you see it)")
    async def mine(self, interaction: Interaction) -> None:
        text = await self.desk.mine(guild_of(interaction), interaction.user.id)
        await interaction.response.send_message(text, ephemeral=True)

    @poll.command(name="withdraw", description="Remove your ballot from the poll")
    async def withdraw(self, interaction: Interaction) -> None:
        removed = await self.desk.store.withdraw(guild_of(interaction), interaction.user.id)
        text = (
            "Your ballot is withdrawn and nothing of it is kept. You can vote again while voting is open."
            if removed
            else "You have no ballot in this server's poll, so there was nothing to withdraw."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @poll.command(name="results", description="The standings: every track with votes, with counts and points")
    @app_commands.rename(number="round")
    @app_commands.describe(number="An earlier round's final standings (default: the current round)")
    async def results(self, interaction: Interaction, number: app_commands.Range[int, 1] | None = None) -> None:
        embed, private = await self.desk.standings(guild_of(interaction), number, moderator=is_moderator(interaction))
        await interaction.response.send_message(embed=embed, ephemeral=private)

    # -- moderators --

    @admin.command(name="open", description="Open voting")
    async def open_voting(self, interaction: Interaction) -> None:
        with refusals():
            state = await self.desk.store.set_open(guild_of(interaction), True)
        await interaction.response.send_message(
            f"Voting is open for round {state.round_id} ({state.mode.description}): "
            "vote with `/poll vote` or from the ballot message."
        )

    @admin.command(name="close", description="Close voting and show the final standings")
    async def close_voting(self, interaction: Interaction) -> None:
        guild_id = guild_of(interaction)
        with refusals():
            state = await self.desk.store.set_open(guild_id, False)
        embed, _ = await self.desk.standings(guild_id, None, moderator=True)
        await interaction.response.send_message(f"Voting is closed for round {state.round_id}.", embed=embed)

    @admin.command(name="reset", description="Start a new round; the current round's results are kept")
    async def reset(self, interaction: Interaction) -> None:
        state = await self.desk.store.state(guild_of(interaction))
        view = discord.ui.View(timeout=None)
        view.add_item(ResetButton(state.round_id, interaction.user.id))
        await interaction.response.send_message(
            f"Start round {state.round_id + 1}? Round {state.round_id}'s final standings stay in history "
            "(`/poll results round:…`), its individual ballots are discarded, and members vote afresh. "
            "Dismiss this message to keep the current round.",
            view=view,
            ephemeral=True,
        )

    @admin.command(name="settings", description="Ballot mode and results visibility; no options shows them")
    @app_commands.describe(
        mode="single: one favourite each; top3: three picks scored 3-2-1",
        results="live: members see standings while voting; hidden: only after the poll closes",
    )
    @app_commands.choices(
        mode=[app_commands.Choice(name=m.value, value=m.value) for m in Mode],
        results=[app_commands.Choice(name=v.value, value=v.value) for v in Visibility],
    )
    async def settings(
        self,
        interaction: Interaction,
        mode: app_commands.Choice[str] | None = None,
        results: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        if mode is None and results is None:
            state = await self.desk.store.state(guild_id)
            await interaction.response.send_message(settings_text(state), ephemeral=True)
            return
        with refusals():
            state = await self.desk.store.configure(
                guild_id,
                mode=None if mode is None else Mode(mode.value),
                results=None if results is None else Visibility(results.value),
            )
        await interaction.response.send_message(f"Saved. {settings_text(state)}", ephemeral=True)

    @admin.command(name="post", description="Post a ballot message with menus and buttons in a channel")
    @app_commands.describe(channel="Where to post the ballot")
    async def post(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        mine = channel.permissions_for(channel.guild.me)
        needed = (
            ("View Channel", mine.view_channel),
            ("Send Messages", mine.send_messages),
            ("Embed Links", mine.embed_links),
        )
        missing = [name for name, granted in needed if not granted]
        if missing:
            raise UserError(f"I can't post the ballot in {channel.mention}: I need {', '.join(missing)} there.")
        embed, view = ballot_message(self.desk.catalogue.tracks_in_order())
        try:
            message = await channel.send(embed=embed, view=view)
        except discord.Forbidden as error:
            raise UserError(
                f"Discord refused my post in {channel.mention} ({error.text}). "
                "Check that I can view the channel, send messages and embed links there."
            ) from error
        await interaction.response.send_message(f"Ballot posted: {message.jump_url}", ephemeral=True)

    @admin.command(name="export", description="The standings as a CSV file (no member identities)")
    async def export(self, interaction: Interaction) -> None:
        guild_id = guild_of(interaction)
        state = await self.desk.store.state(guild_id)
        standings = await self.desk.compute(guild_id, state.round_id, state.mode)
        file = discord.File(
            io.BytesIO(standings_csv(standings).encode("utf-8")), filename=f"poll-round-{state.round_id}.csv"
        )
        await interaction.response.send_message(
            f"Standings of round {state.round_id}: {summary_line(standings)}.", file=file, ephemeral=True
        )


def ballot_message(candidates: Sequence[Track]) -> tuple[discord.Embed, discord.ui.View]:
    """The public ballot: candidates spread evenly over up to four menus, then "My vote" and "Results"."""
    if not candidates:
        raise UserError("The catalogue has no tracks yet, so there is nothing to vote for.")
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
    description = (
        f"Choose your favourite track from the menu{'s' if menus > 1 else ''} below. In a top-3 poll you then "
        "say whether it is your #1, #2 or #3 (scored 3-2-1).\n\nYour vote is private and you can change it "
        "while voting is open: **My vote** shows your ballot, **Results** the standings. `/poll vote` works too."
    )
    if unlisted:
        description += f"\n\n{unlisted} more tracks don't fit in menus: vote for them with `/poll vote`."
    return Card(title="Favourite Heated Rivalry track", description=description).build(), view


def _menu_placeholder(chunk: Sequence[Track], part: int, menus: int) -> str:
    if menus == 1:
        return "Choose your favourite track"
    first, last = chunk[0].number.value, chunk[-1].number.value
    return (
        f"Tracks {first}–{last}" if first is not None and last is not None else f"More tracks ({part + 1} of {menus})"
    )


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
        await guarded(interaction, self.pick(interaction), "poll pick")

    async def pick(self, interaction: discord.Interaction[Any]) -> None:
        desk = desk_of(interaction)
        guild_id = guild_of(interaction)
        track_id = self.item.values[0]
        if desk.catalogue.track(track_id) is None:
            raise UserError("That track has left the catalogue since this ballot was posted; pick another one.")
        state = await desk.store.state(guild_id)
        if not state.is_open:  # say so now, not after the member has chosen a rank
            raise UserError(CLOSED_MESSAGE)
        if state.mode is Mode.SINGLE:
            text = await desk.vote(guild_id, interaction.user.id, lambda _current: (track_id,))
            await interaction.response.send_message(text, ephemeral=True)
            return
        view = discord.ui.View(timeout=None)
        for rank in range(1, len(state.mode.weights) + 1):
            view.add_item(RankButton(state.round_id, rank, track_id))
        await interaction.response.send_message(
            f"Where does **{desk.label(track_id)}** go on your top 3?", view=view, ephemeral=True
        )


class RankButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"hr:poll:rank:(?P<round>[0-9]{1,9}):(?P<rank>[1-3]):(?P<track>[a-z0-9][a-z0-9-]{0,62})",
):
    """Top-3 mode: put the picked track at this rank of the member's ballot (swapping if it is already on it)."""

    def __init__(self, round_id: int, rank: int, track_id: str) -> None:
        self.round_id = round_id
        self.rank = rank
        self.track_id = track_id
        points = Mode.TOP3.weights[rank - 1]
        super().__init__(
            discord.ui.Button(
                label=f"#{rank} ({points} pt{'' if points == 1 else 's'})",
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
        await guarded(interaction, self.place(interaction), "poll place")

    async def place(self, interaction: discord.Interaction[Any]) -> None:
        desk = desk_of(interaction)
        text = await desk.vote(
            guild_of(interaction),
            interaction.user.id,
            lambda current: place_pick(current, self.track_id, self.rank, len(Mode.TOP3.weights)),
            round_id=self.round_id,
        )
        await interaction.response.edit_message(
            content=f"{text}\n\nThe buttons below move **{desk.label(self.track_id)}**."
        )


class MyVoteButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hr:poll:mine"):
    """Each member who clicks sees only their own ballot."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="My vote", style=discord.ButtonStyle.secondary, custom_id="hr:poll:mine")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MyVoteButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.show(interaction), "poll show")

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        text = await desk_of(interaction).mine(guild_of(interaction), interaction.user.id)
        await interaction.response.send_message(text, ephemeral=True)


class ResultsButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hr:poll:results"):
    """The standings, privately to whoever clicks; hidden results stay hidden unless they manage the server."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Results", style=discord.ButtonStyle.secondary, custom_id="hr:poll:results")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ResultsButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.show(interaction), "poll show")

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        desk = desk_of(interaction)
        embed, _ = await desk.standings(guild_of(interaction), None, moderator=is_moderator(interaction))
        await interaction.response.send_message(embed=embed, ephemeral=True)


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
                label=f"Start round {round_id + 1}",
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
        await guarded(interaction, self.confirm(interaction), "poll confirm")

    async def confirm(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise UserError("Only the moderator who asked for this reset can confirm it.")
        if not is_moderator(interaction):
            raise UserError("You need the Manage Server permission to start a new round.")
        desk = desk_of(interaction)
        guild_id = guild_of(interaction)
        with refusals():
            ended = await desk.store.reset(guild_id, self.round_id)
        embed, _ = await desk.standings(guild_id, ended.round_id, moderator=True)
        await interaction.response.edit_message(
            content=f"Round {ended.round_id + 1} has started. Round {ended.round_id} ended with {ended.voters} "
            f"voter{'' if ended.voters == 1 else 's'}; its final standings are kept:",
            embed=embed,
            view=None,
        )


COMPONENTS = (PickMenu, RankButton, MyVoteButton, ResultsButton, ResetButton)


async def setup(bot: HeatedRivalryBot) -> None:
    await bot.add_cog(Poll(bot))
