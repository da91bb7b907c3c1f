"""The database file as an operator meets it: one bot per file, damage and emptiness, private modes, backups.

Every test runs the real `python -m bot` in a subprocess and reads what the operator would read: the exit
status, the one `error:` line, the files on disk.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.demo.harness import fake_token
from fakediscord import FakeDiscord
from tests.bot.test_cli import database_as_run_makes_it, run_bot
from tests.e2e.conftest import Start, kill, stop

pytestmark = pytest.mark.slow


def errors(stderr: str) -> list[str]:
    """The lines meant for the operator; a traceback would be a bug."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give a service (022): files would be world-readable unless made private."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def made_database(folder: Path) -> Path:
    """A database as the bot leaves it after its first start, with one row an operator would miss."""
    database = database_as_run_makes_it(folder / "data" / "bot.sqlite3")
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('marker', 'kept', 0)")
    return database


# -- item 3: one instance per database ------------------------------------------------------------------


async def test_a_second_bot_on_the_same_database_refuses_naming_the_first(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start], full_overlay: Path
) -> None:
    fd.add_guild("Heated Rivalry Fans")
    start = launcher(full_overlay)
    first = await start()
    identified = fd.gateway.identify_count
    env = {
        "DISCORD_TOKEN": fake_token(), "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "DISCORD_API_BASE": fd.api_base, "DISCORD_GATEWAY_URL": fd.gateway_url,
    }  # fmt: skip
    second = await asyncio.to_thread(run_bot, tmp_path, **env)
    assert second.returncode == 2
    [line] = errors(second.stderr)
    assert line.startswith(
        f"error: another copy of the bot is already running on DATABASE_PATH {tmp_path / 'bot.sqlite3'} "
        f"(pid {first.pid}, started 20"
    ), line
    assert fd.gateway.identify_count == identified, "the second copy never connected"
    await kill(first)  # the OS releases the lock of a killed process: the next start is not refused
    code, log = await stop(await start())
    assert code == 0, log


# -- item 4: damaged and emptied databases --------------------------------------------------------------


def damage_a_page(database: Path) -> None:
    """Overwrite the middle of the file (table pages, not the header) with bytes SQLite cannot read."""
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.executemany(
            "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, 0)", [(f"k{n}", "v" * 300) for n in range(200)]
        )
    size = database.stat().st_size
    with database.open("r+b") as file:
        file.seek(size // 2)
        file.write(b"\xff" * 4096)


@pytest.mark.parametrize(
    ("harm", "what"),
    [
        (lambda db: db.write_bytes(b"a spreadsheet saved over the database\n" * 200), "is damaged (file is not a database)"),
        (lambda db: db.write_bytes(b"\0" * 16 + db.read_bytes()[16:]), "is damaged (file is not a database)"),
        (damage_a_page, "is damaged ("),
        (lambda db: db.write_bytes(b""), "is empty (0 bytes): the database was truncated or replaced"),
    ],
    ids=["not-a-database", "damaged-header", "damaged-page", "emptied"],
)  # fmt: skip
def test_a_damaged_or_emptied_database_is_one_line_and_exit_2(
    tmp_path: Path, harm: Callable[[Path], object], what: str
) -> None:
    database = made_database(tmp_path)
    harm(database)
    harmed = database.read_bytes()
    for command in (("check",), ()):
        result = run_bot(tmp_path, *command, DISCORD_TOKEN=fake_token(), DATABASE_PATH="data/bot.sqlite3")
        assert result.returncode == 2, result.stderr
        [line] = errors(result.stderr)
        assert line.startswith(f"error: DATABASE_PATH {database} {what}"), line
        assert "backup" in line
    assert database.read_bytes() == harmed, "nothing was written over it"


def test_check_runs_quick_check_and_never_creates_a_database(tmp_path: Path) -> None:
    database = made_database(tmp_path)
    database.write_bytes(b"")
    assert run_bot(tmp_path, "check", DATABASE_PATH="data/bot.sqlite3").returncode == 2
    database.unlink()  # the operator asks for a fresh start: the bot's next start makes it, not check
    result = run_bot(tmp_path, "check", DATABASE_PATH="data/bot.sqlite3")
    assert result.returncode == 0, result.stderr
    assert f"database: none at {database} yet: the bot creates it when it first starts" in result.stdout
    assert not database.exists()


# -- item 5: private files ------------------------------------------------------------------------------


async def test_the_database_its_journal_and_backups_are_private(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start], full_overlay: Path, usual_umask: None
) -> None:
    fd.add_guild("Heated Rivalry Fans")
    running = await launcher(full_overlay)()  # DATABASE_PATH is tmp_path/bot.sqlite3
    database = tmp_path / "bot.sqlite3"
    files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm", ".lock"))]
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    result = await asyncio.to_thread(run_bot, tmp_path, "backup", "backups/daily/copy.sqlite3",
                                     DATABASE_PATH=str(database))  # fmt: skip
    assert result.returncode == 0, result.stderr
    backups = tmp_path / "backups"
    assert (mode(backups), mode(backups / "daily"), mode(backups / "daily" / "copy.sqlite3")) == (0o700, 0o700, 0o600)
    code, log = await stop(running)
    assert code == 0, log

    await asyncio.to_thread(database_as_run_makes_it, tmp_path / "new" / "data" / "bot.sqlite3")
    assert (mode(tmp_path / "new"), mode(tmp_path / "new" / "data")) == (0o700, 0o700)
    assert mode(tmp_path / "new" / "data" / "bot.sqlite3") == 0o600


