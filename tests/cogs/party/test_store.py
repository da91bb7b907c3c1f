"""The parties' tables behind `PartyStore`: a party from scheduled to over, its cursor moving only with a post
Discord took, Next moving it once, the hearts, the runner's queue, and a server forgotten."""

from __future__ import annotations

from bot.db import Database
from bot.shards import ShardRange
from cogs.party.rules import COUNTDOWN_S, MAX_LENGTH_S, Advance, PartyState, Play
from cogs.party.store import Made, Party, PartyStore, Posted

GUILD, OTHER = 111, 222
NOW = 1_800_000_000
START = NOW + 3600
TRACKS = (("rivalry", 200), ("melt", None), ("face-off", 180))


async def scheduled(store: PartyStore, guild_id: int = GUILD, *, start_at: int = START, release: int = 1) -> Party:
    return await store.create(
        guild_id, release=release, title="Album night", start_at=start_at, play=Play.TRACKS, picks=(1, 2, 5),
        advance=Advance.TIMED, channel_id=10, venue_id=20, link="https://example.org/stream", host_id=30, now=NOW,
    )  # fmt: skip


async def test_a_party_moves_only_with_the_posts_discord_took(db: Database) -> None:
    store = PartyStore(db)
    party = await scheduled(store)
    assert (party.state, party.step, party.due_at, party.picks, party.tracks) == (
        PartyState.SCHEDULED, 0, START, (1, 2, 5), None,
    )  # fmt: skip
    assert party.release_id == "own:1" and party.line is None
    started = await store.begin(party, TRACKS, 30, START + 30)
    assert started.tracks == TRACKS and started.shift == 30 and started.attempted_at == START + 30
    line = started.line
    assert line is not None and line.due(1) == START + 30 + COUNTDOWN_S and line.hosted(3), "melt's length unknown"
    await store.record(Made(started, 0, START + 30, 900, False, next_due=line.due(1), deadline=line.deadline,
                            thread_id=900), START + 31)  # fmt: skip
    running = await store.party(party.id)
    assert running is not None
    assert (running.state, running.step, running.thread_id, running.posts_to, running.attempted_at) == (
        PartyState.RUNNING, 1, 900, 900, None,
    )  # fmt: skip
    await store.mark_attempt(running, START + 90)
    await store.mark_attempt(running, START + 95)  # a retry: the first attempt is what a restart looks from
    retried = await store.party(party.id)
    assert retried is not None and retried.attempted_at == START + 90
    await store.retry_later(retried, "Discord answered 503", START + 100, START + 95)
    waiting = await store.party(party.id)
    assert waiting is not None and (waiting.attempts, waiting.error, waiting.due_at) == (
        1, "Discord answered 503", START + 100,
    )  # fmt: skip
    # Track 2's cue after a restart, track 1's passed over; it waits for Next after it (until the length cap).
    await store.record(Made(waiting, 2, START + 290, 902, True, passed=[(1, START + 90)], next_due=None,
                            deadline=line.deadline), START + 300)  # fmt: skip
    on_two = await store.party(party.id)
    assert on_two is not None and (on_two.step, on_two.waits_next, on_two.due_at, on_two.attempts) == (
        3, True, line.deadline, 0,
    )  # fmt: skip
    assert await store.posts(party.id) == [
        Posted(0, START + 30, START + 31, 900, False),
        Posted(1, START + 90, None, None, False),
        Posted(2, START + 290, START + 300, 902, True),
    ]
    assert await store.request_next(on_two, 1, START + 400, 31) is False, "Next under an older cue"
    assert await store.request_next(on_two, 2, START + 400, 31) is True
    assert await store.request_next(on_two, 2, START + 401, 32) is False, "a second click moves it on once"
    moved = await store.party(party.id)
    assert moved is not None and (moved.waits_next, moved.due_at, moved.host_id) == (False, START + 400, 31)
    await store.record(Made(moved, 3, START + 400, 903, False, next_due=START + 580, deadline=line.deadline),
                       START + 400)  # fmt: skip
    assert await store.set_state(moved, PartyState.OVER, START + 600, expected=PartyState.SCHEDULED) is False
    assert await store.set_state(moved, PartyState.OVER, START + 600, expected=PartyState.RUNNING) is True
    over = await store.party(party.id)
    assert over is not None and over.state is PartyState.OVER and not over.state.upcoming


