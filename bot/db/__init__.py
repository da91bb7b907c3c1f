"""The database: one aiosqlite connection, numbered SQL migrations, typed accessors, and its files on disk."""

from bot.db.database import Database, DatabaseBusy, Migration, MigrationError, interactive, load_migrations
from bot.db.files import DatabaseFileError, backup_file, instance_lock

__all__ = [
    "Database",
    "DatabaseBusy",
    "DatabaseFileError",
    "Migration",
    "MigrationError",
    "backup_file",
    "instance_lock",
    "interactive",
    "load_migrations",
]
