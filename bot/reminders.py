"""Release-day reminders without Discord: each server's plan of posts, the post itself, and the dispatcher.

One dispatcher task serves every server. It sleeps until the earliest pending post (an index seek) and is
woken early by an `asyncio.Event` whenever a configuration or a release changes; posts due at the same
instant go out concurrently, a bounded number at a time, and discord.py paces them within rate limits.

Exactly once: every attempt at a post carries the same nonce, derived from (server, release, lead time,
announced moment), with `enforce_nonce`, so Discord returns the message it already made instead of making
a second one when a retry follows a lost response or a crash; and a post is recorded as sent only after
Discord accepted it. Discord remembers a nonce for minutes only, so a post that was attempted before is
first looked for in the channel itself, which covers a crash followed by a long outage. Discord itself is behind the `Sender` protocol, implemented by the reminders cog.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.catalogue import Catalogue, Release
from bot.db.reminders import GuildConfig, PlannedPost, Post, PostState, ReminderStore
from bot.markup import CONTENT_LIMIT
from bot.schedule import DEFAULT_GRACE_S, Action, decide, release_epoch, reminder_plan
from bot.search import MAX_NAME, Index, fold, truncate
from bot.templates import DEFAULT_TEMPLATE, Values, parse_template, render, timing_line
from bot.timeparse import LeadTime

log = logging.getLogger(__name__)

CONCURRENCY = 16  # posts in flight at once; discord.py queues them further per rate-limit bucket
MAX_SLEEP_S = 3600  # re-check hourly anyway, so a wall-clock jump (suspend, NTP step) is noticed
RETRY_BASE_S = 30  # after discord.py's own retries failed: 30 s, 1 min, 2 min, ... up to RETRY_MAX_S
RETRY_MAX_S = 30 * 60
MAX_ATTEMPTS = 8
ERROR_PAUSE_S = 5.0  # after an unexpected error in the loop itself (a database hiccup)
TEST_MARK = "[Test] "


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
    """The same 25 characters for every attempt at one post (Discord allows a nonce of at most 25)."""
    identity = f"{post.guild_id}:{post.release_id}:{post.lead.key}:{post.announced}"
    return hashlib.sha256(identity.encode()).hexdigest()[:25]


def release_index(releases: Sequence[Release]) -> Index[Release]:
    return Index(releases, key=lambda release: release.title, aliases=lambda release: [release.kind])


def release_choices(releases: Sequence[Release], typed: str) -> list[tuple[str, str]]:
    """(name, id) pairs for autocomplete, best match first, within Discord's limits."""
    return [(truncate(m.item.title, MAX_NAME), m.item.id) for m in release_index(releases).search(typed)]


def find_release(releases: Sequence[Release], text: str) -> Release | None:
    """A release from its id (what autocomplete sends) or its title as typed."""
    folded = fold(text)
    return release_index(releases).resolve(text, exact=lambda r: r.id == text.strip() or fold(r.title) == folded)


# -- the post -----------------------------------------------------------------------------------------------


class Mode(StrEnum):
    REAL = "real"
    PREVIEW = "preview"  # shown privately to a moderator: no pings
    TEST = "test"  # posted to the channel, marked as a test: no pings


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    """A post as data: the cog turns it into content, an embed and `allowed_mentions`.

    `ping_role_id` is the only mention the post may make; None means it pings nobody.
    """

    content: str
    title: str
    description: str
    url: str | None
    footer: str
    ping_role_id: int | None


def compose(
    release: Release,
    release_at: int,
    lead: LeadTime,
    config: GuildConfig,
    server_name: str,
    *,
    late: bool = False,
    mode: Mode = Mode.REAL,
) -> ReminderMessage:
    """The post; a preview and a test differ from the real one only by their marker and the missing ping."""
    template = DEFAULT_TEMPLATE if config.template is None else parse_template(config.template)
    values = Values(release.title, release_at, server_name, config.role_id, release.link)
    content = render(template, values)
    description = timing_line(lead, release_at, late=late)
    if release.description:
        description += f"\n\n{release.description}"
    footer = f"Release reminder · {lead}"
    if mode is Mode.TEST:
        footer = f"Test post from /reminders test · nobody was pinged · {lead}"
        if len(TEST_MARK) + len(content) <= CONTENT_LIMIT:
            content = TEST_MARK + content
    elif mode is Mode.PREVIEW:
        footer = f"Preview of the post · {lead}" + (" · it will ping the role" if config.role_id else "")
    return ReminderMessage(
        content=content,
        title=release.title,
        description=description,
        url=release.link,
        footer=footer,
        ping_role_id=config.role_id if mode is Mode.REAL else None,
    )


