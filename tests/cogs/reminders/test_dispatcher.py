"""The dispatcher on a fake clock: due times, retries, blocking, downtime, storms, crashes."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalogue import Catalogue
from bot.db import Database
from bot.delivery import MAX_ATTEMPTS, RETRY_BASE_S, RETRY_MAX_S, DeliveryError, Failure
from bot.presence import Presence
from cogs.reminders.posts import ROLE_DELETED_NOTICE, nonce_for
from cogs.reminders.service import Reminders
from cogs.reminders.store import PostState, ReminderStore
from tests.cogs.reminders.fakes import (
    CHANNEL,
    GUILD,
    ROLE,
    T0,
    FakeClock,
    FakeSender,
    configure,
    eventually,
    make,
    release_at,
)

# -- the dispatcher ---------------------------------------------------------------------------------------


async def test_posts_go_out_at_their_due_time_and_not_before(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    await running.dispatcher.wait_idle()
    assert sender.sent == []
    clock.advance(539)
    await running.dispatcher.wait_idle()
    assert sender.sent == [], "one second early"
    clock.advance(1)
    await eventually(lambda: len(sender.sent) == 1)
    channel, message, _ = sender.sent[0]
    assert channel == CHANNEL + GUILD and message.ping_role_id == ROLE and "Comes out <t:" in message.description
    clock.advance(60)
    await eventually(lambda: len(sender.sent) == 2)
    await running.dispatcher.wait_idle()
    counts = await store.counts(GUILD)
    assert counts[PostState.SENT] == 2 and counts[PostState.PENDING] == 0
    sent = await store.posts(GUILD, [PostState.SENT], 10)
    assert {p.message_id for p in sent} == {10_001, 10_002}
    assert {nonce_for(p) for p in sent} == {nonce for _, _, nonce in sender.sent}
    assert all(len(nonce) == 25 for _, _, nonce in sender.sent)


async def test_a_deleted_ping_role_is_dropped_and_moderators_are_told_once(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    """After the role was deleted neither post pings it, and the moderators are told once."""
    sender.deleted_roles.add(ROLE)
    clock.advance(540)
    await eventually(lambda: len(sender.sent) == 1)
    await running.dispatcher.wait_idle()
    clock.advance(60)
    await eventually(lambda: len(sender.sent) == 2)
    await running.dispatcher.wait_idle()
    assert [message.ping_role_id for _, message, _ in sender.sent] == [None, None]
    assert all(f"<@&{ROLE}>" not in message.content for _, message, _ in sender.sent)
    assert [text for _, text in sender.notices] == [ROLE_DELETED_NOTICE]
    assert (await store.config(GUILD)).role_id is None


async def test_failed_posts_are_retried_with_the_same_nonce_until_accepted(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    sender.failures = [DeliveryError(Failure.TRANSIENT, "rate limited", retry_after=45)]
    clock.advance(540)
    await eventually(lambda: len(sender.attempts) == 1)
    await running.dispatcher.wait_idle()
    clock.advance(RETRY_BASE_S)
    await running.dispatcher.wait_idle()
    assert len(sender.attempts) == 1, "a 429's retry_after (45 s) outweighs the backoff (30 s)"
    clock.advance(15)
    await eventually(lambda: len(sender.sent) == 1)
    await running.dispatcher.wait_idle()  # accepted posts are recorded together, a moment later
    assert len(set(sender.attempts)) == 1, "every attempt carries the same nonce"
    [failure] = await store.failures(GUILD, 5)
    assert failure.error == "rate limited" and failure.state is PostState.SENT


async def test_a_refusal_blocks_the_server_once_and_a_fix_resumes_it(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    sender.failures = [DeliveryError(Failure.BLOCKED, "I can't post in <#1> (Missing Permissions)")]
    clock.advance(540)
    await eventually(lambda: len(sender.notices) == 1)
    await running.dispatcher.wait_idle()
    clock.advance(120)
    await running.dispatcher.wait_idle()
    assert sender.sent == [] and len(sender.attempts) == 1, "no retries while blocked"
    config = await store.config(GUILD)
    assert config.blocked_reason == "I can't post in <#1> (Missing Permissions)"
    assert "paused" in sender.notices[0][1] and "/reminders channel" in sender.notices[0][1]
    assert [p.error for p in await store.failures(GUILD, 5)] == [config.blocked_reason]

    await store.configure(replace(config, blocked_reason=None, blocked_at=None), clock.now())
    await running.replan(GUILD)
    await eventually(lambda: len(sender.sent) == 1)
    await running.dispatcher.wait_idle()
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
    reminders.dispatcher.start()
    try:
        await eventually(lambda: len(sender.sent) == 1)
        await reminders.dispatcher.wait_idle()
        message = sender.sent[0][1]
        assert message.description.startswith("Came out") and "not be posted on time" in message.description
        [late] = await store.posts(GUILD, [PostState.SENT], 5)
        assert late.late and late.release_id == "party"
        skipped = await store.posts(GUILD, [PostState.SKIPPED], 5)
        assert sorted(p.lead.key for p in skipped) == ["1d", "7d"]
        clock.advance(10 * 86_400)  # down again, past the grace period of the second release
        await reminders.dispatcher.wait_idle()
        assert len(sender.sent) == 2, "the second release's 7d post was on time"
        counts = await store.counts(GUILD)
        assert counts[PostState.SKIPPED] == 4 and counts[PostState.PENDING] == 0
    finally:
        await reminders.dispatcher.stop()


async def test_a_change_wakes_the_sleeping_dispatcher(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock, db: Database
) -> None:
    await configure(store, "0")
    reminders = make(store, catalogue, sender, clock)
    reminders.dispatcher.start()
    try:
        await reminders.dispatcher.wait_idle()
        await reminders.own.add_release(
            GUILD, title="Soon", date=dt.date(2027, 3, 1), time=dt.time(12, 5), link=None, description=None, now=T0
        )
        await reminders.dispatcher.wait_idle()
        clock.advance(300)
        await eventually(lambda: len(sender.sent) == 1)
        assert sender.sent[0][1].title == "Soon"
    finally:
        await reminders.dispatcher.stop()


async def test_a_storm_is_delivered_once_each_with_bounded_concurrency(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    servers = 120
    for guild_id in range(1, servers + 1):
        await configure(store, "0", guild_id=guild_id)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await reminders.replan_all()
    sender.failures = [DeliveryError(Failure.TRANSIENT, "429") for _ in range(10)]
    reminders.dispatcher.start()
    try:
        clock.advance(60)
        await eventually(lambda: len(sender.sent) == servers - 10)
        clock.advance(RETRY_BASE_S)
        await eventually(lambda: len(sender.sent) == servers)
        await reminders.dispatcher.wait_idle()
    finally:
        await reminders.dispatcher.stop()
    assert sorted(channel for channel, _, _ in sender.sent) == [CHANNEL + g for g in range(1, servers + 1)]
    assert sender.max_concurrent <= reminders.dispatcher.concurrency


async def test_posts_refused_for_the_rate_limit_go_back_in_the_queue_at_once(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    """After discord.py's own retries, a 429 is retried at the pacer's rate, not after the 30 s backoff."""
    servers = 20
    for guild_id in range(1, servers + 1):
        await configure(store, "0", guild_id=guild_id)
    reminders = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await reminders.replan_all()
    sender.failures = [DeliveryError(Failure.RATE_LIMITED, "Discord answered 429") for _ in range(5)]
    reminders.dispatcher.start()
    try:
        clock.advance(60)
        await eventually(lambda: len(sender.sent) == servers)  # the clock does not move on: no backoff
        await reminders.dispatcher.wait_idle()
    finally:
        await reminders.dispatcher.stop()
    assert sorted(channel for channel, _, _ in sender.sent) == [CHANNEL + g for g in range(1, servers + 1)]
    assert len(sender.attempts) == servers + 5


async def test_posts_accepted_just_before_a_stop_are_recorded_and_never_made_again(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    servers = 40
    for guild_id in range(1, servers + 1):
        await configure(store, "0", guild_id=guild_id)
    first = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await first.replan_all()
    first.dispatcher.start()
    clock.advance(60)
    await eventually(lambda: len(sender.sent) == servers)
    await first.dispatcher.stop()  # accepted posts may still be waiting to be recorded together
    assert sum([(await store.counts(g))[PostState.SENT] for g in range(1, servers + 1)]) == servers
    second = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await second.replan_all()
    second.dispatcher.start()
    try:
        await second.dispatcher.wait_idle()
    finally:
        await second.dispatcher.stop()
    assert len(sender.attempts) == servers and sender.lookups == [], "nothing posted or looked for again"


async def crash_mid_post(store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock) -> None:
    """A release-moment post is on its way to Discord when the bot stops: nothing is recorded."""
    await configure(store, "0")
    first = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await first.replan_all()
    sender.gate = asyncio.Event()
    first.dispatcher.start()
    clock.advance(60)
    await eventually(lambda: len(sender.attempts) == 1)
    await first.dispatcher.stop()
    assert (await store.counts(GUILD))[PostState.PENDING] == 1
    sender.gate = None


async def test_a_restart_mid_post_resends_with_the_same_nonce(
    store: ReminderStore, catalogue: Catalogue, sender: FakeSender, clock: FakeClock
) -> None:
    await crash_mid_post(store, catalogue, sender, clock)
    second = make(store, catalogue, sender, clock, release_at(T0 + 60))
    await second.replan_all()
    second.dispatcher.start()
    try:
        await eventually(lambda: len(sender.sent) == 1)
    finally:
        await second.dispatcher.stop()
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
    second.dispatcher.start()
    try:
        await eventually(lambda: bool(sender.lookups))
        await second.dispatcher.wait_idle()
    finally:
        await second.dispatcher.stop()
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
    sender.failures = [DeliveryError(Failure.REJECTED, "Discord refused the post (400: Invalid Form Body)")]
    sender.failures += [DeliveryError(Failure.TRANSIENT, "Discord answered 502") for _ in range(MAX_ATTEMPTS)]
    reminders.dispatcher.start()
    try:
        clock.advance(86_400 - 3600)
        await eventually(lambda: len(sender.attempts) == 1)
        await reminders.dispatcher.wait_idle()
        [failed] = await store.posts(GUILD, [PostState.FAILED], 5)
        assert failed.lead.key == "1h" and failed.detail == "Discord refused the post (400: Invalid Form Body)"
        clock.advance(3600)
        for _ in range(MAX_ATTEMPTS):
            await reminders.dispatcher.wait_idle()
            clock.advance(RETRY_MAX_S)
        await reminders.dispatcher.wait_idle()
    finally:
        await reminders.dispatcher.stop()
    assert len(sender.attempts) == 1 + MAX_ATTEMPTS and sender.sent == []
    gave_up, _ = await store.posts(GUILD, [PostState.FAILED], 5)
    assert gave_up.detail == f"gave up after {MAX_ATTEMPTS} attempts: Discord answered 502"


# -- servers Discord does not serve, and servers the bot has left (`bot.presence`) -------------------------------


async def test_an_unavailable_server_keeps_its_role_and_its_posts_wait_until_it_is_back(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    """An outage's stub has no roles: the role is not taken for deleted, and nothing is posted blind."""
    sender.presences[GUILD] = Presence.UNAVAILABLE
    sender.deleted_roles.add(ROLE)  # what the stub would say of every role
    clock.advance(540)
    await running.dispatcher.wait_idle()
    assert sender.attempts == [] and sender.notices == []
    assert (await store.config(GUILD)).role_id == ROLE
    [waiting] = [p for p in await store.posts(GUILD, [PostState.PENDING], 10) if p.lead.key == "1m"]
    assert waiting.attempted_at is None, "not even noted as attempted"
    sender.presences.pop(GUILD)
    sender.deleted_roles.clear()
    running.dispatcher.unpark(GUILD)
    await eventually(lambda: len(sender.sent) == 1)
    assert sender.sent[0][1].ping_role_id == ROLE


