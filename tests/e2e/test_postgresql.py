"""The real bot on PostgreSQL (`DATABASE_URL`) through the emulator: the poll's and the reminders' end-to-end tests
run again here, unchanged, with the bot's database on the test session's PostgreSQL server instead of SQLite.

Votes (alone, concurrent, double-clicked, top-3, a reset), a reminder posted at its time to exactly the role,
`/reminders status`, the server's own releases mirrored as native events (made, moved, cancelled, and not made
again once deleted by hand), and listening parties (a hosted one from its start to its recap, one cancelled while
it runs), as fans and moderators see them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.catalogue import Catalogue
from fakediscord import FakeDiscord
from tests.e2e.conftest import FanServer, fan_server
from tests.e2e.test_events import (
    test_a_moved_release_edits_its_event_and_a_removed_one_cancels_it,
    test_an_event_deleted_by_hand_is_not_made_again,
    test_turning_the_mirror_on_creates_one_event_per_dated_release,
)
from tests.e2e.test_party import (
    test_a_hosted_party_moves_on_with_next_for_the_host_and_moderators_only,
    test_cancelling_a_running_party_archives_its_thread_and_stops_it,
)
from tests.e2e.test_poll import (
    test_concurrent_votes_and_double_submissions_count_once,
    test_reset_needs_the_invokers_confirmation_and_keeps_history,
    test_top3_scores_3_2_1_and_mode_changes_wait_for_a_reset,
    test_vote_change_mine_and_withdraw,
)
from tests.e2e.test_reminders import (
    clock,
    mod,
    news,
    test_both_posts_go_out_on_time_and_ping_exactly_the_role,
    test_status_explains_the_next_posts_and_the_configuration,
)

__all__ = [
    "clock",
    "mod",
    "news",
    "test_a_hosted_party_moves_on_with_next_for_the_host_and_moderators_only",
    "test_a_moved_release_edits_its_event_and_a_removed_one_cancels_it",
    "test_an_event_deleted_by_hand_is_not_made_again",
    "test_both_posts_go_out_on_time_and_ping_exactly_the_role",
    "test_cancelling_a_running_party_archives_its_thread_and_stops_it",
    "test_concurrent_votes_and_double_submissions_count_once",
    "test_reset_needs_the_invokers_confirmation_and_keeps_history",
    "test_status_explains_the_next_posts_and_the_configuration",
    "test_top3_scores_3_2_1_and_mode_changes_wait_for_a_reset",
    "test_turning_the_mirror_on_creates_one_event_per_dated_release",
    "test_vote_change_mine_and_withdraw",
]


@pytest.fixture
async def server(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, postgres_url: str) -> AsyncIterator[FanServer]:
    async with on_postgresql(fd, tmp_path, catalogue, postgres_url) as running:
        yield running


@pytest.fixture
async def full_server(
    fd: FakeDiscord, tmp_path: Path, full_catalogue: Catalogue, postgres_url: str
) -> AsyncIterator[FanServer]:
    async with on_postgresql(fd, tmp_path, full_catalogue, postgres_url) as running:
        yield running


@contextlib.asynccontextmanager
async def on_postgresql(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, url: str) -> AsyncIterator[FanServer]:
    """The bot with `DATABASE_URL` set; afterwards, what it did is in PostgreSQL and no SQLite file was made."""
    unused = tmp_path / "bot.sqlite3"
    async with fan_server(fd, unused, catalogue, environ={"DATABASE_URL": url}) as running:
        yield running
    assert not unused.exists(), "the bot used PostgreSQL, not DATABASE_PATH"
    conn = await asyncpg.connect(url)
    try:
        stored = await conn.fetchval(
            "SELECT (SELECT COUNT(*) FROM poll_guilds) + (SELECT COUNT(*) FROM reminder_guilds) "
            "+ (SELECT COUNT(*) FROM parties)"
        )
    finally:
        await conn.close()
    assert stored > 0, "the test's votes, settings or parties are in PostgreSQL"
