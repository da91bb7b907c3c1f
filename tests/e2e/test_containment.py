"""A fault stays where it started: one server's unplannable data never stops another server, or the bot; and a
fault of Discord's is one warning in the log, not a bug.

The rows here are what an earlier version let in (a release on 9999-12-31 23:00, then a time zone that puts it
past the year 9999); they are written straight into the database, as a bug would leave them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.database import BUSY
from bot.errors import NOT_DONE
from bot.releases import ServerReleases
from cogs.reminders.store import GuildConfig, ReminderStore
from cogs.reminders.timeparse import parse_lead_times
from fakediscord import FakeDiscord, Member, Reply
from tests.bot.test_cli import run_bot
from tests.e2e.conftest import FanServer, Start, holding_the_write_lock, stop

END_OF_CALENDAR = dt.date(9999, 12, 31)


def text_of(reply: Reply) -> str:
    """What the member sees: the text and the embeds of the answer's messages."""
    return "\n".join(m.content + "\n" + json.dumps(m.embeds, ensure_ascii=False) for m in reply.messages)


def shown(reply: Reply) -> str:
    """`text_of` an answer given in one go, which must not be an apology."""
    assert reply.rejected == [], reply.rejected
    text = text_of(reply)
    assert "Something went wrong on our side" not in text, text
    return text


async def add_last_release(store: ServerReleases, guild_id: int, title: str = "Last party") -> None:
    await store.add_release(
        guild_id, title=title, date=END_OF_CALENDAR, time=dt.time(23, 0), link=None, description=None, now=0
    )


async def test_a_zone_that_cannot_plan_a_release_is_refused_and_not_saved(server: FanServer) -> None:
    mod: Member = server.guild.add_member("Mod", manage_guild=True)
    await add_last_release(server.bot.releases, int(server.guild.id))

    refused = shown(await mod.run("/reminders timezone", zone="Pacific/Honolulu"))
    assert "Nothing was changed: **Last party** (9999-12-31 23:00) cannot be placed on the calendar" in refused
    assert "Time zone: UTC" in shown(await mod.run("/reminders status")), "the refused zone was not saved"
    assert "**Last party** · <t:" in shown(await server.fan.run("/releases upcoming"))


@pytest.mark.slow
async def test_one_servers_unplannable_release_blocks_only_that_server(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start], full_overlay: Path
) -> None:
    broken, healthy = fd.add_guild("Broken Fans"), fd.add_guild("Healthy Fans")
    channels = {guild.id: guild.add_text_channel("releases") for guild in (broken, healthy)}
    database = tmp_path / "bot.sqlite3"
    async with Database.open(database) as db:
        store = ReminderStore(db)
        for guild, zone in ((broken, "Pacific/Honolulu"), (healthy, "UTC")):
            config = GuildConfig(int(guild.id), channel_id=int(channels[guild.id].id), zone=zone)
            await store.configure(replace(config, lead_times=parse_lead_times("1d")), int(time.time()))
        await add_last_release(ServerReleases(db), int(broken.id))
        next_year = dt.date.today() + dt.timedelta(days=365)  # noqa: DTZ011 - a whole date a year ahead
        await ServerReleases(db).add_release(int(healthy.id), title="Watch party", date=next_year, time=None, link=None,
                                description=None, now=0)  # fmt: skip

    bot = await launcher(full_overlay)()  # starts at all: before, the extension failed to load and it exited 1
    mods = {guild.id: guild.add_member("Mod", manage_guild=True) for guild in (broken, healthy)}
    blocked = shown(await mods[broken.id].run("/reminders status", channel=channels[broken.id]))
    assert "**Blocked** since" in blocked and "**Last party** (9999-12-31 23:00) cannot be placed" in blocked
    assert "it lifts by itself once it is fixed" in blocked
    listing = shown(await mods[broken.id].run("/releases upcoming", channel=channels[broken.id]))
    assert "cannot be placed on the calendar in Pacific/Honolulu" in listing, "the server is told why"
    working = shown(await mods[healthy.id].run("/reminders status", channel=channels[healthy.id]))
    assert "**On**: posting in" in working and "**Watch party** · " in working and "1 day before: <t:" in working
    code, log = await stop(bot)
    assert code == 0 and "Traceback" not in log, log
    assert f"reminders of server {broken.id} blocked" in log

    result = await asyncio.to_thread(run_bot, tmp_path, "check", DATABASE_PATH=str(database))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: reminders: server {broken.id}: cannot plan release own:1 'Last party' (9999-12-31 23:00) "
        "in Pacific/Honolulu: it falls outside the years 1 to 9999"
    ]
    assert f"server {healthy.id} · Watch party (out {next_year}) · 1 day" in result.stdout


