"""The reminders service, without Discord: every server's releases, configuration and plan of posts.

Commands change a server's configuration only through `save`, which stores it, replans the server and
wakes the dispatcher; the rules a moderator's action triggers (skipping what was missed while posting
was off, unblocking after a test post went through, which release a sample is about) live here, where
the fake-clock tests reach them. Discord is behind the `Sender` protocol, implemented in `sender.py`.
"""

from __future__ import annotations

from dataclasses import replace

from bot.catalogue import Catalogue, Release
from bot.clock import Clock
from bot.markup import clamp
from cogs.reminders.dispatcher import CONCURRENCY, Dispatcher, Sender
from cogs.reminders.posts import PostMode, ReminderMessage, compose, find_release, plan
from cogs.reminders.schedule import DEFAULT_GRACE_S, next_release, release_epoch
from cogs.reminders.store import GuildConfig, Post, PostState, ReminderStore
from cogs.reminders.timeparse import AT_RELEASE

MISSED_WHILE_OFF = "reminders were off or had no channel when it was due"


class ReleaseError(ValueError):
    """A release a moderator named cannot be used; the message says why and what to do instead."""


class Reminders:
    """The reminders of every server: configuration changes replan a server and wake the dispatcher."""

    def __init__(
        self,
        store: ReminderStore,
        catalogue: Catalogue,
        sender: Sender,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        grace_s: int = DEFAULT_GRACE_S,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.clock = clock
        self.dispatcher = Dispatcher(store, self.releases, sender, clock, concurrency=concurrency, grace_s=grace_s)

    # -- releases and plans ---------------------------------------------------------------------------------

    async def releases(self, guild_id: int) -> list[Release]:
        """The catalogue's releases followed by the server's own."""
        return [*self.catalogue.releases, *await self.store.own_releases(guild_id)]

    async def upcoming_posts(self, guild_id: int, limit: int) -> list[tuple[Post, Release | None]]:
        """The server's next pending posts with their releases, for `/reminders status`."""
        by_id = {release.id: release for release in await self.releases(guild_id)}
        return [
            (post, by_id.get(post.release_id)) for post in await self.store.posts(guild_id, [PostState.PENDING], limit)
        ]

    async def replan(self, guild_id: int) -> GuildConfig:
        """Bring the server's stored posts in line with its configuration and releases, then wake up."""
        config = await self.store.config(guild_id)
        await self.store.sync_plan(guild_id, plan(config, await self.releases(guild_id)), self.clock.now())
        self.dispatcher.wake()
        return config

    async def replan_all(self) -> int:
        """At start: the catalogue may have moved a release while the bot was down. Returns how many servers."""
        configs = await self.store.configured_guilds()
        for config in configs:
            await self.replan(config.guild_id)
        return len(configs)

    async def next_posts_everywhere(self, limit: int) -> list[tuple[Post, Release | None]]:
        """The soonest pending posts of every active server, for `python -m bot check` (after `replan_all`)."""
        found: list[tuple[Post, Release | None]] = []
        for config in await self.store.configured_guilds():
            if config.active:
                found += await self.upcoming_posts(config.guild_id, limit)
        return sorted(found, key=lambda pair: pair[0].due_at)[:limit]

    # -- what a moderator's action triggers ------------------------------------------------------------------

    async def save(self, config: GuildConfig, *, was_active: bool | None = None) -> GuildConfig:
        """Store the configuration and replan. A server that starts posting skips what it missed while off.

        `was_active` is whether posts went out before this change; None when the change cannot start them.
        """
        now = self.clock.now()
        await self.store.configure(config, now)
        if was_active is False and config.active:
            await self.store.skip_missed(config.guild_id, now, MISSED_WHILE_OFF)
        return await self.replan(config.guild_id)

    async def unblock(self, guild_id: int) -> bool:
        """A post just went through (a test post): lift a block left by an earlier refusal. True if one was."""
        config = await self.store.config(guild_id)
        if config.blocked_reason is None:
            return False
        await self.save(replace(config, blocked_reason=None, blocked_at=None))
        return True

    async def pick_release(self, guild_id: int, text: str | None, config: GuildConfig) -> tuple[Release, int]:
        """The release a preview or test is about (default: the next dated one) and its moment (epoch seconds).

        Raises `ReleaseError` when nothing matches `text` or the release has no date.
        """
        releases = await self.releases(guild_id)
        if text is None:
            upcoming = next_release(releases, config.zoneinfo, self.clock.now())
            if upcoming is None or upcoming.epoch is None:
                raise ReleaseError("No upcoming release has a date; name one with the `release` option.")
            return upcoming.release, upcoming.epoch
        found = find_release(releases, text)
        if found is None:
            raise ReleaseError(
                f"`release`: no release matches '{clamp(text, 80)}'; pick one from the list as you type."
            )
        epoch = release_epoch(found, config.zoneinfo)
        if epoch is None:
            raise ReleaseError(f"`release`: **{found.title}** has no date yet, so there is nothing to remind of.")
        return found, epoch

    async def sample(self, guild_id: int, server_name: str, text: str | None, mode: PostMode) -> ReminderMessage:
        """The post a preview or a test shows: the release's first countdown, or its release-moment post."""
        config = await self.store.config(guild_id)
        release, epoch = await self.pick_release(guild_id, text, config)
        lead = next((lead for lead in config.lead_times if not lead.at_release), AT_RELEASE)
        return compose(release, epoch, lead, config, server_name, mode=mode)
