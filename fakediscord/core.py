"""``FakeDiscord``: the loopback server (REST + gateway) plus the world and the controls tests use."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from . import permissions as perms
from .client import Member, Reply
from .faults import FaultInjector
from .gateway import Gateway
from .interactions import RESPONSE_DEADLINE, FollowupRule, InteractionRecord, Interactions
from .limits import Violation
from .openapi import SpecValidator, get_validator
from .ratelimit import GlobalRateLimit
from .rest import RecordedRequest, RestApi
from .snowflake import Clock, snowflake_time
from .state import Channel, Guild, GuildMember, Message, User, World

JSON = dict[str, Any]
log = logging.getLogger(__name__)

SETTLE = 0.3
MAX_WAIT = 3.5
BUSY_POLL_S = 0.05
"""How often a settling reply asks `FakeDiscord.busy` again (the application's work wakes nothing here)."""
NONCE_WINDOW = 300.0


def application_id_from_token(token: str) -> str | None:
    """The id encoded (base64, unpadded) in the first part of a bot token, or None if it is not one."""
    first = token.split(".", 1)[0].replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded.isdigit() else None


def make_token(application_id: str | int) -> str:
    """A syntactically valid bot token for ``application_id``; the same every time, so tests can look for it."""
    first = base64.b64encode(str(application_id).encode()).decode().rstrip("=")
    return f"{first}.GfAkEd.{hashlib.sha256(first.encode()).hexdigest()[:38]}"


class FakeDiscord:
    """A local Discord: REST under ``api_base``, the gateway at ``gateway_url``, and a scriptable world.

    Use as ``async with FakeDiscord(token=TOKEN) as fd:``; point discord.py at it with
    ``discord.http.Route.BASE = fd.api_base`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fd.gateway_url)``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_name: str = "testbot",
        host: str = "127.0.0.1",
        port: int = 0,
        openapi: bool | str | Path = True,
        settle: float = SETTLE,
        max_wait: float = MAX_WAIT,
        response_deadline: float = RESPONSE_DEADLINE,
        nonce_window: float = NONCE_WINDOW,
        shards: int | None = None,
        global_rate: int | None = None,
        followup_rule: FollowupRule = "while-loading",
    ) -> None:
        app_id = application_id_from_token(token) if token else None
        self.world = World(bot_id=app_id, bot_name=bot_name)
        self.token = token or make_token(self.world.application_id)
        self.world.listener = self
        self.host = host
        self.port = port
        self.settle = settle
        """Quiet period after the last bot activity before ``run()``/``click()`` return."""
        self.max_wait = max_wait
        """Upper bound (from the dispatch) on how long ``run()`` waits for edits/followups."""
        self.busy: Callable[[], bool] = _never_busy
        """What the application under test says of itself: True while it still handles an interaction. ``run()`` and
        ``click()`` wait for it (up to ``max_wait``) before the quiet period, so that a follow-up after an
        ``UPDATE_MESSAGE`` is seen however slow the machine; Discord itself cannot know, so the default says no."""
        self.nonce_window = nonce_window
        self.gateway = Gateway(self.world, self.token)
        self.faults = FaultInjector()
        self.interactions = Interactions(
            self.world, emit=self.dispatch, deadline=response_deadline, followup_rule=followup_rule
        )
        self.requests: list[RecordedRequest] = []
        """Every REST request, in order."""
        self.violations: list[Violation] = []
        """Every limit/OpenAPI violation found in the bot's requests (each was answered 400 50035)."""
        self.internal_errors: list[str] = []
        """Emulator bugs hit while serving requests; closing the emulator fails if any occurred."""
        if shards is not None and shards < 1:
            raise ValueError("shards must be at least 1")
        self.shards = shards
        """The ``shards`` ``GET /gateway/bot`` recommends; None: Discord's 1 per 1,000 guilds (``recommended_shards``)."""
        self.global_rate_limit = GlobalRateLimit(global_rate) if global_rate is not None else None
        """Discord's global limit (requests per sliding second; Discord: 50) or None (off, the default)."""
        self.global_429s = 0
        """How many requests the global rate limit refused with 429."""
        self._openapi_setting = openapi
        self._openapi: SpecValidator | None = None
        self._openapi_loaded = False
        self._nonces: dict[tuple[str, str], Message] = {}
        self._members: dict[tuple[str, str], Member] = {}
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = RestApi(self).build_app()
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.gateway.resume_url = f"ws://{self.host}:{self.port}/gateway/resume"
        return self

    async def close(self) -> None:
        await self.gateway.shutdown()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
        if exc_type is None and self.internal_errors:
            raise AssertionError("fakediscord hit internal errors: " + "; ".join(self.internal_errors))

    # -- addresses and identities ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def application_id(self) -> str:
        return self.world.application_id

    @property
    def bot_user_id(self) -> str:
        return self.world.bot_user.id

    @property
    def bot_user(self) -> User:
        return self.world.bot_user

    @property
    def clock(self) -> Clock:
        return self.world.clock

    @property
    def guilds(self) -> list[Guild]:
        return list(self.world.guilds.values())

    @property
    def recommended_shards(self) -> int:
        """``GET /gateway/bot``'s ``shards``: ``shards`` if set, else one per 1,000 guilds the bot is in (at least 1).

        Discord documents ``shards`` as "the recommended number of shards to use when connecting" (Gateway › Get
        Gateway Bot) without the formula; one shard per 1,000 guilds is its long-standing guidance, and the hard
        limit is 2,500 guilds per shard (close code 4011).
        """
        if self.shards is not None:
            return self.shards
        count = sum(1 for g in self.world.guilds.values() if g.has_bot)
        return max(1, math.ceil(count / 1000))

    # -- world building ---------------------------------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        *,
        bot_permissions: int = perms.DEFAULT_BOT,
        preferred_locale: str = "en-US",
        bot_member: bool = True,
    ) -> Guild:
        """Create a guild with the bot in it (GUILD_CREATE is dispatched if the bot is connected).

        ``preferred_locale`` is the guild's language: GUILD_CREATE's ``preferred_locale`` and the ``guild_locale``
        of interactions there.

        ``bot_member=False`` models a guild that installed only the app's commands (``applications.commands``
        scope) without the bot user: its members can still run the commands (INTERACTION_CREATE reaches the bot,
        whose cache does not hold the guild), but the bot gets no other event of it, its REST calls there answer
        403 Missing Access, and members cannot use components in it (``click``/``select`` raise).
        """
        return self.world.add_guild(
            name, bot_permissions=bot_permissions, preferred_locale=preferred_locale, bot_member=bot_member
        )

    async def wait_until_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot identified and processed READY and every GUILD_CREATE (on every shard)."""
        try:
            await self.gateway.wait_for(lambda: self.gateway.is_ready, timeout)
        except TimeoutError:
            gateway = self.gateway
            raise AssertionError(
                f"the bot did not become ready within {timeout} s (identify_count={gateway.identify_count}, "
                f"shards ready: {[(i, s.ready) for i, s in gateway.shards.items()]}, "
                f"gateway closes: {gateway.closed_with}, "
                f"requests: {[f'{r.method} {r.path} {r.status}' for r in self.requests]})"
            ) from None

    # -- inspection -----------------------------------------------------------------------------------------

    def channel_messages(self, channel: Channel | str) -> list[Message]:
        """Messages visible in the channel (bot posts and non-ephemeral interaction responses), oldest first."""
        chan = self.world.channels.get(channel) if isinstance(channel, str) else channel
        if chan is None:
            raise KeyError(f"unknown channel {channel!r}")
        return chan.visible_messages()

    def message(self, message_id: str) -> Message | None:
        return self.world.messages.get(str(message_id))

    def commands(self, guild: Guild | None = None) -> list[JSON]:
        """Registered commands: global ones, or those a guild sees (guild commands shadow global ones)."""
        if guild is None:
            return list(self.world.global_commands or [])
        return self.world.commands_for(guild)

    def requests_to(self, method: str | None = None, route: str | None = None) -> list[RecordedRequest]:
        """Recorded requests filtered by method and route template or exact path."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper()) and (route is None or route in (r.route, r.path))
        ]

    # -- hooks used by the REST handlers --------------------------------------------------------------------

    def openapi_violations(self, method: str, spec_path: str, body: Any, schema: str | None = None) -> list[Violation]:
        if body is None or self._openapi_setting is False:
            return []
        if not self._openapi_loaded:
            self._openapi_loaded = True
            setting = self._openapi_setting
            self._openapi = get_validator(None if setting is True else Path(str(setting)))
        if self._openapi is None or not self._openapi.has_operation(method, spec_path):
            return []
        return self._openapi.validate(method, spec_path, body, schema)

    def nonce_lookup(self, author_id: str, nonce: Any) -> Message | None:
        message = self._nonces.get((author_id, str(nonce)))
        if message is None or message.deleted:
            return None
        if self.clock.now() - snowflake_time(message.id) > timedelta(seconds=self.nonce_window):
            return None
        return message

    def nonce_remember(self, author_id: str, nonce: Any, message: Message) -> None:
        self._nonces[(author_id, str(nonce))] = message

    # -- WorldListener ----------------------------------------------------------------------------------------

    def dispatch(self, event: str, data: JSON) -> None:
        self.gateway.dispatch_nowait(event, data)

    def guild_added(self, guild: Guild) -> None:
        self.gateway.guild_added(guild)

    def guild_returned(self, guild: Guild) -> None:
        self.gateway.guild_added(guild)

    def member_client(self, record: GuildMember) -> Member:
        key = (record.guild.id, record.user.id)
        if key not in self._members:
            self._members[key] = Member(self, record)
        return self._members[key]

    # -- running interactions -------------------------------------------------------------------------------

    async def _run(
        self,
        record: InteractionRecord,
        *,
        failure: str = 'Discord shows "This interaction failed"',
    ) -> None:
        """Dispatch the interaction, wait for its initial response (3 s), then let the bot's activity settle."""
        gateway = self.gateway
        if gateway.owner(record.guild.id) is None:
            # e.g. right after an op 9 or while the bot (re)identifies: give it a moment.
            try:
                await gateway.wait_for(lambda: gateway.owner(record.guild.id) is not None, 10.0)
            except TimeoutError:
                raise AssertionError(
                    f"{record.label}: the bot is not connected to the gateway (no session of the shard of guild "
                    f"{record.guild.id})"
                ) from None
        loop = asyncio.get_running_loop()
        self.interactions.mark_dispatched(record)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        assert record.deadline is not None
        while not record.acked:
            remaining = record.deadline - loop.time()
            if remaining <= 0:
                break
            await record.wait_activity(remaining)
        if not record.acked:
            self.interactions.expire(record)
            limit = self.interactions.deadline
            seconds = f"{limit:g} second" + ("" if limit == 1 else "s")
            message = f"{record.label}: the bot did not respond within {seconds} ({failure})"
            if record.rejected:
                message += "; Discord rejected: " + " | ".join(record.rejected)
            raise AssertionError(message)
        if record.type != 4:  # autocomplete needs no settling
            await self._settle(record)

    async def _settle(
        self, record: InteractionRecord, *, max_wait: float | None = None, from_now: bool = False
    ) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() if from_now or record.dispatched_at is None else record.dispatched_at
        end = start + (self.max_wait if max_wait is None else max_wait)
        if record.acked_at is not None and not from_now:
            end = max(end, record.acked_at + self.settle)
        while True:
            now = loop.time()
            if now >= end:
                return
            busy = self.busy()
            if record.loading or record.awaiting_edit or busy:
                wait = min(end - now, BUSY_POLL_S) if busy else end - now
            else:
                quiet = record.last_activity + self.settle - now
                if quiet <= 0:
                    return
                wait = min(quiet, end - now)
            await record.wait_activity(wait)


def _never_busy() -> bool:
    return False


__all__ = ["FakeDiscord", "Reply", "application_id_from_token", "make_token"]
