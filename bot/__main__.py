"""`python -m bot [--env-file PATH] [run|check|sync|backup|restore|migrate|demo|catalogue]`: the operator's entry
points.

Every configuration problem ends as one line on stderr naming what to fix, with exit status 2. Every command reads
the same settings (`--env-file`: `bot.settings`) and names the database it uses; only `run` ever creates one, so a
command pointed at the wrong folder says where it looked instead of starting an empty database there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import aiohttp
import discord
from discord.ext import commands

from bot import overlays
from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue, CatalogueError, load_catalogue
from bot.db import (
    AlreadyRunning,
    Database,
    DatabaseBusy,
    DatabaseFileError,
    MigrationError,
    backup_file,
    instance_lock,
    load_migrations,
    lock_holder,
    restore_file,
)
from bot.db.copy import CopyMismatch, TableCopy, copy_to_postgresql
from bot.db.postgresql import DatabaseUnreachable, InstanceRunning, PostgresDatabase
from bot.endpoints import apply_endpoints, until_reachable
from bot.invite import invite_url
from bot.leases import LeaseLost, ShardLeases, global_pace
from bot.musicbrainz import MusicBrainzError
from bot.settings import (
    Settings,
    SettingsError,
    check_database_url,
    configure_logging,
    exposed_settings_file,
    load_settings,
    redacted_url,
)
from bot.sync import sync_commands
from bot.version import bot_version

log = logging.getLogger("bot")

CONFIG_ERROR = 2
REPORTS = (
    "check",
    "backup",
    "restore",
    "sync",
    "migrate",
    "catalogue",
)  # they print a report; their log shows problems only
SERVICE = "heated-rivalry-bot"  # the systemd unit (deploy/), named in the steps the messages suggest
RELOAD = (
    f"`systemctl reload {SERVICE}` (a service), `docker compose -f deploy/compose.yaml kill -s HUP bot` (Docker) or "
    "`kill -HUP <its pid>` as its user"
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    settings_file = argparse.ArgumentParser(add_help=False)  # `--env-file` before or after the command
    settings_file.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="read the settings from this file (the one the bot runs with) instead of ./.env; it wins over the "
        "environment",
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="The Heated Rivalry fan-server bot.", parents=[settings_file]
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {bot_version()}")
    sub = parser.add_subparsers(dest="command")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, parents=[settings_file])

    command("run", "connect to Discord and serve (the default)")
    command("check", "validate settings, catalogue and database without connecting")
    sync = command("sync", "sync slash commands now, even if unchanged (the running bot is asked to)")
    sync.add_argument("--guild", type=int, help="sync to this one server id (instant) instead of globally")
    backup = command("backup", "write a consistent copy of the database to PATH")
    backup.add_argument("path", type=Path)
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    restore = command("restore", "replace the database with the backup PATH (stop the bot first)")
    restore.add_argument("path", type=Path)
    migrate = command("migrate", "copy the SQLite database into an empty PostgreSQL database, and verify the copy")
    migrate.add_argument("--to", required=True, metavar="URL", help="the PostgreSQL database: postgresql://…")
    command("demo", "run the bot against a local emulated Discord and print a fan-server session")
    overlays.add_arguments(command("catalogue", "check overlays, or import one from MusicBrainz"))
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    args.env_file = getattr(args, "env_file", None)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        code = _main(args)
        sys.stdout.flush()  # a reader that went away shows here rather than as a traceback at exit
    except BrokenPipeError:  # `python -m bot demo | head`: the reader has what it wanted (Python docs, signal)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


def _main(args: argparse.Namespace) -> int:
    settings: Settings | None = None
    try:
        settings = load_settings(env_file=args.env_file, demo=args.command == "demo")
        configure_logging(settings, quiet=args.command in REPORTS)
        exposed = exposed_settings_file(settings)
        if exposed is not None:
            log.warning(exposed)
        if args.command == "catalogue":  # before loading the catalogue: it is how a broken overlay is diagnosed
            return catalogue_command(args, settings)
        if args.command in ("run", "sync"):
            settings.require_token()
        catalogue = load_catalogue(*settings.catalogue_paths)
        return asyncio.run(_dispatch(args, settings, catalogue))
    except (SettingsError, CatalogueError, MigrationError, DatabaseFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    except (DatabaseBusy, commands.ExtensionFailed) as exc:
        if not isinstance(exc, DatabaseBusy) and not isinstance(exc.original, DatabaseBusy):
            raise
        assert settings is not None
        where = (
            f"DATABASE_PATH {settings.database_path.absolute()}"
            if settings.database_url is None
            else f"DATABASE_URL {redacted_url(settings.database_url)}"
        )
        print(
            f"error: {where} stayed locked by another program while the bot started: close it (a backup tool, an "
            "sqlite3 or psql shell), then start again",
            file=sys.stderr,
        )
        return CONFIG_ERROR
    except DatabaseUnreachable as exc:
        print(f"error: {exc}; check that it runs and that this machine reaches it", file=sys.stderr)
        return 1
    except LeaseLost as exc:
        print(f"error: {exc}; stopped so that no two processes run the same shard (start it again)", file=sys.stderr)
        return 1
    except discord.LoginFailure:
        print(
            "error: Discord refused DISCORD_TOKEN (401 Unauthorized): the token was reset or mistyped; "
            "copy a fresh one from the Developer Portal → Bot → Reset Token.",
            file=sys.stderr,
        )
        return CONFIG_ERROR
    except aiohttp.ClientConnectionError as exc:
        assert settings is not None
        print(
            f"error: cannot reach Discord at {settings.api_base} ({exc}); check the network, or "
            "DISCORD_API_BASE / DISCORD_GATEWAY_URL if you set them.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def catalogue_command(args: argparse.Namespace, settings: Settings) -> int:
    """`catalogue check|import`: what the overlays change, or one line saying what is wrong (exit 2; 1 for the
    network)."""
    try:
        lines = asyncio.run(overlays.run(args, settings.catalogue_paths))
    except MusicBrainzError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


async def _dispatch(args: argparse.Namespace, settings: Settings, catalogue: Catalogue) -> int:
    if args.command == "demo":  # its own temporary database; the operator's is never touched
        from bot.demo import run_demo

        await run_demo(catalogue, sys.stdout)
        return 0
    if settings.database_url is not None and args.command in ("backup", "restore"):
        raise DatabaseFileError(
            f"DATABASE_URL is set: the bot's database is PostgreSQL's ({redacted_url(settings.database_url)}), so "
            f"back it up and restore it with PostgreSQL's tools (pg_dump, pg_restore), not `{args.command}`"
        )
    if args.command == "restore":
        return restore(settings, args.path)
    uses_sqlite = settings.database_url is None or args.command == "migrate"
    if args.command != "run" and uses_sqlite and not settings.database_path.exists():
        if args.command == "check":
            return await check(settings, catalogue, None)
        raise DatabaseFileError(no_database(settings, args.command))
    if args.command == "backup":  # reads the live file as it is: never creates, migrates or locks it
        source, destination, size = await asyncio.to_thread(
            backup_file, settings.database_path, args.path, force=args.force
        )
        print(f"backed up {source} to {destination} ({size:,} bytes, quick_check ok)")
        return 0
    if args.command == "check":  # may run beside the bot: it only replans what the bot would plan
        async with Database.open(settings.database) as db:
            return await check(settings, catalogue, db)
    if args.command == "sync":
        return await sync(settings, catalogue, guild_id=args.guild)
    if args.command == "migrate":
        return await migrate(settings, check_database_url(args.to) or "")
    if hasattr(signal, "SIGHUP"):  # until `run` answers it: `sync` beside a bot still starting must not end it
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    async with serving(settings, alone=False) as db:  # held until the process ends: one bot per database or shard
        apply_endpoints(settings)
        await run(settings, catalogue, db)
        return 0


@contextlib.asynccontextmanager
async def serving(settings: Settings, *, alone: bool = True) -> AsyncIterator[Database]:
    """The bot's database, with its lock held for the block: the lock file beside SQLite's; on PostgreSQL, when
    `alone` (a command that needs no bot running: `sync`), its instance lock (`PostgresDatabase.instance_lock`). A
    bot on PostgreSQL holds leases on its shards instead (`bot.leases`). Raises `AlreadyRunning` / `InstanceRunning`."""
    variable = "DATABASE_PATH" if settings.database_url is None else "DATABASE_URL"
    async with contextlib.AsyncExitStack() as stack:
        if settings.database_url is None:
            stack.enter_context(instance_lock(settings.database_path))
        db = await stack.enter_async_context(Database.open(settings.database))
        if isinstance(db, PostgresDatabase) and alone:
            await stack.enter_async_context(db.instance_lock())
        log.info("database: %s (%s from %s)", db.where, variable, settings.origin(variable))
        yield db


async def migrate(settings: Settings, url: str) -> int:
    """Copy the SQLite database (the bot stopped) into the empty PostgreSQL database `url`, and print the check."""
    try:
        with instance_lock(settings.database_path):
            async with Database.open(settings.database_path) as db:
                try:
                    tables = await copy_to_postgresql(db, url)
                except CopyMismatch as mismatch:
                    print_copy(mismatch.tables)
                    raise
    except AlreadyRunning as running:
        raise DatabaseFileError(
            f"the bot is running on DATABASE_PATH {running.database} ({running.holder}): stop it first, so that "
            "nothing changes while it is copied; nothing was copied"
        ) from None
    print_copy(tables)
    print(
        f"copied {sum(t.rows for t in tables):,} rows in {len(tables)} tables from {settings.database_path.absolute()} "
        f"to {redacted_url(url)}, every table checked. Set DATABASE_URL to it in the bot's settings and start the bot."
    )
    return 0


def print_copy(tables: Sequence[TableCopy]) -> None:
    width = max(len("table"), *(len(t.table) for t in tables))
    print(f"{'table':<{width}}  {'SQLite rows':>11}  {'PostgreSQL rows':>15}  checksum (SQLite / PostgreSQL)")
    for t in tables:
        same = "ok" if t.matches else "DIFFERENT"
        print(f"{t.table:<{width}}  {t.rows:>11,}  {t.copied:>15,}  {t.checksum} / {t.copied_checksum}  {same}")


def no_database(settings: Settings, command: str) -> str:
    """Where a command looked for the database and found none, and how to point it at the bot's."""
    path = settings.database_path
    relative = (
        ""
        if path.is_absolute()
        else f"; DATABASE_PATH={path} is relative, so it is looked for in the folder this command runs in ({Path.cwd()})"
    )
    return (
        f"no database at {path.absolute()} (DATABASE_PATH from {settings.origin('DATABASE_PATH')}){relative}: "
        f"`{command}` never creates one. To act on the bot's own database, give this command the settings file the "
        f"bot runs with: python -m bot --env-file PATH {command}"
    )


