"""The reminders' data layer on a real database: configuration, own releases, the plan of posts."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any, cast

from bot.catalogue import Catalogue
from bot.db import Database
from cogs.reminders.posts import plan
from cogs.reminders.store import GuildConfig, PlannedPost, PostState, ReminderStore
from cogs.reminders.timeparse import parse_lead_times
from tests.cogs.reminders.fakes import (
    CHANNEL,
    GUILD,
    ROLE,
    T0,
    FakeClock,
    FakeSender,
    configure,
    make,
    release_at,
)

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


async def test_a_read_still_on_its_way_when_the_configuration_changes_is_not_kept(
    store: ReminderStore, db: Database
) -> None:
    """The configuration is kept in memory once read; a read that started before a write and ends after it
    holds the old settings, and keeping it would hide the moderator's change until the bot restarts."""
    await configure(store, "1d")
    reads, started, gate = db.read, asyncio.Event(), asyncio.Event()

    class Slow:
        async def fetchone(self, sql: str, params: Any = ()) -> Any:
            row = await reads.fetchone(sql, params)
            started.set()
            await gate.wait()  # the row is read; the write lands before the read returns
            return row

    db.read = cast(Any, Slow())
    try:
        reading = asyncio.create_task(store.config(GUILD))
        await started.wait()
        await configure(store, "2h")
        gate.set()
        assert [lead.key for lead in (await reading).lead_times] == ["1d"], "the read saw the old row"
    finally:
        db.read = reads
    assert [lead.key for lead in (await store.config(GUILD)).lead_times] == ["2h"]


async def test_own_releases_are_numbered_per_server_and_removal_cancels_pending_posts(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await configure(store)
    own = make(store, catalogue, sender, clock).own  # a server's own releases are `bot.releases`', followed here
    first = await own.add_release(
        GUILD, title="Vinyl day", date=dt.date(2027, 4, 1), time=dt.time(19, 30), link=None, description=None, now=T0
    )
    second = await own.add_release(
        GUILD, title="Party", date=dt.date(2027, 3, 5), time=None, link="https://x.org", description="Hi", now=T0
    )
    other = await own.add_release(
        GUILD + 1, title="Elsewhere", date=dt.date(2027, 3, 5), time=None, link=None, description=None, now=T0
    )
    assert (first.id, second.id, other.id) == ("own:1", "own:2", "own:1")
    assert first.time == dt.time(19, 30) and first.zone is None, "own releases follow the server's zone"
    assert [r.title for r in await own.own_releases(GUILD)] == ["Party", "Vinyl day"], "soonest first"
    assert len(await store.posts(GUILD, [PostState.PENDING], 10)) == 4
    removed = await own.remove_release(GUILD, "own:1")
    assert removed is not None and removed.title == "Vinyl day"
    assert {p.release_id for p in await store.posts(GUILD, [PostState.PENDING], 10)} == {"own:2"}
    assert await own.remove_release(GUILD, "own:1") is None
    assert await own.remove_release(GUILD, "album-digital") is None, "catalogue releases cannot be removed"
    assert await own.count_own_releases(GUILD + 1) == 1


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
