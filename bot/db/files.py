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
import shutil
import sqlite3
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
RESTORE_HINT = "stop the bot, copy your latest backup over it and delete its -wal and -shm files (README: Restore)"


class DatabaseFileError(Exception):
    """The database file, its lock or a backup cannot be used as asked; the message is one line saying why."""


class AlreadyRunning(DatabaseFileError):
    """Another process holds the database's instance lock; `holder` is what it wrote there (its pid and start)."""

    def __init__(self, database: Path, holder: str) -> None:
        super().__init__(
            f"another copy of the bot is already running on DATABASE_PATH {database} ({holder}): "
            "stop it first, or give this one its own DATABASE_PATH"
        )
        self.database = database
        self.holder = holder


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
                log.warning("%s was readable by other users (%o); it is now private (%o)", path, mode, mode & 0o700)
    return database


def damaged(database: Path, what: str) -> DatabaseFileError:
    """The one line for a file SQLite cannot use: which file, what SQLite said, and how to restore."""
    return DatabaseFileError(f"DATABASE_PATH {database.absolute()} is damaged ({what}): to restore it, {RESTORE_HINT}")


def lock_holder(database: Path) -> int | None:
    """The pid of the process holding `database`'s instance lock, as the kernel tells it (Linux's /proc/locks lists
    every flock with its holder's pid in this process's view and the file's device and inode), or None when it
    cannot be told: not Linux, no lock, or a holder this process cannot see (another pid namespace shows 0).

    The kernel's word, not the pid written in the lock file, which is the holder's own view (a container's pid 1).
    """
    lock = sidecars(database.absolute())[2]
    try:
        found = lock.stat()
        table = Path("/proc/locks").read_text("ascii", "replace")
    except OSError:
        return None
    identity = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"
    for line in table.splitlines():
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 5770 fe:00:2195489 0 EOF"; a waiter has "->" second
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == identity and fields[4].isdigit():
            return int(fields[4]) or None
    return None


@contextlib.contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """Hold an exclusive OS lock on `<database>.lock` for the block: one running bot per database.

    The lock belongs to the open file, so the OS releases it when the process ends in any way, SIGKILL
    included; the file keeps the holder's pid for the refusal message. Raises `AlreadyRunning` naming
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
            raise AlreadyRunning(database.absolute(), holder) from None
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


def backup_file(source: Path, destination: Path, *, force: bool = False) -> tuple[Path, Path, int]:
    """Copy the database `source` to `destination` with SQLite's online backup, safe while the bot writes.

    The copy is written to a private temporary file next to `destination`, checked with `quick_check`, and
    only then renamed over `destination`, so a failed backup never leaves a file that looks like one.
    Returns `(source, destination, size in bytes)` with absolute paths. Raises `DatabaseFileError` when the
    source is missing or empty, the destination is the live database (or one of its files) or a folder, exists
    already (unless `force`), cannot be written, or the copy fails its check.
    """
    source, destination = source.absolute(), destination.absolute()
    if not source.is_file() or source.stat().st_size == 0:
        state = "is empty (0 bytes)" if source.is_file() else "does not exist"
        raise DatabaseFileError(
            f"the database {source} {state}: nothing to back up. Run this from the bot's folder, or give it the "
            "bot's settings file (python -m bot --env-file PATH backup …)"
        )
    _not_the_live_database(destination, source, "the backup")
    if destination.exists() and not force:
        raise DatabaseFileError(f"{destination} exists already: give the backup another name, or --force to replace it")
    size = _verified_copy(source, destination)
    return source, destination, size


def _not_the_live_database(path: Path, database: Path, what: str) -> None:
    live = {database.resolve(), *(p.resolve() for p in sidecars(database))}
    if path.resolve() in live or (path.exists() and database.exists() and path.samefile(database)):
        raise DatabaseFileError(f"{path} is the live database itself: give {what} another file name")
    if path.is_dir():
        raise DatabaseFileError(f"{path} is a folder: give {what} a file name inside it")


def _verified_copy(source: Path, destination: Path) -> int:
    """Copy the database `source` to `destination` (SQLite's backup API, through a private temporary file checked with
    `quick_check`, then renamed into place); the copy's size in bytes. Raises `DatabaseFileError`."""
    private_folder(destination.parent)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # left by an earlier copy with the same pid that was killed
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
    return size


