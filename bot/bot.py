"""The Bot subclass: minimal intents, no member cache, no default pings, extensions from an explicit list.

It carries what every feature shares as typed attributes (`settings`, `db`, `catalogue`, `finder`,
`clock`, `languages`, `releases`). A feature's own service is built by its extension's `setup` and handed to its cogs; its
components, which discord.py builds from a custom id, reach it with `bot.service(Kind)`, keyed by the
service's class, so `bot/` never imports a feature and features never import each other.

It runs as an `AutoShardedBot`: the shard count is the one `GET /gateway/bot` recommends (Discord refuses an
unsharded session past 2,500 servers, close code 4011), all shards in this one process; or, with `SHARD_COUNT` and
`SHARD_IDS` on PostgreSQL, a range of them, acting only for their servers (`owns`, `bot.shards`), holding a lease on
each and taking turns to connect them with the other processes (`bot.leases`). Everything it sends over REST goes
through one global pacer (`bot.pacing`, `DISCORD_GLOBAL_RATE`), shared by the processes (`bot.leases.SharedRate`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import aiohttp
import discord
from discord.ext import commands

from bot import pacing
from bot.callbacks import CallbackAttempts
from bot.catalogue import Catalogue
from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.errors import quiet_discord_faults, send_ephemeral
from bot.finder import SoundtrackFinder
from bot.i18n import N_, _l
from bot.languages import ServerLanguages
from bot.leases import ShardLeases, SharedRate
from bot.presence import RETENTION_S, Departures, Presence
from bot.releases import ServerReleases
from bot.settings import Settings
from bot.shards import ShardRange
from bot.sync import sync_commands
from bot.translator import CommandTranslator
from bot.tree import BotTree

log = logging.getLogger(__name__)

# Loaded in this order in setup_hook; a feature that fails to load stops the start rather than
# leaving a bot whose commands are registered but unanswered.
EXTENSIONS: tuple[str, ...] = (
    "cogs.soundtrack", "cogs.poll", "cogs.reminders", "cogs.party", "cogs.settings", "cogs.about",
)  # fmt: skip

HANDLER_TASKS = ("discord.py: ", "CommandTree-invoker", "discord-ui-")
"""The names discord.py 2.7 gives the tasks that run the bot's handlers: `Client.dispatch`'s listeners
(`client.py`), the app command tree's invoker (`app_commands/tree.py`), and a view's, modal's or dynamic item's
dispatch (`ui/view.py`, `ui/modal.py`)."""
CLOSE_GRACE_S = 5.0
"""How long a closing bot lets handlers already running finish (a vote, a departure) before its HTTP session and
database close under them."""

ServiceT = TypeVar("ServiceT")


def running_handlers() -> set[asyncio.Task[Any]]:
    """The bot's handlers running now in this event loop (`HANDLER_TASKS`), the calling task left out."""
    current = asyncio.current_task()
    return {
        task
        for task in asyncio.all_tasks()
        if task is not current and not task.done() and task.get_name().startswith(HANDLER_TASKS)
    }


STALE_COMPONENT = N_(
    "This button or menu belongs to an older version of this message and no longer works. Use the matching "
    "command instead (type `/` to see them), or ask a moderator to post the message again."
)


@dataclass
class Report:
    """What features say in `python -m bot check`: `lines` for stdout, and `problems`, one line each naming
    the server and the row that is wrong, which make `check` exit non-zero."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@runtime_checkable
class Reports(Protocol):
    """A cog with something to say in `python -m bot check` (reminders: the next posts, unplannable servers)."""

    async def report(self) -> Report: ...


@runtime_checkable
class Background(Protocol):
    """A cog with work of its own (reminders: the dispatcher) that tests and the demo wait on."""

    async def wait_idle(self) -> None: ...


@runtime_checkable
class ServerData(Protocol):
    """A cog that keeps data per server (the poll, the reminders): deleted `RETENTION_S` after the bot left it."""

    async def server_ids(self) -> set[int]:
        """Every server this feature holds data for."""
        ...

    async def forget_server(self, guild_id: int) -> None:
        """Delete everything this feature holds for the server (it left `RETENTION_S` ago)."""
        ...


DAY_S = 24 * 3600
UPKEEP_S = DAY_S  # how often data of servers left long enough ago is deleted, besides at each start


# The bot never joins voice; without this, every start warns that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    """Slash commands need no privileged intents; guilds gives channels and roles for configuration, and
    guild_scheduled_events tells the events mirror when a moderator deletes one of its events by hand."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_scheduled_events = True
    return wanted


def shard_options(shards: ShardRange) -> dict[str, Any]:
    """discord.py's `shard_count` and `shard_ids` for SHARD_COUNT and SHARD_IDS; none: the recommended count."""
    if shards.count is None:
        return {}
    return {"shard_count": shards.count, "shard_ids": list(shards.ids)}


class HeatedRivalryBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        catalogue: Catalogue,
        clock: Clock | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        sync_on_start: bool = True,
        guild_ready_timeout: float = 2.0,
        leases: ShardLeases | None = None,
        pace: pacing.Pace | None = None,
    ) -> None:
        """`guild_ready_timeout`: seconds a shard waits after its last GUILD_CREATE before it counts as ready
        (discord.py's default, 2; the local emulator sends them all at once, so its runs use less).
        `leases`: on PostgreSQL, this process's leases on its shards, taken before they connect (`bot.leases`);
        `pace`: what its requests are paced on when it shares the token's global rate with other processes
        (`bot.leases.global_pace`), else the whole `DISCORD_GLOBAL_RATE` is its own."""
        callbacks = CallbackAttempts()  # tells a retry of ours from another process's answer (`bot.callbacks`)
        super().__init__(
            http_trace=callbacks.trace,
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=BotTree,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            guild_ready_timeout=guild_ready_timeout,
            **shard_options(settings.shards),
        )
        self.settings = settings
        self.shard_range: ShardRange = settings.shards  # the servers this process acts for (`bot.shards`)
        self.leases = leases
        self.max_concurrency = 1  # IDENTIFYs allowed per 5 s (`GET /gateway/bot`'s session_start_limit)
        self._taking: asyncio.Task[None] | None = None  # waiting for the leases on this process's shards
        self._stopping = False  # `close` cancelled `_taking`
        self.db = db
        self.catalogue = catalogue
        self.finder = SoundtrackFinder(catalogue)
        self.clock: Clock = clock or SystemClock()
        self.extension_names = tuple(extensions)
        self.sync_on_start = sync_on_start
        self.started_at = int(time.time())
        self.pacer = pacing.install(self.http, settings.global_rate, pace)
        self._services: dict[type[object], object] = {}
        self.departures = Departures(db)
        self.releases = ServerReleases(db)  # every server's own releases; features listen to their changes
        # A server's chosen language: features hear of a change as the `server_language_update` event (a guild id).
        self.languages = ServerLanguages(db, changed=lambda guild_id: self.dispatch("server_language_update", guild_id))
        self._upkeep: asyncio.Task[None] | None = None
        self._kept_up = asyncio.Event()  # the upkeep's first round (at start) is done
        quiet_discord_faults()  # discord.py's ERROR for a fault of Discord's becomes a warning
        self._components: set[type[discord.ui.DynamicItem[Any]]] = set()
        self._set_up = False  # setup_hook is done: the features are loaded and the application id is known
        self._sync_request: asyncio.Task[None] | None = None

    async def launch_shards(self) -> None:
        """With leases (PostgreSQL): learn the shard count and `max_concurrency` from `GET /gateway/bot`, hold every
        shard of this process (waiting while another process runs one), then connect them."""
        if self.leases is not None and not self.is_closed():
            recommended, _url, limits = await self.http.get_bot_gateway()
            if self.shard_count is None:
                self.shard_count = recommended
            self.max_concurrency = max(1, int(limits.get("max_concurrency", 1)))
            self._taking = asyncio.create_task(
                self.leases.take(self.shard_ids or range(self.shard_count), self.shard_count)
            )
            try:
                await self._taking
            except asyncio.CancelledError:
                if self._taking.cancelled() and self._stopping:
                    return  # stopped while waiting for a shard: nothing was connected
                raise
        await super().launch_shards()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for the shard's turn to IDENTIFY: shared by every process through PostgreSQL (`bot.leases`), else
        discord.py's own 5 s between this process's shards."""
        if self.leases is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        await self.leases.identify_turn(shard_id or 0, self.max_concurrency)

    def owns(self, guild_id: int) -> bool:
        """Whether this process acts for the server: it is on one of its shards (`bot.shards`). Every feature's
        scheduler asks this (or `shard_range.where` in SQL) before acting on a server read from the shared database."""
        return self.shard_range.owns(guild_id)

    def presence(self, guild_id: int) -> Presence:
        """Whether the bot may act on the server now, or must wait for it, or has left it (`bot.presence`)."""
        guild = self.get_guild(guild_id)
        if guild is not None:
            return Presence.UNAVAILABLE if guild.unavailable else Presence.AVAILABLE
        return Presence.LEFT if self.is_ready() else Presence.STARTING

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
        """Load every extension in order; a feature that fails to load stops the start.

        Loading never depends on every server's data being valid: a feature keeps a server's bad rows to
        that server (reminders block it with the reason) and reports them in `reports()`.
        The command translator comes first, so the tree that is synced or checked has its localisations; and the
        servers' chosen languages, so that nothing a feature posts is written before they are known.
        """
        await self.tree.set_translator(CommandTranslator())
        await self.languages.load()
        for name in self.extension_names:
            await self.load_extension(name)

    async def reports(self) -> Report:
        """What the loaded features say for `python -m bot check`, in the order they were loaded."""
        total = Report()
        for cog in self.cogs.values():
            if isinstance(cog, Reports):
                report = await cog.report()
                total.lines += report.lines
                total.problems += report.problems
        return total

    async def wait_idle(self) -> None:
        """Return once no feature has anything due or in flight at the clock's current time, and the departures
        were noted at start (`_keep_up`)."""
        if self._upkeep is not None:
            await self._kept_up.wait()
        for cog in list(self.cogs.values()):
            if isinstance(cog, Background):
                await cog.wait_idle()

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().add_dynamic_items(*items)
        self._components.update(items)

    def remove_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().remove_dynamic_items(*items)
        self._components.difference_update(items)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer a click no component will: a custom id from an older version, or from another app's message.

        discord.py drops such an interaction silently, and the member would see "This interaction failed".
        """
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in self._components):
            return
        log.info("unknown component %r clicked (guild %s)", custom_id[:100], interaction.guild_id)
        await send_ephemeral(interaction, _l(STALE_COMPONENT))

    async def setup_hook(self) -> None:
        await self.load_features()
        if self.sync_on_start:
            await sync_commands(self, guild_id=self.settings.dev_guild_id)
        self._set_up = True

    def sync_on_request(self) -> None:
        """Sync the slash commands this process serves, now, even if unchanged: on SIGHUP (`systemctl reload`, or
        `python -m bot sync` beside the running bot), to DEV_GUILD_ID or globally as at start.

        The running bot syncs its own command tree, so what Discord shows is what it answers, even when the code on
        disk was updated and the bot not restarted yet.
        """
        if not self._set_up:
            log.warning("asked to sync slash commands before connecting; they are synced at start when they changed")
            return
        if self._sync_request is not None and not self._sync_request.done():
            log.info("asked to sync slash commands while a sync is under way; that one goes on")
            return
        self._sync_request = asyncio.create_task(self._sync_now(), name="sync-on-request")

    async def _sync_now(self) -> None:
        try:
            await sync_commands(self, guild_id=self.settings.dev_guild_id, force=True)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            log.warning("could not sync slash commands on request: %s; ask again", error)

    async def on_ready(self) -> None:
        # on_ready fires again after every reconnect; it never syncs, and the upkeep starts once.
        user = self.user
        log.info("connected as %s (id %s) to %d servers", user, user.id if user else "?", len(self.guilds))
        if self._upkeep is None:
            self._upkeep = asyncio.create_task(self._keep_up(), name="departures-upkeep")

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.departures.back([guild.id])

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked, banned, or the server was deleted (not an outage: that is `on_guild_unavailable`)."""
        log.info("removed from server %s", guild.id)
        await self.departures.left([guild.id], self.clock.now())

    async def _keep_up(self) -> None:
        """At start, once the server list is complete: note the servers the bot was removed from while it was down
        (and those it is in again); then, daily, delete the data of those left `RETENTION_S` ago."""
        while True:
            try:
                await self.note_departures()
                await self.forget_departed()
            except Exception:  # the database at fault: tried again at the next round, and nothing is lost
                log.exception("could not note or forget the servers the bot has left")
            self._kept_up.set()
            await asyncio.sleep(UPKEEP_S)

    def _server_data(self) -> list[ServerData]:
        return [self.releases, *(cog for cog in self.cogs.values() if isinstance(cog, ServerData))]

    async def note_departures(self) -> None:
        """Compare the servers features hold data for with the ones the bot is in (call once start-up is complete)."""
        known: set[int] = set()
        for cog in self._server_data():
            known |= await cog.server_ids()
        known = {guild_id for guild_id in known if self.owns(guild_id)}  # another process's servers are not left
        present = {guild_id for guild_id in known if self.presence(guild_id) is not Presence.LEFT}
        await self.departures.back(present)
        await self.departures.left(known - present, self.clock.now())
        if known - present:
            log.info(
                "not in %d servers that have data any more; it is kept %d days after the bot left",
                len(known - present),
                RETENTION_S // DAY_S,
            )

    async def forget_departed(self) -> None:
        """Delete every feature's data of the servers left `RETENTION_S` ago that the bot is still not in."""
        for guild_id in await self.departures.expired(self.clock.now()):
            if not self.owns(guild_id) or self.presence(guild_id) is not Presence.LEFT:
                continue
            for cog in self._server_data():
                await cog.forget_server(guild_id)
            await self.departures.back([guild_id])
            log.info(
                "deleted the data of server %s, which the bot left over %d days ago", guild_id, RETENTION_S // DAY_S
            )

    async def close(self) -> None:
        if self._sync_request is not None:
            self._sync_request.cancel()
            await asyncio.gather(self._sync_request, return_exceptions=True)
        if self._upkeep is not None:
            self._upkeep.cancel()
            await asyncio.gather(self._upkeep, return_exceptions=True)
        if self._taking is not None:
            self._stopping = True
            self._taking.cancel()
        handlers = running_handlers()
        if handlers:  # what a member was told, or a departure being written, is finished, not cut off
            await asyncio.wait(handlers, timeout=CLOSE_GRACE_S)
        await super().close()
        self.languages.close()
        if isinstance(self.pacer, SharedRate):
            await self.pacer.close()
