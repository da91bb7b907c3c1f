"""The database: one aiosqlite connection, numbered SQL migrations, typed accessors, and its files on disk."""

from bot.db.database import Database, DatabaseBusy, Migration, MigrationError, interactive, load_migrations
from bot.db.files import (
    AlreadyRunning,
    DatabaseFileError,
    Restored,
    backup_file,
    instance_lock,
    lock_holder,
    restore_file,
)

__all__ = [
    "AlreadyRunning",
    "Database",
    "DatabaseBusy",
    "DatabaseFileError",
    "Migration",
    "MigrationError",
    "Restored",
    "backup_file",
    "instance_lock",
    "interactive",
    "load_migrations",
    "lock_holder",
    "restore_file",
]
