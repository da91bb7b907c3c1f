"""Servers Discord does not serve for a while (outages), and servers that removed the bot, end to end.

During an outage Discord lists the server as unavailable in READY and sends GUILD_DELETE `unavailable: true`
instead of its GUILD_CREATE; discord.py keeps an empty stub of it (`bot.presence`). Nothing the bot stores may
be decided from that stub, and its posts wait until the server is back. A server that removed the bot, even
while the bot was down, gets no request at all, and its data is kept 30 days (`bot.presence.RETENTION_S`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue, load_catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from bot.presence import RETENTION_S
from bot.tree import OUTAGE
from fakediscord import FakeDiscord, Guild, Member, Role
from tests.e2e.conftest import FanServer
from tests.e2e.test_reminders import add_release, answer, eventually, release_slot, reminder_posts, set_up

SETTLE = 0.05
BOOK = "Unrivaled (Rachel Reid), the final Game Changers book"
VINYL = "Heated Rivalry soundtrack on vinyl"
DAY = 24 * 3600


def errors_now(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


class Fans:
    """A fan server as the bot's operator runs it: stopped and started again on the same database."""

    def __init__(self, fd: FakeDiscord, database: Path, name: str = "Heated Rivalry Fans") -> None:
        self.fd = fd
        self.database = database
        self.guild: Guild = fd.add_guild(name)
        self.channel = self.guild.add_text_channel("announcements")
        self.news: Role = self.guild.add_role("Release news", mentionable=True, position=0)
        self.mod: Member = self.guild.add_member("Mod", manage_guild=True)

    def as_server(self, bot: HeatedRivalryBot) -> FanServer:
        return FanServer(self.fd, bot, self.guild, self.mod, self.mod, self.channel)

    async def release_soon(self, bot: HeatedRivalryBot) -> int:
        """Reminders set up (the channel, the ping role, 1 minute before and at release) for a release 5 minutes
        ahead; its moment (UTC epoch seconds)."""
        await set_up(self.as_server(bot), self.mod, self.news, "1m, 0")
        release = release_slot(bot.clock.now(), 5)
        await add_release(self.mod, release)
        return int(release.timestamp())


@asynccontextmanager
async def started(
    fd: FakeDiscord, database: Path, catalogue: Catalogue, *, days_later: float = 0
) -> AsyncIterator[HeatedRivalryBot]:
    """`python -m bot` as an operator starts it, `days_later` days from now by its clock."""
    clock = SystemClock()
    clock.offset = days_later * DAY
    async with emulated_bot(fd, fake_token(), database, catalogue, clock=clock) as bot:
        yield bot


