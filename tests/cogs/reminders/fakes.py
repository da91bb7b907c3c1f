"""Fakes for the reminders' tests: a clock that moves when told, a sender that records posts, and helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from bot.catalogue import Catalogue, Confidence, Release
from bot.delivery import DeliveryError
from bot.presence import Presence
from bot.releases import ServerReleases
from cogs.reminders.posts import ReminderMessage
from cogs.reminders.service import Reminders
from cogs.reminders.store import GuildConfig, ReminderStore
from cogs.reminders.timeparse import parse_lead_times

GUILD = 111
CHANNEL = 222
ROLE = 333
T0 = int(dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC).timestamp())


def release_at(epoch: int, release_id: str = "party", *, title: str = "Listening party") -> Release:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return Release(
        id=release_id, title=title, kind="event", date=moment.date(), time=moment.time(), zone="UTC",
        link="https://example.org/party", description="Bring snacks.", status=None,
        confidence=Confidence.SINGLE, sources=(),
    )  # fmt: skip


def catalogue_with(catalogue: Catalogue, *releases: Release) -> Catalogue:
    return replace(catalogue, releases=releases)


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self, now: int) -> None:
        self._now = now
        self._moved: asyncio.Event = asyncio.Event()

    def now(self) -> int:
        return self._now

    def advance(self, seconds: int) -> None:
        self._now += seconds
        self._moved.set()

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        while self._now < epoch and not wake.is_set():
            self._moved.clear()
            moved = asyncio.ensure_future(self._moved.wait())
            woken = asyncio.ensure_future(wake.wait())
            _, pending = await asyncio.wait({moved, woken}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()


class FakeSender:
    """Records posts; raises the queued failures first; `gate` holds sends until the test opens it."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, ReminderMessage, str]] = []
        self.attempts: list[str] = []
        self.failures: list[DeliveryError] = []
        self.notices: list[tuple[int, str]] = []
        self.lookups: list[tuple[int, int]] = []
        self.landed: int | None = None  # what find_sent reports: a post that reached the channel unrecorded
        self.gate: asyncio.Event | None = None
        self.deleted_roles: set[int] = set()
        self.presences: dict[int, Presence] = {}  # servers not available (default: every server is)
        self.sent_while: list[Presence] = []  # the server's presence as each post of `sent` went out
        self.concurrent = 0
        self.max_concurrent = 0

    def server_name(self, guild_id: int) -> str:
        return "Heated Rivalry Fans"

    def locale(self, guild_id: int) -> str | None:
        return None  # a server that never set its language: posts are in English

    async def send(self, channel_id: int, message: ReminderMessage, nonce: str) -> int:
        self.attempts.append(nonce)
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            await asyncio.sleep(0.001)
            if self.gate is not None:
                await self.gate.wait()
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append((channel_id, message, nonce))
            self.sent_while.append(self.presence(channel_id - CHANNEL))
            return 10_000 + len(self.sent)
        finally:
            self.concurrent -= 1

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        self.lookups.append((channel_id, since))
        return self.landed

    async def notify(self, guild_id: int, text: str) -> bool:
        self.notices.append((guild_id, text))
        return True

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        return role_id not in self.deleted_roles

    def presence(self, guild_id: int) -> Presence:
        return self.presences.get(guild_id, Presence.AVAILABLE)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def configure(store: ReminderStore, spec: str = "1m, 0", guild_id: int = GUILD, **changes: object) -> None:
    config = replace(
        GuildConfig(guild_id), channel_id=CHANNEL + guild_id, role_id=ROLE, lead_times=parse_lead_times(spec)
    )
    await store.configure(replace(config, **changes), T0)  # type: ignore[arg-type]


def make(store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock, *r: Release) -> Reminders:
    """The reminders service as the extension's `setup` builds it, on the store's database."""
    own = ServerReleases(store._db)
    reminders = Reminders(store, own, catalogue_with(catalogue, *r), sender, clock)
    own.listeners.append(reminders.own_releases_changed)
    return reminders
