"""The one task that posts every server's reminders, without Discord (Discord is behind `Sender`).

It sleeps until the earliest pending post (an index seek) and is woken early by an `asyncio.Event`
whenever a configuration or a release changes. Due posts are read in batches of `BATCH`, with their servers'
configuration and releases read once for the whole batch (a storm of 10,000 servers reads each once, not
once per post); they go out concurrently, `concurrency` at a time, and the bot's global pacer
(`bot.pacing`) keeps them under Discord's global rate limit.

Exactly once (`bot.delivery`): every attempt at a post carries the same nonce, derived from (server, release, lead
time, announced moment), so Discord returns the message it already made instead of making a second one when a
retry follows a lost response or a crash; and a post is recorded as sent only after Discord accepted it.
Accepted posts are recorded together, in one transaction, as soon as the previous one committed (those
accepted meanwhile make the next batch: a storm records hundreds at once); until then they count as busy
and are never posted again. A crash before the record leaves them pending with their attempt noted:
Discord remembers a nonce for minutes only, so a post that was attempted before is first looked for in the
channel itself, which covers a crash followed by a long outage.

A post goes out only while its server is available (`bot.presence`). During a Discord outage of the server
(`Presence.UNAVAILABLE`) its posts wait, parked, until `unpark` (the server's GUILD_CREATE): the bot's cache of
an unavailable server is a stub without roles or channels, so nothing about the post (its ping role, its
channel, a block) can be checked or decided then, and posting blind would go to a server Discord is failing
for. Waiting keeps every post exactly as configured, ping included; it goes out when the server is back, late
by the usual rules (`schedule.decide`: a countdown up to 12 hours late, the release moment saying when it came
out) or recorded as skipped with the reason. A server the bot has left (`Presence.LEFT`) is parked for good:
its posts are never attempted, since each attempt would be refused and spend the invalid request budget.

A post is public, so it is written in its server's language (`Sender.locale`: `/settings language`, else Discord's),
and so is a notice to its moderators: `_deliver` composes and sends inside `bot.i18n.using`. What is stored
about a post (a skip's detail, a delivery error, a block's reason) is written in English.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from typing import Protocol

from bot.catalogue import Release
from bot.clock import Clock
from bot.db import DatabaseBusy
from bot.delivery import DEFAULT_GRACE_S, MAX_ATTEMPTS, DeliveryError, Failure, retry_delay
from bot.i18n import N_, _, language, using
from bot.presence import Presence
from bot.scheduling import Scheduler
from cogs.reminders.posts import ROLE_DELETED_NOTICE, ReminderMessage, blocked_notice, compose, nonce_for
from cogs.reminders.schedule import Action, decide, reminder_plan
from cogs.reminders.store import GuildConfig, Post, ReminderStore, Sent

log = logging.getLogger(__name__)

CONCURRENCY = 16  # posts in flight at once; the global pacer spaces them out further
BATCH = 100  # due posts read at once, with their servers' configuration and releases
RECORD_DELAY_S = 0.0  # accepted posts wait this long for others (0: the posts accepted in the same loop turn)

Key = tuple[int, str, str]
# Skip details, stored in English (the status card translates them: they are message ids).
RELEASE_GONE = N_("the release is no longer in the catalogue")
NO_LONGER_WORTH_POSTING = N_("no longer worth posting")


class Sender(Protocol):
    """What the dispatcher needs from Discord."""

    def server_name(self, guild_id: int) -> str: ...

    def locale(self, guild_id: int) -> str | None:
        """The server's language as Discord writes it (`fr`, `pt-BR`): the one its moderators chose, else Discord's;
        None when unknown (posts are then English)."""
        ...

    async def send(self, channel_id: int, message: ReminderMessage, nonce: str) -> int:
        """Post and return the message id, or raise `DeliveryError`."""
        ...

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        """The id of this post if it is already in the channel (made at or after `since`), else None."""
        ...

    async def notify(self, guild_id: int, text: str) -> bool:
        """Tell the server's moderators in its system channel, when the bot may post there."""
        ...

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        """False only when the server is available and has no such role (it was deleted)."""
        ...

    def presence(self, guild_id: int) -> Presence:
        """Whether posts may go to the server now (`bot.presence`)."""
        ...


