"""Votes that arrive together are written together (`PollStore._upsert`), each still guarded on its own."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator

import pytest

from bot.catalogue import Catalogue
from bot.db import Database
from bot.db.database import BUSY, DatabaseBusy
from cogs.poll.rules import BallotMode, PollRuleError, place_pick
from cogs.poll.store import PollStore, _Pending

GUILD = 111
CLOSED_ELSEWHERE = 222
TRACKS = ("melt", "rivalry", "two-souls", "its-you")


@pytest.fixture
async def store(db: Database, catalogue: Catalogue) -> PollStore:
    store = PollStore(db)
    await store.remember_titles((t.id, t.title) for t in catalogue.tracks)
    return store


@pytest.fixture
def batches(store: PollStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The size of every write a poll store makes."""
    sizes: list[int] = []
    write = PollStore._write

    async def counted(self: PollStore, batch: list[_Pending]) -> set[tuple[int, int, int]]:
        sizes.append(len(batch))
        return await write(self, batch)

    monkeypatch.setattr(PollStore, "_write", counted)
    yield sizes
    assert not store._queue and not store._writing, "nothing left waiting"


def only(track_id: str, _current: tuple[str, ...]) -> list[str | None]:
    return [track_id]


async def test_a_burst_of_votes_is_written_in_a_few_statements(
    store: PollStore, db: Database, batches: list[int]
) -> None:
    await store.vote(GUILD, 1, functools.partial(only, "melt"))
    assert batches == [1], "a vote alone is written alone"
    results = await asyncio.gather(
        *(store.vote(GUILD, user, functools.partial(only, TRACKS[user % 4])) for user in range(2, 302))
    )
    assert [ballot.picks for _, ballot in results] == [(TRACKS[user % 4],) for user in range(2, 302)]
    assert len(batches) < 20 and max(batches) > 1 and sum(batches) == 301
    tallies = {t.track_id: t.ballots for t in await store.tallies(GUILD, 1)}
    assert tallies == {"melt": 76, "rivalry": 75, "two-souls": 75, "its-you": 75}


async def test_each_vote_in_a_batch_keeps_its_own_guard(store: PollStore, db: Database, batches: list[int]) -> None:
    """In one burst: a poll closed by another process, and members whose stored ballot this store does not know."""
    await store.configure(GUILD, mode=BallotMode.TOP3)
    await store.vote(CLOSED_ELSEWHERE, 1, functools.partial(only, "melt"))
    for user in range(10, 20):
        await store.vote(GUILD, user, lambda _: ["melt", "rivalry"])
    await PollStore(db).set_open(CLOSED_ELSEWHERE, False)
    restarted = PollStore(db)  # knows no ballot: each of its votes first builds on none, and the guard says so
    batches.clear()
    rank_change = functools.partial(place_pick, track_id="two-souls", rank=1, size=3)
    outcomes = await asyncio.gather(
        *(restarted.vote(GUILD, user, rank_change) for user in range(10, 20)),
        *(restarted.vote(GUILD, user, lambda _: ["its-you"]) for user in range(20, 30)),
        *(restarted.vote(CLOSED_ELSEWHERE, user, functools.partial(only, "rivalry")) for user in range(2, 12)),
        return_exceptions=True,
    )
    for user, (_, ballot) in zip(range(10, 20), outcomes[:10], strict=True):  # type: ignore[misc]
        assert ballot.picks == ("two-souls", "melt", "rivalry"), user
        assert await store.ballot(GUILD, user) == ballot
    assert all(ballot.picks == ("its-you",) for _, ballot in outcomes[10:20])  # type: ignore[misc]
    assert all(isinstance(o, PollRuleError) and "closed" in str(o) for o in outcomes[20:])
    assert max(batches) > 1
    tallies = await store.tallies(CLOSED_ELSEWHERE, 1)
    assert [(t.track_id, t.ballots) for t in tallies] == [("melt", 1)], "nothing slipped past the close"


async def test_a_cancelled_vote_that_waits_is_not_written(store: PollStore, batches: list[int]) -> None:
    await store.vote(GUILD, 0, functools.partial(only, "melt"))
    first = asyncio.create_task(store.vote(GUILD, 1, functools.partial(only, "melt")))
    await asyncio.sleep(0)  # it is being written
    waiting = [asyncio.create_task(store.vote(GUILD, user, functools.partial(only, "rivalry"))) for user in range(2, 8)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # the one whose turn to write comes next
    waiting[3].cancel()
    await asyncio.gather(first, *waiting, return_exceptions=True)
    assert waiting[0].cancelled() and waiting[3].cancelled()
    voters = {user for user in range(1, 8) if await store.ballot(GUILD, user) is not None}
    assert voters == {1, 3, 4, 6, 7}
    assert batches == [1, 1, 4], "the next in line wrote the four still waiting"


async def test_a_failed_batch_fails_only_its_writer_at_first(
    store: PollStore, monkeypatch: pytest.MonkeyPatch, batches: list[int]
) -> None:
    """The database stayed locked for the first batch: its writer is told "busy"; the others try once more."""
    write = store._write
    failures = iter([True])

    async def busy_once(batch: list[_Pending]) -> set[tuple[int, int, int]]:
        if len(batch) > 1 and next(failures, False):
            raise DatabaseBusy(BUSY)
        return await write(batch)

    await store.vote(GUILD, 1, functools.partial(only, "melt"))
    monkeypatch.setattr(store, "_write", busy_once)
    first = asyncio.create_task(store.vote(GUILD, 2, functools.partial(only, "melt")))
    await asyncio.sleep(0)
    outcomes = await asyncio.gather(
        *(store.vote(GUILD, user, functools.partial(only, "rivalry")) for user in range(3, 10)), return_exceptions=True
    )
    await first
    assert sum(isinstance(o, DatabaseBusy) for o in outcomes) == 1
    voted = {user for user in range(1, 10) if await store.ballot(GUILD, user) is not None}
    assert len(voted) == 8


async def test_a_batch_that_keeps_failing_fails_every_vote_in_it(
    store: PollStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = store._write

    async def busy(batch: list[_Pending]) -> set[tuple[int, int, int]]:
        if len(batch) > 1:
            raise DatabaseBusy(BUSY)
        return await write(batch)

    monkeypatch.setattr(store, "_write", busy)
    await store.vote(GUILD, 0, functools.partial(only, "melt"))
    first = asyncio.create_task(store.vote(GUILD, 1, functools.partial(only, "melt")))
    await asyncio.sleep(0)
    outcomes = await asyncio.gather(
        *(store.vote(GUILD, user, functools.partial(only, "rivalry")) for user in range(2, 10)), return_exceptions=True
    )
    await first
    assert all(isinstance(o, DatabaseBusy) for o in outcomes)
    assert not store._queue and not store._writing
