"""`python -m bot [run|check|sync|backup]`: the operator's entry points.

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

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue, CatalogueError, load_catalogue
from bot.db import Database, MigrationError
from bot.endpoints import apply_endpoints
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from bot.sync import sync_commands

CONFIG_ERROR = 2

# What the features need and nothing more: see the channel, post embeds, and read back the bot's own
# recent posts (a reminder interrupted by a crash is looked for before it is posted again).
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=("bot", "applications.commands"))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The Heated Rivalry fan-server bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and serve (the default)")
    sub.add_parser("check", help="validate settings, catalogue and database without connecting")
    sync = sub.add_parser("sync", help="sync slash commands now, even if unchanged")
    sync.add_argument("--guild", type=int, help="sync to this one server id (instant) instead of globally")
    backup = sub.add_parser("backup", help="write a consistent copy of the database to PATH")
    backup.add_argument("path", type=Path)
    sub.add_parser("demo", help="run the bot against a local emulated Discord and print a fan-server session")
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        if args.command in ("run", "sync"):
            settings.require_token()
        catalogue = load_catalogue(settings.catalogue_path)
        return asyncio.run(_dispatch(args, settings, catalogue))
    except (SettingsError, CatalogueError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
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


async def _dispatch(args: argparse.Namespace, settings: Settings, catalogue: Catalogue) -> int:
    if args.command == "demo":  # its own temporary database; the operator's is never touched
        from bot.demo import run_demo

        await run_demo(catalogue, sys.stdout)
        return 0
    async with Database.open(settings.database_path) as db:
        if args.command == "check":
            return await check(settings, catalogue, db)
        if args.command == "backup":
            await db.backup(args.path)
            print(f"backed up {settings.database_path} to {args.path}")
            return 0
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
    print(f"database: ok, {settings.database_path} at schema version {await db.schema_version()}")
    # The features load as at a start (replanning every server's reminders) but nothing connects.
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue, sync_on_start=False) as bot:
        await bot.load_features()
        for line in await bot.reports():
            print(line)
    application_id = settings.application_id
    if application_id is None:
        print("invite URL: set DISCORD_TOKEN to see it (the application id is read from the token)")
    else:
        print(f"invite URL: {invite_url(application_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
