"""What a reminder post is, without Discord: the plan of posts for a server, their nonces, and their text.

Everything here is a pure function of the configuration, the releases and the lead times, so the
dispatcher, `/reminders preview`, `/reminders test` and the tests all build the same post.

A post is public: it is written in the current language, which its caller sets to the server's
(`bot.i18n.using(server_language(...))`); so are the notices to moderators. The release's title, description
and link, and a moderator's own template, are never translated.

Every place the reminders show a release's title or description in markdown does it through `title_text` and
`description_text`: a title is plain text (the catalogue's or a moderator's), shown as written; a description is
the catalogue's markdown, or a moderator's words, shown as typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.catalogue import Release
from bot.delivery import nonce
from bot.i18n import N_, Text, _, in_every_language, text
from bot.markup import CONTENT_LIMIT, literal
from bot.moments import release_epoch
from bot.releases import own_number
from bot.search import Index
from bot.when import When
from cogs.reminders.mirror import event_url
from cogs.reminders.schedule import reminder_plan
from cogs.reminders.store import GuildConfig, PlannedPost, Post
from cogs.reminders.templates import Values, default_template, parse_template, render, timing_line
from cogs.reminders.timeparse import LeadTime

# Translators: starts the text of a post made by /reminders test.
TEST_MARK = N_("[Test] ")


# -- the plan -----------------------------------------------------------------------------------------------


def announced(release: Release) -> str:
    """The moment a release was announced for, as written: a post is made again only when this changes."""
    parts = [str(release.date), release.time.isoformat() if release.time else "", release.zone or ""]
    return " ".join(part for part in parts if part)


def plan(config: GuildConfig, releases: Sequence[Release]) -> list[PlannedPost]:
    """Every post the server's releases get with its lead times; releases without a date get none."""
    zone = config.zoneinfo
    planned = []
    for release in releases:
        release_at = release_epoch(release, zone)
        if release_at is None:
            continue
        for due in reminder_plan(release, config.lead_times, zone):
            planned.append(PlannedPost(release.id, due.lead, announced(release), release_at, due.due))
    return planned


def nonce_for(post: Post) -> str:
    """The same nonce for every attempt at one post (`bot.delivery.nonce`)."""
    return nonce(post.guild_id, post.release_id, post.lead.key, post.announced)


def release_index(releases: Sequence[Release]) -> Index[Release]:
    return Index(
        releases, key=lambda release: text(release.title), aliases=lambda release: [release.kind], ident=lambda r: r.id
    )


def release_choices(releases: Sequence[Release], typed: str) -> list[tuple[str, str]]:
    """(name, id) pairs for autocomplete, best match first, within Discord's limits."""
    return release_index(releases).choices(typed)


def find_release(releases: Sequence[Release], text: str) -> Release | None:
    """A release from its id (what autocomplete sends), its choice's name, or its title as typed."""
    return release_index(releases).resolve(text)


# -- the post -----------------------------------------------------------------------------------------------


def title_text(release: Release, limit: int | None = None) -> str:
    """A release's title in markdown (a message, an embed's title or description, a field): shown as written, at
    most `limit` characters."""
    return literal(text(release.title), limit)


def description_text(release: Release) -> str | None:
    """A release's description in markdown: the catalogue's is markdown already (`*The Long Game*`); a server's own,
    typed by a moderator, is shown as typed."""
    if release.description is None or own_number(release.id) is None:
        return release.description
    return literal(release.description, starts_line=True)


class PostMode(StrEnum):
    REAL = "real"
    PREVIEW = "preview"  # shown privately to a moderator: no pings
    TEST = "test"  # posted to the channel, marked as a test: no pings


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    """A post as data: the cog turns it into content, an embed and `allowed_mentions`.

    `ping_role_id` is the only mention the post may make; None means it pings nobody. `event_url` is the
    release's native Discord event (`/reminders events`), and `notify` whether the post offers the
    **Notify me** button (the server has a reminder role to opt into).
    """

    content: str
    title: str
    description: str
    url: str | None
    footer: str
    ping_role_id: int | None
    event_url: str | None = None
    notify: bool = False
    # The footers an earlier attempt of this post may carry: the real post's in every language the bot writes,
    # so `find_sent` recognises a post made before a crash though the server changed its language since.
    footers: frozenset[str] = frozenset()


REAL_FOOTER = N_("Release reminder · {lead}")


@cache
def real_footers(lead: LeadTime) -> frozenset[str]:
    """The real post's footer for `lead` in each of the bot's languages; cached, as the catalogues do not change
    while the bot runs."""
    return in_every_language(lambda: _(REAL_FOOTER, lead=lead))


def compose(
    release: Release,
    release_at: int,
    due_at: int,
    lead: LeadTime,
    config: GuildConfig,
    server_name: str,
    *,
    late: bool = False,
    mode: PostMode = PostMode.REAL,
    event_id: int | None = None,
) -> ReminderMessage:
    """The post due at `due_at`, in the current language; a preview and a test differ from the real one only by
    their marker and the missing ping. A date-only release's countdown counts the days from the post's due date
    (in the server's zone), so a preview says what the post will."""
    template = default_template() if config.template is None else parse_template(config.template, stored=True)
    when = When.of(release, release_at)
    shown, countdown = when.text(), when.countdown(due_at, config.zoneinfo)
    content = render(template, Values(text(release.title), shown, countdown, server_name, config.role_id, release.link))
    description = timing_line(lead, shown, countdown, late=late)
    if (about := description_text(release)) is not None:
        description += f"\n\n{about}"
    footer = _(REAL_FOOTER, lead=lead)
    if mode is PostMode.TEST:
        footer = _("Test post from /reminders test · nobody was pinged · {lead}", lead=lead)
        mark = _(TEST_MARK)
        if len(mark) + len(content) <= CONTENT_LIMIT:
            content = mark + content
    elif mode is PostMode.PREVIEW:
        footer = (
            _("Preview of the post · {lead} · it will ping the role", lead=lead)
            if config.role_id
            else _("Preview of the post · {lead}", lead=lead)
        )
    return ReminderMessage(
        content=content,
        title=title_text(release),
        description=description,
        url=release.link,
        footer=footer,
        ping_role_id=config.role_id if mode is PostMode.REAL else None,
        event_url=None if event_id is None else event_url(config.guild_id, event_id),
        notify=config.role_id is not None,
        footers=real_footers(lead) if mode is PostMode.REAL else frozenset({footer}),
    )


ROLE_DELETED_NOTICE = N_(
    "The role that release reminders pinged was deleted, so reminders now ping nobody. A moderator can choose "
    "another role with `/reminders role`."
)


def blocked_notice(reason: str | Text) -> str:
    """The notice to the server's moderators (its system channel), in the current language: the server's."""
    return _(
        "Release reminders are paused in this server: {reason}. Nothing will be posted until a moderator "
        "fixes it and runs `/reminders channel` (or `/reminders enable`) again; `/reminders status` shows "
        "what is waiting.",
        reason=text(reason),
    )
