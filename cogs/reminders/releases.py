"""/releases: what is coming, and how long until it does, for everyone in the server.

Part of the reminders feature: it reads the same releases (the catalogue's and the server's own) and the
server's time zone through the same `Reminders` service. Its answers, public or not, are in the member's
language; release titles, descriptions and statuses are the catalogue's, never translated. When a release comes
out is written by `bot.when`: a time as Discord timestamps, a date alone as that date, the same for everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import public, reply, screened
from bot.catalogue import Release
from bot.context import guild_id_of
from bot.embeds import Card, join_within
from bot.errors import UserError
from bot.i18n import _, option_name
from bot.markup import quote
from cogs.reminders.components import reminder_view
from cogs.reminders.notify import toggle_notify
from cogs.reminders.posts import description_text, find_release, release_choices, title_text
from cogs.reminders.schedule import Moment, moment, next_release, upcoming
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
        now = service.clock.now()
        moments = upcoming(await service.releases(guild_id), config.zoneinfo, now)
        lines = [upcoming_line(m, now, config.zoneinfo) for m in moments]
        timed = any(m.when is not None and m.when.day is None for m in moments)
        card = Card(
            title=_("Upcoming releases"),
            description=join_within(lines, UPCOMING_LIMIT, "\n") if lines else _("Nothing is announced yet."),
            footer=_("Times are shown in your own time zone. Moderators add events with /reminders add-release.")
            if timed
            else _("Moderators add events with /reminders add-release."),
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
        when = found.when
        if when is None:
            text = _("The date is not announced yet.") + (f" ({found.release.status})" if found.release.status else "")
        else:
            values = {"countdown": when.countdown(now, config.zoneinfo), "when": when.text()}
            text = (
                _("Came out {countdown}, on {when}.", **values)
                if found.is_out(now)
                else _("Comes out {countdown}: {when}.", **values)
            )
        if (about := description_text(found.release)) is not None:
            text += f"\n\n{about}"
        card = Card(title=title_text(found.release), description=text, url=found.release.link)
        await reply(interaction, embed=card.build())

    @countdown.autocomplete("release")
    async def release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.service.releases(guild_id_of(interaction))
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]


def upcoming_line(found: Moment, now: int, zone: ZoneInfo) -> str:
    """'**Title** · when · countdown', or that its date is not announced (with the catalogue's status)."""
    title = title_text(found.release)
    when = found.when
    if when is not None:
        return f"**{title}** · {when.text()} · {when.countdown(now, zone)}"
    if found.release.status:
        return _("**{title}** · date not announced ({status})", title=title, status=found.release.status)
    return _("**{title}** · date not announced", title=title)


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
