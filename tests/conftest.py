"""Shared fixtures: the bundled catalogue, a fresh database on a temp file, a well-formed fake token."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.db import Database

APPLICATION_ID = 1234567890123456789


def make_token(application_id: int = APPLICATION_ID) -> str:
    """A token with Discord's shape whose first part encodes `application_id`; it opens nothing real."""
    first = base64.urlsafe_b64encode(str(application_id).encode()).decode().rstrip("=")
    return f"{first}.GhR1vl.{'x' * 38}"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database.open(tmp_path / "bot.sqlite3") as database:
        yield database
