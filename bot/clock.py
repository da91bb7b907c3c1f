"""The bot's one clock: UTC epoch seconds, real time by default, movable forward for the demo and tests.

Every feature asks `bot.clock` for "now" instead of calling `time.time()`, so a test or the demo that moves
time forward moves it for all of them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from typing import Protocol


class Clock(Protocol):
    def now(self) -> int:
        """Seconds since the Unix epoch (UTC)."""
        ...

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        """Return at `epoch` (epoch seconds), or earlier when `wake` is set."""
        ...


class SystemClock:
    """Real time, optionally moved forward: the demo and tests show tomorrow's post without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0
        # The wake event of every task that sleeps on this clock (each feature's scheduler), as long as it lives.
        self._sleepers: weakref.WeakSet[asyncio.Event] = weakref.WeakSet()

    def now(self) -> int:
        return int(time.time() + self.offset)

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        self._sleepers.add(wake)
        # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` swallows a cancellation that arrives as its
        # inner wait completes (cpython gh-86296), and a scheduler stopping cancels its loop just as its finishing
        # jobs wake it; the loop then ran on and `stop()` waited for it forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, epoch - (time.time() + self.offset))):
                await wake.wait()

    def jump_to(self, epoch: float) -> None:
        """Make it `epoch` now, and wake whoever sleeps on this clock (every feature's scheduler) so it notices."""
        self.offset = epoch - time.time()
        for wake in list(self._sleepers):
            wake.set()
