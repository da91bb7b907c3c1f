"""The reminders service, without Discord: every server's releases, configuration and plan of posts.

Commands change a server's configuration only through `save`, which stores it, replans the server and
wakes the dispatcher; the rules a moderator's action triggers (skipping what was missed while posting
was off, unblocking after a test post went through, which release a sample is about) live here, where
the fake-clock tests reach them. Discord is behind the `Sender` protocol, implemented in `sender.py`.

A refusal is marked (`_l`) and written when it is shown, in the moderator's language; what is stored (skip
details, a block's reason) is written in English (see `cogs.reminders.status` for how it is shown).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace

from bot.catalogue import Catalogue, Release
from bot.clock import Clock
from bot.db import DatabaseBusy
from bot.delivery import DEFAULT_GRACE_S
from bot.i18n import ENGLISH, N_, Text, _l
from bot.markup import quote
from bot.moments import PlanError, release_epoch
from bot.refusal import Refusal
from bot.releases import ServerReleases
from cogs.reminders.dispatcher import CONCURRENCY, Dispatcher, Sender
from cogs.reminders.posts import PostMode, ReminderMessage, compose, find_release, plan, title_text
from cogs.reminders.schedule import next_release, reminder_plan
from cogs.reminders.store import GuildConfig, PlannedPost, Post, PostState, ReminderStore
from cogs.reminders.timeparse import AT_RELEASE

MISSED_WHILE_OFF = N_("reminders were off or had no channel when it was due")
UNPLANNABLE = "a release cannot be scheduled: "  # starts `blocked_reason` when planning failed (see `replan`)
OUTSIDE_CALENDAR = "it falls outside the years 1 to 9999"

log = logging.getLogger(__name__)


class ReleaseError(ValueError):
    """A release a moderator named cannot be used; the message says why and what to do instead.

    Its message is marked (`text`), so it reads in the moderator's language even when the post it was for
    is being written in the server's."""

    def __init__(self, text: Text) -> None:
        super().__init__(text)
        self.text = text


class ChangeRefused(Refusal):
    """A configuration change that would leave a release unplannable; nothing of it was stored."""


def _plan_blocked(config: GuildConfig) -> bool:
    """Whether the server is blocked because its releases could not be planned (not by a refusal from Discord)."""
    return config.blocked_reason is not None and config.blocked_reason.startswith(UNPLANNABLE)