async def run(settings: Settings, catalogue: Catalogue, db: Database) -> None:
    """Serve until SIGINT/SIGTERM, then close the gateway and HTTP session; the caller closes the database.

    Discord is waited for at start (`until_reachable`), so a network that comes up after the bot never stops the
    service; SIGHUP syncs the slash commands (`HeatedRivalryBot.sync_on_request`). On PostgreSQL the process holds a
    lease on each of its shards (`bot.leases`), given back at exit; losing them stops it (`LeaseLost`, exit status 1).
    """
    closing: list[asyncio.Task[None]] = []  # held, so the task is not collected while it runs
    leases = ShardLeases(db, on_lost=lambda: stop()) if isinstance(db, PostgresDatabase) else None
    try:
        pace = global_pace(settings, db)
        async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, leases=leases, pace=pace) as bot:
            reachable = asyncio.create_task(until_reachable(settings.api_base))

            def stop() -> None:
                reachable.cancel()
                closing.append(asyncio.create_task(bot.close()))

            handlers: dict[int, Callable[[], None]] = {signal.SIGINT: stop, signal.SIGTERM: stop}
            if hasattr(signal, "SIGHUP"):
                handlers[signal.SIGHUP] = bot.sync_on_request
            loop = asyncio.get_running_loop()
            for sig, handler in handlers.items():
                with contextlib.suppress(NotImplementedError):  # Windows has no loop signal handlers
                    loop.add_signal_handler(sig, handler)
            try:
                await reachable
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                return  # stopped while waiting for Discord
            await bot.start(settings.require_token())
    finally:
        if leases is not None:
            await leases.release()
    if leases is not None and leases.lost:
        raise LeaseLost("lost the database connection that held this process's shards")


