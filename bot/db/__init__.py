"""The database: SQLite (one file, the default) or PostgreSQL (`DATABASE_URL`) behind one API, numbered SQL
migrations, typed accessors in each feature's store, and SQLite's files on disk."""

from bot.db.database import (
    Database,
    DatabaseBusy,
    Migration,
    MigrationError,
    Reader,
    Row,
    Transaction,
    interactive,
    load_migrations,
)
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
    "Reader",
    "Restored",
    "Row",
    "Transaction",
    "backup_file",
    "instance_lock",
    "interactive",
    "load_migrations",
    "lock_holder",
    "restore_file",
]
