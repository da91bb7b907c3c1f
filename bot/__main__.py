"""`python -m bot [run|check|sync|backup|demo|catalogue]`: the operator's entry points.

Every configuration problem ends as one line on stderr naming what to fix, with exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import discord
from discord.ext import commands

from bot import overlays
from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue, CatalogueError, load_catalogue
from bot.db import Database, DatabaseBusy, DatabaseFileError, MigrationError, backup_file, instance_lock
from bot.endpoints import apply_endpoints
from bot.invite import invite_url
from bot.musicbrainz import MusicBrainzError
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from bot.sync import sync_commands
from bot.version import bot_version

CONFIG_ERROR = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The Heated Rivalry fan-server bot.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {bot_version()}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and serve (the default)")
    sub.add_parser("check", help="validate settings, catalogue and database without connecting")
    sync = sub.add_parser("sync", help="sync slash commands now, even if unchanged")
    sync.add_argument("--guild", type=int, help="sync to this one server id (instant) instead of globally")
    backup = sub.add_parser("backup", help="write a consistent copy of the database to PATH")
    backup.add_argument("path", type=Path)
    sub.add_parser("demo", help="run the bot against a local emulated Discord and print a fan-server session")
    overlays.add_arguments(sub.add_parser("catalogue", help="check overlays, or import one from MusicBrainz"))
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
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
        print(
            f"error: DATABASE_PATH {settings.database_path.absolute()} stayed locked by another program while the "
            "bot started: close it (a backup tool, an sqlite3 shell), then start again",
            file=sys.stderr,
        )
        return CONFIG_ERROR
    except discord.LoginFailure:
        print(
            "error: Discord refused DISCORD_TOKEN (401 Unauthorized): the token was reset or mistyped; "
            "copy a fresh one from the Developer Portal → Bot → Reset Token.",
            file=sys.stderr,
        )
        return CONFIG_ERROR
    except aiohttp.ClientConnectionError as exc:
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
    if args.command == "backup":  # reads the live file as it is: never creates, migrates or locks it
        source, destination, size = await asyncio.to_thread(backup_file, settings.database_path, args.path)
        print(f"backed up {source} to {destination} ({size:,} bytes, quick_check ok)")
        return 0
    if args.command == "check":  # may run beside the bot: it only replans what the bot would plan
        async with Database.open(settings.database_path) as db:
            return await check(settings, catalogue, db)
    with instance_lock(settings.database_path):  # held until the process ends: one bot per database
        async with Database.open(settings.database_path) as db:
            apply_endpoints(settings)
            if args.command == "sync":
                return await force_sync(settings, catalogue, db, guild_id=args.guild or settings.dev_guild_id)
            await run(settings, catalogue, db)
            return 0


async def run(settings: Settings, catalogue: Catalogue, db: Database) -> None:
    """Serve until SIGINT/SIGTERM, then close the gateway and HTTP session; the caller closes the database."""
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows has no loop signal handlers
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        await bot.start(settings.require_token())


async def force_sync(settings: Settings, catalogue: Catalogue, db: Database, *, guild_id: int | None) -> int:
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, sync_on_start=False) as bot:
        await bot.login(settings.require_token())  # runs setup_hook: extensions load, tree fills
        await sync_commands(bot, guild_id=guild_id, force=True)
    print("slash commands synced " + (f"to server {guild_id}" if guild_id else "globally"))
    return 0


async def check(settings: Settings, catalogue: Catalogue, db: Database) -> int:
    print(f"settings: ok ({settings!r})")
    print(f"catalogue: ok, {catalogue.coverage} ({' + '.join(catalogue.files)})")
    for conflict in catalogue.conflicts:
        print(f"  conflict: {conflict}")
    print(f"database: ok, {db.path} at schema version {await db.schema_version()}, quick_check ok")
    # The features load as at a start (replanning every server's reminders) but nothing connects.
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, sync_on_start=False) as bot:
        await bot.load_features()
        report = await bot.reports()
    for line in report.lines:
        print(line)
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    application_id = settings.application_id
    if application_id is None:
        print("invite URL: set DISCORD_TOKEN to see it (the application id is read from the token)")
    else:
        print(f"invite URL: {invite_url(application_id)}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
