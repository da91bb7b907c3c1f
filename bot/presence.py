"""Whether the bot is in a server, and whether Discord is serving it: the one question before acting on it.

Discord documents (Gateway, "Guilds" and "Guild Delete") that READY lists every server as unavailable, that
GUILD_CREATE follows for each as it becomes available, and that an outage sends GUILD_DELETE with
`unavailable: true` (or sends it in place of the GUILD_CREATE when the bot connects during one). Outages last
minutes or hours (discord-api-docs #1888, #2850). Meanwhile discord.py keeps a stub of the server: no roles, no
channels, an empty name, `me` None. So an unavailable server is *unknown*, not empty: nothing the bot stores or
drops (a role, a channel, a setting, a block, its name, its language) is decided from its cache; work for it
waits until it is back (`on_guild_available`). Other bots that read the stub as the truth: Voxel-Fox-Ltd/
MarriageBot #17 (an unavailable server treated as a removal), Cog-Creators/Red-DiscordBot #5173.

A server missing from the cache once start-up is complete (every shard had READY) is one the bot was removed
from, possibly while it was down. It is `LEFT`: nothing is posted, synced or told there, because each such
request would fail and count against Discord's invalid request limit (Rate Limits, "Invalid Request Limit":
10,000 401/403/429 answers in 10 minutes ban the IP for a while). Its data is kept `RETENTION` in case a
moderator adds the bot back, then every feature deletes it (`Departures`).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from bot.db import Database

RETENTION_S = 30 * 24 * 3600  # a server's data outlives the bot's removal this long (README, "Operations")


class Presence(StrEnum):
    AVAILABLE = "available"  # the bot is in the server and Discord serves it: act
    UNAVAILABLE = "unavailable"  # the bot is in it, but Discord has an outage there: what it holds is unknown; wait
    STARTING = "starting"  # start-up is not complete: the server may yet arrive; wait
    LEFT = "left"  # start-up is complete and the bot is not in it: do nothing there

    @property
    def acts(self) -> bool:
        """Whether the bot may act on the server now (post, sync, tell, or decide anything from its cache)."""
        return self is Presence.AVAILABLE


class Departures:
    """The `guild_departures` table: which servers the bot has left, since when, and which are past `RETENTION_S`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def left(self, guild_ids: Collection[int], now: int) -> None:
        """The bot is not in these servers (any more); a server already recorded keeps its first date."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO guild_departures (guild_id, left_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
                [(guild_id, now) for guild_id in guild_ids],
            )

    async def back(self, guild_ids: Collection[int]) -> None:
        """The bot is in these servers (again): their data is theirs to keep."""
        async with self._db.transaction() as conn:
            await conn.executemany("DELETE FROM guild_departures WHERE guild_id = ?", [(g,) for g in guild_ids])

    async def departed(self) -> dict[int, int]:
        """Every server the bot has left, with when (UTC epoch seconds)."""
        rows = await self._db.fetchall("SELECT guild_id, left_at FROM guild_departures")
        return {int(row[0]): int(row[1]) for row in rows}

    async def expired(self, now: int) -> list[int]:
        """The servers left at least `RETENTION_S` ago, whose data is to be deleted."""
        rows = await self._db.fetchall(
            "SELECT guild_id FROM guild_departures WHERE left_at <= ? ORDER BY guild_id", (now - RETENTION_S,)
        )
        return [int(row[0]) for row in rows]
