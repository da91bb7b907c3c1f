"""End-to-end fixtures: the emulator, a server with fans, and the real bot logged in to it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord, Message, Reply


@dataclass
class FanServer:
    fd: FakeDiscord
    bot: HeatedRivalryBot
    guild: Any
    fan: Any
    other_fan: Any
    channel: Any


def said(reply: Reply) -> Message:
    """The message the member reads as the answer: the last follow-up (a deferred command's answer, or the private
    confirmation after a component refreshed its own message), else the response itself."""
    message = reply.followups[-1] if reply.followups else reply.message
    assert message is not None, reply
    return message


@pytest.fixture
async def fd(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """The emulator; a test module may set `SETTLE` (seconds) for a shorter quiet period after each answer."""
    settle = getattr(request.module, "SETTLE", None)
    async with FakeDiscord(token=fake_token(), **({} if settle is None else {"settle": settle})) as emulator:
        yield emulator
        assert emulator.violations == [], f"the bot broke Discord's rules: {emulator.violations}"


@asynccontextmanager
async def fan_server(
    fd: FakeDiscord, database: Path, catalogue: Catalogue, environ: Mapping[str, str] | None = None
) -> AsyncIterator[FanServer]:
    """A server with two fans and the bot, configured by `environ` on top of the emulator's endpoints."""
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")
    other = guild.add_member("Ilya")
    async with emulated_bot(fd, fake_token(), database, catalogue, environ=environ) as bot:
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


@pytest.fixture
async def french_server(fd: FakeDiscord, tmp_path: Path, full_catalogue: Catalogue) -> AsyncIterator[FanServer]:
    """A server whose language is French, with an English-speaking fan (Shane) and a French-speaking one."""
    guild = fd.add_guild("Fans de Rivalité passionnée", preferred_locale="fr")
    channel = guild.add_text_channel("trame-sonore")
    fan = guild.add_member("Shane")
    amelie = guild.add_member("Amélie", locale="fr")
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", full_catalogue) as bot:
        yield FanServer(fd, bot, guild, fan, amelie, channel)


# Another program (a backup tool, the sqlite3 shell) takes the write lock and keeps it until told to let go.
_HOLD_THE_WRITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@asynccontextmanager
async def holding_the_write_lock(database: Path | None) -> AsyncIterator[None]:
    """Inside the block another process holds the database's write lock, as a backup tool would."""
    assert database is not None, "a database file, not :memory:"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLD_THE_WRITE_LOCK, str(database),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdin is not None
    assert await holder.stdout.readline() == b"locked\n"
    try:
        yield
    finally:
        holder.stdin.write(b"\n")
        await holder.wait()


Start = Callable[[], Coroutine[Any, Any, asyncio.subprocess.Process]]


@pytest.fixture
async def launcher(fd: FakeDiscord, tmp_path: Path) -> AsyncIterator[Callable[[Path], Start]]:
    """`python -m bot` against the emulator with a given catalogue overlay; leftovers are killed at the end.

    Each start waits until the new process has identified and received every server.
    """
    processes: list[asyncio.subprocess.Process] = []

    def for_overlay(overlay_path: Path) -> Start:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_", "DEV_"))},
            "DISCORD_TOKEN": fake_token(), "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url,
            "CATALOGUE_PATH": str(overlay_path), "LOG_LEVEL": "INFO",
        }  # fmt: skip

        async def start() -> asyncio.subprocess.Process:
            identified = fd.gateway.identify_count
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            processes.append(process)
            await fd.gateway.wait_for(lambda: fd.gateway.identify_count > identified, timeout=30)
            await fd.wait_until_ready()
            return process

        return start

    yield for_overlay
    for process in processes:
        if process.returncode is None:
            process.kill()
        await process.communicate()


@pytest.fixture
def start_bot(launcher: Callable[[Path], Start], full_overlay: Path) -> Start:
    """`python -m bot` with the full-tracklist overlay."""
    return launcher(full_overlay)


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    return process.returncode or 0, stderr.decode()


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: the crash case, no chance to close anything."""
    process.kill()
    await asyncio.wait_for(process.communicate(), timeout=20)