# -- item 7: a fault of Discord's is a warning, not a bug ------------------------------------------------------

CALLBACK = "/interactions/{id}/{token}/callback"


async def logged_once(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    """Until the bot has logged `text` (it retries after Discord's 502 first), then what it logged at WARNING+."""
    async with asyncio.timeout(20):
        while not any(text in record.getMessage() for record in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("bot", "cogs", "discord"))]


@pytest.mark.parametrize(
    ("command", "seen", "after"),
    [
        ("/soundtrack about", "Peter Peter", "the member has it"),
        ("/poll mine", NOT_DONE, "it was only a placeholder, so the member was asked to try again"),
    ],
    ids=["answer-stored", "placeholder-stored"],
)
async def test_a_response_stored_then_502_and_refused_on_retry_is_one_warning(
    server: FanServer, caplog: pytest.LogCaptureFixture, command: str, seen: str, after: str
) -> None:
    server.fd.faults.add("POST", CALLBACK, kind="commit_then_502")
    reply = await server.fan.run(command, channel=server.channel)
    [warning] = await logged_once(caplog, "refused the retry as already acknowledged")
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert warning.getMessage().endswith(after)
    await server.fd.gateway.sync()
    assert reply.rejected == ["second initial response: 400 40060 Interaction has already been acknowledged."]
    assert seen in text_of(reply), "the member sees what Discord stored, or is asked to try again"


async def test_suggestions_stored_then_502_and_refused_on_retry_are_one_warning(
    server: FanServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.fd.faults.add("POST", CALLBACK, kind="commit_then_502")
    choices = await server.fan.autocomplete("/releases countdown", "release", "vinyl")
    assert choices[0]["value"] == "album-vinyl", "the member got the suggestions Discord stored"
    [warning] = await logged_once(caplog, "Ignoring exception in autocomplete")
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "Interaction has already been acknowledged" in warning.getMessage()


# -- item 2: a busy database is an answer, not a silence -------------------------------------------------------


async def ballots_as_stored(server: FanServer) -> dict[int, str]:
    """Each member's first pick as the database has it."""
    rows = await server.bot.db.fetchall("SELECT user_id, first_pick FROM poll_ballots")
    return {int(row["user_id"]): str(row["first_pick"]) for row in rows}


async def test_a_database_held_by_another_process_answers_busy_and_never_applies_the_vote_later(
    server: FanServer,
) -> None:
    """On a poll already in use (its rows exist, members have voted), so the refusal comes from the ballot's own
    write, not from creating the poll's rows; once the other program lets go and everything settled, none of
    the votes the members were told were not saved has been written after all."""
    changer, voter, newcomer = server.fan, server.other_fan, server.guild.add_member("Rose")
    for fan in (changer, voter):
        assert "Your vote in round 1: **Rivalry" in shown(await fan.run("/poll vote", track="rivalry"))
    before = await ballots_as_stored(server)

    async with holding_the_write_lock(server.bot.db.path):
        votes = await asyncio.gather(changer.run("/poll vote", track="melt"), newcomer.run("/poll vote", track="melt"))
        for vote in votes:
            assert not vote.loading, "every member got an answer, not an endless 'thinking…'"
            assert BUSY in shown(vote)
        mine = shown(await changer.run("/poll mine"))
        assert "Your vote in round 1: **Rivalry" in mine, "reading is not held up by the other program's write lock"

    # A vote written now takes its turn on the bot's write connection after anything already waiting for it.
    assert "Your vote in round 1: **Melt" in shown(await voter.run("/poll vote", track="melt"))
    await server.bot.wait_idle()
    for _ in range(100):
        await asyncio.sleep(0)
    assert "Your vote in round 1: **Rivalry" in shown(await changer.run("/poll mine")), "the old vote stands"
    assert "haven't voted" in shown(await newcomer.run("/poll mine")), "the refused first vote never landed"
    assert await ballots_as_stored(server) == {**before, int(voter.id): "melt"}
