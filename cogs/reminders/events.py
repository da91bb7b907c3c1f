"""The Scheduled Events mirror's Discord side: make the calls `mirror.steps` lists, one server at a time.

A server's events are synced when the mirror is turned on, after every change to its plan (a release added,
moved or removed, a time zone changed: `Reminders.replanned`), and once at start for every server that has
the mirror on (a catalogue date may have moved while the bot was down). Syncs of one server never overlap.

Faults stay where they started: Discord refusing the mirror (a permission taken away, its limit of 100 upcoming
events reached) blocks the mirror of that server, never its reminders, and `/reminders status` says why; a network
fault or a 5xx is a warning, and the next sync (at the next change, or the retry `RETRY_S` later) carries on where
this one stopped. A block lifts by itself: a server's events are synced again whenever any of its events ends, is
cancelled or is deleted (a place frees under Discord's limit), when one of the bot's roles changes, and, in case
the bot heard of none of it, every `BLOCKED_RETRY_S` while it stays blocked.

What the bot sends never undoes a moderator's own edits to its events: see `mirror.edit`.

The events are public: their text (`mirror.shape_of`) and the audit log's reasons are written in the server's
language. Why a sync stopped (`SyncReport.blocked`, `.fault`) is marked: stored in English, and told to the
moderator who asked in their own language.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.utils import MISSING

from bot.db import DatabaseBusy
from bot.i18n import ENGLISH, N_, Text, _, _l, server_language, using
from bot.moments import PlanError
from cogs.reminders.event_store import EventStore
from cogs.reminders.mirror import (
    Action,
    EventShape,
    EventState,
    Field,
    MirroredEvent,
    Step,
    edit,
    steps,
    turn_off,
    wanted,
)

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot
    from cogs.reminders.service import Reminders

log = logging.getLogger(__name__)

RETRY_S = 300.0  # after a network fault or a 5xx, the server's mirror is synced again this much later
BLOCKED_RETRY_S = 1800.0  # and while Discord refuses it, this often: the cause may go without a gateway event
BATCH = 200  # servers whose mirror setting is read at once by the background worker
REASON = N_("Release mirrored by /reminders events")  # the audit log's, in the server's language
DOUBLE_REASON = N_("A copy of an event made twice after a Discord error")
CREATE_EVENTS = N_("Create Events")
LACKS_CREATE_EVENTS = N_("I lack the Create Events permission, so I cannot create or update this server's events")
TOO_MANY = N_(
    "this server has as many upcoming events as Discord allows (100): end or delete some, and the mirror catches up"
)
FAULTS = (aiohttp.ClientError, TimeoutError, OSError)
TOO_MANY_EVENTS = 30038  # Discord: "Maximum number of uncompleted guild scheduled events reached (100)"


def missing_event_permissions(guild: discord.Guild) -> list[str]:
    """What the bot lacks to keep its own events (Discord's permissions table: Create Events creates them and
    edits or cancels the bot's own; Manage Events covers every event), as message ids: `_()` names them."""
    mine = guild.me.guild_permissions
    return [] if mine.create_events or mine.manage_events else [CREATE_EVENTS]


def permission_reason() -> Text:
    """Why the mirror cannot work when `missing_event_permissions` lists Create Events (the only one it can)."""
    return _l(LACKS_CREATE_EVENTS)


@dataclass
class SyncReport:
    """What one sync did, for the moderator who turned the mirror on or off (its reasons are marked, `str()`
    writes them in the reader's language)."""

    created: int = 0
    edited: int = 0
    cancelled: int = 0
    blocked: Text | None = None  # why Discord refused, if it did: the mirror waits
    fault: Text | None = None  # a network fault or 5xx stopped it: retried later
    gone: list[str] = field(default_factory=list)  # release ids whose event a moderator removed by hand


class EventMirror:
    """Keeps every mirroring server's native events in line with its releases (see the module docstring)."""

    def __init__(self, bot: HeatedRivalryBot, service: Reminders, store: EventStore) -> None:
        self.bot = bot
        self.service = service
        self.store = store
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._retries: dict[int, asyncio.TimerHandle] = {}  # the next sync each waiting server has coming
        self.retry_s = RETRY_S
        self.blocked_retry_s = BLOCKED_RETRY_S
        self._handling = 0  # gateway events about the bot's events being recorded now
        self._quiet = asyncio.Event()
        self._quiet.set()

    # -- background -------------------------------------------------------------------------------------------

    def changed(self, guild_id: int) -> None:
        """A server's plan changed: sync its events soon (only if its mirror is on; cheap to call for any)."""
        self._dirty.add(guild_id)
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        """Begin syncing: every mirroring server once (`EventStore.mirrored_guild_ids`), then each on change."""
        if self._worker is not None:
            return
        for guild_id in await self.store.mirrored_guild_ids():
            self.changed(guild_id)
        self._worker = asyncio.create_task(self._run(), name="reminders-events")

    async def stop(self) -> None:
        for handle in self._retries.values():
            handle.cancel()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Until no server waits for a sync (a retry scheduled for later does not count) and every gateway event
        the bot has received about its events is recorded (its listener tasks start at the next loop turn)."""
        while True:
            await asyncio.sleep(0)
            if self._worker is not None:
                await self._idle.wait()
            await self._quiet.wait()  # a gateway event recorded meanwhile may have asked for a sync: look again
            if self._worker is None or self._idle.is_set():
                return

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                batch = sorted(self._dirty)[:BATCH]
                self._dirty.difference_update(batch)
                try:
                    mirrors = await self.store.mirrors(batch)
                except Exception:
                    log.exception("could not read which servers mirror their releases; trying again shortly")
                    self._dirty.update(batch)
                    await asyncio.sleep(5)
                    continue
                for guild_id in batch:
                    if guild_id in mirrors:  # a server that never turned the mirror on has nothing to sync
                        await self._sync_contained(guild_id)
            if not self._dirty:
                self._idle.set()

    async def _sync_contained(self, guild_id: int) -> None:
        """A sync whose failure stays with its server: a bug is logged (a fault is retried by `sync` itself, and
        a database another program holds, by this)."""
        try:
            await self.sync(guild_id)
        except DatabaseBusy:
            log.warning("events of server %s: the database is busy; trying again later", guild_id)
            self._retry_later(guild_id, self.retry_s)
        except Exception:
            log.exception("the events of server %s could not be synced", guild_id)

    def _retry_later(self, guild_id: int, delay: float) -> None:
        """Sync the server again `delay` from now, unless a sync is already due for it sooner."""
        loop = asyncio.get_running_loop()
        waiting = self._retries.get(guild_id)
        if waiting is not None:
            if waiting.when() <= loop.time() + delay:
                return
            waiting.cancel()

        def fire() -> None:
            del self._retries[guild_id]
            self.changed(guild_id)

        self._retries[guild_id] = loop.call_later(delay, fire)

    # -- one server ---------------------------------------------------------------------------------------------

    async def sync(self, guild_id: int) -> SyncReport:
        """Bring the server's events in line with its releases, or, with the mirror off, cancel and forget them.

        A fault (network, 5xx) stops the sync and schedules another `RETRY_S` later; a refusal blocks the mirror.
        """
        async with self._locks[guild_id]:
            guild = self.bot.get_guild(guild_id)
            if guild is None or guild.unavailable:  # left, or an outage: synced again once back (`bot.presence`)
                return SyncReport()
            with using(server_language(guild)):  # the events' text and the audit log: the server's language
                return await self._sync(guild)

    async def _sync(self, guild: discord.Guild) -> SyncReport:
        guild_id = guild.id
        report = SyncReport()
        now = self.service.clock.now()
        rows = await self.store.events(guild_id)
        mirror = await self.store.mirror(guild_id)
        if not mirror.enabled:
            actions = turn_off(rows, now)
        else:
            config = await self.service.store.config(guild_id)
            try:
                want = wanted(await self.service.releases(guild_id), config.zoneinfo)
            except PlanError:  # the reminders are blocked for it, and `/reminders status` says why
                return report
            actions = steps({release_id: placed(guild, shape) for release_id, shape in want.items()}, rows, now)
        report.gone = [row.release_id for row in rows if row.state is EventState.GONE]
        missing = missing_event_permissions(guild)
        if missing and any(a.step is not Step.FORGET for a in actions):
            report.blocked = permission_reason()
            await self.store.set_block(guild_id, report.blocked.render(ENGLISH), now)
        else:
            await self._act(guild, actions, report, now)
        # What the moderator was told finishes by itself: a fault soon, a block once its cause goes.
        if report.fault is not None:
            self._retry_later(guild_id, self.retry_s)
        elif report.blocked is not None:
            self._retry_later(guild_id, self.blocked_retry_s)
        elif mirror.blocked_reason is not None:
            await self.store.set_block(guild_id, None, now)
        return report

    async def _act(self, guild: discord.Guild, actions: list[Action], report: SyncReport, now: int) -> None:
        """Make the calls in order; the first refusal or fault stops the rest (done ones stay recorded)."""
        try:
            await self._steps(guild, actions, report, now)
        except discord.Forbidden as error:
            report.blocked = _l(
                "Discord refused to change this server's events ({reason})", reason=error.text or "Missing Permissions"
            )
            await self._block(guild, report.blocked, now)
        except discord.HTTPException as error:
            if error.code == TOO_MANY_EVENTS:
                report.blocked = _l(TOO_MANY)
                await self._block(guild, report.blocked, now)
            elif error.status < 500 and error.status != 429:
                raise  # a request the rules should have kept valid: a bug
            else:
                report.fault = _l("Discord answered {status}", status=error.status)
        except FAULTS as error:
            report.fault = _l("could not reach Discord ({error})", error=repr(error))
        if report.fault is not None:
            log.warning("events of server %s: %s; trying again later", guild.id, report.fault.render(ENGLISH))

    async def _block(self, guild: discord.Guild, reason: Text, now: int) -> None:
        """Discord refused the mirror: it waits, with the reason stored (in English) for `/reminders status`."""
        written = reason.render(ENGLISH)
        await self.store.set_block(guild.id, written, now)
        log.warning("events of server %s: %s", guild.id, written)

    async def _steps(self, guild: discord.Guild, actions: list[Action], report: SyncReport, now: int) -> None:
        candidates: list[discord.ScheduledEvent] | None = None
        for action in actions:
            if action.row is not None and action.row.event_id is None and action.step is not Step.FORGET:
                if candidates is None:
                    candidates = await self._unclaimed(guild)
                action = _adopt(action, candidates)
            await self._do(guild, action, report, now)
        if any(action.step is Step.CREATE for action in actions):
            await self._remove_duplicates(guild)

    async def _unclaimed(self, guild: discord.Guild) -> list[discord.ScheduledEvent]:
        """The bot's own upcoming events that no row holds: where an interrupted create may have landed. Never a
        moderator's event, and never one cancelled or over (an earlier round of the mirror)."""
        me = self.bot.user
        claimed = {row.event_id for row in await self.store.events(guild.id)}
        return [
            event
            for event in await guild.fetch_scheduled_events()
            if me is not None and event.creator_id == me.id
            and event.status is discord.EventStatus.scheduled and event.id not in claimed
        ]  # fmt: skip

    async def _remove_duplicates(self, guild: discord.Guild) -> None:
        """Delete the bot's events that double one it keeps (same name and start, another id).

        discord.py sends a request again after a 500/502/504, and Discord may have made the event before it
        failed: a create is not idempotent and has no nonce, so exactly once is restored here, after the fact.
        """
        rows = [row for row in await self.store.events(guild.id) if row.event_id is not None]
        kept = {(row.shape.name, row.shape.start_at) for row in rows}
        for event in await self._unclaimed(guild):  # two releases alike both hold their own event: both stay
            if (event.name, int(event.start_time.timestamp())) in kept:
                await event.delete(reason=_(DOUBLE_REASON))
                log.warning("events of server %s: deleted a double of %r", guild.id, event.name)

    async def _do(self, guild: discord.Guild, action: Action, report: SyncReport, now: int) -> None:
        row, shape = action.row, action.shape
        if action.step is Step.FORGET or (action.step is Step.CANCEL and (row is None or row.event_id is None)):
            await self.store.forget(guild.id, action.release_id)
        elif action.step is Step.CREATE:
            assert shape is not None
            if row is not None and row.event_id is not None:  # found again after a crash: made once, not twice
                await self._edit(guild, row, shape, report, now)
                report.created += 1
                return
            await self.store.intend(guild.id, action.release_id, shape, now)
            event = await guild.create_scheduled_event(
                name=shape.name, start_time=_utc(shape.start_at), end_time=_utc(shape.end_at),
                privacy_level=discord.PrivacyLevel.guild_only, description=shape.description, reason=_(REASON),
                **where(guild, shape),
            )  # fmt: skip
            await self.store.store(MirroredEvent(guild.id, action.release_id, event.id, shape, EventState.LIVE), now)
            report.created += 1
        elif action.step is Step.EDIT:
            assert row is not None and shape is not None
            await self._edit(guild, row, shape, report, now)
        else:
            assert row is not None and row.event_id is not None
            await self.store.mark(guild.id, action.release_id, EventState.CANCELLING, now)
            current = await self._event(guild, row.event_id)
            if current is not None and current.status is discord.EventStatus.scheduled:
                with contextlib.suppress(discord.NotFound):  # deleted meanwhile: what cancelling wanted
                    await current.cancel(reason=_(REASON))
                    report.cancelled += 1
            await self.store.forget(guild.id, action.release_id)

    async def _edit(
        self, guild: discord.Guild, row: MirroredEvent, shape: EventShape, report: SyncReport, now: int
    ) -> None:
        assert row.event_id is not None
        event = await self._event(guild, row.event_id)
        if event is None or event.status is discord.EventStatus.cancelled:
            await self.store.mark(guild.id, row.release_id, EventState.GONE, now)
            report.gone.append(row.release_id)
            return
        if event.status is not discord.EventStatus.scheduled:  # a moderator started it early: Discord runs it now
            return
        fields, sent = edit(row.shape, shape, _seen(event))
        if fields:
            try:
                event = await event.edit(
                    name=shape.name if Field.NAME in fields else MISSING,
                    start_time=_utc(shape.start_at) if Field.TIME in fields else MISSING,
                    end_time=_utc(shape.end_at) if Field.TIME in fields else MISSING,
                    description=shape.description if Field.DESCRIPTION in fields else MISSING,
                    reason=_(REASON),
                    **(where(guild, shape) if Field.LOCATION in fields else {}),
                )
            except discord.NotFound:  # deleted by hand between the look and the edit
                await self.store.mark(guild.id, row.release_id, EventState.GONE, now)
                report.gone.append(row.release_id)
                return
            if event.status is not discord.EventStatus.scheduled:  # cancelled by hand while the edit was on its way
                await self.store.mark(guild.id, row.release_id, EventState.GONE, now)
                report.gone.append(row.release_id)
                return
            report.edited += row.state is EventState.LIVE
        if sent != row.shape or row.state is not EventState.LIVE:
            await self.store.store(MirroredEvent(guild.id, row.release_id, event.id, sent, EventState.LIVE), now)

    async def _event(self, guild: discord.Guild, event_id: int) -> discord.ScheduledEvent | None:
        """The event as Discord has it now, or None if it was deleted."""
        try:
            return await guild.fetch_scheduled_event(event_id)
        except discord.NotFound:
            return None

    # -- what moderators do by hand -------------------------------------------------------------------------------

    async def closed(self, event: discord.ScheduledEvent, *, removed: bool) -> None:
        """An event of a server ended, or was cancelled or deleted (`removed`), by anyone: one of Discord's 100
        places for upcoming events is free, so the server is synced (a mirror waiting for a place catches up; one
        with nothing to do reads its rows and stops). A removed event that is one of the bot's live ones is never
        made again."""
        guild_id = event.guild_id
        if guild_id is None:
            return
        self._handling += 1
        self._quiet.clear()
        release_id = None
        try:
            if removed:
                release_id = await self.store.removed_by_hand(guild_id, event.id, self.service.clock.now())
        except DatabaseBusy:  # a live row is never made again; the next edit or cancellation of it finds it gone
            log.warning("event %s of server %s was removed while the database was busy", event.id, guild_id)
        finally:
            self._handling -= 1
            self.changed(guild_id)
            if not self._handling:
                self._quiet.set()
        if release_id is not None:
            log.info("event %s of server %s (%s) was removed by hand: not recreated", event.id, guild_id, release_id)


def _adopt(action: Action, candidates: list[discord.ScheduledEvent]) -> Action:
    """A create a crash may have interrupted: the event it made, if the bot has an unclaimed one of that name and
    start (taken out of `candidates`, so two releases alike never share one)."""
    assert action.row is not None
    wanted_shape = action.row.shape
    for event in candidates:
        if event.name == wanted_shape.name and int(event.start_time.timestamp()) == wanted_shape.start_at:
            candidates.remove(event)
            found = MirroredEvent(action.row.guild_id, action.release_id, event.id, wanted_shape, EventState.CREATING)
            return Action(action.step, action.release_id, action.shape, found)
    return Action(action.step, action.release_id, action.shape, None)


def _seen(event: discord.ScheduledEvent) -> EventShape:
    """The event as Discord shows it now, in the mirror's terms (what the bot never leaves empty reads empty)."""
    return EventShape(
        name=event.name,
        start_at=int(event.start_time.timestamp()),
        end_at=int(event.end_time.timestamp()) if event.end_time is not None else 0,
        location=event.location or "",
        description=event.description or "",
        channel_id=event.channel_id,
    )


# What the bot needs in a channel to hold an event there (Discord's Guild Scheduled Event, "Permissions
# Requirements": a VOICE event needs View Channel and Connect, a STAGE_INSTANCE one Manage Channels, Mute Members
# and Move Members, besides Create Events).
VOICE_EVENT = discord.Permissions(view_channel=True, connect=True)
STAGE_EVENT = discord.Permissions(manage_channels=True, mute_members=True, move_members=True)


def placed(guild: discord.Guild, shape: EventShape) -> EventShape:
    """`shape` as the bot can make it: in its channel when that is a voice or stage channel of the server where the
    bot may hold an event, else at its location (external), so a channel deleted or closed to the bot never stops
    the event."""
    if shape.channel_id is None:
        return shape
    channel = guild.get_channel(shape.channel_id)
    needed = VOICE_EVENT if isinstance(channel, discord.VoiceChannel) else STAGE_EVENT
    if isinstance(channel, discord.VoiceChannel | discord.StageChannel) and needed <= channel.permissions_for(guild.me):
        return shape
    return replace(shape, channel_id=None)


def where(guild: discord.Guild, shape: EventShape) -> dict[str, Any]:
    """The arguments that place an event (`placed` decided where): in its channel, or at its location."""
    channel = None if shape.channel_id is None else guild.get_channel(shape.channel_id)
    if isinstance(channel, discord.StageChannel):
        return {"entity_type": discord.EntityType.stage_instance, "channel": channel}
    if isinstance(channel, discord.VoiceChannel):
        return {"entity_type": discord.EntityType.voice, "channel": channel}
    return {"entity_type": discord.EntityType.external, "location": shape.location}


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