class Reminders:
    """The reminders of every server: configuration changes replan a server and wake the dispatcher."""

    def __init__(
        self,
        store: ReminderStore,
        own: ServerReleases,
        catalogue: Catalogue,
        sender: Sender,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        grace_s: int = DEFAULT_GRACE_S,
    ) -> None:
        self.store = store
        self.own = own
        self.catalogue = catalogue
        self.clock = clock
        self.dispatcher = Dispatcher(store, self.releases_of, sender, clock, concurrency=concurrency, grace_s=grace_s)
        # Servers whose reminders could not be planned at their last (re)plan: server id -> one line for the
        # operator naming the server and the row (`python -m bot check` prints them and exits non-zero).
        self.problems: dict[int, str] = {}
        # Called with a server's id after its plan was stored: what else follows its releases (the events mirror).
        self.replanned: list[Callable[[int], None]] = []

    # -- releases and plans ---------------------------------------------------------------------------------

    async def releases(self, guild_id: int) -> list[Release]:
        """The catalogue's releases followed by the server's own."""
        return [*self.catalogue.releases, *await self.own.own_releases(guild_id)]

    def held_releases(self, guild_id: int) -> list[Release] | None:
        """`releases` without any I/O, when the server's own are in memory (an autocomplete read them); else None."""
        own = self.own.held_own_releases(guild_id)
        return None if own is None else [*self.catalogue.releases, *own]

    async def releases_of(self, guild_ids: Collection[int]) -> dict[int, list[Release]]:
        """`releases` of many servers at once (one query), by server id: what the dispatcher reads per batch."""
        own = await self.own.own_releases_of(guild_ids)
        return {guild_id: [*self.catalogue.releases, *own[guild_id]] for guild_id in guild_ids}

    async def upcoming_posts(self, guild_id: int, limit: int) -> list[tuple[Post, Release | None]]:
        """The server's next pending posts with their releases, for `/reminders status`."""
        by_id = {release.id: release for release in await self.releases(guild_id)}
        return [
            (post, by_id.get(post.release_id)) for post in await self.store.posts(guild_id, [PostState.PENDING], limit)
        ]

    async def server_zone(self, guild_id: int) -> str:
        """The server's time zone (`/reminders timezone`), as `bot.releases` reads it for other features."""
        return (await self.store.config(guild_id)).zone

    async def own_releases_changed(self, guild_id: int) -> None:
        """A release of the server was added or removed (`bot.releases`): its posts, and its events, follow."""
        await self.replan(guild_id)

    async def replan(self, guild_id: int) -> GuildConfig:
        """Bring the server's stored posts in line with its configuration and releases, then wake up.

        A server whose releases cannot be planned (`PlanError`) is blocked instead, with the reason that
        `/reminders status` shows; no other server is touched. The block lifts by itself once a plan succeeds.
        """
        config = await self.store.config(guild_id)
        try:
            planned = plan(config, await self.releases(guild_id))
        except PlanError as error:
            return await self._unplannable(config, error)
        return await self._apply(config, planned, self.clock.now())

    async def replan_all(self) -> int:
        """At start: the catalogue may have moved a release while the bot was down. Returns how many servers.

        Set-based: every server's configuration, releases and posts are read in a few statements and the
        changes written in one transaction (`ReminderStore.sync_plans`). A server that needs more than that (one
        that is blocked, or whose releases cannot be planned) is then planned on its own, and if anything
        unexpected fails, every server is, each contained: one server's data never stops another's plan.
        """
        guild_ids = await self.store.configured_guild_ids()
        try:
            plans, alone = await self._plans(guild_ids)
            await self.store.sync_plans(plans, self.clock.now())
        except DatabaseBusy:  # the whole database, not a server's data: the caller decides
            raise
        except Exception:
            log.warning("reminders could not be planned all at once; planning server by server", exc_info=True)
            await self._replan_each(guild_ids)
            return len(guild_ids)
        for guild_id in plans:
            self.problems.pop(guild_id, None)
            for listener in self.replanned:
                listener(guild_id)
        self.dispatcher.wake()
        await self._replan_each(alone)
        return len(guild_ids)

    async def _plans(self, guild_ids: list[int]) -> tuple[dict[int, list[PlannedPost]], list[int]]:
        """The plan of each server that plans cleanly, and the servers to plan on their own."""
        configs = await self.store.configs(guild_ids)
        releases = await self.releases_of(guild_ids)
        plans: dict[int, list[PlannedPost]] = {}
        alone: list[int] = []
        for guild_id in guild_ids:
            config = configs[guild_id]
            try:
                planned = plan(config, releases[guild_id])
            except Exception:  # unplannable (it gets blocked) or a row no rule expected: `replan` handles both
                alone.append(guild_id)
                continue
            if _plan_blocked(config):
                alone.append(guild_id)  # it plans again: `replan` lifts the block
            else:
                plans[guild_id] = planned
        return plans, alone

    async def _replan_each(self, guild_ids: list[int]) -> None:
        """`replan` each server on its own; one that fails, even through a bug, is logged and listed in `problems`."""
        for guild_id in guild_ids:
            try:
                await self.replan(guild_id)
            except DatabaseBusy:
                raise
            except Exception as error:  # a row no rule expected: a bug, kept to its server
                log.exception("reminders of server %s could not be planned", guild_id)
                self.problems[guild_id] = f"server {guild_id}: its reminders could not be planned ({error!r})"

    async def next_posts_everywhere(self, limit: int) -> list[tuple[Post, Release | None]]:
        """The soonest pending posts of every active server, for `python -m bot check` (after `replan_all`)."""
        found: list[tuple[Post, Release | None]] = []
        for guild_id in await self.store.configured_guild_ids():
            if guild_id not in self.problems and (await self.store.config(guild_id)).active:
                found += await self.upcoming_posts(guild_id, limit)
        return sorted(found, key=lambda pair: pair[0].due_at)[:limit]

    async def _apply(self, config: GuildConfig, planned: list[PlannedPost], now: int) -> GuildConfig:
        """Store a plan computed without error, lifting a block an earlier failed plan left."""
        if _plan_blocked(config):
            config = await self.store.configure(replace(config, blocked_reason=None, blocked_at=None), now)
            log.info("reminders of server %s can be planned again: unblocked", config.guild_id)
        self.problems.pop(config.guild_id, None)
        await self.store.sync_plan(config.guild_id, planned, now)
        self.dispatcher.wake()
        for listener in self.replanned:
            listener(config.guild_id)
        return config

    async def _unplannable(self, config: GuildConfig, error: PlanError) -> GuildConfig:
        """Block a server whose releases cannot be planned; a block Discord caused stays as it is."""
        self.problems[config.guild_id] = (
            f"server {config.guild_id}: cannot plan release {error.row} in {error.zone}: {OUTSIDE_CALENDAR}"
        )
        reason = UNPLANNABLE + error.text.render(ENGLISH)  # stored: in English, as every stored reason
        if config.blocked_reason is None or (_plan_blocked(config) and config.blocked_reason != reason):
            now = self.clock.now()
            config = await self.store.configure(replace(config, blocked_reason=reason, blocked_at=now), now)
            log.warning("reminders of server %s blocked: %s", config.guild_id, self.problems[config.guild_id])
        return config

    # -- what a moderator's action triggers ------------------------------------------------------------------

    async def save(self, config: GuildConfig, *, was_active: bool | None = None) -> GuildConfig:
        """Store the configuration and replan. A server that starts posting skips what it missed while off.

        `was_active` is whether posts went out before this change; None when the change cannot start them.
        Raises `ChangeRefused`, having stored nothing, when a release of the server cannot be planned with
        the new configuration: the moderator is told it failed, so it is not applied.
        """
        try:
            planned = plan(config, await self.releases(config.guild_id))
        except PlanError as error:
            raise ChangeRefused(_l("Nothing was changed: {error}.", error=error.text)) from error
        if _plan_blocked(config):
            config = replace(config, blocked_reason=None, blocked_at=None)
        now = self.clock.now()
        await self.store.configure(config, now)
        if was_active is False and config.active:
            await self.store.skip_missed(config.guild_id, now, MISSED_WHILE_OFF)
        return await self._apply(config, planned, now)

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
                raise ReleaseError(_l("No upcoming release has a date; name one with the `release` option."))
            return upcoming.release, upcoming.epoch
        found = find_release(releases, text)
        if found is None:
            raise ReleaseError(
                _l("`release`: no release matches {typed}; pick one from the list as you type.", typed=quote(text))
            )
        epoch = release_epoch(found, config.zoneinfo)
        if epoch is None:
            raise ReleaseError(
                _l(
                    "`release`: **{title}** has no date yet, so there is nothing to remind of.",
                    title=title_text(found),
                )
            )
        return found, epoch

    async def sample(self, guild_id: int, server_name: str, text: str | None, mode: PostMode) -> ReminderMessage:
        """The post a preview or a test shows: the release's first countdown, or its release-moment post.

        Written in the current language: the caller sets the server's, the language of the post it shows."""
        config = await self.store.config(guild_id)
        release, epoch = await self.pick_release(guild_id, text, config)
        lead = next((lead for lead in config.lead_times if not lead.at_release), AT_RELEASE)
        due = reminder_plan(release, [lead], config.zoneinfo)[0].due
        events = await self.store.live_event_ids([guild_id])
        return compose(
            release, epoch, due, lead, config, server_name, mode=mode, event_id=events.get((guild_id, release.id))
        )