# -- delivery -----------------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """Discord did not take the post; `kind` says what to do about it."""

    BLOCKED = "blocked"  # 403/404: stop this server's posts until a moderator fixes the configuration
    TRANSIENT = "transient"  # 5xx, 429, network: try again later
    REJECTED = "rejected"  # any other refusal: this post will never be accepted

    def __init__(self, kind: str, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class Sender(Protocol):
    """What the dispatcher needs from Discord."""

    def server_name(self, guild_id: int) -> str: ...

    async def send(self, channel_id: int, message: ReminderMessage, nonce: str) -> int:
        """Post and return the message id, or raise `DeliveryError`."""
        ...

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        """The id of this post if it is already in the channel (made at or after `since`), else None."""
        ...

    async def notify(self, guild_id: int, text: str) -> bool:
        """Tell the server's moderators in its system channel, when the bot may post there."""
        ...


class Clock(Protocol):
    def now(self) -> int: ...

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        """Return at `epoch`, or earlier when `wake` is set."""
        ...


class SystemClock:
    """Real time, optionally moved forward: the demo and tests show tomorrow's post without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._wake: asyncio.Event | None = None

    def now(self) -> int:
        return int(time.time() + self.offset)

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        self._wake = wake
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), max(0.0, epoch - (time.time() + self.offset)))

    def jump_to(self, epoch: float) -> None:
        """Make it `epoch` now for the dispatcher, and wake it so it notices."""
        self.offset = epoch - time.time()
        if self._wake is not None:
            self._wake.set()


async def server_releases(store: ReminderStore, catalogue: Catalogue, guild_id: int) -> list[Release]:
    """The catalogue's releases followed by the server's own."""
    return [*catalogue.releases, *await store.own_releases(guild_id)]


async def replan_server(store: ReminderStore, catalogue: Catalogue, guild_id: int, now: int) -> GuildConfig:
    """Bring the server's stored posts in line with its configuration and releases."""
    config = await store.config(guild_id)
    await store.sync_plan(guild_id, plan(config, await server_releases(store, catalogue, guild_id)), now)
    return config


async def next_posts_everywhere(
    store: ReminderStore, catalogue: Catalogue, now: int, limit: int
) -> list[tuple[Post, Release | None]]:
    """For `python -m bot check`: replan every server as a start would, then the soonest pending posts."""
    found: list[tuple[Post, Release | None]] = []
    for config in await store.configured_guilds():
        await replan_server(store, catalogue, config.guild_id, now)
        if not config.active:
            continue
        by_id = {r.id: r for r in await server_releases(store, catalogue, config.guild_id)}
        found += [
            (post, by_id.get(post.release_id))
            for post in await store.posts(config.guild_id, [PostState.PENDING], limit)
        ]
    return sorted(found, key=lambda pair: pair[0].due_at)[:limit]


def blocked_notice(reason: str) -> str:
    return (
        f"Release reminders are paused in this server: {reason}. Nothing will be posted until a moderator "
        "fixes it and runs `/reminders channel` (or `/reminders enable`) again; `/reminders status` shows "
        "what is waiting."
    )


class Reminders:
    """The reminders of every server: configuration changes replan a server and wake the dispatcher."""

    def __init__(
        self,
        store: ReminderStore,
        catalogue: Catalogue,
        sender: Sender,
        clock: Clock | None = None,
        *,
        concurrency: int = CONCURRENCY,
        grace_s: int = DEFAULT_GRACE_S,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.sender = sender
        self.clock: Clock = clock or SystemClock()
        self.concurrency = concurrency
        self.grace_s = grace_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[tuple[int, str, str], asyncio.Task[None]] = {}

    # -- releases and plans ---------------------------------------------------------------------------------

    async def releases(self, guild_id: int) -> list[Release]:
        return await server_releases(self.store, self.catalogue, guild_id)

    async def upcoming_posts(self, guild_id: int, limit: int) -> list[tuple[Post, Release | None]]:
        """The server's next pending posts with their releases, for `/reminders status`."""
        by_id = {release.id: release for release in await self.releases(guild_id)}
        return [
            (post, by_id.get(post.release_id)) for post in await self.store.posts(guild_id, [PostState.PENDING], limit)
        ]

    async def replan(self, guild_id: int) -> GuildConfig:
        """Bring the server's stored posts in line with its configuration and releases, then wake up."""
        config = await replan_server(self.store, self.catalogue, guild_id, self.clock.now())
        self.wake()
        return config

    async def replan_all(self) -> int:
        """At start: the catalogue may have moved a release while the bot was down."""
        configs = await self.store.configured_guilds()
        for config in configs:
            await self.replan(config.guild_id)
        return len(configs)

    # -- the dispatcher -------------------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """Posts being delivered right now."""
        return len(self._inflight)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="reminder-dispatcher")
            self._task.add_done_callback(_log_end)

    async def stop(self) -> None:
        """Cancel the loop and any post in flight; an interrupted post is still pending and retried at start."""
        tasks = [task for task in (self._task, *self._inflight.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except Exception:
                log.exception("reminder dispatcher: unexpected error; retrying in %.0f s", ERROR_PAUSE_S)
                await asyncio.sleep(ERROR_PAUSE_S)

    async def _step(self) -> None:
        """Start the posts that are due, as many as there is room for, then sleep until there is more to do."""
        self._wake.clear()
        now = self.clock.now()
        room = self.concurrency - len(self._inflight)
        if room > 0:
            # Posts in flight are still pending; ask for enough rows to find `room` others.
            for post in await self.store.due(now, room + len(self._inflight)):
                if post.key not in self._inflight and room > 0:
                    room -= 1
                    task = asyncio.create_task(self._deliver(post), name=f"reminder {post.key}")
                    self._inflight[post.key] = task
                    task.add_done_callback(functools.partial(self._done, post.key))
        if room <= 0:
            await self._wake.wait()  # a post finishing makes room
            return
        # Everything due is in flight: sleep until the next post that is not.
        next_at = await self.store.next_wake(after=now)
        cap = now + MAX_SLEEP_S
        await self.clock.sleep_until(cap if next_at is None else min(next_at, cap), self._wake)

    def _done(self, key: tuple[int, str, str], task: asyncio.Task[None]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("reminder %s: unexpected error", key, exc_info=task.exception())
        self.wake()

    async def _deliver(self, post: Post) -> None:
        """Decide what a due post deserves, and make it, skip it, retry it later or block its server."""
        now = self.clock.now()
        config = await self.store.config(post.guild_id)
        if not config.active or config.channel_id is None:
            return  # changed since it was read; the post waits, pending
        release = next((r for r in await self.releases(post.guild_id) if r.id == post.release_id), None)
        if release is None:
            await self.store.mark_skipped(post, "the release is no longer in the catalogue", now)
            log.info("reminder %s skipped: release gone", post.key)
            return
        dues = sorted(d.due for d in reminder_plan(release, config.lead_times, config.zoneinfo))
        next_due = next((due for due in dues if due > post.due_at), None)
        decision = decide(post.due_at, post.release_at, post.lead, now, grace_s=self.grace_s, next_due=next_due)
        if decision.action is Action.WAIT:
            await self.store.reschedule(post, post.due_at, now)
            return
        if decision.action is Action.SKIP:
            reason = decision.reason or "no longer worth posting"
            await self.store.mark_skipped(post, reason, now)
            log.info("reminder %s skipped: %s", post.key, reason)
            return
        late = decision.action is Action.POST_LATE
        message = compose(
            release, post.release_at, post.lead, config, self.sender.server_name(post.guild_id), late=late
        )
        if post.attempted_at is not None:
            # An earlier attempt may have landed before a crash, longer ago than Discord remembers nonces.
            landed = await self.sender.find_sent(config.channel_id, message, post.attempted_at)
            if landed is not None:
                await self.store.mark_sent(post, landed, self.clock.now(), late=late)
                log.info("reminder %s was already in the channel as message %s", post.key, landed)
                return
        await self.store.mark_attempt(post, now)
        try:
            message_id = await self.sender.send(config.channel_id, message, nonce_for(post))
        except DeliveryError as error:
            await self._failed(post, error)
            return
        await self.store.mark_sent(post, message_id, self.clock.now(), late=late)
        log.info("reminder %s sent as message %s%s", post.key, message_id, " (late)" if late else "")

    async def _failed(self, post: Post, error: DeliveryError) -> None:
        now = self.clock.now()
        if error.kind == DeliveryError.BLOCKED:
            await self.store.note_error(post, error.reason, now)  # stays due: it goes out once unblocked
            if await self.store.block(post.guild_id, error.reason, now):
                log.warning("reminders of server %s blocked: %s", post.guild_id, error.reason)
                notified = await self.sender.notify(post.guild_id, blocked_notice(error.reason))
                log.info(
                    "server %s %s told in its system channel", post.guild_id, "was" if notified else "could not be"
                )
            return
        if error.kind == DeliveryError.REJECTED or post.attempts + 1 >= MAX_ATTEMPTS:
            reason = (
                error.reason
                if error.kind == DeliveryError.REJECTED
                else f"gave up after {post.attempts + 1} attempts: {error.reason}"
            )
            await self.store.mark_failed(post, reason, now)
            log.error("reminder %s failed: %s", post.key, reason)
            return
        delay = min(RETRY_MAX_S, RETRY_BASE_S * 2**post.attempts)
        wake_at = now + max(delay, int(error.retry_after or 0))
        await self.store.retry_later(post, error.reason, wake_at, now)
        log.warning("reminder %s: %s; retrying in %d s", post.key, error.reason, wake_at - now)


def _log_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("the reminder dispatcher stopped", exc_info=task.exception())
