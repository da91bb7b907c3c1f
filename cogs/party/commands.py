"""/party and /party-admin: listening parties' slash commands.

Thin: the rules are in `rules.py`, what commands and buttons share in `service.py`, the posts in `runner.py` and
`posts.py`, the SQL in `store.py`, and a cue's buttons in `components.py`. Every answer is private and in the
member's language; what goes to the channel (the start message, the cues, the recap) is the runner's, in the
server's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import reply
from bot.context import guild_of
from bot.errors import UserError
from bot.i18n import N_, _, choice_name, current, option_name
from bot.markup import discord_timestamp, literal
from bot.moments import DateTimeError, ScheduleError, parse_date, parse_time
from bot.options import check_link, option_problem
from cogs.party.components import COMPONENTS
from cogs.party.rules import Advance, PartyRuleError, Play, parse_numbers, tracks_to_play
from cogs.party.service import PartyService

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]
Venue = discord.TextChannel | discord.VoiceChannel | discord.StageChannel

# What the bot needs in the channel of the start message: post it, and open the party's thread on it and post there.
NEEDED = (
    ("view_channel", N_("View Channel")),
    ("send_messages", N_("Send Messages")),
    ("embed_links", N_("Embed Links")),
    ("create_public_threads", N_("Create Public Threads")),
    ("send_messages_in_threads", N_("Send Messages in Threads")),
)


@contextmanager
def option(*names: str) -> Iterator[None]:
    """Bad input named after the option (or the two options) it was typed into (`bot.options.option_problem`)."""
    try:
        yield
    except (DateTimeError, ScheduleError, PartyRuleError) as error:
        raise UserError(option_problem(names, error)) from error


class PartyCog(commands.Cog):
    party = app_commands.Group(
        name="party", description="Listening parties: the album together, track by track", guild_only=True
    )
    admin = app_commands.Group(
        name="party-admin",
        description="Run the server's listening parties",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: HeatedRivalryBot, service: PartyService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        await self.service.load()
        self.bot.add_dynamic_items(*COMPONENTS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*COMPONENTS)
        await self.service.runner.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start once the server list is known (`on_ready` comes again after each reconnect: started once)."""
        self.service.runner.start()

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Discord serves the server again: its parties carry on (`bot.presence`)."""
        self.service.runner.unpark(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.service.runner.unpark(guild.id)

    async def wait_idle(self) -> None:
        """Until no party post is due at the clock's current time and none is being made (`bot.bot.Background`)."""
        if self.bot.is_ready():
            self.service.runner.start()
            await self.service.runner.wait_idle()

    async def server_ids(self) -> set[int]:
        """The servers with parties (`bot.bot.ServerData`)."""
        return await self.service.server_ids()

    async def forget_server(self, guild_id: int) -> None:
        await self.service.forget_server(guild_id)

    # -- everyone --

    @party.command(name="now", description="What the listening party is playing now, and how far into it")
    async def now(self, interaction: Interaction) -> None:
        await reply(interaction, await self.service.now(guild_of(interaction).id))

    # -- moderators --

    @admin.command(name="schedule", description="Schedule a listening party: the album, track by track, together")
    @app_commands.describe(
        title="What the party is called",
        date="YYYY-MM-DD",
        time="HH:MM on a 24-hour clock, in the server's time zone",
        play="The album in order, the singles, or the track numbers you list",
        tracks="Track numbers in play order, like 1, 5, 8-12 (for play: tracks)",
        advance="timed: each track when the one before ends; hosted: the host clicks Next",
        channel="Where it happens: a text channel for its posts, or a voice or stage channel to listen together",
        link="A web address for it (a stream, a playlist)",
    )
    @app_commands.choices(
        play=[app_commands.Choice(name=p.value, value=p.value) for p in Play],
        advance=[app_commands.Choice(name=a.value, value=a.value) for a in Advance],
    )
    async def schedule(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 20],
        time: app_commands.Range[str, 1, 10],
        play: app_commands.Choice[str] | None = None,
        tracks: app_commands.Range[str, 1, 200] | None = None,
        advance: app_commands.Choice[str] | None = None,
        channel: Venue | None = None,
        link: app_commands.Range[str, 1, 512] | None = None,
    ) -> None:
        guild = guild_of(interaction)
        with option("date"):
            day = parse_date(date)
        with option("time"):
            clock_time = parse_time(time)
        chosen = Play(play.value) if play is not None else (Play.TRACKS if tracks is not None else Play.ALBUM)
        picks: tuple[int, ...] = ()
        if chosen is Play.TRACKS:
            if tracks is None:
                raise UserError(
                    _("`{option}`: list the track numbers to play, like 1, 5, 8-12.", option=option_name("tracks"))
                )
            with option("tracks"):
                picks = parse_numbers(tracks)
                tracks_to_play(self.service.catalogue, chosen, picks)
        elif tracks is not None:
            raise UserError(
                _(
                    "`{option}` is for a party that plays the tracks you list; leave it out to play the {play}.",
                    option=option_name("tracks"),
                    play=choice_name(chosen.value),
                )
            )
        posts, venue = self.where(interaction, channel)
        url = None if link is None else check_link(link)
        with option("date", "time"):
            party = await self.service.schedule(
                guild.id, interaction.user.id, title=title.strip(), day=day, time=clock_time, play=chosen,
                picks=picks, advance=Advance(advance.value) if advance else Advance.TIMED, channel_id=posts.id,
                venue_id=venue.id if venue else None, link=url,
            )  # fmt: skip
        lines = [
            _(
                "Scheduled **{title}**: {when} ({countdown}) · {how}.",
                title=literal(party.title, 100),
                when=discord_timestamp(party.start_at),
                countdown=discord_timestamp(party.start_at, "R"),
                how=self.service.how_it_goes(party),
            ),
            _("Its start message and its thread open in {channel}.", channel=posts.mention)
            + (" " + _("Fans listen together in {channel}.", channel=venue.mention) if venue else ""),
            _(
                "Its reminders, its Discord event and `/releases upcoming` follow, as for any release of this server; "
                "`/party-admin cancel` cancels it."
            ),
        ]
        if not posts.permissions_for(guild.me).read_message_history:
            lines.append(
                "⚠️ "
                + _(
                    "I lack Read Message History in {channel}: after a crash I cannot check whether a post of the "
                    "party already went out, so only Discord's few-minute duplicate guard protects against a double.",
                    channel=posts.mention,
                )
            )
        await reply(interaction, "\n".join(lines))

    def where(self, interaction: Interaction, channel: Venue | None) -> tuple[discord.TextChannel, Venue | None]:
        """The text channel of the party's posts (the one given, else this one) and where fans listen together (a
        voice or stage channel given); refused when the bot cannot post and open a thread there."""
        venue = channel if isinstance(channel, discord.VoiceChannel | discord.StageChannel) else None
        posts = channel if isinstance(channel, discord.TextChannel) else interaction.channel
        if not isinstance(posts, discord.TextChannel):
            raise UserError(
                _(
                    "`{option}`: run this in a text channel, where the party's posts will go, or give one as "
                    "`{option}`.",
                    option=option_name("channel"),
                )
            )
        mine = posts.permissions_for(posts.guild.me)
        missing = [_(label) for name, label in NEEDED if not getattr(mine, name)]
        if missing:
            raise UserError(
                _(
                    "I can't run a party in {channel}: I need {permissions} there. Grant them to my role in the "
                    "channel's settings → Permissions, then run this again.",
                    channel=posts.mention,
                    permissions=current().join(missing),
                )
            )
        return posts, venue

    @admin.command(name="next", description="Move the party running now on to its next track")
    async def next(self, interaction: Interaction) -> None:
        text = await self.service.next(guild_of(interaction).id, interaction.user.id, moderator=True)
        await reply(interaction, text)

    @admin.command(name="cancel", description="Cancel a scheduled or running party; its event and reminders go too")
    @app_commands.describe(party="One of this server's parties that is scheduled or running")
    async def cancel(self, interaction: Interaction, party: app_commands.Range[str, 1, 100]) -> None:
        with option("party"):
            cancelled = await self.service.cancel(guild_of(interaction).id, party)
        await reply(
            interaction,
            _(
                "Cancelled **{title}**; its reminders and its Discord event go with it.",
                title=literal(cancelled.title, 100),
            ),
        )

    @cancel.autocomplete("party")
    async def party_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        choices = await self.service.choices(guild_of(interaction).id, current)
        return [app_commands.Choice(name=name, value=value) for name, value in choices]

    @admin.command(name="status", description="The server's parties: coming up, running, and the last ones")
    async def status(self, interaction: Interaction) -> None:
        await reply(interaction, await self.service.status(guild_of(interaction).id))
