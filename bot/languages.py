"""The language each server chose for what the bot posts there (`/settings language`), shared by every feature.

Discord gives a server a language (`preferred_locale`) only when it is a Community server, so most fan servers'
posts would be English with no way to change it. Moderators choose one with `/settings language`; posts
(reminders, ballots, close summaries, native events' text, notices) follow it, while private answers keep
following each member's client language (`bot.i18n`).

The choice is stored in `server_languages` and kept in memory by `bot.i18n` (`choose_server_language`): read
once at start, written through on each change, so `bot.i18n.server_language`, called for every public post, never
waits for the database. A server's shard is served by one process, so that process's memory is the truth for it.
Each change calls `changed(guild_id)`: the bot dispatches `server_language_update` to the features, and the events
mirror rewrites its own words in the new language, as it does when Discord's `preferred_locale` changes.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.db import Database
from bot.i18n import choose_server_language, chosen_server_language


class ServerLanguages:
    """The `server_languages` table and its in-memory copy in `bot.i18n`."""

    def __init__(self, db: Database, changed: Callable[[int], None] = lambda guild_id: None) -> None:
        self._db = db
        self._changed = changed
        self._loaded: set[int] = set()  # the servers this store put in `bot.i18n`, taken out again by `close`

    async def load(self) -> None:
        """Read every server's choice (at start, before any post is written)."""
        for row in await self._db.fetchall("SELECT guild_id, language FROM server_languages"):
            choose_server_language(int(row[0]), str(row[1]))
            self._loaded.add(int(row[0]))

    def chosen(self, guild_id: int) -> str | None:
        """The language the server chose (`fr`, `pt-BR`...), or None when it follows Discord's."""
        return chosen_server_language(guild_id)

    async def choose(self, guild_id: int, tag: str | None, now: int) -> None:
        """Posts in the server are written in `tag` from now on (None: in its Discord language again)."""
        if tag is None:
            await self._db.execute("DELETE FROM server_languages WHERE guild_id = ?", (guild_id,))
        else:
            await self._db.execute(
                "INSERT INTO server_languages (guild_id, language, set_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET language = excluded.language, set_at = excluded.set_at",
                (guild_id, tag, now),
            )
        choose_server_language(guild_id, tag)
        self._loaded.add(guild_id)
        self._changed(guild_id)

    async def server_ids(self) -> set[int]:
        """Every server with a choice (`bot.bot.ServerData`)."""
        return {int(row[0]) for row in await self._db.fetchall("SELECT guild_id FROM server_languages")}

    async def forget_server(self, guild_id: int) -> None:
        """The bot left the server long enough ago: its choice goes with the rest of its data."""
        await self._db.execute("DELETE FROM server_languages WHERE guild_id = ?", (guild_id,))
        choose_server_language(guild_id, None)

    def close(self) -> None:
        """The bot stops: its servers' choices leave the process's memory (another bot may start in it)."""
        for guild_id in self._loaded:
            choose_server_language(guild_id, None)
        self._loaded.clear()