ReleasesOf = Callable[[Collection[int]], Awaitable[dict[int, list[Release]]]]
"""Every release of each of the given servers (the catalogue's, then the server's own), by server id."""


@dataclass(frozen=True, slots=True)
class Due:
    """A post to make now, with what it needs: its server's configuration, its release, whether it is late."""

    post: Post
    config: GuildConfig
    release: Release
    late: bool
    event_id: int | None = None  # the release's native event in the server, which the post links to


class Dispatcher(Scheduler[Key]):
    """Posts what is due, retries what failed, blocks a server Discord refuses, and says when it is idle (jobs:
    posts, by `Key`; idle also means every post Discord accepted is recorded)."""

    def __init__(
        self,
        store: ReminderStore,
        releases: ReleasesOf,
        sender: Sender,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        grace_s: int = DEFAULT_GRACE_S,
    ) -> None:
        super().__init__("reminder dispatcher", log, clock, concurrency)
        self.store = store
        self.releases = releases
        self.sender = sender
        self.grace_s = grace_s
        self._queue: deque[Due] = deque()
        self._accepted: dict[Key, Sent] = {}  # accepted by Discord, not recorded yet
        self._recorder: asyncio.Task[None] | None = None
        self._marked: set[Key] = set()  # attempt noted by this process, not handed to Discord yet
        # For each read of due posts under way: the keys that stopped being busy meanwhile. The read may have
        # seen them still pending (a post recorded as sent just after), so they are left out of its result.
        self._reads: list[set[Key]] = []
        self._role_lock = asyncio.Lock()  # see `_drop_deleted_role`

    def wake(self) -> None:
        """Look at the schedule again now (a configuration, a release or the clock changed).

        Posts read but not started yet are read again, with the configuration as it is now.
        """
        self._queue.clear()
        super().wake()

    def _park(self, guild_id: int, presence: Presence) -> None:
        """Leave the server's posts pending, unread, until `unpark` (see the module docstring)."""
        if guild_id not in self._parked:
            self._parked.add(guild_id)
            if presence is Presence.LEFT:
                log.info("reminders of server %s are not posted: the bot is no longer in it", guild_id)
            else:
                log.warning("reminders of server %s wait: Discord reports the server %s", guild_id, presence.value)

    async def stop(self) -> None:
        """Cancel the loop and any post in flight, then record what Discord already accepted.

        An interrupted post is still pending and is looked for in its channel before it is retried at start.
        """
        await super().stop()
        if self._recorder is not None:  # not cancelled: a transaction cut at its BEGIN would stay open
            await asyncio.gather(self._recorder, return_exceptions=True)
        self._recorder = None
        await self._record()

    def _busy(self, key: Key) -> bool:
        return key in self._inflight or key in self._accepted

    def _settled(self, key: Key) -> None:
        """`key` is no longer busy: a read of due posts under way may still see it as it was."""
        for left in self._reads:
            left.add(key)

    async def _step(self) -> None:
        """Start the posts that are due, as many as there is room for, then sleep until there is more to do."""
        self._wake.clear()
        now = self.clock.now()
        if not self._queue:
            await self._read_due(now)
        started: list[Due] = []
        while self._queue and len(self._inflight) + len(started) < self.concurrency:
            due = self._queue.popleft()
            if not self._busy(due.post.key):
                started.append(due)
        for due in started:
            self._launch(due.post.key, self._deliver(due), f"reminder {due.post.key}")
        if self._queue or len(self._inflight) >= self.concurrency:
            await self._wake.wait()  # a post finishing makes room
            return
        if not self._inflight and not self._accepted and not self._wake.is_set():
            self._idle.set()
        # Everything due is in flight: sleep until the next post that is not.
        await self._sleep(now, await self.store.next_wake(after=now, excluding=self._parked))

    async def _read_due(self, now: int) -> None:
        """Queue the next `BATCH` due posts that are not busy, deciding what each deserves.

        Their servers' configuration and releases are read once for the batch. A post that waits or is
        skipped is stored as such here; the rest are queued to be made, and their attempt is noted for the
        whole batch in one statement, before any of them goes out (`_marked` remembers which of those this
        process has not handed to Discord yet, so that reading them again needs no look in the channel).
        """
        busy = len(self._inflight) + len(self._accepted)
        left: set[Key] = set()
        self._reads.append(left)
        try:
            rows = await self.store.due(now, BATCH + busy, excluding=self._parked)
        finally:
            self._reads.remove(left)
        posts = [p for p in rows if not self._busy(p.key) and p.key not in left and self._acts(p.guild_id)][:BATCH]
        if not posts:
            return
        guild_ids = {p.guild_id for p in posts}
        configs = await self.store.configs(guild_ids)
        releases = await self.releases(guild_ids)
        events = await self.store.live_event_ids(guild_ids)
        queued: list[Due] = []
        for post in posts:
            config = configs[post.guild_id]
            if not config.active or config.channel_id is None:
                continue  # changed since it was read; the post waits, pending
            due = await self._decide(post, config, releases.get(post.guild_id, []), now)
            if due is not None:
                queued.append(replace(due, event_id=events.get((post.guild_id, post.release_id))))
        fresh = [d.post for d in queued if d.post.attempted_at is None]
        await self.store.mark_attempts(fresh, now)
        self._marked.update(p.key for p in fresh)
        self._queue.extend(queued)

    def _acts(self, guild_id: int) -> bool:
        """Whether posts may go to the server now; if not, it is parked."""
        presence = self.sender.presence(guild_id)
        if not presence.acts:
            self._park(guild_id, presence)
        return presence.acts

    async def _decide(self, post: Post, config: GuildConfig, releases: list[Release], now: int) -> Due | None:
        """The post to make now, or None once it is stored as waiting or skipped."""
        release = next((r for r in releases if r.id == post.release_id), None)
        if release is None:
            await self.store.mark_skipped(post, RELEASE_GONE, now)
            log.info("reminder %s skipped: release gone", post.key)
            return None
        dues = sorted(d.due for d in reminder_plan(release, config.lead_times, config.zoneinfo))
        next_due = next((due for due in dues if due > post.due_at), None)
        decision = decide(post.due_at, post.release_at, post.lead, now, grace_s=self.grace_s, next_due=next_due)
        if decision.action is Action.WAIT:
            await self.store.reschedule(post, post.due_at, now)
            return None
        if decision.action is Action.SKIP:
            reason = decision.reason or NO_LONGER_WORTH_POSTING
            await self.store.mark_skipped(post, reason, now)
            log.info("reminder %s skipped: %s", post.key, reason)
            return None
        return Due(post, config, release, late=decision.action is Action.POST_LATE)

    def _done(self, key: Key, task: asyncio.Task[None]) -> None:
        self._inflight.pop(key, None)
        if key not in self._accepted:
            self._settled(key)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, DatabaseBusy):  # still pending: a later pass tries it again
            log.warning("reminder %s: the database is busy; it stays pending and is tried again", key)
        elif error is not None:
            log.error("reminder %s: unexpected error", key, exc_info=error)
        self._idle.clear()
        self._wake.set()

    async def _deliver(self, due: Due) -> None:
        """Make the post, or find it already made; a refusal retries it later or blocks its server.

        In the server's language: the post, and any notice to its moderators."""
        with using(language(self.sender.locale(due.post.guild_id))):
            await self._deliver_here(due)

    async def _deliver_here(self, due: Due) -> None:
        post, config = due.post, due.config
        assert config.channel_id is not None, "only active servers' posts are queued"
        if not self._acts(post.guild_id):  # it became unavailable, or the bot was removed, since it was read
            return
        pinging = config
        if config.role_id is not None and not self.sender.role_exists(post.guild_id, config.role_id):
            await self._drop_deleted_role(config)
            pinging = replace(config, role_id=None)
        message = compose(
            due.release, post.release_at, post.due_at, post.lead, pinging, self.sender.server_name(post.guild_id),
            late=due.late, event_id=due.event_id,
        )  # fmt: skip
        if post.attempted_at is not None and post.key not in self._marked:
            # An earlier attempt may have landed before a crash, longer ago than Discord remembers nonces.
            landed = await self.sender.find_sent(config.channel_id, message, post.attempted_at)
            if landed is not None:
                self._accept(Sent(post, landed, due.late))
                log.info("reminder %s was already in the channel as message %s", post.key, landed)
                return
        self._marked.discard(post.key)
        try:
            message_id = await self.sender.send(config.channel_id, message, nonce_for(post))
        except DeliveryError as error:
            await self._failed(post, error)
            return
        self._accept(Sent(post, message_id, due.late))
        log.info("reminder %s sent as message %s%s", post.key, message_id, " (late)" if due.late else "")

    async def _drop_deleted_role(self, config: GuildConfig) -> None:
        """The ping role was deleted: a mention of it would read "@deleted-role" and notify nobody. Post without
        it, forget it, and tell the moderators once (the lock keeps posts due together from telling twice)."""
        async with self._role_lock:
            current = await self.store.config(config.guild_id)
            if current.role_id == config.role_id:
                await self.store.configure(replace(current, role_id=None), self.clock.now())
                log.warning("reminders of server %s: the ping role %s was deleted", config.guild_id, config.role_id)
                await self.sender.notify(config.guild_id, _(ROLE_DELETED_NOTICE))

    def _accept(self, sent: Sent) -> None:
        """Discord took the post: record it with the others accepted about now."""
        self._accepted[sent.post.key] = sent
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_soon(), name="reminder-recorder")

    async def _record_soon(self) -> None:
        while self._accepted:
            await asyncio.sleep(RECORD_DELAY_S)
            await self._record()
            self._idle.clear()
            self._wake.set()

    async def _record(self) -> None:
        """Record every accepted post as sent, in one transaction; they stay busy until it committed."""
        batch = list(self._accepted.values())
        if not batch:
            return
        await self.store.record_sent(batch, self.clock.now())
        for sent in batch:
            self._accepted.pop(sent.post.key, None)
            self._settled(sent.post.key)

    async def _failed(self, post: Post, error: DeliveryError) -> None:
        now = self.clock.now()
        if error.kind is Failure.BLOCKED and not self._acts(post.guild_id):
            return  # refused because the server went away meanwhile, not because of its configuration: it waits
        if error.kind is Failure.BLOCKED:
            await self.store.note_error(post, error.reason, now)  # stays due: it goes out once unblocked
            if await self.store.block(post.guild_id, error.reason, now):
                log.warning("reminders of server %s blocked: %s", post.guild_id, error.reason)
                self.wake()  # the server's other queued posts are read again, and left out
                notified = await self.sender.notify(post.guild_id, blocked_notice(error.text))
                log.info(
                    "server %s %s told in its system channel", post.guild_id, "was" if notified else "could not be"
                )
            return
        if error.kind is Failure.REJECTED or post.attempts + 1 >= MAX_ATTEMPTS:
            reason = (
                error.reason
                if error.kind is Failure.REJECTED
                else f"gave up after {post.attempts + 1} attempts: {error.reason}"
            )
            await self.store.mark_failed(post, reason, now)
            log.error("reminder %s failed: %s", post.key, reason)
            return
        delay = retry_delay(error, post.attempts)
        await self.store.retry_later(post, error.reason, now + delay, now)
        log.warning("reminder %s: %s; retrying in %d s", post.key, error.reason, delay)
