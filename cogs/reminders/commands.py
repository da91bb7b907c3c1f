"""/reminders: moderators set up release-day reminders for their server.

Every setting is checked when it is given (permissions in the channel, whether the role's ping would
notify anyone, the time zone, lead times, template, dates), so problems surface to the moderator at
configuration time instead of as a silent failure on release day. The commands are thin: the rules are
in `service.py`, the checks and the status card in `status.py`, posting in `sender.py`.
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
from bot.markup import discord_timestamp, quote
from bot.typed import LINK_LIMIT, link_problem
from cogs.reminders.components import post_view
from cogs.reminders.events import EventMirror, SyncReport, missing_event_permissions
from cogs.reminders.posts import PostMode, find_release, release_choices
from cogs.reminders.schedule import ScheduleError, future_release_epoch
from cogs.reminders.sender import allowed_mentions, to_embed
from cogs.reminders.service import ReleaseError, Reminders
from cogs.reminders.status import history_warning, missing_permissions, ping_warning, status_card
from cogs.reminders.templates import TemplateError, parse_template
from cogs.reminders.timeparse import (
    DateTimeError,
    LeadTimeError,
    describe_lead_times,
    parse_date,
    parse_lead_times,
    parse_time,
)
from cogs.reminders.zones import ZoneError, describe_zone, resolve_zone, zone_choices, zone_label

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["HeatedRivalryBot"]

MAX_OWN_RELEASES = 25  # so that /reminders remove-release can list every one in its autocomplete
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
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        """One of the bot's roles changed (a permission given back?): the mirror catches up, and lifts its block."""
        if after.is_default() or after in after.guild.me.roles:
            self.mirror.changed(after.guild.id)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        await self.mirror.removed_by_hand(event)

    @commands.Cog.listener()
    async def on_scheduled_event_update(self, before: discord.ScheduledEvent, after: discord.ScheduledEvent) -> None:
        if after.status is discord.EventStatus.cancelled:
            await self.mirror.removed_by_hand(after)

    async def cog_unload(self) -> None:
        self._planning.cancel()
        await asyncio.gather(self._planning, return_exceptions=True)
        await self.service.dispatcher.stop()
        await self.mirror.stop()

    async def wait_idle(self) -> None:
        """Until nothing is due, nothing is being posted, and no server's events wait for a sync."""
        await self.planned()
        await self.service.dispatcher.wait_idle()
        await self.mirror.wait_idle()

    async def report(self) -> Report:
        """For `python -m bot check`: the next posts of every server, planned as a start would plan them, and
        the servers whose releases could not be planned."""
        await self.planned()
        posts = await self.service.next_posts_everywhere(CHECK_POSTS)
        lines = [f"next reminders: {len(posts) or 'none scheduled'}"]
        for post, release in posts:
            when = dt.datetime.fromtimestamp(post.due_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            title = release.title if release else post.release_id
            lines.append(f"  {when} · server {post.guild_id} · {title} · {post.lead}")
        return Report(lines, [f"reminders: {problem}" for problem in self.service.problems.values()])

    def now(self) -> int:
        return self.bot.clock.now()

    async def next_post_line(self, guild_id: int) -> str:
        upcoming = await self.service.upcoming_posts(guild_id, 1)
        if not upcoming:
            return "No reminder is scheduled: no upcoming release has a date."
        post, release = upcoming[0]
        title = release.title if release else post.release_id
        return f"Next post: **{title}** ({post.lead}) {discord_timestamp(post.due_at, 'F')} ({discord_timestamp(post.due_at, 'R')})."

    # -- configuration --

    @app_commands.command(name="channel", description="Where reminders are posted")
    @app_commands.describe(channel="A text channel where I can post embeds")
    async def channel(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        missing = missing_permissions(channel)
        if missing:
            raise UserError(
                f"`channel`: I can't post reminders in {channel.mention}: I need {', '.join(missing)} there. "
                "Grant them to my role in the channel's settings → Permissions, then run this again."
            )
        config = await self.store.config(guild_of(interaction).id)
        unblocked = config.blocked_reason is not None
        config = await self.service.save(
            replace(config, channel_id=channel.id, blocked_reason=None, blocked_at=None),
            was_active=config.channel_id is not None and config.enabled,
        )
        lines = [f"Reminders will be posted in {channel.mention}." + (" Posting is unblocked." if unblocked else "")]
        if not config.enabled:
            lines.append("Posting is off: `/reminders enable` turns it on.")
        warnings = [ping_warning(guild_of(interaction), config.role_id, config.channel_id), history_warning(channel)]
        lines += [f"⚠️ {warning}" for warning in warnings if warning]
        lines.append(await self.next_post_line(config.guild_id))
        await reply(interaction, "\n".join(lines))

    @app_commands.command(name="role", description="The role pinged by reminders; leave it out to ping nobody")
    @app_commands.describe(role="The role to ping (members who want release news)")
    async def role(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        guild = guild_of(interaction)
        if role is not None and role.is_default():
            raise UserError("`role`: reminders never ping @everyone: choose a role that members opt into.")
        if role is not None and role.managed:
            raise UserError(
                f"`role`: {role.mention} is managed by an integration and no member can have it: choose another role."
            )
        config = await self.store.config(guild.id)
        config = await self.service.save(replace(config, role_id=role.id if role else None))
        text = f"Reminders will ping {role.mention}." if role else "Reminders will ping nobody."
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
        read_as = f" ({found.read_as})" if found.read_as else ""
        await reply(
            interaction,
            f"Time zone: **{zone_label(found.key)}**{read_as}: {describe_zone(found.zone, self.now())}. "
            f"It is {now:%H:%M} there now. {await self.next_post_line(config.guild_id)}",
        )

    @timezone.autocomplete("zone")
    async def timezone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in zone_choices(current)]

    @app_commands.command(name="leadtimes", description="When to post before each release, e.g. 7d, 1d, 1h, 0")
    @app_commands.describe(spec="Comma-separated durations in w, d, h, m; 0 is the release moment")
    async def leadtimes(self, interaction: Interaction, spec: app_commands.Range[str, 1, 200]) -> None:
        with option("spec"):
            leads = parse_lead_times(spec)
        config = await self.store.config(guild_of(interaction).id)
        config = await self.service.save(replace(config, lead_times=leads))
        await reply(
            interaction,
            f"Reminders will be posted for each release: {describe_lead_times(leads)}. "
            f"{await self.next_post_line(config.guild_id)}",
        )

    @app_commands.command(name="template", description="The reminder text; leave it out to restore the default")
    @app_commands.describe(text="Placeholders: {release} {when} {countdown} {role} {link} {server}")
    async def template(self, interaction: Interaction, text: app_commands.Range[str, 1, 1000] | None = None) -> None:
        if text is not None:
            with option("text"):
                parse_template(text)
        config = await self.store.config(guild_of(interaction).id)
        await self.service.save(replace(config, template=text))
        done = "Template saved." if text is not None else "The default template is back."
        await reply(interaction, f"{done} `/reminders preview` shows the post.")

    @app_commands.command(name="events", description="Mirror dated releases as native Discord events")
    @app_commands.describe(mode="on: an event for each dated release, kept up to date; off: cancel them")
    @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in ("on", "off")])
    async def events(self, interaction: Interaction, mode: app_commands.Choice[str]) -> None:
        guild = guild_of(interaction)
        turning_on = mode.value == "on"
        missing = missing_event_permissions(guild)
        if turning_on and missing:
            raise UserError(
                f"`mode`: I can't create events here: I need the {', '.join(missing)} permission in this server. "
                "Grant it to my role in Server Settings → Roles, then run this again. Nothing was changed."
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
            raise UserError("Choose where to post first: `/reminders channel`.")
        missing = missing_permissions(channel)
        if missing:
            raise UserError(
                f"I can't post in {channel.mention}: I need {', '.join(missing)} there. Grant them, then run this again."
            )
        config = await self.service.save(
            replace(config, enabled=True, blocked_reason=None, blocked_at=None), was_active=config.enabled
        )
        await reply(
            interaction, f"Reminders are on, posting in {channel.mention}. {await self.next_post_line(guild.id)}"
        )

    @app_commands.command(name="disable", description="Turn reminder posts off (the configuration is kept)")
    async def disable(self, interaction: Interaction) -> None:
        config = await self.store.config(guild_of(interaction).id)
        await self.service.save(replace(config, enabled=False))
        await reply(
            interaction,
            "Reminders are off. Posts that come due meanwhile are skipped; `/reminders enable` turns them back on.",
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
        with refused():
            message = await self.service.sample(guild.id, guild.name, release, PostMode.PREVIEW)
        await reply(interaction, message.content or None, embed=to_embed(message), view=post_view(message))

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
            raise UserError("Choose where to post first: `/reminders channel`.")
        with refused():
            message = await self.service.sample(guild.id, guild.name, None, PostMode.TEST)
        try:
            sent = await channel.send(
                message.content or None, embed=to_embed(message), allowed_mentions=allowed_mentions(message),
                view=post_view(message),
            )  # fmt: skip
        except discord.Forbidden as error:
            raise UserError(
                f"Discord refused my test post in {channel.mention} ({error.text}): I need View Channel, Send Messages and Embed Links there."
            ) from error
        text = f"Test reminder posted: {sent.jump_url}"
        if await self.service.unblock(guild.id):
            text += "\nIt went through, so posting is unblocked."
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
        with option("date" if time is None else "date` and `time"):
            epoch = future_release_epoch(day, clock_time, config.zoneinfo, self.now())
        if await self.store.count_own_releases(guild.id) >= MAX_OWN_RELEASES:
            raise UserError(
                f"This server has {MAX_OWN_RELEASES} releases of its own, the most it can have: remove one first."
            )
        release = await self.store.add_release(
            guild.id, title=title.strip(), date=day, time=clock_time, link=url,
            description=description.strip() if description else None, now=self.now(),
        )  # fmt: skip
        await self.service.save(config)
        await reply(
            interaction,
            f"Added **{release.title}**: {discord_timestamp(epoch, 'F')} ({discord_timestamp(epoch, 'R')}). "
            f"{await self.next_post_line(guild.id)}",
        )

    @app_commands.command(name="remove-release", description="Remove one of this server's own releases")
    @app_commands.describe(release="One of the releases added with /reminders add-release")
    async def remove_release(self, interaction: Interaction, release: app_commands.Range[str, 1, 100]) -> None:
        guild = guild_of(interaction)
        found = find_release(await self.store.own_releases(guild.id), release)
        removed = None if found is None else await self.store.remove_release(guild.id, found.id)
        if removed is None:
            raise UserError(
                f"`release`: none of this server's own releases matches {quote(release)}. Pick one from the "
                "list as you type; catalogue releases cannot be removed."
            )
        await self.service.replan(guild.id)
        await reply(interaction, f"Removed **{removed.title}**; its pending reminders are cancelled.")

    @remove_release.autocomplete("release")
    async def own_release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.store.own_releases(guild_of(interaction).id)
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]


def events_answer(report: SyncReport, turned_on: bool) -> str:
    """What `/reminders events` tells the moderator: what was done, and what waits."""
    if turned_on:
        done = [f"{n} {what}" for n, what in ((report.created, "created"), (report.edited, "updated")) if n]
        lines = [
            "Dated releases are now mirrored as Discord events"
            + (f" ({', '.join(done)})" if done else "")
            + ". Fans can click **Interested** on them, and reminder posts link to them. An event you delete by "
            "hand is not made again; `/reminders events on` once more brings every one back."
        ]
        if report.gone:
            lines.append(f"{len(report.gone)} event(s) deleted by hand stay deleted.")
    else:
        lines = [
            "Releases are no longer mirrored as Discord events"
            + (f"; {report.cancelled} upcoming event(s) cancelled." if report.cancelled else ".")
        ]
    if report.blocked is not None:
        lines.append(
            f"⚠️ {report.blocked}. Reminders are not affected; `/reminders status` shows this until it is fixed."
        )
    if report.fault is not None:
        lines.append(f"⚠️ Not every event is done yet ({report.fault}); I'll finish in a few minutes by myself.")
    return "\n".join(lines)


@contextmanager
def option(name: str) -> Iterator[None]:
    """Bad input named after the option it was typed into, in the words of the parser that refused it."""
    try:
        yield
    except (LeadTimeError, DateTimeError, ScheduleError, TemplateError, ZoneError) as error:
        raise UserError(f"`{name}`: {error}") from error


@contextmanager
def refused() -> Iterator[None]:
    """The service's refusals are written for the moderator already."""
    try:
        yield
    except ReleaseError as error:
        raise UserError(str(error)) from error


def check_link(link: str) -> str:
    """A moderator's link, stripped, if Discord will accept it on an embed (`bot.typed.link_problem`)."""
    typed = link.strip()
    problem = link_problem(typed)
    if problem is not None:
        raise UserError(
            f"`link`: {quote(link)} {problem}: give a full web address like https://example.org/party "
            f"(at most {LINK_LIMIT} characters), or leave it out."
        )
    return typed