async def test_a_server_the_bot_has_left_gets_no_attempt_and_no_block(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    sender.presences[GUILD] = Presence.LEFT
    clock.advance(600)
    await running.dispatcher.wait_idle()
    assert sender.attempts == [] and sender.notices == []
    config = await store.config(GUILD)
    assert config.blocked_reason is None and config.role_id == ROLE


async def test_a_refusal_from_a_server_that_went_away_meanwhile_does_not_block_it(
    running: Reminders, store: ReminderStore, sender: FakeSender, clock: FakeClock
) -> None:
    """Discord answered 403 because the bot was removed while the post was on its way: not the configuration's
    fault, so the server is not blocked, and its moderators are not told to fix anything."""
    sender.failures = [DeliveryError(Failure.BLOCKED, "Missing Access")]
    sender.gate = asyncio.Event()
    clock.advance(540)
    await eventually(lambda: len(sender.attempts) == 1)
    sender.presences[GUILD] = Presence.LEFT
    sender.gate.set()
    await running.dispatcher.wait_idle()
    assert (await store.config(GUILD)).blocked_reason is None and sender.notices == []


PRESENCES = st.sampled_from([Presence.AVAILABLE, Presence.UNAVAILABLE, Presence.LEFT, Presence.STARTING])


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(st.tuples(PRESENCES, st.integers(0, 200)), min_size=1, max_size=8))
def test_posts_go_only_to_an_available_server_and_always_with_its_role(
    catalogue: Catalogue, steps: list[tuple[Presence, int]]
) -> None:
    """Whatever Discord says of the server over time, a post goes out only while it is available, pings the role,
    and the role and the server's settings are never changed by what an unavailable or absent server looks like."""

    async def run() -> None:
        async with Database.open(":memory:") as db:
            store, sender, clock = ReminderStore(db), FakeSender(), FakeClock(T0)
            await configure(store)
            reminders = make(store, catalogue, sender, clock, release_at(T0 + 600))
            await reminders.replan_all()
            reminders.dispatcher.start()
            try:
                for presence, seconds in steps:
                    sender.presences[GUILD] = presence
                    sender.deleted_roles = set() if presence.acts else {ROLE}  # a stub has no roles
                    if presence.acts:
                        reminders.dispatcher.unpark(GUILD)
                    clock.advance(seconds)
                    await reminders.dispatcher.wait_idle()
            finally:
                await reminders.dispatcher.stop()
            assert all(while_ is Presence.AVAILABLE for while_ in sender.sent_while)
            assert all(message.ping_role_id == ROLE for _, message, _ in sender.sent)
            config = await store.config(GUILD)
            assert config.role_id == ROLE and config.blocked_reason is None and sender.notices == []

    asyncio.run(run())
