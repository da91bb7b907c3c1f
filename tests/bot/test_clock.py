"""The bot's one clock: moving it wakes every feature's scheduler, not only the one that slept last."""

from __future__ import annotations

import asyncio
import time

from bot.clock import SystemClock


async def test_a_jump_wakes_every_task_sleeping_on_the_clock() -> None:
    clock = SystemClock()
    now = int(time.time())
    reminders, party = asyncio.Event(), asyncio.Event()
    sleeping = [asyncio.create_task(clock.sleep_until(now + 3600, wake)) for wake in (reminders, party)]
    await asyncio.sleep(0)  # both are asleep
    clock.jump_to(now + 7200)
    async with asyncio.timeout(5):
        await asyncio.gather(*sleeping)
    assert reminders.is_set() and party.is_set()
    assert clock.now() >= now + 7200


async def test_a_sleep_cancelled_as_it_is_woken_stays_cancelled() -> None:
    """A scheduler's `stop()` cancels its loop just as its finishing jobs wake it: the sleep must end cancelled, or
    the loop runs on and `stop()` waits for it forever (Python 3.11's `wait_for` swallowed it: cpython gh-86296)."""
    clock, wake = SystemClock(), asyncio.Event()
    sleeping = asyncio.create_task(clock.sleep_until(clock.now() + 60, wake))
    await asyncio.sleep(0)  # asleep now
    wake.set()
    sleeping.cancel()
    await asyncio.wait({sleeping})
    assert sleeping.cancelled()
