"""Operator settings, read from the environment and a settings file, validated before anything connects.

Every problem is reported as one line that names the variable and says how to fix it, so an
operator never has to read a traceback to get the bot running.

Where settings come from (`load_settings`), in the order that decides:
- `python -m bot --env-file PATH`: that file, then the environment for what the file does not set. The named file
  wins, as systemd's `EnvironmentFile=` wins over `Environment=` (systemd.exec(5)), so every command given the
  service's settings file acts on the service's database and settings whatever the shell exports.
- without it: the environment, then `./.env` for what the environment does not set (python-dotenv's own rule),
  so `LOG_LEVEL=DEBUG python -m bot` works for one run.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from bot.shards import ALL, ShardRange, format_ids, parse_ids

if sys.platform != "win32":
    import pwd

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
DEFAULT_DATABASE_PATH = "data/bot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# A bot token is three dot-separated base64url parts: the bot's user id, a timestamp, an HMAC.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
_SNOWFLAKE_RE = re.compile(r"^[0-9]{15,21}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is the one line shown to the operator."""


DEFAULT_ENV_FILE = Path(".env")
ENVIRONMENT = "the environment"  # where a variable came from, when no file set it (`Settings.origin`)


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None
    database_path: Path
    catalogue_paths: tuple[Path, ...]  # CATALOGUE_PATH: overlays laid over the bundled catalogue in this order
    dev_guild_id: int | None
    log_level: str
    api_base: str
    gateway_url: str
    global_rate: float = 50.0  # DISCORD_GLOBAL_RATE: requests per second the bot paces itself under (bot.pacing)
    database_url: str | None = None  # DATABASE_URL: PostgreSQL instead of SQLite at `database_path`
    shards: ShardRange = ALL  # SHARD_COUNT, SHARD_IDS: the shards this process runs (`bot.shards`)
    env_file: Path | None = None  # the settings file that was read (absolute), if any
    origins: Mapping[str, str] = field(default_factory=dict)  # variable -> the file or ENVIRONMENT that set it

    @property
    def database(self) -> Path | str:
        """The database the bot runs on: PostgreSQL's URL when DATABASE_URL is set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def application_id(self) -> int | None:
        """The bot's user id, which is its application id, decoded from the token without a network call."""
        return application_id_from_token(self.token) if self.token else None

    def require_token(self) -> str:
        if self.token is None:
            raise SettingsError(
                "DISCORD_TOKEN is not set: put your bot token in .env (copy .env.example) or the "
                "environment. Get it from the Discord Developer Portal → your application → Bot → Reset Token."
            )
        return self.token

    def origin(self, name: str) -> str:
        """Where the variable `name` was read: a file, the environment, or "the default"."""
        return self.origins.get(name, "the default")

    def describe(self) -> list[str]:
        """The settings as `check` prints them: one line each, the token's presence only, never its value."""
        token = "set" if self.token else "not set (needed to run, and for the invite link)"
        overlays = ", ".join(str(p) for p in self.catalogue_paths) or "none (the bundled catalogue alone)"
        return [
            f"DISCORD_TOKEN: {token}",
            f"DATABASE_PATH: {self.database_path.absolute()} (from {self.origin('DATABASE_PATH')})"
            + (
                " (not used while DATABASE_URL is set, except as what `migrate --to` copies)"
                if self.database_url
                else ""
            ),
            "DATABASE_URL: "
            + (
                f"{redacted_url(self.database_url)} (from {self.origin('DATABASE_URL')})"
                if self.database_url
                else "not set (SQLite at DATABASE_PATH)"
            ),
            f"CATALOGUE_PATH: {overlays}",
            f"DEV_GUILD_ID: {self.dev_guild_id or 'none (global commands)'}",
            f"LOG_LEVEL: {self.log_level}",
            f"DISCORD_API_BASE: {self.api_base}",
            f"DISCORD_GATEWAY_URL: {self.gateway_url}",
            f"DISCORD_GLOBAL_RATE: {self.global_rate:g} requests per second",
            f"SHARD_COUNT, SHARD_IDS: {self.shards.describe()}",
        ]

    def __repr__(self) -> str:  # never let the token reach a log line or a traceback
        token = "set" if self.token else "not set"
        return (
            f"Settings(token={token}, database_path={self.database_path!s}, "
            f"database_url={self.database_url and redacted_url(self.database_url)}, "
            f"catalogue_paths={[str(p) for p in self.catalogue_paths]}, dev_guild_id={self.dev_guild_id}, "
            f"log_level={self.log_level}, api_base={self.api_base}, gateway_url={self.gateway_url})"
        )


