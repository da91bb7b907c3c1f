"""/reminders: moderators set up release-day reminders; the dispatcher that posts them runs with this cog.

Every setting is checked when it is given (permissions in the channel, whether the role's ping would
notify anyone, the time zone, lead times, template, dates), so problems surface to the moderator at
configuration time instead of as a silent failure on release day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import Release
from bot.db.reminders import GuildConfig, Post, PostState, ReminderStore
from bot.embeds import Card, clamp
from bot.errors import UserError
from bot.markup import discord_timestamp
from bot.reminders import (
    DeliveryError,
    Mode,
    ReminderMessage,
    Reminders,
    compose,
    find_release,
    release_choices,
)
from bot.schedule import ScheduleError, future_release_epoch, next_release, release_epoch, resolve_zone, zone_choices
from bot.templates import LINK_LIMIT, TemplateError, parse_template
from bot.timeparse import (
    AT_RELEASE,
    DateTimeError,
    LeadTimeError,
    describe_lead_times,
    parse_date,
    parse_lead_times,
    parse_time,
)

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["HeatedRivalryBot"]

MAX_OWN_RELEASES = 25  # so that /reminders remove-release can list every one in its autocomplete
STATUS_POSTS = 10
STATUS_FAILURES = 5
STATUS_SKIPPED = 3
NEEDED = (("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links"))
COG_NAME = "Reminders"
UNBLOCK_HINT = "run `/reminders channel` (or `/reminders enable`) again"


@contextmanager
def option(name: str) -> Iterator[None]:
    """Bad input named after the option it was typed into, in the words of the parser that refused it."""
    try:
        yield
    except (LeadTimeError, DateTimeError, ScheduleError, TemplateError) as error:
        raise UserError(f"`{name}`: {error}") from error


def guild_of(interaction: Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("Reminders belong to a server; use this command there.")
    return interaction.guild


def missing_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    """What the bot lacks to post reminders in `channel`."""
    mine = channel.permissions_for(channel.guild.me)
    return [label for name, label in NEEDED if not getattr(mine, name)]


def history_warning(channel: discord.abc.GuildChannel) -> str | None:
    """Read Message History is optional, but without it a crash can, rarely, double a post."""
    if channel.permissions_for(channel.guild.me).read_message_history:
        return None
    return (
        f"I lack Read Message History in {channel.mention}: after a crash I cannot check whether a reminder "
        "already went out, so only Discord's few-minute duplicate guard protects against a double post."
    )


def ping_warning(guild: discord.Guild, role_id: int | None, channel_id: int | None) -> str | None:
    """Why the role's ping would notify nobody, if it would not (Discord drops it without an error)."""
    role = guild.get_role(role_id) if role_id is not None else None
    if role is None:
        return None if role_id is None else "The reminder role no longer exists: choose another with `/reminders role`."
    channel = guild.get_channel(channel_id) if channel_id is not None else None
    me = guild.me
    can_mention_all = (channel.permissions_for(me) if channel is not None else me.guild_permissions).mention_everyone
    if role.mentionable or can_mention_all:
        return None
    return (
        f"{role.mention} is not mentionable and I lack Mention Everyone, so its ping would notify nobody: turn on "
        "'Allow anyone to @mention this role' in Server Settings → Roles, or give me Mention Everyone."
    )


def check_link(link: str) -> str:
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link.strip()) > LINK_LIMIT:
        raise UserError(
            f"`link`: '{clamp(link, 80)}' is not a link: give a full web address starting with https:// "
            f"(at most {LINK_LIMIT} characters), or leave it out."
        )
    return link.strip()


def to_embed(message: ReminderMessage) -> discord.Embed:
    return Card(title=message.title, description=message.description, url=message.url, footer=message.footer).build()


def allowed_mentions(message: ReminderMessage) -> discord.AllowedMentions:
    """Exactly the configured role, or nobody: a template can never ping @everyone, @here or members."""
    if message.ping_role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(message.ping_role_id)])


