"""The database: one aiosqlite connection, numbered SQL migrations, and typed accessors."""

from bot.db.database import Database, Migration, MigrationError, load_migrations

__all__ = ["Database", "Migration", "MigrationError", "load_migrations"]
