"""Shared fixtures: the bundled catalogue, a fresh database on each engine, a well-formed fake token."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.catalogue import Catalogue, load_catalogue
from bot.db import Database
from bot.demo.harness import DEMO_APPLICATION_ID as APPLICATION_ID
from bot.demo.harness import fake_token as make_token
from tests.postgres import NO_SERVER, NoServer, Server, binaries, running

# No timed assertions in tests: hypothesis's per-example deadline (200 ms) is one, and it failed examples that took
# 261 ms only because 4 workers share 2 loaded cores. Speed is measured in `python -m benchmarks`.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

__all__ = ["APPLICATION_ID", "make_token"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): three workers per core. The end-to-end tests mostly wait (on the emulator's
    quiet period after each answer, Discord's 3-second windows, processes starting, PostgreSQL), so one worker per
    core leaves the cores idle: on 2 cores the suite took 263 s with 2 workers and 150 s with 4 (1,015 tests); with
    1,338 tests, 287–304 s with 4 and 228 s with 6.
    """
    return 3 * (os.cpu_count() or 1)


# Test data, not facts: what an operator's overlay completing the tracklist looks like, so that the
# tracklist needs several pages. Titles say they are placeholders.
FULL_TRACKLIST_OVERLAY = (
    '[overlay]\nsources = ["test"]\n[sources]\ntest = { name = "Test data", url = "https://example.org/test" }\n'
    + "".join(f'[[tracks]]\nid = "test-cue-{n}"\ntitle = "Test cue {n}"\nnumber = {n}\n' for n in range(9, 34))
    + '[[tracks]]\nid = "its-you"\nnumber = 34\n'
)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def full_overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("overlay") / "full-tracklist.toml"
    path.write_text(FULL_TRACKLIST_OVERLAY, "utf-8")
    return path


@pytest.fixture(scope="session")
def full_catalogue(full_overlay: Path) -> Catalogue:
    return load_catalogue(full_overlay)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it last, and loudly, when the PostgreSQL tests were skipped: a green run without them proves half."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if NO_SERVER in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} tests did not run on PostgreSQL: {NO_SERVER} (install Debian's postgresql package)",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A real PostgreSQL server for this test process (each xdist worker starts its own), stopped at the end.

    Skipped only where the machine has no PostgreSQL to start; CI (`CI` set) has it installed by `.ci/run`, so there
    its absence fails instead.
    """
    try:
        binaries()
    except NoServer as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    with running() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: Server) -> Iterator[str]:
    """`DATABASE_URL` of a new, empty database on the session's server, dropped after the test."""
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database.open(tmp_path / "bot.sqlite3") as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a database is opened, on each engine in turn: a SQLite file, or an empty PostgreSQL database."""
    return tmp_path / "bot.sqlite3" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def db(database_target: Path | str) -> AsyncIterator[Database]:
    """A migrated, empty database on each engine in turn: every store test runs on both."""
    async with Database.open(database_target) as database:
        yield database
