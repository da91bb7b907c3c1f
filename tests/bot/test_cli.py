"""`python -m bot` as an operator runs it: clear one-line errors with exit 2, `check` and `backup` offline."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.db import Database, load_migrations
from cogs.reminders.store import GuildConfig, ReminderStore
from cogs.reminders.timeparse import parse_lead_times
from tests.conftest import APPLICATION_ID, make_token

VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "CATALOGUE_PATH",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "DISCORD_API_BASE",
)


def database_as_run_makes_it(database: Path) -> Path:
    """The bot's database, created and migrated as `python -m bot` (run) does at its first start: no other command
    creates one."""

    async def create() -> None:
        async with Database.open(database):
            pass

    asyncio.run(create())
    return database


def run_bot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES and k != "DISCORD_GATEWAY_URL"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: DISCORD_TOKEN is not set")
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


def test_bad_values_name_the_variable_and_never_echo_the_token(tmp_path: Path) -> None:
    token = make_token()
    result = run_bot(tmp_path, DISCORD_TOKEN=token, DEV_GUILD_ID="my-server")
    assert result.returncode == 2
    assert "DEV_GUILD_ID='my-server'" in result.stderr and "Traceback" not in result.stderr
    assert token not in result.stdout + result.stderr

    result = run_bot(tmp_path, DISCORD_TOKEN="Bot " + token)
    assert result.returncode == 2 and "DISCORD_TOKEN starts with 'Bot '" in result.stderr
    assert token not in result.stdout + result.stderr


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEV_GUILD_ID=nope\n")
    result = run_bot(tmp_path, "check")
    assert result.returncode == 2 and "DEV_GUILD_ID='nope'" in result.stderr


def test_broken_overlay_is_reported_by_file_and_key(tmp_path: Path) -> None:
    overlay = tmp_path / "mine.toml"
    overlay.write_text("[[tracks]]\nid = 'rivalry'\nduration = '2:34'\n")
    result = run_bot(tmp_path, "check", CATALOGUE_PATH=str(overlay))
    assert result.returncode == 2
    assert "mine.toml: tracks[id=rivalry].duration" in result.stderr and "Traceback" not in result.stderr


def test_check_succeeds_offline_and_prints_the_invite(tmp_path: Path) -> None:
    token = make_token()
    database_as_run_makes_it(tmp_path / "db" / "bot.sqlite3")
    result = run_bot(tmp_path, "check", DISCORD_TOKEN=token, DATABASE_PATH="db/bot.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "9 of 34 tracks listed" in result.stdout
    assert (
        f"database: ok, {tmp_path / 'db' / 'bot.sqlite3'} at schema version {len(load_migrations())}" in result.stdout
    )
    invite = next(line for line in result.stdout.splitlines() if line.startswith("invite URL: "))
    assert f"client_id={APPLICATION_ID}" in invite
    assert "scope=bot+applications.commands" in invite
    # View Channels, Send Messages, Embed Links, Attach Files, Read Message History, Manage Roles, Create Public
    # Threads, Send Messages in Threads and Create Events, nothing else
    assert f"permissions={1024 + 2048 + 16384 + 32768 + 65536 + 2**28 + 2**35 + 2**38 + 2**44}" in invite
    assert token not in result.stdout + result.stderr


def test_backup_writes_a_consistent_copy(tmp_path: Path) -> None:
    database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    result = run_bot(tmp_path, "backup", "backups/copy.sqlite3")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "backups" / "copy.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_check_lists_the_reminders_that_would_be_posted_next(tmp_path: Path) -> None:
    """A server configured earlier: check replans it against the catalogue and shows its next posts."""

    async def configure() -> None:
        async with Database.open(tmp_path / "bot.sqlite3") as db:
            config = GuildConfig(987654321098765432, channel_id=123456789012345678, lead_times=parse_lead_times("1d"))
            await ReminderStore(db).configure(config, 0)

    asyncio.run(configure())
    result = run_bot(tmp_path, "check", DATABASE_PATH="bot.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "next reminders: 1" in result.stdout
    assert "2027-05-31 00:00 UTC · server 987654321098765432 · Unrivaled" in result.stdout
    assert "book (out 2027-06-01) · 1 day" in result.stdout, "the release as a date, the post as its instant"