async def test_a_post_discord_never_takes_is_passed_over(db: Database) -> None:
    store = PartyStore(db)
    party = await store.begin(await scheduled(store), TRACKS, 0, START)
    await store.record(Made(party, 0, START, 900, False, next_due=START + 60, deadline=START + MAX_LENGTH_S,
                            thread_id=900), START)  # fmt: skip
    running = await store.party(party.id)
    assert running is not None
    await store.pass_over(running, START + 60, START + 260, START + MAX_LENGTH_S, "Discord refused it", START + 61)
    after = await store.party(party.id)
    assert after is not None and (after.step, after.due_at, after.error) == (2, START + 260, "Discord refused it")
    assert [p.message_id for p in await store.posts(party.id)] == [900, None]


async def test_one_heart_per_member_changeable_and_counted(db: Database) -> None:
    store = PartyStore(db)
    party = await scheduled(store)
    await store.set_heart(party.id, 1, "rivalry", NOW)
    await store.set_heart(party.id, 2, "rivalry", NOW)
    await store.set_heart(party.id, 1, "melt", NOW + 1)  # changed
    await store.set_heart(party.id, 3, "melt", NOW + 2)
    await store.set_heart(party.id, 3, None, NOW + 3)  # taken back
    assert await store.heart_of(party.id, 1) == "melt" and await store.heart_of(party.id, 3) is None
    assert await store.heart_counts(party.id) == {"rivalry": 1, "melt": 1}


async def test_the_runners_queue_and_a_server_forgotten(db: Database) -> None:
    store = PartyStore(db)
    first = await scheduled(store, start_at=START)
    second = await scheduled(store, OTHER, start_at=START + 10, release=1)
    later = await scheduled(store, start_at=START + 86400, release=2)
    assert [p.id for p in await store.due(START + 10, 10, excluding=(), parked=())] == [first.id, second.id]
    assert [p.id for p in await store.due(START + 10, 10, excluding={first.id}, parked=())] == [second.id]
    assert [p.id for p in await store.due(START + 10, 10, excluding=(), parked={OTHER})] == [first.id]
    assert await store.next_due(after=START + 10, parked=()) == START + 86400
    assert await store.next_due(after=START, parked={GUILD}) == START + 10
    assert [p.id for p in await store.of_guild(GUILD, upcoming=True)] == [first.id, later.id]
    await store.set_state(first, PartyState.CANCELLED, NOW, "cancelled by a moderator", expected=PartyState.SCHEDULED)
    assert [p.id for p in await store.of_guild(GUILD, upcoming=True)] == [later.id]
    assert [p.id for p in await store.of_guild(GUILD)] == [later.id, first.id], "all of them, the latest first"
    assert await store.party_releases() == {(GUILD, 1), (OTHER, 1), (GUILD, 2)}
    await store.set_heart(first.id, 1, "rivalry", NOW)
    assert await store.server_ids() == {GUILD, OTHER}
    await store.forget_server(GUILD)
    assert await store.server_ids() == {OTHER} and await store.party(first.id) is None
    assert await store.heart_counts(first.id) == {}


async def test_a_process_runs_only_the_parties_of_its_shards(db: Database) -> None:
    """With SHARD_COUNT 2 and SHARD_IDS 0, the parties of a server on shard 1 are another process's to post."""
    mine, theirs = 2 << 22, 3 << 22  # shards 0 and 1 of 2 (`bot.shards.shard_of`)
    everyone = PartyStore(db)
    here = PartyStore(db, ShardRange(2, (0,)))
    ours = await scheduled(everyone, mine)
    await scheduled(everyone, theirs, start_at=START - 10)
    assert [p.guild_id for p in await here.due(START, 10, excluding=(), parked=())] == [mine]
    assert await here.next_due(after=START - 20, parked=()) == START
    assert await here.party_releases() == {(mine, ours.release)}
    assert here.owns(mine) and not here.owns(theirs)