@dataclass(frozen=True, slots=True)
class Restored:
    """What `restore_file` did: every path absolute."""

    backup: Path
    database: Path
    size: int
    schema_version: int
    kept: Path | None  # the database it replaced, renamed beside it; None when there was none
    kept_journal: Path | None  # that database's -wal, kept beside it under the matching name, if it had one


def restore_file(backup: Path, database: Path, *, newest_schema: int) -> Restored:
    """Replace `database` with a checked copy of `backup`; the caller holds `instance_lock`, so no bot runs on it.

    The backup is copied with SQLite's backup API to a private file beside the database and checked
    (`quick_check`, and a schema version this bot knows: at most `newest_schema`) before anything else is touched.
    Then the database it replaces is kept beside it as `<name>.replaced-<UTC time>` (its `-wal`, which may hold its
    last writes, as `<that name>-wal`, so SQLite still reads them together), the stale `-wal` and `-shm` are
    removed (SQLite would otherwise replay the old journal into the restored file), and the copy takes its place.
    The live name always holds a database: the old one is linked to its new name before the copy replaces it.
    Raises `DatabaseFileError` with one line saying why nothing was done.
    """
    backup, database = backup.absolute(), database.absolute()
    if not backup.is_file() or backup.stat().st_size == 0:
        state = "is empty (0 bytes)" if backup.is_file() else "does not exist"
        raise DatabaseFileError(f"the backup {backup} {state}: nothing to restore")
    _not_the_live_database(backup, database, "the backup")
    private_folder(database.parent)
    incoming = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    try:
        size, version = _checked_copy(backup, incoming)
        if version < 1:
            raise DatabaseFileError(
                f"the backup {backup} is not a database of this bot (it has no schema version): choose a file "
                "`python -m bot backup` wrote"
            )
        if version > newest_schema:
            raise DatabaseFileError(
                f"the backup {backup} was made by a newer version of the bot (schema {version}; this one knows up to "
                f"{newest_schema}): upgrade the bot first, or restore a backup made by this version"
            )
        wal, shm, _ = sidecars(database)
        kept = _keep(database) if database.exists() else None
        kept_journal = None
        if kept is not None and wal.exists():
            kept_journal = kept.with_name(kept.name + "-wal")
            _link_or_move(wal, kept_journal)
        for stale in (wal, shm):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        os.replace(incoming, database)
    except OSError as error:
        raise DatabaseFileError(f"cannot restore into {database}: {error.strerror or error}") from error
    finally:
        for leftover in (incoming, *sidecars(incoming)[:2]):
            with contextlib.suppress(OSError):  # in place already, or refused
                leftover.unlink()
    return Restored(backup, database, size, version, kept, kept_journal)


def _checked_copy(backup: Path, incoming: Path) -> tuple[int, int]:
    """Copy the backup file as it is (with its `-wal`, if it has one) to the new private file `incoming`, and check
    the copy; its size and schema version. The backup is only read, so it may sit on a read-only medium.
    Raises `DatabaseFileError` when the copy is not a sound SQLite database."""
    for source, target in zip((backup, sidecars(backup)[0]), (incoming, sidecars(incoming)[0]), strict=True):
        if source.exists():
            with contextlib.suppress(FileNotFoundError):
                target.unlink()  # left by an earlier restore with the same pid that was killed
            _create_private(target)
            shutil.copyfile(source, target)
    try:
        with contextlib.closing(sqlite3.connect(incoming)) as conn:  # closing folds the copied -wal in
            problems = quick_check(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as error:
        problems, version = [str(error)], 0
    if problems:
        raise DatabaseFileError(
            f"the backup {backup} is damaged ({'; '.join(problems)}): nothing was restored; choose another backup"
        )
    return incoming.stat().st_size, version


def _keep(database: Path) -> Path:
    """Give the current database a second name beside it, `<name>.replaced-<UTC time>`; that name."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 100):
        kept = database.with_name(f"{database.name}.replaced-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
        if not kept.exists():
            _link_or_move(database, kept)
            return kept
    raise DatabaseFileError(f"too many {database.name}.replaced-{stamp}* files beside {database}: move some away")


def _link_or_move(path: Path, new: Path) -> None:
    """`new` names the file `path` names: a hard link, so `path` still exists meanwhile; moved where links fail."""
    try:
        os.link(path, new)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        os.rename(path, new)
