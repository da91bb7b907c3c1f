"""Operating the bot as a service (issue 20): a second copy on the same token is named, `sync` reaches the running
bot, `restore` puts a backup back, and a start without network waits for it. Real processes and the emulator."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.db import instance_lock, load_migrations
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord
from tests.bot.test_cli import database_as_run_makes_it, run_bot
from tests.e2e.conftest import Start, said, stop

SECOND_COPY = "A second copy of the bot is running with the same token"


# -- item 4: two processes on one token ------------------------------------------------------------------------


async def warnings_naming(caplog: pytest.LogCaptureFixture, text: str, count: int) -> list[logging.LogRecord]:
    """Once `count` records mention `text` (the losing copy logs after the fan has the winner's answer), every record
    of WARNING and above."""
    async with asyncio.timeout(20):
        while sum(text in record.getMessage() for record in caplog.records) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_a_second_process_on_the_same_token_is_named_in_one_warning(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    """Two bots, each with its own database, log in with one token: Discord sends each of them every interaction,
    and the one whose answer comes second is refused 40060 on its only attempt. That is not a fault of Discord's
    (no 5xx, no retry): it names the second process, once per interaction, and the fan sees one answer."""
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")
    async with (
        emulated_bot(fd, fake_token(), tmp_path / "one.sqlite3", catalogue),
        emulated_bot(fd, fake_token(), tmp_path / "two.sqlite3", catalogue),
    ):
        reply = await fan.run("/soundtrack about", channel=channel)
        [warning] = await warnings_naming(caplog, SECOND_COPY, 1)
        assert warning.getMessage().startswith(
            f"another process answered interaction {reply.record.id} (/soundtrack about {{}}, guild {guild.id}) first"
        )
        assert warning.getMessage().endswith("each with its own database; stop the other copy")
        assert warning.exc_info is None and "Discord failed" not in warning.getMessage()
        assert reply.rejected == ["second initial response: 400 40060 Interaction has already been acknowledged."]
        assert "Peter Peter" in str(said(reply).embeds), "the fan has the answer of the copy that was first"

        choices = await fan.autocomplete("/releases countdown", "release", "vinyl")
        assert choices[0]["value"] == "album-vinyl"
        logged = await warnings_naming(caplog, SECOND_COPY, 2)
        assert len(logged) == 2 and "(its autocomplete suggestions) first" in logged[1].getMessage()

        stale = await fan._component(said(reply), {"custom_id": "hr:gone:1", "component_type": 2}, "a stale button")
        assert "older version of this message" in said(stale).content
        logged = await warnings_naming(caplog, SECOND_COPY, 3)
        assert len(logged) == 3 and f"(an error message, guild {guild.id}) first" in logged[2].getMessage()
        assert all(record.levelno == logging.WARNING for record in logged)


# -- item 3: sync while the bot runs -------------------------------------------------------------------------


@pytest.mark.slow
async def test_sync_beside_the_running_bot_asks_it_to_sync(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start], full_overlay: Path
) -> None:
    """The running bot holds the database's lock; `python -m bot sync` signals it (SIGHUP, as `systemctl reload`
    does) and the running bot syncs the commands it serves."""
    fd.add_guild("Heated Rivalry Fans")
    running = await launcher(full_overlay)()

    def puts() -> list[object]:
        return [r for r in fd.requests if r.method == "PUT" and r.path.endswith("/commands")]

    assert len(puts()) == 1, "synced once at the first start"
    env = {
        "DISCORD_TOKEN": fake_token(), "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url,
    }  # fmt: skip
    result = await asyncio.to_thread(run_bot, tmp_path, "sync", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"asked the running bot (pid {running.pid}, database {tmp_path / 'bot.sqlite3'}) to sync its slash commands "
        "globally; its log says when Discord has them\n"
    )
    await fd.gateway.wait_for(lambda: len(puts()) == 2, timeout=20)
    elsewhere = await asyncio.to_thread(run_bot, tmp_path, "sync", "--guild", "987654321098765432", **env)
    assert elsewhere.returncode == 2
    assert "syncs globally, as its settings say: to sync to server 987654321098765432 once, stop it first" in (
        elsewhere.stderr
    )
    code, log = await stop(running)
    assert code == 0, log
    assert log.count("synced ") == 2 and "Traceback" not in log, "at its start, and when asked"


# -- item 8: restore -----------------------------------------------------------------------------------------


def marker(database: Path) -> str | None:
    with closing(sqlite3.connect(database)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone()
    return None if row is None else str(row[0])


def set_marker(database: Path, value: str) -> None:
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value, updated_at) VALUES ('marker', ?, 0)", (value,))


# A program that writes to the database and dies before closing it: its last write is only in the -wal file.
_CRASH_AFTER_WRITING = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("INSERT OR REPLACE INTO meta (key, value, updated_at) VALUES ('marker', 'after the backup', 0)")
os._exit(0)
"""


