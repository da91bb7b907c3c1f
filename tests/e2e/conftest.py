"""End-to-end fixtures: the emulator, a server with fans, and the real bot logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.emulated import emulated_bot, fake_token
from fakediscord import FakeDiscord


@dataclass
class FanServer:
    fd: FakeDiscord
    bot: HeatedRivalryBot
    guild: Any
    fan: Any
    other_fan: Any
    channel: Any


@pytest.fixture
async def fd() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=fake_token()) as emulator:
        yield emulator
        assert emulator.violations == [], f"the bot broke Discord's rules: {emulator.violations}"


@asynccontextmanager
async def fan_server(fd: FakeDiscord, database: Path, catalogue: Catalogue) -> AsyncIterator[FanServer]:
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")
    other = guild.add_member("Ilya")
    async with emulated_bot(fd, fake_token(), database, catalogue) as bot:
        yield FanServer(fd, bot, guild, fan, other, channel)


@pytest.fixture
async def server(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue) -> AsyncIterator[FanServer]:
    """The bot with the bundled catalogue, as shipped."""
    async with fan_server(fd, tmp_path / "bot.sqlite3", catalogue) as running:
        yield running


@pytest.fixture
async def full_server(fd: FakeDiscord, tmp_path: Path, full_catalogue: Catalogue) -> AsyncIterator[FanServer]:
    """The bot with an operator's overlay completing the tracklist (test data), so lists need pages."""
    async with fan_server(fd, tmp_path / "bot.sqlite3", full_catalogue) as running:
        yield running