async def sync(settings: Settings, catalogue: Catalogue, *, guild_id: int | None) -> int:
    """Sync now; when the bot runs on this database, ask it to (SIGHUP), as it serves the commands it would sync."""
    try:
        async with serving(settings) as db:
            apply_endpoints(settings)
            return await force_sync(settings, catalogue, db, guild_id=guild_id or settings.dev_guild_id)
    except AlreadyRunning as running:
        return ask_the_running_bot_to_sync(settings, running, guild_id)
    except InstanceRunning as running:  # PostgreSQL: the bot may run on another machine, beyond a signal's reach
        raise DatabaseFileError(
            f"the bot is running on DATABASE_URL {redacted_url(settings.database_url or '')} ({running.holder}): ask "
            f"it to sync with {RELOAD}, where it runs; or stop it and run sync again"
        ) from None


async def force_sync(settings: Settings, catalogue: Catalogue, db: Database, *, guild_id: int | None) -> int:
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, sync_on_start=False) as bot:
        await bot.login(settings.require_token())  # runs setup_hook: extensions load, tree fills
        await sync_commands(bot, guild_id=guild_id, force=True)
    where = f"to server {guild_id}" if guild_id else "globally"
    print(f"slash commands synced {where} (database {db.where})")
    return 0


def ask_the_running_bot_to_sync(settings: Settings, running: AlreadyRunning, guild_id: int | None) -> int:
    """Signal the bot that holds the database's lock (SIGHUP), or say exactly how to ask it."""
    where = f"to server {settings.dev_guild_id}" if settings.dev_guild_id else "globally"
    bot = f"the bot is running on DATABASE_PATH {running.database} ({running.holder})"
    if guild_id is not None and guild_id != settings.dev_guild_id:
        raise DatabaseFileError(
            f"{bot} and syncs {where}, as its settings say: to sync to server {guild_id} once, stop it first; or set "
            f"DEV_GUILD_ID={guild_id} in its settings and restart it"
        )
    pid = lock_holder(running.database)
    try:
        if pid is None:
            raise ProcessLookupError
        os.kill(pid, signal.SIGHUP)
    except (OSError, AttributeError):  # cannot see or signal it (another user, container), or no SIGHUP (Windows)
        raise DatabaseFileError(
            f"{bot} and this command cannot signal it: ask it to sync with {RELOAD}; or stop it and run sync again"
        ) from None
    print(
        f"asked the running bot (pid {pid}, database {running.database}) to sync its slash commands {where}; "
        "its log says when Discord has them"
    )
    return 0


