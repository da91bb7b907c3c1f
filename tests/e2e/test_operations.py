"""Operating the bot as a service (issue 20): a second copy on the same token is named. Real processes and the
emulator."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord
from tests.e2e.conftest import said

SECOND_COPY = "A second copy of the bot is running with the same token"


# -- item 4: two processes on one token ------------------------------------------------------------------------


async def warnings_naming(caplog: pytest.LogCaptureFixture, text: str, count: int) -> list[logging.LogRecord]:
    """Once `count` records mention `text` (the losing copy logs after the fan has the winner's answer), every record
    of WARNING and above."""
    async with asyncio.timeout(20):
        while sum(text in record.getMessage() for record in caplog.records) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_a_second_process_on_the_same_token_is_named_in_one_warning(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    """Two bots, each with its own database, log in with one token: Discord sends each of them every interaction,
    and the one whose answer comes second is refused 40060 on its only attempt. That is not a fault of Discord's
    (no 5xx, no retry): it names the second process, once per interaction, and the fan sees one answer."""
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")
    async with (
        emulated_bot(fd, fake_token(), tmp_path / "one.sqlite3", catalogue),
        emulated_bot(fd, fake_token(), tmp_path / "two.sqlite3", catalogue),
    ):
        reply = await fan.run("/soundtrack about", channel=channel)
        [warning] = await warnings_naming(caplog, SECOND_COPY, 1)
        assert warning.getMessage().startswith(
            f"another process answered interaction {reply.record.id} (/soundtrack about {{}}, guild {guild.id}) first"
        )
        assert warning.getMessage().endswith("each with its own database; stop the other copy")
        assert warning.exc_info is None and "Discord failed" not in warning.getMessage()
        assert reply.rejected == ["second initial response: 400 40060 Interaction has already been acknowledged."]
        assert "Peter Peter" in str(said(reply).embeds), "the fan has the answer of the copy that was first"

        choices = await fan.autocomplete("/releases countdown", "release", "vinyl")
        assert choices[0]["value"] == "album-vinyl"
        logged = await warnings_naming(caplog, SECOND_COPY, 2)
        assert len(logged) == 2 and "(its autocomplete suggestions) first" in logged[1].getMessage()

        stale = await fan._component(said(reply), {"custom_id": "hr:gone:1", "component_type": 2}, "a stale button")
        assert "older version of this message" in said(stale).content
        logged = await warnings_naming(caplog, SECOND_COPY, 3)
        assert len(logged) == 3 and f"(an error message, guild {guild.id}) first" in logged[2].getMessage()
        assert all(record.levelno == logging.WARNING for record in logged)
