"""The database as files on disk: private modes, one instance per file, damage and emptiness, verified backups.

Everything the bot creates next to its data is private to the account it runs as: folders `0700`, and the
database, its `-wal`/`-shm` files (SQLite gives them the database file's mode), the lock file and every
backup `0600`, created with that mode rather than changed afterwards, so no other local user can read
who voted for what even for an instant.

Every problem is a `DatabaseFileError` whose message is one line for the operator: the absolute path,
what is wrong, and what to do. `python -m bot` prints it and exits with status 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
RESTORE_HINT = "stop the bot, copy your latest backup over it and delete its -wal and -shm files (README: Restore)"


class DatabaseFileError(Exception):
    """The database file, its lock or a backup cannot be used as asked; the message is one line saying why."""


def sidecars(database: Path) -> tuple[Path, Path, Path]:
    """The files SQLite and the bot keep next to `database`: `-wal`, `-shm` and the instance `.lock`."""
    return (
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
        database.with_name(database.name + ".lock"),
    )


def private_folder(folder: Path) -> None:
    """Create `folder` and any missing parent with mode 0700; folders that exist are left as they are.

    Raises `DatabaseFileError` naming the folder when it cannot be created (no permission, a file in the way).
    """
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            pass  # made meanwhile by another process
        except OSError as error:
            raise DatabaseFileError(f"cannot create the folder {path}: {error.strerror or error}") from error


def _create_private(path: Path) -> None:
    """Create `path` as an empty 0600 file; `FileExistsError` if it exists (`O_EXCL`), `OSError` otherwise."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def prepare_database_file(database: Path) -> Path:
    """Make `database` ready for SQLite to open, and return its absolute path: its folder, a new private file,
    or an existing non-empty one.

    A file of 0 bytes is refused: the bot writes the header as it creates a database, so an empty file is
    one that was truncated or replaced, and starting on it would silently start with no data. An existing
    file readable by others (made by an older version) is made private, with one log line.
    Raises `DatabaseFileError`.
    """
    database = database.absolute()
    private_folder(database.parent)
    try:
        _create_private(database)
        return database
    except FileExistsError:
        pass
    except OSError as error:
        raise DatabaseFileError(f"cannot create the database {database}: {error.strerror or error}") from error
    found = database.stat()
    if not stat.S_ISREG(found.st_mode):
        raise DatabaseFileError(f"DATABASE_PATH {database} is not a file: point DATABASE_PATH at the database file")
    if found.st_size == 0:
        raise DatabaseFileError(
            f"DATABASE_PATH {database} is empty (0 bytes): the database was truncated or replaced. To restore it, "
            f"{RESTORE_HINT}; to start afresh with no data, delete the empty file"
        )
    for path in (database, *sidecars(database)[:2]):
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                path.chmod(mode & 0o700)
                log.info("%s was readable by other users (%o); it is now private (%o)", path, mode, mode & 0o700)
    return database


def damaged(database: Path, what: str) -> DatabaseFileError:
    """The one line for a file SQLite cannot use: which file, what SQLite said, and how to restore."""
    return DatabaseFileError(f"DATABASE_PATH {database.absolute()} is damaged ({what}): to restore it, {RESTORE_HINT}")


@contextlib.contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """Hold an exclusive OS lock on `<database>.lock` for the block: one running bot per database.

    The lock belongs to the open file, so the OS releases it when the process ends in any way, SIGKILL
    included; the file keeps the holder's pid for the refusal message. Raises `DatabaseFileError` naming
    the running process when another one holds it. Where `fcntl` is missing (Windows) it is not enforced,
    with a warning.
    """
    try:
        import fcntl
    except ImportError:
        log.warning("only one bot per database is not enforced on %s: do not start two on %s", sys.platform, database)
        yield
        return
    lock = sidecars(database.absolute())[2]
    private_folder(lock.parent)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as error:
        raise DatabaseFileError(f"cannot create the lock file {lock}: {error.strerror or error}") from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "a process that has not said its pid"
            raise DatabaseFileError(
                f"another copy of the bot is already running on DATABASE_PATH {database.absolute()} ({holder}): "
                "stop it first, or give this one its own DATABASE_PATH"
            ) from None
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


QUICK_CHECK = "PRAGMA quick_check(5)"  # SQLite's fast structural check; at most 5 findings


def findings(rows: list[str]) -> list[str]:
    """`QUICK_CHECK`'s answer as problems, each on one line: `[]` when it said "ok"."""
    return [] if rows == ["ok"] else [" ".join(row.split()) for row in rows]


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """The problems `QUICK_CHECK` finds in `conn`'s database; `[]` when it is sound."""
    return findings([str(row[0]) for row in conn.execute(QUICK_CHECK).fetchall()])


def backup_file(source: Path, destination: Path) -> tuple[Path, Path, int]:
    """Copy the database `source` to `destination` with SQLite's online backup, safe while the bot writes.

    The copy is written to a private temporary file next to `destination`, checked with `quick_check`, and
    only then renamed over `destination`, so a failed backup never leaves a file that looks like one.
    Returns `(source, destination, size in bytes)` with absolute paths. Raises `DatabaseFileError` when the
    source is missing or empty, the destination is the live database (or one of its files) or a folder,
    the destination cannot be written, or the copy fails its check.
    """
    source, destination = source.absolute(), destination.absolute()
    if not source.is_file() or source.stat().st_size == 0:
        state = "is empty (0 bytes)" if source.is_file() else "does not exist"
        raise DatabaseFileError(
            f"the database {source} {state}: nothing to back up. Run this from the bot's folder, or set "
            "DATABASE_PATH to the database the bot uses"
        )
    live = {source.resolve(), *(p.resolve() for p in sidecars(source))}
    if destination.resolve() in live or (destination.exists() and destination.samefile(source)):
        raise DatabaseFileError(f"{destination} is the live database itself: give the backup another file name")
    if destination.is_dir():
        raise DatabaseFileError(f"{destination} is a folder: give the backup a file name inside it")
    private_folder(destination.parent)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # left by an earlier backup with the same pid that was killed
        _create_private(partial)
        with (
            contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True)) as live_conn,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            live_conn.backup(copy)
            problems = quick_check(copy)
        if problems:
            raise DatabaseFileError(
                f"the copy of {source} failed its check ({'; '.join(problems)}); nothing was written"
            )
        size = partial.stat().st_size
        os.replace(partial, destination)
    except sqlite3.OperationalError as error:  # cannot open, read or write: not damage
        raise DatabaseFileError(f"cannot back up {source} to {destination}: {error}") from error
    except sqlite3.DatabaseError as error:
        raise damaged(source, str(error)) from error
    except OSError as error:
        raise DatabaseFileError(f"cannot write the backup to {destination}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):  # renamed already, or never made
            partial.unlink()
    return source, destination, size