def application_id_from_token(token: str) -> int | None:
    first = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if _SNOWFLAKE_RE.match(decoded) else None


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = None, demo: bool = False
) -> Settings:
    """Read and check the settings: from `environ` as given (tests, the emulator harness), else from the process
    environment and a settings file, as the module docstring says (`env_file`: the operator's `--env-file`).

    `demo`: the demo needs no token and keeps its own temporary database, so DISCORD_TOKEN and DATABASE_PATH are
    not read at all (a `.env` holding a token the checks would refuse does not stop it).
    """
    origins: dict[str, str] = {}
    found: Path | None = None
    if environ is None:
        found, from_file = read_env_file(env_file)
        where = str(found)
        if env_file is not None:  # the named file wins
            environ = {**os.environ, **from_file}
            origins = {key: where if key in from_file else ENVIRONMENT for key in environ}
        else:  # ./.env fills in what the environment does not set
            environ = {**from_file, **os.environ}
            origins = {key: ENVIRONMENT if key in os.environ else where for key in environ}
    env = {key: value.strip() for key, value in environ.items()}
    if demo:
        env = {key: value for key, value in env.items() if key not in ("DISCORD_TOKEN", "DATABASE_PATH")}
    return Settings(
        token=_token(env.get("DISCORD_TOKEN", "")),
        database_path=_database_path(env.get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        catalogue_paths=_catalogue_paths(env.get("CATALOGUE_PATH", "")),
        dev_guild_id=_dev_guild_id(env.get("DEV_GUILD_ID", "")),
        log_level=_log_level(env.get("LOG_LEVEL") or "INFO"),
        api_base=_url("DISCORD_API_BASE", env.get("DISCORD_API_BASE") or DEFAULT_API_BASE, ("http", "https")),
        gateway_url=_url("DISCORD_GATEWAY_URL", env.get("DISCORD_GATEWAY_URL") or DEFAULT_GATEWAY_URL, ("ws", "wss")),
        global_rate=_global_rate(env.get("DISCORD_GLOBAL_RATE") or "50"),
        database_url=(url := check_database_url(env.get("DATABASE_URL", ""))),
        shards=_shards(env.get("SHARD_COUNT", ""), env.get("SHARD_IDS", ""), url),
        env_file=found,
        origins={key: value for key, value in origins.items() if env.get(key)},
    )


def read_env_file(named: Path | None) -> tuple[Path | None, dict[str, str]]:
    """The settings file's absolute path and its values: `named` (which must be readable), else `./.env` if there
    is one. Raises `SettingsError` naming the file and the fix."""
    path = (named or DEFAULT_ENV_FILE).expanduser().absolute()
    shown = f"--env-file {named}" if named is not None else str(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        if named is None:
            return None, {}
        raise SettingsError(f"{shown}: no such file: give the settings file the bot runs with") from None
    except PermissionError:
        try:
            owner = user_name(path.stat().st_uid)
        except OSError:  # its folder is closed too
            owner = "<the bot's user>"
        raise SettingsError(
            f"{shown}: this user ({current_user()}) may not read it (it holds the token): run the command as the "
            f"user the bot runs as, e.g. sudo -u {owner} python -m bot --env-file {path} …"
        ) from None
    except IsADirectoryError:
        raise SettingsError(f"{shown} is a folder: give the settings file itself (a .env file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{shown}: cannot read it ({exc})") from None
    values = dotenv_values(stream=io.StringIO(text))
    return path, {key: value for key, value in values.items() if value is not None}


def exposed_settings_file(settings: Settings) -> str | None:
    """A warning when the settings file holds the token but other users may read it (as ssh warns for its keys)."""
    path = settings.env_file
    if path is None or settings.token is None or settings.origin("DISCORD_TOKEN") != str(path):
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"the settings file {path} holds the bot's token and other users may read it (mode {mode:04o}): "
        f"run chmod 600 {path}"
    )


def current_user() -> str:
    """The account this process runs as, for messages about permissions."""
    if sys.platform == "win32":
        return os.environ.get("USERNAME", "this user")
    return user_name(os.geteuid())


def user_name(uid: int) -> str:
    """The name of the account `uid` (Unix), or "uid N" when it has none (a container's)."""
    if sys.platform == "win32":
        return f"uid {uid}"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _token(raw: str) -> str | None:
    if not raw:
        return None
    if raw.lower().startswith("bot "):
        raise SettingsError("DISCORD_TOKEN starts with 'Bot ': remove that prefix and keep only the token itself.")
    if raw[0] in "'\"" or raw[-1] in "'\"":
        raise SettingsError("DISCORD_TOKEN is wrapped in quotes that are part of the value: remove the quotes.")
    if not _TOKEN_RE.match(raw):
        raise SettingsError(
            "DISCORD_TOKEN does not look like a bot token (three parts separated by dots, e.g. "
            "'MTE...Xy.Gz12Ab.abc...'): copy it again from the Developer Portal → Bot → Reset Token. "
            "The client secret and the public key are not the token."
        )
    return raw


def _database_path(raw: str) -> Path:
    """Checked without creating anything: the database opens (and makes its folder) only when needed."""
    path = Path(raw).expanduser()
    try:
        if path.is_dir():
            raise SettingsError(f"DATABASE_PATH={raw} is a folder: give a file path such as {path / 'bot.sqlite3'}.")
        existing = path if path.exists() else next(p for p in path.absolute().parents if p.exists())
    except PermissionError:
        closed = next((p for p in reversed(path.absolute().parents) if not os.access(p, os.X_OK)), path.parent)
        owner = user_name(closed.stat().st_uid)
        raise SettingsError(
            f"DATABASE_PATH={raw}: this user ({current_user()}) may not open the folder {closed}, which is "
            f"{owner}'s (permission denied, as a bot's data folder should be): run the command as {owner}, "
            f"e.g. sudo -u {owner} python -m bot …"
        ) from None
    if not existing.is_dir() and existing != path:
        raise SettingsError(
            f"DATABASE_PATH={raw}: cannot create the folder {path.parent}, because {existing} is a file."
        )
    if not os.access(existing, os.W_OK):
        if _read_only_file_system(existing):
            raise SettingsError(
                f"DATABASE_PATH={raw}: {existing.absolute()} is on a read-only file system: point DATABASE_PATH at a "
                "writable place (a systemd service's is its StateDirectory, /var/lib/…)"
            )
        raise SettingsError(
            f"DATABASE_PATH={raw}: {existing} is not writable by this user ({current_user()}); fix its permissions "
            "or choose another path."
        )
    return path


def check_database_url(raw: str) -> str | None:
    """PostgreSQL's connection URL (libpq's form, which asyncpg reads), or None for SQLite."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres") or not (parts.netloc or "host=" in parts.query):
        raise SettingsError(
            f"DATABASE_URL={redacted_url(raw)!r} is not a PostgreSQL URL: write postgresql://USER:PASSWORD@HOST:5432/"
            "DATABASE, or leave it unset to use SQLite at DATABASE_PATH."
        )
    return raw


def redacted_url(url: str) -> str:
    """`url` without its password, to be shown and logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[1]}"))


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows)
        return False