@pytest.mark.slow
def test_restore_puts_the_backup_back_and_keeps_the_database_it_replaces(tmp_path: Path) -> None:
    database = database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    set_marker(database, "in the backup")
    backup = run_bot(tmp_path, "backup", "backups/monday.sqlite3")
    assert backup.returncode == 0, backup.stderr
    subprocess.run([sys.executable, "-c", _CRASH_AFTER_WRITING, str(database)], check=True)
    wal = database.with_name("bot.sqlite3-wal")
    assert wal.stat().st_size > 0, "the last write is in the journal only"

    result = run_bot(tmp_path, "restore", "backups/monday.sqlite3")
    assert result.returncode == 0, result.stderr
    [kept] = sorted(database.parent.glob("bot.sqlite3.replaced-*[0-9Z]"))
    assert result.stdout.splitlines() == [
        f"restored {tmp_path / 'backups' / 'monday.sqlite3'} to {database} ({database.stat().st_size:,} bytes, "
        f"schema version {len(load_migrations())}, quick_check ok)",
        f"the database it replaced is kept as {kept}, with its last writes in {kept}-wal",
        "start the bot again; a backup from an older version is migrated as it starts",
    ]
    assert not wal.exists() and not database.with_name("bot.sqlite3-shm").exists(), "no stale journal is replayed"
    assert marker(database) == "in the backup"
    assert marker(kept) == "after the backup", "the replaced database is whole, its last writes included"
    assert (database.stat().st_mode & 0o777, kept.stat().st_mode & 0o777) == (0o600, 0o600)


@pytest.mark.slow
def test_restore_refuses_while_the_bot_runs_and_a_backup_it_cannot_trust(tmp_path: Path) -> None:
    database = database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    set_marker(database, "live")
    assert run_bot(tmp_path, "backup", "good.sqlite3").returncode == 0
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    newer = tmp_path / "newer.sqlite3"
    assert run_bot(tmp_path, "backup", "newer.sqlite3").returncode == 0
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    before = database.read_bytes()
    with instance_lock(database):  # as the running bot holds it
        running = run_bot(tmp_path, "restore", "good.sqlite3")
    assert running.returncode == 2
    assert running.stderr.startswith(f"error: the bot is running on DATABASE_PATH {database} (pid {os.getpid()}, ")
    assert "stop it first (e.g. systemctl stop heated-rivalry-bot), then restore; nothing was changed" in running.stderr
    for name, refusal in [
        ("gone.sqlite3", f"the backup {tmp_path / 'gone.sqlite3'} does not exist: nothing to restore"),
        ("notes.txt", f"the backup {tmp_path / 'notes.txt'} is damaged (file is not a database): nothing was restored"),
        ("newer.sqlite3", f"the backup {newer} was made by a newer version of the bot (schema "),
        ("data/bot.sqlite3", f"{database} is the live database itself"),
    ]:
        result = run_bot(tmp_path, "restore", name)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"error: {refusal}"), result.stderr
    assert database.read_bytes() == before and marker(database) == "live"
    assert sorted(p.name for p in database.parent.iterdir()) == ["bot.sqlite3", "bot.sqlite3.lock"]


# -- a start with no network (supports the restart policy of item 7) ---------------------------------------------


@pytest.mark.slow
async def test_a_bot_started_before_the_network_serves_once_discord_is_reachable(
    tmp_path: Path, full_overlay: Path
) -> None:
    """Nothing answers at the configured address when the bot starts (a machine or a container whose network comes
    up later): it warns and waits instead of exiting, and serves as soon as Discord is there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_", "DEV_"))},
        "DISCORD_TOKEN": fake_token(), "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10", "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
        "CATALOGUE_PATH": str(full_overlay),
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        started = [await asyncio.wait_for(process.stderr.readline(), 30)]
        while b"cannot reach Discord" not in started[-1]:
            started.append(await asyncio.wait_for(process.stderr.readline(), 30))
        assert b"WARNING" in started[-1] and b"trying again in 5 s" in started[-1]
        assert f"database: {tmp_path / 'bot.sqlite3'} (DATABASE_PATH from the environment)" in str(started)
        async with FakeDiscord(token=fake_token(), port=port) as fd:
            guild = fd.add_guild("Heated Rivalry Fans")
            channel = guild.add_text_channel("soundtrack")
            await fd.gateway.wait_for(lambda: fd.gateway.identify_count > 0, timeout=60)
            await fd.wait_until_ready()
            reply = await guild.add_member("Shane").run("/soundtrack about", channel=channel)
            assert "Peter Peter" in str(said(reply).embeds)
            code, log = await stop(process)
        assert code == 0, log
        assert "Traceback" not in log and "ERROR" not in log
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