def test_a_database_left_readable_by_an_older_version_is_made_private(tmp_path: Path, usual_umask: None) -> None:
    database = made_database(tmp_path)
    database.chmod(0o644)
    result = run_bot(tmp_path, "check", DATABASE_PATH="data/bot.sqlite3")
    assert result.returncode == 0, result.stderr
    assert mode(database) == 0o600 and "it is now private" in result.stderr


# -- item 6: backups an operator can trust --------------------------------------------------------------


def test_backup_refuses_a_missing_source_and_creates_nothing(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    result = run_bot(elsewhere, "backup", "copy.sqlite3")  # DATABASE_PATH defaults to data/bot.sqlite3
    assert result.returncode == 2
    assert errors(result.stderr) == [
        f"error: no database at {elsewhere / 'data' / 'bot.sqlite3'} (DATABASE_PATH from the default); "
        f"DATABASE_PATH=data/bot.sqlite3 is relative, so it is looked for in the folder this command runs in "
        f"({elsewhere}): `backup` never creates one. To act on the bot's own database, give this command the "
        "settings file the bot runs with: python -m bot --env-file PATH backup"
    ]
    assert list(elsewhere.iterdir()) == [], "no empty database was created, and no backup of one"


def test_backup_prints_absolute_paths_and_verifies_the_copy(tmp_path: Path) -> None:
    database = made_database(tmp_path)
    result = run_bot(tmp_path, "backup", "backups/copy.sqlite3", DATABASE_PATH="data/bot.sqlite3")
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "backups" / "copy.sqlite3"
    assert result.stdout.startswith(f"backed up {database} to {copy} (") and "quick_check ok" in result.stdout
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("kept",)
    assert [p.name for p in copy.parent.iterdir()] == ["copy.sqlite3"], "no partial file is left behind"


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("data/bot.sqlite3", "{dest} is the live database itself: give the backup another file name"),
        ("data/../data/bot.sqlite3", "{dest} is the live database itself: give the backup another file name"),
        ("data/bot.sqlite3-wal", "{dest} is the live database itself: give the backup another file name"),
        ("data", "{dest} is a folder: give the backup a file name inside it"),
        ("a-file/copy.sqlite3", "cannot write the backup to {dest}: Not a directory"),
    ],
)
def test_backup_refuses_the_live_database_and_unwritable_places(tmp_path: Path, destination: str, message: str) -> None:
    database = made_database(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    before = database.read_bytes()
    result = run_bot(tmp_path, "backup", destination, DATABASE_PATH="data/bot.sqlite3")
    assert result.returncode == 2
    assert errors(result.stderr) == ["error: " + message.format(dest=tmp_path / destination)]
    assert database.read_bytes() == before
