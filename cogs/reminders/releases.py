"""/releases: what is coming, and how long until it does, for everyone in the server.

Part of the reminders feature: it reads the same releases (the catalogue's and the server's own) and the
server's time zone through the same `Reminders` service. Its answers, public or not, are in the member's
language; release titles, descriptions and statuses are the catalogue's, never translated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import public, reply, screened
from bot.catalogue import Release
from bot.context import guild_id_of
from bot.embeds import Card, join_within
from bot.errors import UserError
from bot.i18n import _, option_name
from bot.markup import discord_timestamp, quote
from cogs.reminders.components import reminder_view
from cogs.reminders.notify import toggle_notify
from cogs.reminders.posts import find_release, release_choices
from cogs.reminders.schedule import moment, next_release, upcoming
from cogs.reminders.service import Reminders

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction: TypeAlias = "discord.Interaction[HeatedRivalryBot]"

UPCOMING_LIMIT = 4000  # the list's share of an embed description (4,096)


@app_commands.guild_only()
class Releases(commands.GroupCog, group_name="releases", group_description="Upcoming releases and countdowns"):
    def __init__(self, service: Reminders) -> None:
        self.service = service
        super().__init__()

    @public
    @app_commands.command(name="upcoming", description="Upcoming releases, each with a countdown")
    async def upcoming(self, interaction: Interaction) -> None:
        service = self.service
        guild_id = guild_id_of(interaction)
        config = await service.store.config(guild_id)
        moments = upcoming(await service.releases(guild_id), config.zoneinfo, service.clock.now())
        lines = [
            f"**{m.release.title}** · {discord_timestamp(m.epoch, 'F')} · {discord_timestamp(m.epoch, 'R')}"
            if m.epoch is not None
            else _("**{title}** · date not announced ({status})", title=m.release.title, status=m.release.status)
            if m.release.status
            else _("**{title}** · date not announced", title=m.release.title)
            for m in moments
        ]
        card = Card(
            title=_("Upcoming releases"),
            description=join_within(lines, UPCOMING_LIMIT, "\n") if lines else _("Nothing is announced yet."),
            footer=_("Times are shown in your own time zone. Moderators add events with /reminders add-release."),
        )
        await reply(interaction, embed=card.build(), view=reminder_view(notify=config.role_id is not None))

    @app_commands.command(name="notify", description="Get release pings, or stop them: toggles the reminder role")
    async def notify(self, interaction: Interaction) -> None:
        await reply(interaction, await toggle_notify(self.service, interaction))

    def screen_countdown(self, interaction: Interaction) -> None:
        """Before acknowledging (`bot.answer.screened`): a typed release that matches none of those in memory."""
        typed: str | None = interaction.namespace.release
        held = self.service.held_releases(guild_id_of(interaction))
        if typed is not None and held is not None:
            matching(held, typed)

    @screened(lambda cog, interaction: cog.screen_countdown(interaction))
    @public
    @app_commands.command(name="countdown", description="How long until a release (default: the next one)")
    @app_commands.describe(release="Which release (default: the next one with a date)")
    async def countdown(self, interaction: Interaction, release: app_commands.Range[str, 1, 100] | None = None) -> None:
        service = self.service
        guild_id = guild_id_of(interaction)
        config = await service.store.config(guild_id)
        releases = await service.releases(guild_id)
        now = service.clock.now()
        if release is None:
            found = next_release(releases, config.zoneinfo, now)
            if found is None:
                raise UserError(_("No upcoming release has a date yet: `/releases upcoming` lists what is announced."))
        else:
            found = moment(matching(releases, release), config.zoneinfo)
        title = str(found.release.title)  # the bot's words in it (a `Text`) in the reader's language
        if found.epoch is None:
            text = _("The date is not announced yet.") + (f" ({found.release.status})" if found.release.status else "")
        elif found.is_out(now):
            text = _(
                "Came out {countdown}, on {when}.",
                countdown=discord_timestamp(found.epoch, "R"),
                when=discord_timestamp(found.epoch, "F"),
            )
        else:
            text = _(
                "Comes out {countdown}: {when}.",
                countdown=discord_timestamp(found.epoch, "R"),
                when=discord_timestamp(found.epoch, "F"),
            )
        if found.release.description:
            text += f"\n\n{found.release.description}"
        card = Card(title=title, description=text, url=found.release.link)
        await reply(interaction, embed=card.build())

    @countdown.autocomplete("release")
    async def release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.service.releases(guild_id_of(interaction))
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]


def matching(releases: list[Release], typed: str) -> Release:
    """The release `typed` names (as `find_release` reads it); `UserError` when none matches."""
    match = find_release(releases, typed)
    if match is None:
        raise UserError(
            _(
                "`{option}`: no release matches {typed}. Pick one from the list as you type, "
                "or see `/releases upcoming`.",
                option=option_name("release"),
                typed=quote(typed),
            )
        )
    return match
