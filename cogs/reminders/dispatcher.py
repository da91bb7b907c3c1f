"""The one task that posts every server's reminders, without Discord (Discord is behind `Sender`).

It sleeps until the earliest pending post (an index seek) and is woken early by an `asyncio.Event`
whenever a configuration or a release changes; posts due at the same instant go out concurrently, a
bounded number at a time, and discord.py paces them within rate limits.

Exactly once: every attempt at a post carries the same nonce, derived from (server, release, lead time,
announced moment), with `enforce_nonce`, so Discord returns the message it already made instead of making
a second one when a retry follows a lost response or a crash; and a post is recorded as sent only after
Discord accepted it. Discord remembers a nonce for minutes only, so a post that was attempted before is
first looked for in the channel itself, which covers a crash followed by a long outage.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Protocol

from bot.catalogue import Release
from bot.clock import Clock
from cogs.reminders.posts import ReminderMessage, blocked_notice, compose, nonce_for
from cogs.reminders.schedule import DEFAULT_GRACE_S, Action, decide, reminder_plan
from cogs.reminders.store import Post, ReminderStore

log = logging.getLogger(__name__)

CONCURRENCY = 16  # posts in flight at once; discord.py queues them further per rate-limit bucket
MAX_SLEEP_S = 3600  # re-check hourly anyway, so a wall-clock jump (suspend, NTP step) is noticed
RETRY_BASE_S = 30  # after discord.py's own retries failed: 30 s, 1 min, 2 min, ... up to RETRY_MAX_S
RETRY_MAX_S = 30 * 60
MAX_ATTEMPTS = 8
ERROR_PAUSE_S = 5.0  # after an unexpected error in the loop itself (a database hiccup)


class Failure(StrEnum):
    """What to do about a post Discord did not take."""

    BLOCKED = "blocked"  # 403/404: stop this server's posts until a moderator fixes the configuration
    TRANSIENT = "transient"  # 5xx, 429, network: try again later
    REJECTED = "rejected"  # any other refusal: this post will never be accepted


class DeliveryError(Exception):
    """Discord did not take the post; `kind` says what to do about it, `retry_after` (seconds) when to."""

    def __init__(self, kind: Failure, reason: str, *, retry_after: float | None = None) -> None:
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


ReleasesOf = Callable[[int], Awaitable[list[Release]]]


class Dispatcher:
    """Posts what is due, retries what failed, blocks a server Discord refuses, and says when it is idle."""

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
        self.store = store
        self.releases = releases
        self.sender = sender
        self.clock = clock
        self.concurrency = concurrency
        self.grace_s = grace_s
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[tuple[int, str, str], asyncio.Task[None]] = {}

    def wake(self) -> None:
        """Look at the schedule again now (a configuration, a release or the clock changed)."""
        self._idle.clear()
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """Posts being delivered right now."""
        return len(self._inflight)

    async def wait_idle(self) -> None:
        """Return once nothing is due at the clock's current time and nothing is in flight.

        The signal tests and the demo wait on instead of sleeping: it is set only by a pass of the loop
        that started after this call, so a change made just before calling is always taken into account.
        """
        if self._task is None:
            raise RuntimeError("the dispatcher is not running")
        self.wake()
        await self._idle.wait()

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
        started = 0
        if room > 0:
            # Posts in flight are still pending; ask for enough rows to find `room` others.
            for post in await self.store.due(now, room + len(self._inflight)):
                if post.key not in self._inflight and started < room:
                    started += 1
                    task = asyncio.create_task(self._deliver(post), name=f"reminder {post.key}")
                    self._inflight[post.key] = task
                    task.add_done_callback(functools.partial(self._done, post.key))
        if started >= room:
            await self._wake.wait()  # a post finishing makes room
            return
        if not self._inflight and not self._wake.is_set():
            self._idle.set()
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
        if error.kind is Failure.BLOCKED:
            await self.store.note_error(post, error.reason, now)  # stays due: it goes out once unblocked
            if await self.store.block(post.guild_id, error.reason, now):
                log.warning("reminders of server %s blocked: %s", post.guild_id, error.reason)
                notified = await self.sender.notify(post.guild_id, blocked_notice(error.reason))
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
        delay = min(RETRY_MAX_S, RETRY_BASE_S * 2**post.attempts)
        wake_at = now + max(delay, int(error.retry_after or 0))
        await self.store.retry_later(post, error.reason, wake_at, now)
        log.warning("reminder %s: %s; retrying in %d s", post.key, error.reason, wake_at - now)


def _log_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("the reminder dispatcher stopped", exc_info=task.exception())
