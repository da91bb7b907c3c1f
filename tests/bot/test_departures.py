"""The servers the bot has left, on each engine: the first date stays, a return forgets it, and the data of a
server left `RETENTION_S` ago is due for deletion (`bot.presence.Departures`)."""

from __future__ import annotations

from bot.db import Database
from bot.presence import RETENTION_S, Departures

NOW = 1_800_000_000


async def test_a_departure_keeps_its_first_date_until_the_bot_is_back(db: Database) -> None:
    departures = Departures(db)
    await departures.left([1, 2], NOW)
    await departures.left([2, 3], NOW + 10)  # 2 is still gone since NOW
    assert await departures.departed() == {1: NOW, 2: NOW, 3: NOW + 10}
    await departures.back([1, 4])
    assert await departures.departed() == {2: NOW, 3: NOW + 10}
    assert await departures.expired(NOW + RETENTION_S - 1) == []
    assert await departures.expired(NOW + RETENTION_S) == [2]
    assert await departures.expired(NOW + RETENTION_S + 10) == [2, 3]
