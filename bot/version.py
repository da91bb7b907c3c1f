"""The running version, from the installed package's metadata (pyproject.toml's `version`)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "heated-rivalry-bot"


def bot_version() -> str:
    """'0.2.0', or 'development copy' when the package is not installed (run from a bare checkout)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "development copy"