def restore(settings: Settings, backup: Path) -> int:
    """Replace the database with `backup` while holding its lock, so no bot runs on it meanwhile."""
    database = settings.database_path
    try:
        with instance_lock(database):
            done = restore_file(backup, database, newest_schema=len(load_migrations()))
    except AlreadyRunning as running:
        raise DatabaseFileError(
            f"the bot is running on DATABASE_PATH {running.database} ({running.holder}): stop it first "
            f"(e.g. systemctl stop {SERVICE}), then restore; nothing was changed"
        ) from None
    print(
        f"restored {done.backup} to {done.database} ({done.size:,} bytes, schema version {done.schema_version}, "
        "quick_check ok)"
    )
    if done.kept is None:
        print(f"there was no database there before (DATABASE_PATH from {settings.origin('DATABASE_PATH')})")
    else:
        journal = f", with its last writes in {done.kept_journal}" if done.kept_journal else ""
        print(f"the database it replaced is kept as {done.kept}{journal}")
    print("start the bot again; a backup from an older version is migrated as it starts")
    return 0


async def check(settings: Settings, catalogue: Catalogue, db: Database | None) -> int:
    """What `python -m bot check` prints: the settings, the catalogue, the database and what the features plan."""
    print(f"settings: ok, from {settings.env_file or 'the environment (no .env here)'}")
    for line in settings.describe():
        print(f"  {line}")
    print(f"catalogue: ok, {catalogue.coverage} ({' + '.join(catalogue.files)})")
    for conflict in catalogue.conflicts:
        print(f"  conflict: {conflict}")
    problems: list[str] = []
    if db is None:
        print(
            f"database: none at {settings.database_path.absolute()} yet: the bot creates it when it first starts. If "
            "the bot already runs elsewhere (a service), give this command its settings file: python -m bot "
            "--env-file PATH check"
        )
    else:
        checked = ", quick_check ok" if db.path is not None else ""
        print(f"database: ok, {db.where} at schema version {await db.schema_version()}{checked}")
        # The features load as at a start (replanning every server's reminders) but nothing connects.
        async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, sync_on_start=False) as bot:
            await bot.load_features()
            report = await bot.reports()
        for line in report.lines:
            print(line)
        problems = report.problems
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    application_id = settings.application_id
    if application_id is None:
        print("invite URL: set DISCORD_TOKEN to see it (the application id is read from the token)")
    else:
        print(f"invite URL: {invite_url(application_id)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
