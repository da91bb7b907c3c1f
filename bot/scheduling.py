"""The skeleton of a feature's scheduler: one background task that runs jobs as they fall due.

The reminder dispatcher and the party runner work the same way, each with its own jobs (posts, party steps): one
loop sleeps until the earliest job due and is woken early by a change (`wake`), starts the due jobs as concurrent
tasks (`_launch`), leaves a server's jobs aside while Discord reports it unavailable (`_parked`, until `unpark`),
says when it is idle (`wait_idle`: tests and the demo wait on that signal instead of sleeping) and stops by
cancelling the loop and every job in flight. A fault in one pass never ends the loop: a busy database (another
process holds it) is an expected fault, a WARNING; anything else is a bug, an ERROR with its traceback; either way
the loop pauses `ERROR_PAUSE_S` and tries again. Written once here so that every scheduler keeps those promises.

A subclass writes one pass of its loop (`_step`: read what is due, `_launch` it, set `_idle` when nothing is due
and nothing in flight, sleep until the next job or `_wake`) and what happens when a job ends (`_done`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Hashable
from typing import Any, Generic, TypeVar

from bot.clock import Clock
from bot.db import DatabaseBusy

MAX_SLEEP_S = 3600  # look again hourly anyway, so a wall-clock jump (suspend, NTP step) is noticed
ERROR_PAUSE_S = 5.0  # after a fault in the loop itself (a busy database, a bug), before its next pass

K = TypeVar("K", bound=Hashable)


class Scheduler(ABC, Generic[K]):
    """Runs jobs keyed by `K` as they fall due by `clock`, `concurrency` at a time at most, in one background task
    named after `name` ("reminder dispatcher"), whose faults `log` (the feature's logger) reports."""

    def __init__(self, name: str, log: logging.Logger, clock: Clock, concurrency: int) -> None:
        self.name = name
        self._log = log
        self.clock = clock
        self.concurrency = concurrency
        self._wake = asyncio.Event()  # set: the loop looks again now
        self._idle = asyncio.Event()  # set by a pass that found nothing due and nothing in flight
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[K, asyncio.Task[None]] = {}
        self._parked: set[int] = set()  # servers whose jobs wait (unavailable) or never run (left)

    def wake(self) -> None:
        """Look at what is due again now (something changed)."""
        self._idle.clear()
        self._wake.set()

    def unpark(self, guild_id: int) -> None:
        """The server is available again (or the bot is back in it): its waiting jobs are looked at again now."""
        if guild_id in self._parked:
            self._parked.discard(guild_id)
            self.wake()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name.replace(" ", "-"))
            self._task.add_done_callback(self._ended)

    async def stop(self) -> None:
        """Cancel the loop and every job in flight (an interrupted job must be safe to run again at the next start)."""
        tasks = [task for task in (self._task, *self._inflight.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def wait_idle(self) -> None:
        """Return once nothing is due at the clock's current time and nothing is in flight.

        The idle signal is set only by a pass of the loop that started after this call, so a change made just before
        calling is always taken into account.
        """
        if self._task is None:
            raise RuntimeError(f"the {self.name} is not running")
        self.wake()
        await self._idle.wait()

    @property
    def in_flight(self) -> int:
        """Jobs running right now."""
        return len(self._inflight)

    def _launch(self, key: K, job: Coroutine[Any, Any, None], name: str) -> None:
        """Run `job` in its own task, in flight under `key` until it ends (then `_done` is told)."""
        task = asyncio.create_task(job, name=name)
        self._inflight[key] = task
        task.add_done_callback(functools.partial(self._done, key))

    async def _sleep(self, now: int, next_at: int | None) -> None:
        """Until `next_at` (the next job due; None: none is), an hour from `now` at most, or until `_wake`."""
        cap = now + MAX_SLEEP_S
        await self.clock.sleep_until(cap if next_at is None else min(next_at, cap), self._wake)

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except DatabaseBusy:  # another process holds the database: a fault, not a bug; wait and retry
                self._log.warning("%s: the database is busy; retrying in %.0f s", self.name, ERROR_PAUSE_S)
                await asyncio.sleep(ERROR_PAUSE_S)
            except Exception:
                self._log.exception("%s: unexpected error; retrying in %.0f s", self.name, ERROR_PAUSE_S)
                await asyncio.sleep(ERROR_PAUSE_S)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """The loop ended other than by `stop`: only an exception `_run` does not catch ends it (never expected)."""
        if not task.cancelled() and task.exception() is not None:
            self._log.critical("the %s stopped", self.name, exc_info=task.exception())

    @abstractmethod
    async def _step(self) -> None:
        """One pass: start what is due, then sleep until there is more to do (or `_wake`)."""

    @abstractmethod
    def _done(self, key: K, task: asyncio.Task[None]) -> None:
        """The job in flight under `key` ended (done, failed or cancelled): forget it from `_inflight`."""
