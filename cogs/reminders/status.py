"""What a moderator is shown about a server's reminders: permission and ping checks, and `/reminders status`.

The checks run against the bot's live permissions, so a problem shows up when a moderator configures or
looks, not as a silent failure on release day. Everything here is written in the moderator's language.

The card's parts agree with its state line: the posting checks speak of a channel only when there is one; while
nothing is posted (no channel, posting off or blocked) "Next posts" says none go out and how many wait, instead
of listing posts that will not be made on their time; "Posts so far" counts what happened (sent, skipped, failed),
not what is planned.
"""

from __future__ import annotations

import discord

from bot.catalogue import Release
from bot.embeds import FIELD_VALUE_LIMIT, Card, join_within
from bot.i18n import N_, _, current, ngettext, text
from bot.markup import clamp, discord_timestamp, literal
from bot.permissions import permission_names
from bot.when import When
from cogs.reminders.event_store import EventStore
from cogs.reminders.events import missing_event_permissions, permission_reason
from cogs.reminders.mirror import EventState, event_url
from cogs.reminders.notify import role_problem
from cogs.reminders.posts import title_text
from cogs.reminders.service import UNPLANNABLE, Reminders
from cogs.reminders.store import GuildConfig, Post, PostState
from cogs.reminders.timeparse import describe_lead_times
from cogs.reminders.zones import zone_label

STATUS_POSTS = 10
STATUS_FAILURES = 5
STATUS_SKIPPED = 3
STATUS_GONE_LIMIT = 400  # characters of the deleted-by-hand list
DONE = (PostState.SENT, PostState.SKIPPED, PostState.FAILED)  # what "Posts so far" counts
NEEDED = (
    ("view_channel", N_("View Channel")),
    ("send_messages", N_("Send Messages")),
    ("embed_links", N_("Embed Links")),
)
UNBLOCK_HINT = N_("run `/reminders channel` (or `/reminders enable`) again")
STATE_NAMES = {
    PostState.PENDING: N_("pending"),
    PostState.SENT: N_("sent"),
    PostState.SKIPPED: N_("skipped"),
    PostState.FAILED: N_("failed"),
}


def stored(reason: str) -> str:
    """A reason read from the database (a skip's detail, a delivery error, a block), as the moderator reads it.

    Reasons are stored as they were written, in English, since the database outlives any reader's language and
    the same row is shown to moderators of any language. One that is a fixed message (an `N_` constant, such
    as `MISSED_WHILE_OFF`, or a message without values) is its own message id, so `_()` finds its translation;
    one made with values (a channel, Discord's own words, a count) is free text no catalogue holds, and it is
    shown as written rather than guessed back into a message id.
    """
    return _(reason)


def missing_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    """What the bot lacks to post reminders in `channel`, named as the moderator's Discord names them."""
    mine = channel.permissions_for(channel.guild.me)
    return [_(label) for name, label in NEEDED if not getattr(mine, name)]


def history_warning(channel: discord.abc.GuildChannel) -> str | None:
    """Read Message History is optional, but without it a crash can, rarely, double a post."""
    if channel.permissions_for(channel.guild.me).read_message_history:
        return None
    return _(
        "I lack Read Message History in {channel}: after a crash I cannot check whether a reminder "
        "already went out, so only Discord's few-minute duplicate guard protects against a double post.",
        channel=channel.mention,
    )


def ping_warning(guild: discord.Guild, role_id: int | None, channel_id: int | None) -> str | None:
    """Why the role's ping would notify nobody, if it would not (Discord drops it without an error)."""
    role = guild.get_role(role_id) if role_id is not None else None
    if role is None:
        if role_id is None:
            return None
        return _("The reminder role no longer exists: choose another with `/reminders role`.")
    channel = guild.get_channel(channel_id) if channel_id is not None else None
    me = guild.me
    can_mention_all = (channel.permissions_for(me) if channel is not None else me.guild_permissions).mention_everyone
    if role.mentionable or can_mention_all:
        return None
    return _(
        "{role} is not mentionable and I lack {permission}, so its ping would notify nobody: turn on "
        "'Allow anyone to @mention this role' in Server Settings → Roles, or give me that permission.",
        role=role.mention,
        permission=permission_names(["mention_everyone"])[0],
    )


