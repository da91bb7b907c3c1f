"""Small helpers shared by the emulator tests that need their own bot (other intents) or gateway inspection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from fakediscord import FakeDiscord

from .conftest import TOKEN


class QuickBot(discord.Client):
    """A plain client with chosen intents that skips discord.py's pre-IDENTIFY sleep."""

    def __init__(self, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = discord.app_commands.CommandTree(self)
        self.events: list[tuple[str, object]] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.events.append(("member_update", after))

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.events.append(("scheduled_event_create", event))


@contextlib.asynccontextmanager
async def running(
    fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch, intents: discord.Intents
) -> AsyncIterator[QuickBot]:
    """Start a ``QuickBot`` against ``fd`` and stop it afterwards."""
    monkeypatch.setattr(discord.http.Route, "BASE", fd.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fd.gateway_url))
    bot = QuickBot(intents)
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await fd.wait_until_ready()
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


def dispatched(fd: FakeDiscord) -> list[str]:
    """Names of every dispatch the gateway sent (or buffered) to the bot's sessions, in order."""
    return [str(p["t"]) for session in fd.gateway.sessions.values() for p in session.buffer]
