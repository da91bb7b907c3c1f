"""The operator's commands with `DATABASE_URL`: `check` names the PostgreSQL database without its password, a URL that
is not PostgreSQL's is one line, and SQLite's file commands say what to use instead."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from bot.db import Database, load_migrations
from bot.db.postgresql import InstanceRunning, PostgresDatabase
from tests.bot.test_cli import run_bot
from tests.conftest import make_token
from tests.postgres import Server


def test_check_names_the_postgresql_database_without_its_password(tmp_path: Path, postgres_url: str) -> None:
    url = postgres_url.replace("hrbot@", "hrbot:s3cret@")  # the test server trusts its socket: any password does
    checked = run_bot(tmp_path, "check", DATABASE_URL=url)
    assert checked.returncode == 0, checked.stderr
    shown = postgres_url.replace("hrbot@", "hrbot:***@")
    assert f"database: ok, {shown} at schema version {len(load_migrations())}\n" in checked.stdout
    assert f"  DATABASE_URL: {shown} (from the environment)\n" in checked.stdout
    assert "s3cret" not in checked.stdout + checked.stderr
    assert list(tmp_path.iterdir()) == [], "no SQLite file was made"


def test_a_url_that_is_not_postgresqls_is_one_line(tmp_path: Path) -> None:
    refused = run_bot(tmp_path, "check", DATABASE_URL="mysql://bot:pw@db/bot")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "error: DATABASE_URL='mysql://bot:***@db/bot' is not a PostgreSQL URL: write "
        "postgresql://USER:PASSWORD@HOST:5432/DATABASE, or leave it unset to use SQLite at DATABASE_PATH."
    ]


def test_backup_and_restore_point_to_postgresqls_own_tools(tmp_path: Path, postgres_url: str) -> None:
    for command in ("backup", "restore"):
        refused = run_bot(tmp_path, command, str(tmp_path / "copy.sqlite3"), DATABASE_URL=postgres_url)
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"error: DATABASE_URL is set: the bot's database is PostgreSQL's ({postgres_url}), so back it up and "
            f"restore it with PostgreSQL's tools (pg_dump, pg_restore), not `{command}`"
        ]


async def test_one_bot_per_postgresql_database_and_the_second_is_told_which_process_runs(
    tmp_path: Path, postgres_url: str
) -> None:
    async with Database.open(postgres_url) as first, Database.open(postgres_url) as second:
        assert isinstance(first, PostgresDatabase) and isinstance(second, PostgresDatabase)
        async with first.instance_lock():
            holder = rf"\(heated-rivalry-bot pid {os.getpid()} on [^)]+\): stop it first"
            with pytest.raises(
                InstanceRunning, match=rf"already running on DATABASE_URL {re.escape(postgres_url)} {holder}"
            ):
                async with second.instance_lock():
                    pass
            synced = await asyncio.to_thread(
                run_bot, tmp_path, "sync", DATABASE_URL=postgres_url, DISCORD_TOKEN=make_token()
            )
            assert synced.returncode == 2
            assert synced.stderr.splitlines() == [
                f"error: the bot is running on DATABASE_URL {postgres_url} (heated-rivalry-bot pid {os.getpid()} on "
                f"{os.uname().nodename}): ask it to sync with `systemctl reload heated-rivalry-bot` (a service), "
                "`docker compose -f deploy/compose.yaml kill -s HUP bot` (Docker) or `kill -HUP <its pid>` as its user, "
                "where it runs; or stop it and run sync again"
            ]
        async with second.instance_lock():  # the first bot stopped: its lock went with its connection
            pass


def test_a_postgresql_that_does_not_answer_is_exit_1_so_the_service_tries_again(tmp_path: Path) -> None:
    """A server down or still starting at boot is not a setting to fix: systemd restarts on 1, never on 2."""
    down = f"postgresql://hrbot@/hrbot?host={tmp_path}"  # no server listens on a socket there
    checked = run_bot(tmp_path, "check", DATABASE_URL=down)
    assert checked.returncode == 1
    [line] = checked.stderr.splitlines()
    assert line.startswith(f"error: cannot reach PostgreSQL at DATABASE_URL {down} (")
    assert line.endswith("; check that it runs and that this machine reaches it")


def test_a_database_postgresql_refuses_is_one_line_and_exit_2(tmp_path: Path, postgres: Server) -> None:
    missing = postgres.url("no_such_database")
    checked = run_bot(tmp_path, "check", DATABASE_URL=missing)
    assert checked.returncode == 2
    [line] = checked.stderr.splitlines()
    assert line.startswith(f"error: DATABASE_URL {missing}: PostgreSQL refused it (")
    assert 'database "no_such_database" does not exist' in line
