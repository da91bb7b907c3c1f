"""The mirror's table on each engine: the switch and its block, an event from intent to live, and a moderator's
removal that stands against a late write (`EventStore`)."""

from __future__ import annotations

from bot.db import Database
from cogs.reminders.event_store import EventStore, MirrorConfig
from cogs.reminders.mirror import EventShape, EventState, MirroredEvent

GUILD, OTHER, NEVER = 111, 222, 333
NOW = 1_800_000_000
SHAPE = EventShape("Listening party", NOW + 3600, NOW + 7200, "Online", "Track by track.", channel_id=None)
IN_STAGE = EventShape("Stage party", NOW + 3600, NOW + 7200, "Online", "", channel_id=999)


async def test_the_switch_and_its_block_are_kept_per_server(db: Database) -> None:
    events = EventStore(db)
    await events.set_mirror(GUILD, enabled=True, now=NOW)
    await events.set_mirror(OTHER, enabled=False, now=NOW)
    await events.set_block(GUILD, "Missing Create Events", NOW + 1)
    await events.set_block(GUILD, "Missing Create Events", NOW + 5)  # the same reason again: its first time stays
    assert await events.mirror(GUILD) == MirrorConfig(GUILD, True, "Missing Create Events", NOW + 1)
    assert await events.mirrors([GUILD, OTHER, NEVER]) == {
        GUILD: MirrorConfig(GUILD, True, "Missing Create Events", NOW + 1),
        OTHER: MirrorConfig(OTHER, False),
    }
    await events.set_block(GUILD, None, NOW + 9)
    assert await events.mirror(GUILD) == MirrorConfig(GUILD, True)
    await events.set_block(NEVER, "x", NOW)  # no row: nothing to block
    assert await events.mirror(NEVER) == MirrorConfig(NEVER)
    assert await events.mirrored_guild_ids() == [GUILD]


async def test_an_event_goes_from_intent_to_live_and_a_removal_by_hand_stands(db: Database) -> None:
    events = EventStore(db)
    await events.intend(GUILD, "own:1", SHAPE, NOW)
    await events.store(MirroredEvent(GUILD, "own:2", 77, IN_STAGE, EventState.LIVE), NOW)
    await events.store(MirroredEvent(GUILD, "own:1", 55, SHAPE, EventState.LIVE), NOW + 1)
    assert await events.events(GUILD) == [
        MirroredEvent(GUILD, "own:1", 55, SHAPE, EventState.LIVE),
        MirroredEvent(GUILD, "own:2", 77, IN_STAGE, EventState.LIVE),
    ]
    assert await events.removed_by_hand(GUILD, 999_999, NOW) is None, "an event the bot never made"
    assert await events.removed_by_hand(GUILD, 55, NOW + 2) == "own:1"
    assert await events.removed_by_hand(GUILD, 55, NOW + 3) is None, "told once"
    await events.store(MirroredEvent(GUILD, "own:1", 55, SHAPE, EventState.LIVE), NOW + 4)  # a write on its way
    assert [e.state for e in await events.events(GUILD)] == [EventState.GONE, EventState.LIVE]
    await events.set_mirror(GUILD, enabled=False, now=NOW)
    await events.set_mirror(OTHER, enabled=True, now=NOW)
    assert await events.mirrored_guild_ids() == [GUILD, OTHER], "GUILD's mirror is off, but it has events to cancel"
    await events.forget_removed_by_hand(GUILD)
    await events.mark(GUILD, "own:2", EventState.CANCELLING, NOW + 5)
    assert await events.events(GUILD) == [MirroredEvent(GUILD, "own:2", 77, IN_STAGE, EventState.CANCELLING)]
    await events.forget(GUILD, "own:2")
    assert await events.events(GUILD) == []
