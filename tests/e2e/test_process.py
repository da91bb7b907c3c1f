"""The bot as an operator runs it (`python -m bot` in a subprocess): clean SIGTERM, and buttons after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.demo.harness import fake_token
from fakediscord import FakeDiscord
from tests.e2e.conftest import Start, stop


@pytest.mark.slow
async def test_sigterm_closes_cleanly_and_buttons_survive_a_restart(
    fd: FakeDiscord, start_bot: Start, tmp_path: Path
) -> None:
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")

    first = await start_bot()
    reply = await fan.run("/soundtrack tracks", channel=channel)
    assert "page 1 of 3" in str(reply.embeds)
    code, log = await stop(first)
    assert code == 0, log
    assert "Traceback" not in log and fake_token() not in log
    assert not (tmp_path / "bot.sqlite3-wal").exists(), "the database was closed cleanly (WAL checkpointed)"

    await start_bot()
    turned = await fan.click(reply, "Next")
    assert "page 2 of 3" in str(turned.embeds), "the button made before the restart still works"
    puts = [r for r in fd.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(puts) == 1, "an unchanged command tree is not synced again on restart"


@pytest.mark.slow
async def test_a_normal_run_never_imports_the_emulator(
    fd: FakeDiscord, launcher: Callable[[Path], Start], full_overlay: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bot` lists every module it imports (PYTHONPROFILEIMPORTTIME); none is the emulator's."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    process = await launcher(full_overlay)()
    await guild.add_member("Shane").run("/soundtrack tracks", channel=channel)
    code, log = await stop(process)
    imported = {line.rsplit("|", 1)[-1].strip() for line in log.splitlines() if line.startswith("import time:")}
    assert code == 0 and {"discord", "cogs.poll.commands", "cogs.reminders.commands"} <= imported, (
        "the run imported its features"
    )
    assert not [name for name in imported if name.split(".")[0] == "fakediscord"]
