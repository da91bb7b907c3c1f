"""The bot as an operator runs it (`python -m bot` in a subprocess): clean SIGTERM, and buttons after a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from bot.emulated import fake_token
from fakediscord import FakeDiscord

Start = Callable[[], Coroutine[Any, Any, asyncio.subprocess.Process]]


@pytest.fixture
async def start_bot(fd: FakeDiscord, tmp_path: Path, full_overlay: Path) -> AsyncIterator[Start]:
    """Start `python -m bot` pointed at the emulator; every process still running at the end is killed."""
    processes: list[asyncio.subprocess.Process] = []
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_", "DEV_"))},
        "DISCORD_TOKEN": fake_token(),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "DISCORD_API_BASE": fd.api_base,
        "DISCORD_GATEWAY_URL": fd.gateway_url,
        "CATALOGUE_PATH": str(full_overlay),
        "LOG_LEVEL": "INFO",
    }

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

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    return process.returncode or 0, stderr.decode()


async def test_sigterm_closes_cleanly_and_buttons_survive_a_restart(fd: FakeDiscord, start_bot: Start) -> None:
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")

    first = await start_bot()
    reply = await fan.run("/soundtrack tracks", channel=channel)
    assert "page 1 of 3" in str(reply.embeds)
    code, log = await stop(first)
    assert code == 0, log
    assert "Traceback" not in log and fake_token() not in log

    await start_bot()
    turned = await fan.click(reply, "Next")
    assert "page 2 of 3" in str(turned.embeds), "the button made before the restart still works"
    puts = [r for r in fd.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(puts) == 1, "an unchanged command tree is not synced again on restart"
