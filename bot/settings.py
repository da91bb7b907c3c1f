"""Operator settings, read from the environment and `.env`, validated before anything connects.

Every problem is reported as one line that names the variable and says how to fix it, so an
operator never has to read a traceback to get the bot running.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
DEFAULT_DATABASE_PATH = "data/bot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# A bot token is three dot-separated base64url parts: the bot's user id, a timestamp, an HMAC.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
_SNOWFLAKE_RE = re.compile(r"^[0-9]{15,21}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is the one line shown to the operator."""


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

    def __repr__(self) -> str:  # never let the token reach a log line or a traceback
        token = "set" if self.token else "not set"
        return (
            f"Settings(token={token}, database_path={self.database_path!s}, "
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


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env") -> Settings:
    """Read settings from `environ` (default: the process environment, after loading `.env`)."""
    if environ is None:
        if dotenv_path is not None:
            from dotenv import load_dotenv

            load_dotenv(dotenv_path, override=False)
        environ = os.environ
    env = {key: value.strip() for key, value in environ.items()}
    return Settings(
        token=_token(env.get("DISCORD_TOKEN", "")),
        database_path=_database_path(env.get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        catalogue_paths=_catalogue_paths(env.get("CATALOGUE_PATH", "")),
        dev_guild_id=_dev_guild_id(env.get("DEV_GUILD_ID", "")),
        log_level=_log_level(env.get("LOG_LEVEL") or "INFO"),
        api_base=_url("DISCORD_API_BASE", env.get("DISCORD_API_BASE") or DEFAULT_API_BASE, ("http", "https")),
        gateway_url=_url("DISCORD_GATEWAY_URL", env.get("DISCORD_GATEWAY_URL") or DEFAULT_GATEWAY_URL, ("ws", "wss")),
        global_rate=_global_rate(env.get("DISCORD_GLOBAL_RATE") or "50"),
    )


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
    if path.is_dir():
        raise SettingsError(f"DATABASE_PATH={raw} is a folder: give a file path such as {path / 'bot.sqlite3'}.")
    existing = path if path.exists() else next(p for p in path.absolute().parents if p.exists())
    if not existing.is_dir() and existing != path:
        raise SettingsError(
            f"DATABASE_PATH={raw}: cannot create the folder {path.parent}, because {existing} is a file."
        )
    if not os.access(existing, os.W_OK):
        raise SettingsError(
            f"DATABASE_PATH={raw}: {existing} is not writable by this user; fix its permissions or choose another path."
        )
    return path


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


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise SettingsError(f"{name}={raw!r} is not a valid URL: it must start with {allowed} and name a host.")
    return raw.rstrip("/") if name == "DISCORD_API_BASE" else raw


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the chosen level, with the token scrubbed from every record."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s"))
    if settings.token:
        handler.addFilter(RedactingFilter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


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
