"""Run the real bot against the local Discord emulator (`fakediscord`): for the demo and end-to-end tests.

Nothing here replaces a discord.py internal: the bot is started exactly as `python -m bot` starts it,
only with the REST and gateway endpoints pointed at the emulator, as an operator would point them at a
REST proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import discord.gateway
import discord.http

from bot.bot import EXTENSIONS, HeatedRivalryBot, running_handlers
from bot.catalogue import Catalogue
from bot.clock import Clock
from bot.db import Database
from bot.endpoints import apply_endpoints
from bot.settings import load_settings
from fakediscord import FakeDiscord, make_token

DEMO_APPLICATION_ID = 1180000000000000001
EMULATED_GUILD_READY_S = 0.1  # the emulator sends every GUILD_CREATE at once: no need for discord.py's 2 s


def fake_token(application_id: int = DEMO_APPLICATION_ID) -> str:
    """The emulator's token for the demo application: Discord's shape, opens nothing real."""
    return make_token(application_id)


@contextlib.asynccontextmanager
async def emulated_bot(
    fd: FakeDiscord,
    token: str,
    database_path: Path,
    catalogue: Catalogue,
    *,
    extensions: Sequence[str] = EXTENSIONS,
    ready_timeout: float = 10.0,
    guild_ready_timeout: float = EMULATED_GUILD_READY_S,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[HeatedRivalryBot]:
    """The bot, logged in to `fd` and ready; closed (gateway, HTTP session, database) when the block ends.

    `extensions` replaces the bot's feature list (the benchmarks add a trivial command to compare with);
    `ready_timeout` (seconds) is how long every shard may take to be ready (thousands of servers take longer);
    the block starts once the bot's `on_ready` has fired, `guild_ready_timeout` seconds after the last server;
    `clock` is the bot's (default: real time), set ahead to start the bot at a later date; `environ` adds settings
    as an operator would set them (`DISCORD_GLOBAL_RATE`...).
    """
    settings = load_settings(
        {
            "DISCORD_TOKEN": token,
            "DATABASE_PATH": str(database_path),
            "DISCORD_API_BASE": fd.api_base,
            "DISCORD_GATEWAY_URL": fd.gateway_url,
            **(environ or {}),
        }
    )
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    apply_endpoints(settings)
    try:
        async with (
            Database.open(settings.database) as db,
            HeatedRivalryBot(
                settings=settings,
                db=db,
                catalogue=catalogue,
                extensions=extensions,
                guild_ready_timeout=guild_ready_timeout,
                clock=clock,
            ) as bot,
        ):
            fd.busy = lambda: bool(running_handlers())
            runner = asyncio.create_task(bot.start(token), name="bot")
            ready = asyncio.create_task(fd.wait_until_ready(ready_timeout))
            await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
            if runner.done():  # the bot stopped before it was ready: surface its error
                ready.cancel()
                runner.result()
                raise RuntimeError("the bot stopped before it was ready")
            await ready
            await asyncio.wait_for(bot.wait_until_ready(), ready_timeout)
            try:
                yield bot
            finally:
                await bot.close()
                await runner
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
