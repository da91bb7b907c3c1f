"""One server's unplannable release stays that server's problem: blocked with its reason, everything else planned."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from bot.catalogue import Catalogue
from bot.moments import PlanError
from bot.releases import ServerReleases
from cogs.reminders.schedule import reminder_plan
from cogs.reminders.service import UNPLANNABLE, ChangeRefused
from cogs.reminders.store import PostState, ReminderStore
from cogs.reminders.timeparse import parse_lead_times
from tests.cogs.reminders.fakes import GUILD, T0, FakeClock, FakeSender, configure, make, release_at

BROKEN = 999
LAST_DAY = dt.date(9999, 12, 31)


async def add_last_release(store: ReminderStore, guild_id: int) -> None:
    await ServerReleases(store._db).add_release(
        guild_id, title="Last party", date=LAST_DAY, time=dt.time(23, 0), link=None, description=None, now=T0
    )


def test_a_release_past_the_calendar_is_a_plan_error_naming_it() -> None:
    last = replace(release_at(T0), date=LAST_DAY, time=dt.time(23, 0), zone=None)  # on the server's clock
    with pytest.raises(PlanError, match=r"\*\*Listening party\*\* \(9999-12-31 23:00\) cannot be placed") as caught:
        reminder_plan(last, parse_lead_times("1d, 0"), ZoneInfo("Pacific/Honolulu"))
    assert caught.value.zone == "Pacific/Honolulu" and caught.value.row == "party 'Listening party' (9999-12-31 23:00)"


async def test_an_unplannable_server_is_blocked_and_the_others_are_planned(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await configure(store)
    await configure(store, guild_id=BROKEN, zone="Pacific/Honolulu")
    await add_last_release(store, BROKEN)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 600))

    assert await reminders.replan_all() == 2
    assert list(reminders.problems) == [BROKEN]
    broken = await store.config(BROKEN)
    assert broken.blocked_reason is not None and broken.blocked_reason.startswith(UNPLANNABLE) and not broken.active
    assert (await store.counts(GUILD))[PostState.PENDING] > 0, "the healthy server is planned as usual"

    with pytest.raises(ChangeRefused, match="Nothing was changed"):  # still past the calendar in this zone
        await reminders.save(replace(broken, zone="America/Anchorage"))
    assert (await store.config(BROKEN)).zone == "Pacific/Honolulu", "a refused change is not stored"

    fixed = await reminders.save(replace(broken, zone="UTC"))
    assert fixed.blocked_reason is None and fixed.active and BROKEN not in reminders.problems


async def test_a_zone_that_would_make_a_release_unplannable_is_refused(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await configure(store)
    await add_last_release(store, GUILD)
    reminders = make(store, catalogue, sender, clock)
    await reminders.replan_all()
    assert reminders.problems == {}
    config = await store.config(GUILD)
    with pytest.raises(ChangeRefused, match=r"Nothing was changed: \*\*Last party\*\* \(9999-12-31 23:00\)"):
        await reminders.save(replace(config, zone="America/Toronto"))
    assert await store.config(GUILD) == config
