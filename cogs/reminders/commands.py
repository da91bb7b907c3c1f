"""/reminders: moderators set up release-day reminders for their server.

Every setting is checked when it is given (permissions in the channel, whether the role's ping would
notify anyone, the time zone, lead times, template, dates), so problems surface to the moderator at
configuration time instead of as a silent failure on release day. The commands are thin: the rules are
in `service.py`, the checks and the status card in `status.py`, posting in `sender.py`.

Answers and refusals are in the moderator's language (the tree sets it); what goes to the channel (a
`/reminders test` post) is in the server's, and so is `/reminders preview`, which shows that post as it will be.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import reply
from bot.bot import Report
from bot.context import guild_of
from bot.errors import UserError
from bot.i18n import N_, _, current, ngettext, option_name, server_language, using
from bot.markup import discord_timestamp, quote
from bot.moments import DateTimeError, ScheduleError, future_release_epoch, parse_date, parse_time
from bot.options import check_link, option_problem
from bot.releases import MAX_OWN_RELEASES
from bot.when import When
from cogs.reminders import zones
from cogs.reminders.components import post_view
from cogs.reminders.events import EventMirror, SyncReport, missing_event_permissions
from cogs.reminders.posts import PostMode, find_release, release_choices, title_text
from cogs.reminders.sender import allowed_mentions, to_embed
from cogs.reminders.service import ReleaseError, Reminders
from cogs.reminders.status import history_warning, missing_permissions, ping_warning, status_card
from cogs.reminders.templates import TemplateError, parse_template
from cogs.reminders.timeparse import LeadTimeError, describe_lead_times, parse_lead_times
from cogs.reminders.zones import ZoneError, describe_zone, resolve_zone, zone_choices, zone_label

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["HeatedRivalryBot"]

CHECK_POSTS = 10  # how many upcoming posts `python -m bot check` lists


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class RemindersCog(
    commands.GroupCog,
    group_name="reminders",
    group_description="Release-day reminders for this server",
):
    def __init__(self, bot: HeatedRivalryBot, service: Reminders, mirror: EventMirror) -> None:
        self.bot = bot
        self.service = service
        self.store = service.store
        self.mirror = mirror
        super().__init__()

    async def cog_load(self) -> None:
        # Replanning every server takes seconds when there are thousands: it runs while the shards connect
        # instead of before. Posting, /reminders and `check` wait for it (`planned`).
        self._planning = asyncio.create_task(self._plan_all(), name="reminders-replan")
        self._warming = asyncio.create_task(asyncio.to_thread(zones.warm), name="zones-warm")  # off the event loop

    async def _plan_all(self) -> None:
        try:
            servers = await self.service.replan_all()
        except Exception:
            log.critical("reminders could not be planned at start: stopping", exc_info=True)
            await self.bot.close()
            raise
        log.info("reminders planned for %d configured servers", servers)

    async def planned(self) -> None:
        """Until the start-up replanning of every server is done (raises what stopped it)."""
        await asyncio.shield(self._planning)

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        await self.planned()  # a change made while the start-up plan is written would be overwritten
        return True

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start posting once the server list is known, so posts can name their server and notices find it.

        `on_ready` comes again after each reconnect; the dispatcher is started only once.
        """
        await self.planned()
        self.service.dispatcher.start()
        await self.mirror.start()

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Discord serves the server again (after an outage, or at start once its GUILD_CREATE came): the posts
        that waited for it go out, and its events are synced (`bot.presence`)."""
        self.service.dispatcher.unpark(guild.id)
        self.mirror.changed(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added to a server, or added back to one it was removed from: its posts and events carry on."""
        await self.on_guild_available(guild)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        """One of the bot's roles changed (a permission given back?): the mirror catches up, and lifts its block."""
        if after.is_default() or after in after.guild.me.roles:
            self.mirror.changed(after.guild.id)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        """The server's language changed: the words of its events that the bot wrote follow ("Online", "Source:")."""
        if before.preferred_locale != after.preferred_locale:
            self.mirror.changed(after.id)

    @commands.Cog.listener()
    async def on_server_language_update(self, guild_id: int) -> None:
        """The server's moderators chose the language of its posts (`/settings language`): the events follow too."""
        self.mirror.changed(guild_id)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        await self.mirror.closed(event, removed=True)

    @commands.Cog.listener()
    async def on_scheduled_event_update(self, before: discord.ScheduledEvent, after: discord.ScheduledEvent) -> None:
        """Cancelled (by anyone: the bot's own cancellations are told apart by the store) or ended."""
        ended = (discord.EventStatus.completed, discord.EventStatus.cancelled)
        if after.status in ended and before.status not in ended:
            await self.mirror.closed(after, removed=after.status is discord.EventStatus.cancelled)

    async def cog_unload(self) -> None:
        self._planning.cancel()
        await asyncio.gather(self._planning, self._warming, return_exceptions=True)
        await self.service.dispatcher.stop()
        await self.mirror.stop()

    async def server_ids(self) -> set[int]:
        """The servers with reminder data (`bot.bot.ServerData`)."""
        return await self.store.server_ids()

    async def forget_server(self, guild_id: int) -> None:
        await self.store.forget_server(guild_id)

    async def wait_idle(self) -> None:
        """Until nothing is due, nothing is being posted, and no server's events wait for a sync."""
        await self.planned()
        await self.service.dispatcher.wait_idle()
        await self.mirror.wait_idle()

    async def report(self) -> Report:
        """For `python -m bot check`: the next posts of every server, planned as a start would plan them, and
        the servers whose releases could not be planned. Each line says when the post goes out and when its release
        comes out, as `bot.when` writes them for a terminal."""
        await self.planned()
        posts = await self.service.next_posts_everywhere(CHECK_POSTS)
        lines = [f"next reminders: {len(posts) or 'none scheduled'}"]
        for post, release in posts:
            when = dt.datetime.fromtimestamp(post.due_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            title = release.title if release else post.release_id
            out = f" (out {When.of(release, post.release_at).plain()})" if release else ""
            lines.append(f"  {when} · server {post.guild_id} · {title}{out} · {post.lead}")
        return Report(lines, [f"reminders: {problem}" for problem in self.service.problems.values()])

    def now(self) -> int:
        return self.bot.clock.now()

    async def next_post_line(self, guild_id: int) -> str:
        upcoming = await self.service.upcoming_posts(guild_id, 1)
        if not upcoming:
            return _("No reminder is scheduled: no upcoming release has a date.")
        post, release = upcoming[0]
        return _(
            "Next post: **{title}** ({lead}) {when} ({countdown}).",
            title=title_text(release) if release else post.release_id,
            lead=post.lead,
            when=discord_timestamp(post.due_at, "F"),
            countdown=discord_timestamp(post.due_at, "R"),
        )

    # -- configuration --

    @app_commands.command(name="channel", description="Where reminders are posted")
    @app_commands.describe(channel="A text channel where I can post embeds")
    async def channel(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        missing = missing_permissions(channel)
        if missing:
            raise UserError(
                _(
                    "`{option}`: I can't post reminders in {channel}: I need {permissions} there. "
                    "Grant them to my role in the channel's settings → Permissions, then run this again.",
                    option=option_name("channel"),
                    channel=channel.mention,
                    permissions=current().join(missing),
                )
            )
        config = await self.store.config(guild_of(interaction).id)
        unblocked = config.blocked_reason is not None
        config = await self.service.save(
            replace(config, channel_id=channel.id, blocked_reason=None, blocked_at=None),
            was_active=config.channel_id is not None and config.enabled,
        )
        lines = [
            _("Reminders will be posted in {channel}. Posting is unblocked.", channel=channel.mention)
            if unblocked
            else _("Reminders will be posted in {channel}.", channel=channel.mention)
        ]
        if not config.enabled:
            lines.append(_("Posting is off: `/reminders enable` turns it on."))
        warnings = [ping_warning(guild_of(interaction), config.role_id, config.channel_id), history_warning(channel)]
        lines += [f"⚠️ {warning}" for warning in warnings if warning]
        lines.append(await self.next_post_line(config.guild_id))
        await reply(interaction, "\n".join(lines))

    @app_commands.command(name="role", description="The role pinged by reminders; leave it out to ping nobody")
    @app_commands.describe(role="The role to ping (members who want release news)")
    async def role(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        guild = guild_of(interaction)
        if role is not None and role.is_default():
            raise UserError(
                _(
                    "`{option}`: reminders never ping @everyone: choose a role that members opt into.",
                    option=option_name("role"),
                )
            )
        if role is not None and role.managed:
            raise UserError(
                _(
                    "`{option}`: {role} is managed by an integration and no member can have it: choose another role.",
                    option=option_name("role"),
                    role=role.mention,
                )
            )
        config = await self.store.config(guild.id)
        config = await self.service.save(replace(config, role_id=role.id if role else None))
        text = _("Reminders will ping {role}.", role=role.mention) if role else _("Reminders will ping nobody.")
        warning = ping_warning(guild, config.role_id, config.channel_id)
        await reply(interaction, text + (f"\n⚠️ {warning}" if warning else ""))

    @app_commands.command(
        name="timezone", description="The server's time zone: date-only releases come out at 00:00 there"
    )
    @app_commands.describe(zone="A city such as Europe/London or America/Toronto, or an offset such as UTC+1")
    async def timezone(self, interaction: Interaction, zone: app_commands.Range[str, 1, 100]) -> None:
        with option("zone"):
            found = resolve_zone(zone, self.now())
        config = await self.store.config(guild_of(interaction).id)
        config = await self.service.save(replace(config, zone=found.key))
        now = dt.datetime.fromtimestamp(self.now(), found.zone)
        zone_name = f"**{zone_label(found.key)}**" + (f" ({found.read_as})" if found.read_as else "")
        await reply(
            interaction,
            _(
                "Time zone: {zone}: {offsets}. It is {time} there now. {next}",
                zone=zone_name,
                offsets=describe_zone(found.zone, self.now()),
                time=now.strftime("%H:%M"),
                next=await self.next_post_line(config.guild_id),
            ),
        )

    @timezone.autocomplete("zone")
    async def timezone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=value) for name, value in zone_choices(current, self.now())]

    @app_commands.command(name="leadtimes", description="When to post before each release, e.g. 7d, 1d, 1h, 0")
    @app_commands.describe(spec="Comma-separated durations in w, d, h, m; 0 is the release moment")
    async def leadtimes(self, interaction: Interaction, spec: app_commands.Range[str, 1, 200]) -> None:
        with option("spec"):
            leads = parse_lead_times(spec)
        config = await self.store.config(guild_of(interaction).id)
        config = await self.service.save(replace(config, lead_times=leads))
        await reply(
            interaction,
            _(
                "Reminders will be posted for each release: {leads}. {next}",
                leads=describe_lead_times(leads),
                next=await self.next_post_line(config.guild_id),
            ),
        )

    @app_commands.command(name="template", description="The reminder text; leave it out to restore the default")
    @app_commands.describe(text="Placeholders: {release} {when} {countdown} {role} {link} {server}")
    async def template(self, interaction: Interaction, text: app_commands.Range[str, 1, 1000] | None = None) -> None:
        if text is not None:
            with option("text"):
                parse_template(text)
        config = await self.store.config(guild_of(interaction).id)
        await self.service.save(replace(config, template=text))
        await reply(
            interaction,
            _("Template saved. `/reminders preview` shows the post.")
            if text is not None
            else _("The default template is back. `/reminders preview` shows the post."),
        )

    @app_commands.command(name="events", description="Mirror dated releases as native Discord events")
    @app_commands.describe(mode="on: an event for each dated release, kept up to date; off: cancel them")
    @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in ("on", "off")])
    async def events(self, interaction: Interaction, mode: app_commands.Choice[str]) -> None:
        guild = guild_of(interaction)
        turning_on = mode.value == "on"
        missing = missing_event_permissions(guild)
        if turning_on and missing:
            raise UserError(
                _(
                    "`{option}`: I can't create events here: I need the {permission} permission in this server. "
                    "Grant it to my role in Server Settings → Roles, then run this again. Nothing was changed.",
                    option=option_name("mode"),
                    permission=current().join(_(name) for name in missing),
                )
            )
        await self.mirror.store.set_mirror(guild.id, enabled=turning_on, now=self.now())
        if turning_on:
            await self.mirror.store.forget_removed_by_hand(guild.id)
        report = await self.mirror.sync(guild.id)
        await reply(interaction, events_answer(report, turning_on))

    @app_commands.command(name="enable", description="Turn reminder posts on (the configuration is kept)")
    async def enable(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        config = await self.store.config(guild.id)
        channel = guild.get_channel(config.channel_id) if config.channel_id is not None else None
        if channel is None:
            raise UserError(_(NO_CHANNEL))
        missing = missing_permissions(channel)
        if missing:
            raise UserError(
                _(
                    "I can't post in {channel}: I need {permissions} there. Grant them, then run this again.",
                    channel=channel.mention,
                    permissions=current().join(missing),
                )
            )
        config = await self.service.save(
            replace(config, enabled=True, blocked_reason=None, blocked_at=None), was_active=config.enabled
        )
        await reply(
            interaction,
            _(
                "Reminders are on, posting in {channel}. {next}",
                channel=channel.mention,
                next=await self.next_post_line(guild.id),
            ),
        )

    @app_commands.command(name="disable", description="Turn reminder posts off (the configuration is kept)")
    async def disable(self, interaction: Interaction) -> None:
        config = await self.store.config(guild_of(interaction).id)
        await self.service.save(replace(config, enabled=False))
        await reply(
            interaction,
            _("Reminders are off. Posts that come due meanwhile are skipped; `/reminders enable` turns them back on."),
        )

    # -- looking --

    @app_commands.command(name="status", description="The configuration, the next posts and the last failures")
    async def status(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        embed = await status_card(self.service, self.mirror.store, guild)
        await reply(interaction, embed=embed)

    @app_commands.command(name="preview", description="Show privately exactly what a reminder will look like")
    @app_commands.describe(release="Which release (default: the next one)")
    async def preview(self, interaction: Interaction, release: app_commands.Range[str, 1, 100] | None = None) -> None:
        guild = guild_of(interaction)
        # The post as the channel will read it: in the server's language (a refusal is still the moderator's).
        with refused(), using(server_language(interaction)):
            message = await self.service.sample(guild.id, guild.name, release, PostMode.PREVIEW)
            view = post_view(message)
        await reply(interaction, message.content or None, embed=to_embed(message), view=view)

    @preview.autocomplete("release")
    async def release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.service.releases(guild_of(interaction).id)
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]

    @app_commands.command(name="test", description="Post a test reminder to the channel now, without pinging")
    async def test(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        config = await self.store.config(guild.id)
        channel = guild.get_channel(config.channel_id) if config.channel_id is not None else None
        if not isinstance(channel, discord.TextChannel):
            raise UserError(_(NO_CHANNEL))
        with refused(), using(server_language(interaction)):  # a post to the channel: the server's language
            message = await self.service.sample(guild.id, guild.name, None, PostMode.TEST)
            view = post_view(message)
        try:
            sent = await channel.send(
                message.content or None, embed=to_embed(message), allowed_mentions=allowed_mentions(message),
                view=view,
            )  # fmt: skip
        except discord.Forbidden as error:
            raise UserError(
                _(
                    "Discord refused my test post in {channel} ({reason}): I need View Channel, Send Messages and "
                    "Embed Links there.",
                    channel=channel.mention,
                    reason=error.text,
                )
            ) from error
        text = _("Test reminder posted: {link}", link=sent.jump_url)
        if await self.service.unblock(guild.id):
            text += "\n" + _("It went through, so posting is unblocked.")
        await reply(interaction, text)

    # -- the server's own releases --

    @app_commands.command(name="add-release", description="Add a release or event of this server's own")
    @app_commands.describe(
        title="What comes out or happens",
        date="YYYY-MM-DD",
        time="HH:MM on a 24-hour clock, in the server's time zone (default 00:00)",
        link="A web address for it",
        description="A line or two about it",
    )
    async def add_release(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 20],
        time: app_commands.Range[str, 1, 10] | None = None,
        link: app_commands.Range[str, 1, 512] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        guild = guild_of(interaction)
        with option("date"):
            day = parse_date(date)
        with option("time"):
            clock_time = None if time is None else parse_time(time)
        url = None if link is None else check_link(link)
        config = await self.store.config(guild.id)
        with option("date") if time is None else option("date", "time"):
            epoch = future_release_epoch(day, clock_time, config.zoneinfo, self.now())
        if await self.service.own.count_own_releases(guild.id) >= MAX_OWN_RELEASES:
            raise UserError(
                _(
                    "This server has {count} releases of its own, the most it can have: remove one first.",
                    count=MAX_OWN_RELEASES,
                )
            )
        # Its reminders and its event follow (`Reminders.own_releases_changed`).
        release = await self.service.own.add_release(
            guild.id, title=title.strip(), date=day, time=clock_time, link=url,
            description=description.strip() if description else None, now=self.now(),
        )  # fmt: skip
        when = When.of(release, epoch)
        await reply(
            interaction,
            _(
                "Added **{title}**: {when} ({countdown}). {next}",
                title=title_text(release),
                when=when.text(),
                countdown=when.countdown(self.now(), config.zoneinfo),
                next=await self.next_post_line(guild.id),
            ),
        )

    @app_commands.command(name="remove-release", description="Remove one of this server's own releases")
    @app_commands.describe(release="One of the releases added with /reminders add-release")
    async def remove_release(self, interaction: Interaction, release: app_commands.Range[str, 1, 100]) -> None:
        guild = guild_of(interaction)
        found = find_release(await self.service.own.own_releases(guild.id), release)
        removed = None if found is None else await self.service.own.remove_release(guild.id, found.id)
        if removed is None:
            raise UserError(
                _(
                    "`{option}`: none of this server's own releases matches {typed}. Pick one from the "
                    "list as you type; catalogue releases cannot be removed.",
                    option=option_name("release"),
                    typed=quote(release),
                )
            )
        await reply(
            interaction, _("Removed **{title}**; its pending reminders are cancelled.", title=title_text(removed))
        )

    @remove_release.autocomplete("release")
    async def own_release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.service.own.own_releases(guild_of(interaction).id)
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]


def events_answer(report: SyncReport, turned_on: bool) -> str:
    """What `/reminders events` tells the moderator: what was done, and what waits."""
    if turned_on:
        done = [
            *([ngettext("{n} created", "{n} created", report.created)] if report.created else []),
            *([ngettext("{n} updated", "{n} updated", report.edited)] if report.edited else []),
        ]
        mirrored = (
            _("Dated releases are now mirrored as Discord events ({done}).", done=", ".join(done))
            if done
            else _("Dated releases are now mirrored as Discord events.")
        )
        lines = [
            mirrored
            + " "
            + _(
                "Fans can click **Interested** on them, and reminder posts link to them. An event you delete by "
                "hand is not made again; `/reminders events on` once more brings every one back."
            )
        ]
        if report.gone:
            lines.append(
                ngettext(
                    "{n} event deleted by hand stays deleted.",
                    "{n} events deleted by hand stay deleted.",
                    len(report.gone),
                )
            )
    elif report.cancelled:
        lines = [
            ngettext(
                "Releases are no longer mirrored as Discord events; {n} upcoming event cancelled.",
                "Releases are no longer mirrored as Discord events; {n} upcoming events cancelled.",
                report.cancelled,
            )
        ]
    else:
        lines = [_("Releases are no longer mirrored as Discord events.")]
    if report.blocked is not None:
        lines.append(
            "⚠️ "
            + _(
                "{reason}. Reminders are not affected; `/reminders status` shows this until it is fixed.",
                reason=str(report.blocked),
            )
        )
    if report.fault is not None:
        lines.append(
            "⚠️ "
            + _(
                "Not every event is done yet ({reason}); I'll finish in a few minutes by myself.",
                reason=str(report.fault),
            )
        )
    return "\n".join(lines)


NO_CHANNEL = N_("Choose where to post first: `/reminders channel`.")


@contextmanager
def option(*names: str) -> Iterator[None]:
    """Bad input named after the option (or the two options) it was typed into, in the words of the parser that
    refused it (`bot.options.option_problem`)."""
    try:
        yield
    except (LeadTimeError, DateTimeError, ScheduleError, TemplateError, ZoneError) as error:
        raise UserError(option_problem(names, error)) from error


@contextmanager
def refused() -> Iterator[None]:
    """The service's refusals are written for the moderator already (marked: they read in the moderator's
    language even inside a post's `using`)."""
    try:
        yield
    except ReleaseError as error:
        raise UserError(error.text) from error