async def test_an_outage_at_start_up_keeps_the_ping_role_and_the_post_waits_for_the_server(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    fans = Fans(fd, tmp_path / "bot.sqlite3")
    async with started(fd, fans.database, catalogue) as bot:
        epoch = await fans.release_soon(bot)

    fans.guild.outage()  # the bot starts while Discord has an outage of the server
    async with started(fd, fans.database, catalogue) as bot:
        assert isinstance(bot.clock, SystemClock)
        bot.clock.jump_to(epoch - 60 + 1)  # the 1-minute post is due
        await bot.wait_idle()
        assert reminder_posts(fd, fans.channel) == [], "it waits for the server"
        assert fans.guild.requests_while_unavailable == 0
        asked = await fans.mod.run("/reminders status")
        assert OUTAGE in answer(asked), "the moderator is told why, and nothing is changed"

        fans.guild.restore()
        await eventually(lambda: len(reminder_posts(fd, fans.channel)) == 1)
        [post] = reminder_posts(fd, fans.channel)
        assert post.content.startswith(fans.news.mention) and post.mentioned_role_ids == [fans.news.id]
        status = answer(await fans.mod.run("/reminders status"))
        assert f"Role: {fans.news.mention}" in status
    assert errors_now(caplog) == []


async def test_the_events_mirror_waits_out_an_outage_then_catches_up(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    fans = Fans(fd, tmp_path / "bot.sqlite3")
    async with started(fd, fans.database, catalogue) as bot:
        await set_up(fans.as_server(bot), fans.mod, None)
        assert "(1 created)" in answer(await fans.mod.run("/reminders events", mode="on"))
    overlay = tmp_path / "vinyl.toml"
    overlay.write_text(
        'schema = 1\n[overlay]\nsources = ["milan"]\n[sources]\n'
        'milan = { name = "Milan Records", url = "https://www.milanrecords.com/" }\n'
        '[[editions]]\nid = "vinyl"\nrelease_date = 2027-02-12\n',
        "utf-8",
    )

    fans.guild.outage()  # the vinyl got its date while the bot was down, and the bot starts during an outage
    async with started(fd, fans.database, load_catalogue(overlay)) as bot:
        await bot.wait_idle()
        assert sorted(e.name for e in fans.guild.scheduled_events.values()) == [BOOK]
        assert fans.guild.requests_while_unavailable == 0
        fans.guild.restore()
        await eventually(lambda: len(fans.guild.scheduled_events) == 2)
        await bot.wait_idle()
        assert sorted(e.name for e in fans.guild.scheduled_events.values()) == [VINYL, BOOK]
    assert errors_now(caplog) == []


async def test_a_server_that_removed_the_bot_while_it_was_down_gets_no_request(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "bot.sqlite3"
    kept, gone = Fans(fd, database), Fans(fd, database, "Rivalry Gone")
    async with started(fd, database, catalogue) as bot:
        epoch = await kept.release_soon(bot)
        assert await gone.release_soon(bot) == epoch
        await gone.mod.run("/poll vote", track="Rivalry")

    gone.guild.remove_bot()
    async with started(fd, database, catalogue) as bot:
        assert isinstance(bot.clock, SystemClock)
        for moment, posts in ((epoch - 59, 1), (epoch + 1, 2)):  # each of the two posts falls due in turn
            bot.clock.jump_to(moment)
            await eventually(lambda posts=posts: len(reminder_posts(fd, kept.channel)) == posts)  # type: ignore[misc]
        await bot.wait_idle()
        about_gone = [r for r in fd.requests if gone.guild.id in r.path or gone.channel.id in r.path]
        assert about_gone == [], "not one request, so none counts against Discord's invalid request limit"
    assert errors_now(caplog) == []

    # Added back within 30 days: everything is as the moderators left it.
    async with started(fd, database, catalogue, days_later=10) as bot:
        await bot.wait_idle()
        gone.guild.add_bot()
        await eventually(lambda: bot.presence(int(gone.guild.id)).acts)
        status = answer(await gone.mod.run("/reminders status"))
        assert f"Role: {gone.news.mention}" in status and "**On**" in status
        assert "Your vote in round 1: **Rivalry" in answer(await gone.mod.run("/poll mine"))
        gone.guild.remove_bot()
        await eventually(lambda: not bot.presence(int(gone.guild.id)).acts)

    # Removed again, and not back within 30 days: the server's data is deleted.
    async with started(fd, database, catalogue, days_later=10 + RETENTION_S / DAY + 1) as bot:
        await bot.wait_idle()
        gone.guild.add_bot()
        await eventually(lambda: bot.presence(int(gone.guild.id)).acts)
        assert "**Not set up**" in answer(await gone.mod.run("/reminders status"))
        assert "You haven't voted in round 1" in answer(await gone.mod.run("/poll mine"))
        assert "**On**" in answer(await kept.mod.run("/reminders status")), "another server keeps its own"
    assert errors_now(caplog) == []


async def test_a_server_that_removes_the_running_bot_is_no_longer_posted_to(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    fans = Fans(fd, tmp_path / "bot.sqlite3")
    async with started(fd, fans.database, catalogue) as bot:
        epoch = await fans.release_soon(bot)
        fans.guild.remove_bot()
        await eventually(lambda: not bot.presence(int(fans.guild.id)).acts)
        assert isinstance(bot.clock, SystemClock)
        bot.clock.jump_to(epoch + 1)
        await bot.wait_idle()
        assert [r for r in fd.requests if fans.channel.id in r.path] == []
    assert errors_now(caplog) == []
