"""/poll and /poll-admin: the favourite-track poll's slash commands.

Thin: the rules are in `rules.py`, what commands and components share in `service.py`, the SQL in
`store.py`, and the ballot message with its components in `ballot.py`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import public, reply, screened
from bot.context import guild_id_of, is_moderator
from bot.errors import UserError
from bot.i18n import _, current, server_language, using
from cogs.poll.ballot import COMPONENTS, ResetButton, ballot_message
from cogs.poll.rules import (
    PICK_OPTIONS,
    BallotMode,
    Visibility,
    check_voting_change,
    standings_csv,
    summary_line,
)
from cogs.poll.service import PollService, refusals, settings_text

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]


class Poll(commands.Cog):
    poll = app_commands.Group(name="poll", description="The server's favourite-track poll", guild_only=True)
    admin = app_commands.Group(
        name="poll-admin",
        description="Run the server's favourite-track poll",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: HeatedRivalryBot, service: PollService) -> None:
        self.bot = bot
        self.desk = service

    async def cog_load(self) -> None:
        await self.desk.load()
        self.bot.add_dynamic_items(*COMPONENTS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*COMPONENTS)

    async def server_ids(self) -> set[int]:
        """The servers with poll data (`bot.bot.ServerData`)."""
        return await self.desk.store.server_ids()

    async def forget_server(self, guild_id: int) -> None:
        await self.desk.store.forget_server(guild_id)

    # -- before acknowledging (`bot.answer.screened`): refusals the state in memory already knows --

    def screen_results(self, interaction: Interaction) -> bool | None:
        number: int | None = interaction.namespace.round
        return self.desk.screen_results(guild_id_of(interaction), number, moderator=is_moderator(interaction))

    def screen_voting(self, interaction: Interaction, *, opening: bool) -> None:
        state = self.desk.store.peek(guild_id_of(interaction))
        if state is not None:
            with refusals():
                check_voting_change(state.is_open, opening=opening)

    # -- members --

    @poll.command(name="vote", description="Vote for your favourite track, or change your vote")
    @app_commands.describe(
        track="Your favourite: start typing a title or a track number",
        second="Top-3 polls: your second favourite",
        third="Top-3 polls: your third favourite",
    )
    async def vote(
        self,
        interaction: Interaction,
        track: app_commands.Range[str, 1, 100],
        second: app_commands.Range[str, 1, 100] | None = None,
        third: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        picks = [
            None if text is None else self.desk.resolve(o, text)
            for o, text in zip(PICK_OPTIONS, (track, second, third), strict=True)
        ]
        text = await self.desk.vote(guild_id_of(interaction), interaction.user.id, lambda _current: picks)
        await reply(interaction, text)

    @vote.autocomplete("track")
    @vote.autocomplete("second")
    @vote.autocomplete("third")
    async def pick_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.desk.finder.track_choices(current)

    @poll.command(name="mine", description="Your current ballot (only you see it)")
    async def mine(self, interaction: Interaction) -> None:
        text = await self.desk.mine(guild_id_of(interaction), interaction.user.id)
        await reply(interaction, text)

    @poll.command(name="withdraw", description="Remove your ballot from the poll")
    async def withdraw(self, interaction: Interaction) -> None:
        removed = await self.desk.store.withdraw(guild_id_of(interaction), interaction.user.id)
        text = (
            _("Your ballot is withdrawn and nothing of it is kept. You can vote again while voting is open.")
            if removed
            else _("You have no ballot in this server's poll, so there was nothing to withdraw.")
        )
        await reply(interaction, text)

    @screened(lambda cog, interaction: cog.screen_results(interaction))
    @public
    @poll.command(name="results", description="The standings: every track with votes, with counts and points")
    @app_commands.rename(number="round")
    @app_commands.describe(number="An earlier round's final standings (default: the current round)")
    async def results(self, interaction: Interaction, number: app_commands.Range[int, 1] | None = None) -> None:
        shown = await self.desk.results(guild_id_of(interaction), number, moderator=is_moderator(interaction))
        await reply(interaction, embed=shown.embed, file=await shown.chart(), ephemeral=shown.private)

    # -- moderators --

    @screened(lambda cog, interaction: cog.screen_voting(interaction, opening=True))
    @public
    @admin.command(name="open", description="Open voting")
    async def open_voting(self, interaction: Interaction) -> None:
        with refusals():
            state = await self.desk.store.set_open(guild_id_of(interaction), True)
        with using(server_language(interaction)):  # an announcement to the channel: the server's language
            announcement = _(
                "Voting is open for round {round} ({mode}): vote with `/poll vote` or from the ballot message.",
                round=state.round_id,
                mode=state.mode.description,
            )
        await reply(interaction, announcement)

    @screened(lambda cog, interaction: cog.screen_voting(interaction, opening=False))
    @public
    @admin.command(name="close", description="Close voting and show the final standings")
    async def close_voting(self, interaction: Interaction) -> None:
        guild_id = guild_id_of(interaction)
        with refusals():
            state = await self.desk.store.set_open(guild_id, False)
        with using(server_language(interaction)):  # the close summary is for the channel: the server's language
            shown = await self.desk.results(guild_id, None, moderator=True)
            chart = await shown.chart()
            closed = _("Voting is closed for round {round}.", round=state.round_id)
        await reply(interaction, closed, embed=shown.embed, file=chart)

    @admin.command(name="reset", description="Start a new round; the current round's results are kept")
    async def reset(self, interaction: Interaction) -> None:
        state = await self.desk.store.state(guild_id_of(interaction))
        view = discord.ui.View(timeout=None)
        view.add_item(ResetButton(state.round_id, interaction.user.id))
        await reply(
            interaction,
            _(
                "Start round {next}? Round {round}'s final standings stay in history (`/poll results round:…`), its "
                "individual ballots are discarded, and members vote afresh. Dismiss this message to keep the current "
                "round.",
                next=state.round_id + 1,
                round=state.round_id,
            ),
            view=view,
        )

    @admin.command(name="settings", description="Ballot mode and results visibility; no options shows them")
    @app_commands.describe(
        mode="single: one favourite each; top3: three picks scored 3-2-1",
        results="live: members see standings while voting; hidden: only after the poll closes",
    )
    @app_commands.choices(
        mode=[app_commands.Choice(name=m.value, value=m.value) for m in BallotMode],
        results=[app_commands.Choice(name=v.value, value=v.value) for v in Visibility],
    )
    async def settings(
        self,
        interaction: Interaction,
        mode: app_commands.Choice[str] | None = None,
        results: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        if mode is None and results is None:
            state = await self.desk.store.state(guild_id)
            await reply(interaction, settings_text(state))
            return
        with refusals():
            state = await self.desk.store.configure(
                guild_id,
                mode=None if mode is None else BallotMode(mode.value),
                results=None if results is None else Visibility(results.value),
            )
        await reply(interaction, _("Saved. {settings}", settings=settings_text(state)))

    @admin.command(name="post", description="Post a ballot message with menus and buttons in a channel")
    @app_commands.describe(channel="Where to post the ballot")
    async def post(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        mine = channel.permissions_for(channel.guild.me)
        needed = (
            (_("View Channel"), mine.view_channel),
            (_("Send Messages"), mine.send_messages),
            (_("Embed Links"), mine.embed_links),
        )
        missing = [name for name, granted in needed if not granted]
        if missing:
            raise UserError(
                _(
                    "I can't post the ballot in {channel}: I need {permissions} there.",
                    channel=channel.mention,
                    permissions=current().join(missing),
                )
            )
        with using(server_language(interaction)):  # the ballot is for the channel: the server's language
            embed, view = ballot_message(self.desk.catalogue.tracks_in_order())
        try:
            message = await channel.send(embed=embed, view=view)
        except discord.Forbidden as error:
            raise UserError(
                _(
                    "Discord refused my post in {channel} ({reason}). "
                    "Check that I can view the channel, send messages and embed links there.",
                    channel=channel.mention,
                    reason=error.text,
                )
            ) from error
        await reply(interaction, _("Ballot posted: {link}", link=message.jump_url))

    @admin.command(name="export", description="The standings as a CSV file (no member identities)")
    async def export(self, interaction: Interaction) -> None:
        guild_id = guild_id_of(interaction)
        state = await self.desk.store.state(guild_id)
        standings = await self.desk.compute(guild_id, state.round_id, state.mode)
        file = discord.File(
            io.BytesIO(standings_csv(standings).encode("utf-8-sig")), filename=f"poll-round-{state.round_id}.csv"
        )
        summary = _("Standings of round {round}: {summary}.", round=state.round_id, summary=summary_line(standings))
        await reply(interaction, summary, file=file)