class DiscordSender:
    """The dispatcher's view of Discord: post, name a server, notify its moderators."""

    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot

    def server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else "this server"

    async def send(self, channel_id: int, message: ReminderMessage, nonce: str) -> int:
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            sent = await channel.send(
                message.content or None,
                embed=to_embed(message),
                allowed_mentions=allowed_mentions(message),
                nonce=nonce,
            )
        except discord.Forbidden as error:
            raise DeliveryError(
                DeliveryError.BLOCKED,
                f"Discord refused my post in <#{channel_id}> ({error.text or 'Missing Permissions'}): I need "
                "View Channel, Send Messages and Embed Links there",
            ) from error
        except discord.NotFound as error:
            raise DeliveryError(
                DeliveryError.BLOCKED, f"the reminder channel <#{channel_id}> was deleted or is hidden from me"
            ) from error
        except discord.RateLimited as error:
            raise DeliveryError(
                DeliveryError.TRANSIENT, "rate limited by Discord", retry_after=error.retry_after
            ) from error
        except discord.HTTPException as error:
            if error.status == 429 or error.status >= 500:
                raise DeliveryError(DeliveryError.TRANSIENT, f"Discord answered {error.status}") from error
            raise DeliveryError(
                DeliveryError.REJECTED, f"Discord refused the post ({error.status}: {error.text})"
            ) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(DeliveryError.TRANSIENT, f"could not reach Discord ({error!r})") from error
        return sent.id

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        """Look through the channel's messages since the first attempt (a minute's margin for clock skew).

        Needs Read Message History; without it the nonce alone protects against duplicates.
        """
        me = self.bot.user
        channel = self.bot.get_partial_messageable(channel_id)
        after = discord.Object(discord.utils.time_snowflake(dt.datetime.fromtimestamp(since - 60, dt.UTC)))
        try:
            async for old in channel.history(after=after, limit=100):
                if (
                    me is not None
                    and old.author.id == me.id
                    and any(
                        embed.title == message.title and embed.footer.text == message.footer for embed in old.embeds
                    )
                ):
                    return old.id
        except discord.HTTPException as error:
            log.warning("could not read <#%s> to look for an earlier attempt: %s", channel_id, error)
        return None

    async def notify(self, guild_id: int, text: str) -> bool:
        guild = self.bot.get_guild(guild_id)
        channel = guild.system_channel if guild is not None else None
        if channel is None:
            return False
        mine = channel.permissions_for(channel.guild.me)
        if not (mine.view_channel and mine.send_messages):
            return False
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not tell server %s in its system channel", guild_id, exc_info=True)
            return False
        return True


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class RemindersCog(
    commands.GroupCog,
    name=COG_NAME,
    group_name="reminders",
    group_description="Release-day reminders for this server",
):
    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot
        self.service = Reminders(ReminderStore(bot.db), bot.catalogue, DiscordSender(bot))
        super().__init__()

    async def cog_load(self) -> None:
        servers = await self.service.replan_all()
        log.info("reminders planned for %d configured servers", servers)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start posting once the server list is known, so posts can name their server and notices find it.

        `on_ready` comes again after each reconnect; the dispatcher is started only once.
        """
        self.service.start()

    async def cog_unload(self) -> None:
        await self.service.stop()

    @property
    def store(self) -> ReminderStore:
        return self.service.store

    def now(self) -> int:
        return self.service.clock.now()

    async def save(self, config: GuildConfig, *, was_active: bool | None = None) -> GuildConfig:
        """Store the configuration and replan. A server that starts posting skips what it missed while off."""
        await self.store.configure(config, self.now())
        if was_active is False and config.active:
            await self.store.skip_missed(
                config.guild_id, self.now(), "reminders were off or had no channel when it was due"
            )
        return await self.service.replan(config.guild_id)

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
        config = await self.save(
            replace(config, channel_id=channel.id, blocked_reason=None, blocked_at=None),
            was_active=config.channel_id is not None and config.enabled,
        )
        lines = [f"Reminders will be posted in {channel.mention}." + (" Posting is unblocked." if unblocked else "")]
        if not config.enabled:
            lines.append("Posting is off: `/reminders enable` turns it on.")
        warnings = [ping_warning(guild_of(interaction), config.role_id, config.channel_id), history_warning(channel)]
        lines += [f"⚠️ {warning}" for warning in warnings if warning]
        lines.append(await self.next_post_line(config.guild_id))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

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
        config = await self.save(replace(config, role_id=role.id if role else None))
        text = f"Reminders will ping {role.mention}." if role else "Reminders will ping nobody."
        warning = ping_warning(guild, config.role_id, config.channel_id)
        await interaction.response.send_message(text + (f"\n⚠️ {warning}" if warning else ""), ephemeral=True)

    @app_commands.command(
        name="timezone", description="The server's time zone: date-only releases come out at 00:00 there"
    )
    @app_commands.describe(zone="An IANA time zone such as Europe/London or America/Toronto")
    async def timezone(self, interaction: Interaction, zone: str) -> None:
        with option("zone"):
            found = resolve_zone(zone)
        config = await self.store.config(guild_of(interaction).id)
        config = await self.save(replace(config, zone=found.key))
        now = dt.datetime.fromtimestamp(self.now(), found)
        await interaction.response.send_message(
            f"Time zone: **{found.key}** (it is {now:%H:%M} there now). {await self.next_post_line(config.guild_id)}",
            ephemeral=True,
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
        config = await self.save(replace(config, lead_times=leads))
        await interaction.response.send_message(
            f"Reminders will be posted for each release: {describe_lead_times(leads)}. "
            f"{await self.next_post_line(config.guild_id)}",
            ephemeral=True,
        )

    @app_commands.command(name="template", description="The reminder text; leave it out to restore the default")
    @app_commands.describe(text="Placeholders: {release} {when} {countdown} {role} {link} {server}")
    async def template(self, interaction: Interaction, text: app_commands.Range[str, 1, 1000] | None = None) -> None:
        if text is not None:
            with option("text"):
                parse_template(text)
        config = await self.store.config(guild_of(interaction).id)
        await self.save(replace(config, template=text))
        done = "Template saved." if text is not None else "The default template is back."
        await interaction.response.send_message(f"{done} `/reminders preview` shows the post.", ephemeral=True)

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
        config = await self.save(
            replace(config, enabled=True, blocked_reason=None, blocked_at=None), was_active=config.enabled
        )
        await interaction.response.send_message(
            f"Reminders are on, posting in {channel.mention}. {await self.next_post_line(guild.id)}", ephemeral=True
        )

    @app_commands.command(name="disable", description="Turn reminder posts off (the configuration is kept)")
    async def disable(self, interaction: Interaction) -> None:
        config = await self.store.config(guild_of(interaction).id)
        await self.save(replace(config, enabled=False))
        await interaction.response.send_message(
            "Reminders are off. Posts that come due meanwhile are skipped; `/reminders enable` turns them back on.",
            ephemeral=True,
        )

    # -- looking --

    @app_commands.command(name="status", description="The configuration, the next posts and the last failures")
    async def status(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        embed = await self.status_card(guild)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def status_card(self, guild: discord.Guild) -> discord.Embed:
        config = await self.store.config(guild.id)
        channel = guild.get_channel(config.channel_id) if config.channel_id is not None else None
        if config.blocked_reason is not None:
            state = (
                f"**Blocked** since {discord_timestamp(config.blocked_at or 0, 'R')}: {config.blocked_reason}. "
                f"Nothing is posted until you fix it and {UNBLOCK_HINT}."
            )
        elif config.channel_id is None:
            state = "**Not set up**: choose a channel with `/reminders channel`."
        elif not config.enabled:
            state = "**Off**: `/reminders enable` turns posting on."
        else:
            state = f"**On**: posting in <#{config.channel_id}>."
        card = Card(title=f"Release reminders · {guild.name}", description=state)
        role = f"<@&{config.role_id}>" if config.role_id is not None else "none (posts ping nobody)"
        card.add(
            "Configuration",
            f"Channel: {f'<#{config.channel_id}>' if config.channel_id else 'not set'}\nRole: {role}\n"
            f"Time zone: {config.zone}\nLead times: {describe_lead_times(config.lead_times)}\n"
            f"Template: {'`' + clamp(config.template, 300).replace('`', 'ˋ') + '`' if config.template else 'default'}",
        )
        problems = []
        if channel is not None:
            missing = missing_permissions(channel)
            if missing:
                problems.append(f"I lack {', '.join(missing)} in {channel.mention}.")
            problems += [note] if (note := history_warning(channel)) else []
        elif config.channel_id is not None:
            problems.append("The reminder channel no longer exists or is hidden from me.")
        warning = ping_warning(guild, config.role_id, config.channel_id)
        problems += [warning] if warning else []
        card.add("Checks", "\n".join(f"⚠️ {p}" for p in problems) or "✅ I can post there, and the ping will notify.")
        upcoming = await self.service.upcoming_posts(guild.id, STATUS_POSTS)
        card.add(
            "Next posts",
            "\n".join(
                f"{discord_timestamp(post.due_at, 'F')} ({discord_timestamp(post.due_at, 'R')}) · "
                f"{release.title if release else post.release_id} · {post.lead}"
                for post, release in upcoming
            )
            or "None: no upcoming release with a date.",
        )
        counts = await self.store.counts(guild.id)
        summary = " · ".join(f"{state.value}: {counts[state]}" for state in PostState)
        skipped = await self.store.posts(guild.id, [PostState.SKIPPED], STATUS_SKIPPED)
        titles = {release.id: release.title for release in await self.service.releases(guild.id)}
        card.add(
            "Posts so far", "\n".join([summary, *(f"Skipped {self.describe(p, titles)}: {p.detail}" for p in skipped)])
        )
        failures = await self.store.failures(guild.id, STATUS_FAILURES)
        card.add(
            "Last delivery failures",
            "\n".join(
                f"{discord_timestamp(p.error_at or 0, 'R')} {self.describe(p, titles)}: {p.error} "
                f"({'sent later' if p.state is PostState.SENT else p.state.value})"
                for p in failures
            )
            or "None.",
        )
        return card.build()

    @staticmethod
    def describe(post: Post, titles: dict[str, str]) -> str:
        return f"**{titles.get(post.release_id, post.release_id)}** ({post.lead})"

    async def pick_release(self, guild_id: int, text: str | None, config: GuildConfig) -> tuple[Release, int]:
        """The release a preview or test is about (default: the next one) and its moment."""
        releases = await self.service.releases(guild_id)
        if text is None:
            upcoming = next_release(releases, config.zoneinfo, self.now())
            if upcoming is None or upcoming.epoch is None:
                raise UserError("No upcoming release has a date; name one with the `release` option.")
            return upcoming.release, upcoming.epoch
        found = find_release(releases, text)
        if found is None:
            raise UserError(f"`release`: no release matches '{clamp(text, 80)}'; pick one from the list as you type.")
        epoch = release_epoch(found, config.zoneinfo)
        if epoch is None:
            raise UserError(f"`release`: **{found.title}** has no date yet, so there is nothing to remind of.")
        return found, epoch

    async def sample(self, guild: discord.Guild, text: str | None, mode: Mode) -> ReminderMessage:
        config = await self.store.config(guild.id)
        release, epoch = await self.pick_release(guild.id, text, config)
        lead = next((lead for lead in config.lead_times if not lead.at_release), AT_RELEASE)
        return compose(release, epoch, lead, config, guild.name, mode=mode)

    @app_commands.command(name="preview", description="Show privately exactly what a reminder will look like")
    @app_commands.describe(release="Which release (default: the next one)")
    async def preview(self, interaction: Interaction, release: str | None = None) -> None:
        message = await self.sample(guild_of(interaction), release, Mode.PREVIEW)
        await interaction.response.send_message(message.content or None, embed=to_embed(message), ephemeral=True)

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
        message = await self.sample(guild, None, Mode.TEST)
        try:
            sent = await channel.send(
                message.content or None, embed=to_embed(message), allowed_mentions=allowed_mentions(message)
            )
        except discord.Forbidden as error:
            raise UserError(
                f"Discord refused my test post in {channel.mention} ({error.text}): I need View Channel, Send Messages and Embed Links there."
            ) from error
        text = f"Test reminder posted: {sent.jump_url}"
        if config.blocked_reason is not None:
            await self.save(replace(config, blocked_reason=None, blocked_at=None))
            text += "\nIt went through, so posting is unblocked."
        await interaction.response.send_message(text, ephemeral=True)

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
        await self.save(config)
        await interaction.response.send_message(
            f"Added **{release.title}**: {discord_timestamp(epoch, 'F')} ({discord_timestamp(epoch, 'R')}). "
            f"{await self.next_post_line(guild.id)}",
            ephemeral=True,
        )

    @app_commands.command(name="remove-release", description="Remove one of this server's own releases")
    @app_commands.describe(release="One of the releases added with /reminders add-release")
    async def remove_release(self, interaction: Interaction, release: str) -> None:
        guild = guild_of(interaction)
        found = find_release(await self.store.own_releases(guild.id), release)
        removed = None if found is None else await self.store.remove_release(guild.id, found.id)
        if removed is None:
            raise UserError(
                f"`release`: none of this server's own releases matches '{clamp(release, 80)}'. Pick one from the "
                "list as you type; catalogue releases cannot be removed."
            )
        await self.service.replan(guild.id)
        await interaction.response.send_message(
            f"Removed **{removed.title}**; its pending reminders are cancelled.", ephemeral=True
        )

    @remove_release.autocomplete("release")
    async def own_release_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        releases = await self.store.own_releases(guild_of(interaction).id)
        return [app_commands.Choice(name=name, value=value) for name, value in release_choices(releases, current)]


def reminders_of(bot: commands.Bot) -> Reminders:
    """The running reminders service, for the cogs that read releases and schedules.

    Looked up by name and checked by the service's type: an extension's module is re-executed when it is
    loaded, so this module's class may not be the loaded cog's class.
    """
    service = getattr(bot.get_cog(COG_NAME), "service", None)
    if not isinstance(service, Reminders):
        raise RuntimeError("the reminders cog is not loaded")
    return service


async def setup(bot: HeatedRivalryBot) -> None:
    await bot.add_cog(RemindersCog(bot))
