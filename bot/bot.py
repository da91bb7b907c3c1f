"""The Bot subclass: minimal intents, no member cache, no default pings, extensions from an explicit list."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.catalogue import Catalogue
from bot.db import Database
from bot.settings import Settings
from bot.sync import sync_commands
from bot.tree import BotTree

log = logging.getLogger(__name__)

# Loaded in this order in setup_hook; a feature that fails to load stops the start rather than
# leaving a bot whose commands are registered but unanswered.
EXTENSIONS: tuple[str, ...] = ("cogs.soundtrack", "cogs.poll", "cogs.reminders", "cogs.releases", "cogs.about")


# The bot never joins voice; without this, every start warns that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    """Slash commands need no privileged intents; guilds gives channels and roles for configuration."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class HeatedRivalryBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        catalogue: Catalogue,
        extensions: Sequence[str] = EXTENSIONS,
        sync_on_start: bool = True,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=BotTree,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
        )
        self.settings = settings
        self.db = db
        self.catalogue = catalogue
        self.extension_names = tuple(extensions)
        self.sync_on_start = sync_on_start
        self.started_at = int(time.time())

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
        if self.sync_on_start:
            await sync_commands(self, guild_id=self.settings.dev_guild_id)

    async def on_ready(self) -> None:
        # on_ready fires again after every reconnect; it only logs, it never syncs.
        user = self.user
        log.info("connected as %s (id %s) to %d servers", user, user.id if user else "?", len(self.guilds))
