"""Command sync only when the command tree actually changed.

Syncing on every start burns a tight, shared rate limit and can briefly leave servers with stale
commands; syncing in `on_ready` does it again on every reconnect. Instead the payload Discord would
receive is hashed and compared with the hash of the last sync that Discord accepted, kept in the
database; `python -m bot sync` forces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)


async def tree_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None = None
) -> list[dict[str, Any]]:
    """Exactly what `tree.sync(guild=...)` would send, in a stable order: with the translator's localisations
    (`name_localizations`...) when the tree has one, as `sync` builds it, so a changed translation changes the hash."""
    commands = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is None:
        payload = [command.to_dict(tree) for command in commands]
    else:
        payload = [await command.get_translated_payload(tree, translator) for command in commands]
    return sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))


def payload_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sync_key(application_id: int, guild_id: int | None) -> str:
    scope = "global" if guild_id is None else f"guild:{guild_id}"
    return f"command_sync:{application_id}:{scope}"


async def sync_commands(bot: HeatedRivalryBot, *, guild_id: int | None = None, force: bool = False) -> bool:
    """Sync the tree to one server (instant) or globally; return whether a sync was sent to Discord."""
    tree = bot.tree
    guild = discord.Object(guild_id) if guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    digest = payload_hash(await tree_payload(tree, guild))
    application_id = bot.application_id or 0
    key = sync_key(application_id, guild_id)
    if not force and await bot.db.get_meta(key) == digest:
        log.info("slash commands unchanged since the last sync (%s); not syncing", key)
        return False
    synced = await tree.sync(guild=guild)
    await bot.db.set_meta(key, digest)
    where = "globally (may take up to an hour to show everywhere)" if guild is None else f"to server {guild_id}"
    log.info("synced %d slash commands %s", len(synced), where)
    return True