async def status_card(service: Reminders, events: EventStore, guild: discord.Guild) -> discord.Embed:
    """What `/reminders status` shows: state, configuration, live checks, native events, next posts, failures."""
    config = await service.store.config(guild.id)
    channel = guild.get_channel(config.channel_id) if config.channel_id is not None else None
    where = f"<#{config.channel_id}>" if config.channel_id else None
    if config.blocked_reason is not None:
        unplannable = config.blocked_reason.startswith(UNPLANNABLE)
        state = _(
            "**Blocked** since {since}: {reason}. Nothing is posted until you fix it; {then}.",
            since=discord_timestamp(config.blocked_at or 0, "R"),
            reason=stored(config.blocked_reason),
            then=_("it lifts by itself once it is fixed") if unplannable else _(UNBLOCK_HINT),
        )
    elif config.channel_id is None:
        state = _("**Not set up**: choose a channel with `/reminders channel`.")
    elif not config.enabled:
        state = _("**Off**: `/reminders enable` turns posting on.")
    else:
        state = _("**On**: posting in {channel}.", channel=where)
    card = Card(title=_("Release reminders · {server}", server=literal(guild.name)), description=state)
    role = f"<@&{config.role_id}>" if config.role_id is not None else _("none (posts ping nobody)")
    template = "`" + clamp(config.template, 300).replace("`", "ˋ") + "`" if config.template else _("default")
    card.add(
        _("Configuration"),
        _(
            "Channel: {channel}\nRole: {role}\nTime zone: {zone}\nLead times: {leads}\nTemplate: {template}",
            channel=where or _("not set"),
            role=role,
            zone=zone_label(config.zone),
            leads=describe_lead_times(config.lead_times),
            template=template,
        ),
    )
    card.add(_("Checks"), _checks(guild, config, channel))
    card.add(_("Opting in"), _opt_in_line(guild, config.role_id))
    releases = await service.releases(guild.id)
    titles = {release.id: text(release.title) for release in releases}
    card.add(_("Discord events"), await _events_line(events, guild, titles))
    counts = await service.store.counts(guild.id)
    card.add(_("Next posts"), await _next_posts(service, config, counts[PostState.PENDING]))
    summary = " · ".join(_("{state}: {count}", state=_(STATE_NAMES[state]), count=counts[state]) for state in DONE)
    skipped = await service.store.posts(guild.id, [PostState.SKIPPED], STATUS_SKIPPED)
    card.add(
        _("Posts so far"),
        "\n".join(
            [
                summary if any(counts[state] for state in DONE) else _("None yet."),
                *(
                    _("Skipped {post}: {reason}", post=_describe(p, titles), reason=stored(p.detail or ""))
                    for p in skipped
                ),
            ]
        ),
    )
    failures = await service.store.failures(guild.id, STATUS_FAILURES)
    card.add(
        _("Last delivery failures"),
        "\n".join(
            _(
                "{when} {post}: {error} ({outcome})",
                when=discord_timestamp(p.error_at or 0, "R"),
                post=_describe(p, titles),
                error=stored(p.error or ""),
                outcome=_("sent later") if p.state is PostState.SENT else _(STATE_NAMES[p.state]),
            )
            for p in failures
        )
        or _("None."),
    )
    return card.build()


def _checks(guild: discord.Guild, config: GuildConfig, channel: discord.abc.GuildChannel | None) -> str:
    """Whether posts can go out and ping as configured: the channel's permissions once there is a channel, the
    role's ping whenever there is a role."""
    problems = []
    if channel is not None:
        missing = missing_permissions(channel)
        if missing:
            problems.append(
                _("I lack {permissions} in {channel}.", permissions=current().join(missing), channel=channel.mention)
            )
        problems += [note] if (note := history_warning(channel)) else []
    elif config.channel_id is not None:
        problems.append(_("The reminder channel no longer exists or is hidden from me."))
    warning = ping_warning(guild, config.role_id, config.channel_id)
    problems += [warning] if warning else []
    if problems:
        return "\n".join(f"⚠️ {p}" for p in problems)
    if channel is None:
        return _("No channel to check yet.")
    if config.role_id is None:
        return "✅ " + _("I can post in {channel}.", channel=channel.mention)
    return "✅ " + _("I can post in {channel}, and the ping will notify.", channel=channel.mention)


