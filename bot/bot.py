"""The Bot subclass: minimal intents, no member cache, no default pings, extensions from an explicit list.

It carries what every feature shares as typed attributes (`settings`, `db`, `catalogue`, `finder`,
`clock`). A feature's own service is built by its extension's `setup` and handed to its cogs; its
components, which discord.py builds from a custom id, reach it with `bot.service(Kind)`, keyed by the
service's class, so `bot/` never imports a feature and features never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol, TypeVar, runtime_checkable

import discord
from discord.ext import commands

from bot.catalogue import Catalogue
from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.finder import SoundtrackFinder
from bot.settings import Settings
from bot.sync import sync_commands
from bot.tree import BotTree

log = logging.getLogger(__name__)

# Loaded in this order in setup_hook; a feature that fails to load stops the start rather than
# leaving a bot whose commands are registered but unanswered.
EXTENSIONS: tuple[str, ...] = ("cogs.soundtrack", "cogs.poll", "cogs.reminders", "cogs.about")

ServiceT = TypeVar("ServiceT")


@runtime_checkable
class Reports(Protocol):
    """A cog with something to say in `python -m bot check` (reminders: the next posts)."""

    async def report(self) -> list[str]: ...


@runtime_checkable
class Background(Protocol):
    """A cog with work of its own (reminders: the dispatcher) that tests and the demo wait on."""

    async def wait_idle(self) -> None: ...


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
        clock: Clock | None = None,
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
        self.finder = SoundtrackFinder(catalogue)
        self.clock: Clock = clock or SystemClock()
        self.extension_names = tuple(extensions)
        self.sync_on_start = sync_on_start
        self.started_at = int(time.time())
        self._services: dict[type[object], object] = {}

    def provide(self, service: object) -> None:
        """Register a feature's service (from its extension's `setup`), one per class."""
        self._services[type(service)] = service

    def service(self, kind: type[ServiceT]) -> ServiceT:
        """The service of class `kind`; `LookupError` if its extension is not loaded (a bug, not a user error)."""
        found = self._services.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no {kind.__name__} is provided: is its extension in EXTENSIONS?")
        return found

    async def load_features(self) -> None:
        """Load every extension in order; a feature that fails to load stops the start."""
        for name in self.extension_names:
            await self.load_extension(name)

    async def reports(self) -> list[str]:
        """What the loaded features say for `python -m bot check`."""
        lines: list[str] = []
        for cog in self.cogs.values():
            if isinstance(cog, Reports):
                lines += await cog.report()
        return lines

    async def wait_idle(self) -> None:
        """Return once no feature has anything due or in flight at the clock's current time."""
        for cog in list(self.cogs.values()):
            if isinstance(cog, Background):
                await cog.wait_idle()

    async def setup_hook(self) -> None:
        await self.load_features()
        if self.sync_on_start:
            await sync_commands(self, guild_id=self.settings.dev_guild_id)

    async def on_ready(self) -> None:
        # on_ready fires again after every reconnect; it only logs, it never syncs.
        user = self.user
        log.info("connected as %s (id %s) to %d servers", user, user.id if user else "?", len(self.guilds))
