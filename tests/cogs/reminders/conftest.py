"""Fixtures for the reminders' tests without Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.catalogue import Catalogue
from bot.db import Database
from cogs.reminders.service import Reminders
from cogs.reminders.store import ReminderStore
from tests.cogs.reminders.fakes import T0, FakeClock, FakeSender, configure, make, release_at


@pytest.fixture
def store(db: Database) -> ReminderStore:
    return ReminderStore(db)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
async def running(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> AsyncIterator[Reminders]:
    """A dispatcher for one server with a release 10 minutes ahead and lead times 1m, 0."""
    await configure(store)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 600))
    await reminders.replan_all()
    reminders.dispatcher.start()
    yield reminders
    await reminders.dispatcher.stop()
