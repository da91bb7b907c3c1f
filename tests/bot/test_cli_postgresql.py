"""The operator's commands with `DATABASE_URL`: `check` names the PostgreSQL database without its password, a URL that
is not PostgreSQL's is one line, and SQLite's file commands say what to use instead."""

from __future__ import annotations

from pathlib import Path

from bot.db import load_migrations
from tests.bot.test_cli import run_bot


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