async def _next_posts(service: Reminders, config: GuildConfig, pending: int) -> str:
    """The next posts, by release: when the release comes out (`bot.when`), then when each of its posts goes out.
    While nothing is posted, how many posts wait instead: none of them goes out on its time until then."""
    if pending and not config.active:
        if config.blocked_reason is not None:
            return ngettext(
                "None while posting is blocked; {n} planned post waits for it to be unblocked.",
                "None while posting is blocked; {n} planned posts wait for it to be unblocked.",
                pending,
            )
        if config.channel_id is None:
            return ngettext(
                "None until a channel is chosen; {n} planned post waits for it.",
                "None until a channel is chosen; {n} planned posts wait for it.",
                pending,
            )
        return ngettext(
            "None while posting is off; {n} planned post waits for it to be on again.",
            "None while posting is off; {n} planned posts wait for it to be on again.",
            pending,
        )
    upcoming = await service.upcoming_posts(config.guild_id, STATUS_POSTS)
    if not upcoming:
        return _("None: no upcoming release with a date.")
    by_release: dict[tuple[str, int], list[tuple[Post, Release | None]]] = {}
    for pair in upcoming:  # soonest post first, so each release where its first post is
        by_release.setdefault((pair[0].release_id, pair[0].release_at), []).append(pair)
    lines = []
    for (release_id, release_at), posts in by_release.items():
        release = posts[0][1]
        title = title_text(release, 100) if release else release_id
        when = When.of(release, release_at).text() if release else discord_timestamp(release_at, "F")
        times = [_("{lead}: {when}", lead=_lead_words(p), when=discord_timestamp(p.due_at, "f")) for p, _r in posts]
        lines.append(f"**{title}** · {when}\n" + " · ".join(times))
    rest = pending - len(upcoming)
    if rest > 0:
        lines.append(ngettext("…and {n} more planned.", "…and {n} more planned.", rest))
    return join_within(lines, FIELD_VALUE_LIMIT, "\n")


def _lead_words(post: Post) -> str:
    return str(post.lead) if post.lead.at_release else _("{lead} before", lead=post.lead)


def _opt_in_line(guild: discord.Guild, role_id: int | None) -> str:
    """Whether fans can give themselves the reminder role with **Notify me** or `/releases notify`."""
    role = guild.get_role(role_id) if role_id is not None else None
    if role is None:
        return _("No reminder role: fans can't opt in to pings until you choose one with `/reminders role`.")
    problem = role_problem(guild, role)
    if problem is not None:
        return "⚠️ " + _("Fans can't opt in with **Notify me** or `/releases notify`: {problem}.", problem=problem)
    return "✅ " + _("Fans can give themselves {role} with **Notify me** or `/releases notify`.", role=role.mention)


async def _events_line(events: EventStore, guild: discord.Guild, titles: dict[str, str]) -> str:
    """The mirror's state (on or off), what stops it, what moderators deleted by hand, then its events, the
    list last and cut to fit, so the state and the warnings always show within Discord's 1,024 characters."""
    mirror = await events.mirror(guild.id)
    rows = await events.events(guild.id)
    live = [row for row in rows if row.state is EventState.LIVE and row.event_id is not None]
    if mirror.enabled:
        lines = [ngettext("On: {n} event.", "On: {n} events.", len(live))]
    else:
        lines = [_("Off: `/reminders events on` mirrors each dated release as a native Discord event.")]
        if live:
            lines.append(ngettext("{n} event still to cancel.", "{n} events still to cancel.", len(live)))
    missing = missing_event_permissions(guild)
    if missing and (mirror.enabled or live):
        lines.append("⚠️ " + _("{reason}: grant it to my role. Reminders are not affected.", reason=permission_reason()))
    elif mirror.blocked_reason is not None:
        lines.append(
            "⚠️ "
            + _(
                "Waiting since {since}: {reason}.",
                since=discord_timestamp(mirror.blocked_at or 0, "R"),
                reason=stored(mirror.blocked_reason),
            )
        )
    gone = [
        f"**{literal(titles.get(row.release_id, row.shape.name), 60)}**" for row in rows if row.state is EventState.GONE
    ]
    if gone:
        lines.append(
            _(
                "Deleted by hand, not made again (`/reminders events on` brings them back): {events}",
                events=join_within(gone, STATUS_GONE_LIMIT, ", "),
            )
        )
    head = "\n".join(lines)
    links = [
        f"[{literal(titles.get(r.release_id, r.shape.name), 60)}]({event_url(guild.id, r.event_id or 0)})" for r in live
    ]
    room = FIELD_VALUE_LIMIT - len(head) - 1
    return head + ("\n" + join_within(links, room, "\n") if links and room > 40 else "")


def _describe(post: Post, titles: dict[str, str]) -> str:
    return f"**{literal(titles.get(post.release_id, post.release_id), 100)}** ({post.lead})"
