"""Reminders without Discord: the data layer, the plan, the post, and the dispatcher on a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from bot.catalogue import Catalogue, Confidence, Release
from bot.db import Database
from bot.db.reminders import GuildConfig, PlannedPost, PostState, ReminderStore
from bot.reminders import (
    MAX_ATTEMPTS,
    RETRY_BASE_S,
    RETRY_MAX_S,
    DeliveryError,
    Mode,
    ReminderMessage,
    Reminders,
    compose,
    nonce_for,
    plan,
)
from bot.timeparse import parse_lead_times

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
    """Time that moves only when the test says so; `sleeping` tells the dispatcher is idle."""

    def __init__(self, now: int) -> None:
        self._now = now
        self._moved: asyncio.Event = asyncio.Event()
        self.sleeping = False

    def now(self) -> int:
        return self._now

    def advance(self, seconds: int) -> None:
        self._now += seconds
        self._moved.set()

    async def sleep_until(self, epoch: int, wake: asyncio.Event) -> None:
        self.sleeping = True
        try:
            while self._now < epoch and not wake.is_set():
                self._moved.clear()
                moved = asyncio.ensure_future(self._moved.wait())
                woken = asyncio.ensure_future(wake.wait())
                _, pending = await asyncio.wait({moved, woken}, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
        finally:
            self.sleeping = False


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
        self.concurrent = 0
        self.max_concurrent = 0

    def server_name(self, guild_id: int) -> str:
        return "Heated Rivalry Fans"

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
            return 10_000 + len(self.sent)
        finally:
            self.concurrent -= 1

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        self.lookups.append((channel_id, since))
        return self.landed

    async def notify(self, guild_id: int, text: str) -> bool:
        self.notices.append((guild_id, text))
        return True


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def idle(reminders: Reminders, clock: FakeClock) -> None:
    """Until the dispatcher has nothing to do before the clock moves."""
    await asyncio.sleep(0.01)
    await eventually(lambda: clock.sleeping and reminders.in_flight == 0 and not reminders._wake.is_set())


@pytest.fixture
def store(db: Database) -> ReminderStore:
    return ReminderStore(db)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


async def configure(store: ReminderStore, spec: str = "1m, 0", guild_id: int = GUILD, **changes: object) -> None:
    config = replace(
        GuildConfig(guild_id), channel_id=CHANNEL + guild_id, role_id=ROLE, lead_times=parse_lead_times(spec)
    )
    await store.configure(replace(config, **changes), T0)  # type: ignore[arg-type]


def make(store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock, *r: Release) -> Reminders:
    return Reminders(store, catalogue_with(catalogue, *r), sender, clock)


@pytest.fixture
async def running(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> AsyncIterator[Reminders]:
    """A dispatcher for one server with a release 10 minutes ahead and lead times 1m, 0."""
    await configure(store)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 600))
    await reminders.replan_all()
    reminders.start()
    yield reminders
    await reminders.stop()


# -- data layer -------------------------------------------------------------------------------------------


async def test_a_server_without_configuration_reads_as_the_defaults(store: ReminderStore) -> None:
    config = await store.config(GUILD)
    assert config == GuildConfig(GUILD)
    assert [lead.key for lead in config.lead_times] == ["7d", "1d", "0"]
    assert config.zone == "UTC" and config.enabled and not config.active, "no channel yet"
    assert await store.configured_guilds() == []


async def test_configuration_round_trips_and_blocking_happens_once(store: ReminderStore) -> None:
    await configure(store, "1w, 2h30m, 0", zone="America/Toronto", template="{role} {release}")
    config = await store.config(GUILD)
    assert [lead.key for lead in config.lead_times] == ["7d", "2h30m", "0"]
    assert (config.zone, config.template, config.channel_id, config.role_id) == (
        "America/Toronto", "{role} {release}", CHANNEL + GUILD, ROLE,
    )  # fmt: skip
    assert config.active
    assert await store.block(GUILD, "Missing Permissions", T0) is True
    assert await store.block(GUILD, "again", T0) is False, "only the first refusal blocks (and notifies)"
    blocked = await store.config(GUILD)
    assert blocked.blocked_reason == "Missing Permissions" and not blocked.active
    await store.configure(replace(blocked, blocked_reason=None, blocked_at=None), T0)
    assert (await store.config(GUILD)).active


async def test_own_releases_are_numbered_per_server_and_removal_cancels_pending_posts(store: ReminderStore) -> None:
    await configure(store)
    first = await store.add_release(
        GUILD, title="Vinyl day", date=dt.date(2027, 4, 1), time=dt.time(19, 30), link=None, description=None, now=T0
    )
    second = await store.add_release(
        GUILD, title="Party", date=dt.date(2027, 3, 5), time=None, link="https://x.org", description="Hi", now=T0
    )
    other = await store.add_release(
        GUILD + 1, title="Elsewhere", date=dt.date(2027, 3, 5), time=None, link=None, description=None, now=T0
    )
    assert (first.id, second.id, other.id) == ("own:1", "own:2", "own:1")
    assert first.time == dt.time(19, 30) and first.zone is None, "own releases follow the server's zone"
    assert [r.title for r in await store.own_releases(GUILD)] == ["Party", "Vinyl day"], "soonest first"
    config = await store.config(GUILD)
    await store.sync_plan(GUILD, plan(config, await store.own_releases(GUILD)), T0)
    assert len(await store.posts(GUILD, [PostState.PENDING], 10)) == 4
    removed = await store.remove_release(GUILD, "own:1")
    assert removed is not None and removed.title == "Vinyl day"
    assert {p.release_id for p in await store.posts(GUILD, [PostState.PENDING], 10)} == {"own:2"}
    assert await store.remove_release(GUILD, "own:1") is None
    assert await store.remove_release(GUILD, "album-digital") is None, "catalogue releases cannot be removed"
    assert await store.count_own_releases(GUILD + 1) == 1


async def test_sync_plan_stores_future_posts_follows_moves_and_keeps_history(store: ReminderStore) -> None:
    await configure(store, "1d, 1h, 0")
    config = await store.config(GUILD)
    soon = release_at(T0 + 2 * 3600)
    await store.sync_plan(GUILD, plan(config, [soon]), T0)
    pending = await store.posts(GUILD, [PostState.PENDING], 10)
    assert [p.lead.key for p in pending] == ["1h", "0"], "the 1d post was already past when planned"
    assert [p.due_at for p in pending] == [T0 + 3600, T0 + 7200]
    await store.mark_sent(pending[0], 42, T0 + 3600, late=False)

    # Same announcement, new zone or a recomputation: the sent post is not made again.
    await store.sync_plan(GUILD, plan(config, [soon]), T0 + 3700)
    assert (await store.counts(GUILD))[PostState.SENT] == 1
    # The release moves two days later: every post is ahead again, the sent one included.
    moved = release_at(T0 + 2 * 86_400)
    await store.sync_plan(GUILD, plan(config, [moved]), T0 + 3700)
    pending = await store.posts(GUILD, [PostState.PENDING], 10)
    assert [(p.lead.key, p.due_at) for p in pending] == [
        ("1d", T0 + 86_400), ("1h", T0 + 2 * 86_400 - 3600), ("0", T0 + 2 * 86_400),
    ]  # fmt: skip
    # Dropping a lead time drops its pending post; a release without a date gets none.
    await store.sync_plan(GUILD, plan(replace(config, lead_times=parse_lead_times("0")), [moved]), T0 + 3700)
    assert [p.lead.key for p in await store.posts(GUILD, [PostState.PENDING], 10)] == ["0"]
    assert plan(config, [replace(moved, date=None, time=None)]) == []


async def test_due_posts_belong_to_active_servers_only(store: ReminderStore) -> None:
    for guild_id in (1, 2, 3, 4):
        await configure(store, "0", guild_id=guild_id)
        config = await store.config(guild_id)
        await store.sync_plan(guild_id, plan(config, [release_at(T0 + 60 * guild_id)]), T0)
    await store.configure(replace(await store.config(2), enabled=False), T0)
    await store.block(3, "gone", T0)
    assert await store.next_wake(after=T0) == T0 + 60
    assert [p.guild_id for p in await store.due(T0 + 600, 10)] == [1, 4]
    assert await store.next_wake(after=T0 + 60) == T0 + 240
    assert await store.next_wake(after=T0 + 240) is None


# -- the post ---------------------------------------------------------------------------------------------


def test_the_post_pings_only_the_role_and_test_and_preview_differ_only_by_marker() -> None:
    release = release_at(T0 + 600, title="@everyone party")
    config = replace(GuildConfig(GUILD), role_id=ROLE, template="{role} {release} <@1> @here {countdown}")
    lead = parse_lead_times("1h")[0]
    real = compose(release, T0 + 600, lead, config, "Fans")
    assert real.ping_role_id == ROLE
    assert real.content.startswith(f"<@&{ROLE}> @\u200beveryone party <\u200b@1> @\u200bhere <t:")
    assert "1 hour to go" in real.description and "Bring snacks." in real.description
    assert real.url == "https://example.org/party" and real.title == "@everyone party"
    test = compose(release, T0 + 600, lead, config, "Fans", mode=Mode.TEST)
    preview = compose(release, T0 + 600, lead, config, "Fans", mode=Mode.PREVIEW)
    assert test.ping_role_id is None and preview.ping_role_id is None
    assert test.content == "[Test] " + real.content and preview.content == real.content
    assert (test.title, test.description, test.url) == (real.title, real.description, real.url)
    assert "Test post" in test.footer and "Preview" in preview.footer
    late = compose(release, T0 + 600, parse_lead_times("0")[0], config, "Fans", late=True)
    assert late.description.startswith("Came out")


# -- the dispatcher ---------------------------------------------------------------------------------------


async def test_posts_go_out_at_their_due_time_and_not_before(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    await idle(running, clock)
    assert sender.sent == []
    clock.advance(539)
    await idle(running, clock)
    assert sender.sent == [], "one second early"
    clock.advance(1)
    await eventually(lambda: len(sender.sent) == 1)
    channel, message, _ = sender.sent[0]
    assert channel == CHANNEL + GUILD and message.ping_role_id == ROLE and "1 minute to go" in message.description
    clock.advance(60)
    await eventually(lambda: len(sender.sent) == 2)
    await idle(running, clock)
    counts = await store.counts(GUILD)
    assert counts[PostState.SENT] == 2 and counts[PostState.PENDING] == 0
    sent = await store.posts(GUILD, [PostState.SENT], 10)
    assert {p.message_id for p in sent} == {10_001, 10_002}
    assert {nonce_for(p) for p in sent} == {nonce for _, _, nonce in sender.sent}
    assert all(len(nonce) == 25 for _, _, nonce in sender.sent)


async def test_failed_posts_are_retried_with_the_same_nonce_until_accepted(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    sender.failures = [DeliveryError(DeliveryError.TRANSIENT, "rate limited", retry_after=45)]
    clock.advance(540)
    await eventually(lambda: len(sender.attempts) == 1)
    await idle(running, clock)
    clock.advance(RETRY_BASE_S)
    await idle(running, clock)
    assert len(sender.attempts) == 1, "a 429's retry_after (45 s) outweighs the backoff (30 s)"
    clock.advance(15)
    await eventually(lambda: len(sender.sent) == 1)
    assert len(set(sender.attempts)) == 1, "every attempt carries the same nonce"
    [failure] = await store.failures(GUILD, 5)
    assert failure.error == "rate limited" and failure.state is PostState.SENT


async def test_a_refusal_blocks_the_server_once_and_a_fix_resumes_it(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    sender.failures = [DeliveryError(DeliveryError.BLOCKED, "I can't post in <#1> (Missing Permissions)")]
    clock.advance(540)
    await eventually(lambda: len(sender.notices) == 1)
    await idle(running, clock)
    clock.advance(120)
    await idle(running, clock)
    assert sender.sent == [] and len(sender.attempts) == 1, "no retries while blocked"
    config = await store.config(GUILD)
    assert config.blocked_reason == "I can't post in <#1> (Missing Permissions)"
    assert "paused" in sender.notices[0][1] and "/reminders channel" in sender.notices[0][1]
    assert [p.error for p in await store.failures(GUILD, 5)] == [config.blocked_reason]

    await store.configure(replace(config, blocked_reason=None, blocked_at=None), clock.now())
    await running.replan(GUILD)
    await eventually(lambda: len(sender.sent) == 1)
    await idle(running, clock)
    # The 1m post is stale (the release is out); the release-moment one, 1 minute late, still goes out.
    assert [m.description.split(":")[0] for _, m, _ in sender.sent] == ["Out now"]
    [skipped] = await store.posts(GUILD, [PostState.SKIPPED], 5)
    assert skipped.lead.key == "1m" and "release has come out" in (skipped.detail or "")
    assert len(sender.notices) == 1


async def test_after_downtime_stale_posts_are_skipped_and_the_release_post_is_late(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await configure(store, "7d, 1d, 0")
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 10 * 86_400), release_at(T0 + 20 * 86_400, "b"))
    await reminders.replan_all()
    clock.advance(10 * 86_400 + 3 * 3600)  # the bot was down over the first release
    reminders.start()
    try:
        await eventually(lambda: len(sender.sent) == 1)
        await idle(reminders, clock)
        message = sender.sent[0][1]
        assert message.description.startswith("Came out") and "not be posted on time" in message.description
        [late] = await store.posts(GUILD, [PostState.SENT], 5)
        assert late.late and late.release_id == "party"
        skipped = await store.posts(GUILD, [PostState.SKIPPED], 5)
        assert sorted(p.lead.key for p in skipped) == ["1d", "7d"]
        clock.advance(10 * 86_400)  # down again, past the grace period of the second release
        await idle(reminders, clock)
        assert len(sender.sent) == 2, "the second release's 7d post was on time"
        counts = await store.counts(GUILD)
        assert counts[PostState.SKIPPED] == 4 and counts[PostState.PENDING] == 0
    finally:
        await reminders.stop()


async def test_a_change_wakes_the_sleeping_dispatcher(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock, db: Database
) -> None:
    await configure(store, "0")
    reminders = make(store, catalogue, sender, clock)
    reminders.start()
    try:
        await idle(reminders, clock)
        await store.add_release(
            GUILD, title="Soon", date=dt.date(2027, 3, 1), time=dt.time(12, 5), link=None, description=None, now=T0
        )
        await reminders.replan(GUILD)
        await idle(reminders, clock)
        clock.advance(300)
        await eventually(lambda: len(sender.sent) == 1)
        assert sender.sent[0][1].title == "Soon"
    finally:
        await reminders.stop()


async def test_a_storm_is_delivered_once_each_with_bounded_concurrency(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    servers = 120
    for guild_id in range(1, servers + 1):
        await configure(store, "0", guild_id=guild_id)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await reminders.replan_all()
    sender.failures = [DeliveryError(DeliveryError.TRANSIENT, "429") for _ in range(10)]
    reminders.start()
    try:
        clock.advance(60)
        await eventually(lambda: len(sender.sent) == servers - 10)
        clock.advance(RETRY_BASE_S)
        await eventually(lambda: len(sender.sent) == servers)
        await idle(reminders, clock)
    finally:
        await reminders.stop()
    assert sorted(channel for channel, _, _ in sender.sent) == [CHANNEL + g for g in range(1, servers + 1)]
    assert sender.max_concurrent <= reminders.concurrency


async def crash_mid_post(store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock) -> None:
    """A release-moment post is on its way to Discord when the bot stops: nothing is recorded."""
    await configure(store, "0")
    first = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await first.replan_all()
    sender.gate = asyncio.Event()
    first.start()
    clock.advance(60)
    await eventually(lambda: len(sender.attempts) == 1)
    await first.stop()
    assert (await store.counts(GUILD))[PostState.PENDING] == 1
    sender.gate = None


async def test_a_restart_mid_post_resends_with_the_same_nonce(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await crash_mid_post(store, catalogue, sender, clock)
    second = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await second.replan_all()
    second.start()
    try:
        await eventually(lambda: len(sender.sent) == 1)
    finally:
        await second.stop()
    assert sender.attempts[0] == sender.attempts[1], "Discord sees the same nonce and keeps one message"


async def test_after_a_long_outage_a_post_already_in_the_channel_is_recorded_not_repeated(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    """Discord accepted the post, the bot died before recording it, and came back after the nonce was forgotten."""
    await crash_mid_post(store, catalogue, sender, clock)
    assert sender.lookups == [], "a first attempt has nothing to look for"
    sender.landed = 777
    clock.advance(3 * 3600)  # well past Discord's nonce window, within the 12 h grace for a release post
    second = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await second.replan_all()
    second.start()
    try:
        await eventually(lambda: bool(sender.lookups))
        await idle(second, clock)
    finally:
        await second.stop()
    assert sender.lookups == [(CHANNEL + GUILD, T0 + 60)], "searched the channel from the first attempt on"
    assert len(sender.attempts) == 1, "not posted again"
    [sent] = await store.posts(GUILD, [PostState.SENT], 5)
    assert sent.message_id == 777


async def test_a_refused_post_fails_at_once_and_endless_errors_give_up(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await configure(store, "1h, 0")
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 86_400))
    await reminders.replan_all()
    sender.failures = [DeliveryError(DeliveryError.REJECTED, "Discord refused the post (400: Invalid Form Body)")]
    sender.failures += [DeliveryError(DeliveryError.TRANSIENT, "Discord answered 502") for _ in range(MAX_ATTEMPTS)]
    reminders.start()
    try:
        clock.advance(86_400 - 3600)
        await eventually(lambda: len(sender.attempts) == 1)
        await idle(reminders, clock)
        [failed] = await store.posts(GUILD, [PostState.FAILED], 5)
        assert failed.lead.key == "1h" and failed.detail == "Discord refused the post (400: Invalid Form Body)"
        clock.advance(3600)
        for _ in range(MAX_ATTEMPTS):
            await idle(reminders, clock)
            clock.advance(RETRY_MAX_S)
        await idle(reminders, clock)
    finally:
        await reminders.stop()
    assert len(sender.attempts) == 1 + MAX_ATTEMPTS and sender.sent == []
    gave_up, _ = await store.posts(GUILD, [PostState.FAILED], 5)
    assert gave_up.detail == f"gave up after {MAX_ATTEMPTS} attempts: Discord answered 502"


async def test_an_attempt_is_forgotten_when_its_release_moves(store: ReminderStore) -> None:
    """A message from before the move announced another moment: it must not count as the moved post."""
    lead = parse_lead_times("0")[0]
    await store.sync_plan(GUILD, [PlannedPost("drop", lead, "2027-01-01", T0 + 600, T0 + 600)], T0)
    [post] = await store.posts(GUILD, [PostState.PENDING], 5)
    await store.mark_attempt(post, T0 + 600)
    await store.sync_plan(GUILD, [PlannedPost("drop", lead, "2027-01-01", T0 + 900, T0 + 900)], T0 + 601)
    [recomputed] = await store.posts(GUILD, [PostState.PENDING], 5)
    assert recomputed.attempted_at == T0 + 600, "same announcement, new due time (a zone change): still the same post"
    await store.sync_plan(GUILD, [PlannedPost("drop", lead, "2027-02-01", T0 + 9000, T0 + 9000)], T0 + 602)
    [moved] = await store.posts(GUILD, [PostState.PENDING], 5)
    assert moved.attempted_at is None