def _catalogue_paths(raw: str) -> tuple[Path, ...]:
    """One overlay file or several separated by `os.pathsep` (`:`; `;` on Windows), in the order they apply."""
    return tuple(_catalogue_path(part.strip()) for part in raw.split(os.pathsep) if part.strip())


def _catalogue_path(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise SettingsError(
            f"CATALOGUE_PATH={raw}: no such file; point it at your overlay TOML file or leave it empty."
        )
    if path.suffix.lower() != ".toml":
        raise SettingsError(f"CATALOGUE_PATH={raw}: the overlay must be a TOML file ending in .toml.")
    if not os.access(path, os.R_OK):
        raise SettingsError(f"CATALOGUE_PATH={raw}: the file is not readable by this user; fix its permissions.")
    return path


def _dev_guild_id(raw: str) -> int | None:
    if not raw:
        return None
    if not _SNOWFLAKE_RE.match(raw):
        raise SettingsError(
            f"DEV_GUILD_ID={raw!r} is not a server id: it must be the 17-20 digit number you get from "
            "right-click on the server → Copy Server ID (Developer Mode on), or empty for global commands."
        )
    return int(raw)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL={raw!r} is not a logging level: use one of {', '.join(LOG_LEVELS)}.")
    return level


def _global_rate(raw: str) -> float:
    """Requests per second, from Discord's global limit (50, Topics › Rate Limits); a higher limit is granted on request."""
    try:
        rate = float(raw)
    except ValueError:
        rate = 0.0
    if not 1 <= rate <= 10_000:
        raise SettingsError(
            f"DISCORD_GLOBAL_RATE={raw!r} is not a rate: give requests per second, 50 unless Discord raised your limit."
        )
    return rate


MAX_SHARDS = 100_000  # far past any bot's count; a larger number is a typo


def _shards(count_raw: str, ids_raw: str, database_url: str | None) -> ShardRange:
    """SHARD_COUNT and SHARD_IDS: this process's shards. Both need PostgreSQL, where the processes sharing the shards
    meet (their leases, their IDENTIFY turns, their share of the global rate: `bot.leases`)."""
    if not count_raw and not ids_raw:
        return ALL
    if not count_raw.isdigit() or not 1 <= int(count_raw) <= MAX_SHARDS:
        shown = (
            f"SHARD_COUNT={count_raw!r} is not a shard count" if count_raw else "SHARD_IDS is set without SHARD_COUNT"
        )
        raise SettingsError(
            f"{shown}: give the total number of shards, the same in every process (e.g. SHARD_COUNT=4), or leave "
            "SHARD_COUNT and SHARD_IDS unset to run every shard in this one process."
        )
    count = int(count_raw)
    ids = parse_ids(ids_raw) if ids_raw else tuple(range(count))
    if ids is None or not ids or ids[-1] >= count:
        raise SettingsError(
            f"SHARD_IDS={ids_raw!r} is not a list of this process's shards: write a range or a list of shard numbers "
            f"from 0 to {count - 1} (SHARD_COUNT={count}), e.g. 0-{max(0, count // 2 - 1)} or 0,2."
        )
    if database_url is None:
        raise SettingsError(
            f"SHARD_COUNT={count} (shards {format_ids(ids)}) needs DATABASE_URL: the processes that share the shards "
            'share one PostgreSQL database (README, "Several processes"); or leave SHARD_COUNT and SHARD_IDS unset.'
        )
    return ShardRange(count, ids)


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise SettingsError(f"{name}={raw!r} is not a valid URL: it must start with {allowed} and name a host.")
    return raw.rstrip("/") if name == "DISCORD_API_BASE" else raw


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Log to stderr at the chosen level, with the token scrubbed from every record.

    `quiet` (the commands that print a report: check, backup, restore, sync, catalogue): warnings and errors only,
    so the report on stdout is not interleaved with the progress of its steps in a terminal.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s"))
    if settings.token:
        handler.addFilter(RedactingFilter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.log_level)
    root.setLevel(max(level, logging.WARNING) if quiet else level)


class RedactingFilter(logging.Filter):
    """Replace the token wherever it would appear in a formatted log line."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg = message.replace(self._secret, "[redacted]")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and self._secret in str(record.exc_info[1]):
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self._secret, "[redacted]")
            record.exc_info = None
        return True
