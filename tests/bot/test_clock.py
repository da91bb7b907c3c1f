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
