"""Releases as native Discord Scheduled Events (`/reminders events`), end to end through the emulator.

Each test looks at what a moderator sees in Discord's own event list (`guild.scheduled_events`) and in the
bot's answers, never at the bot's tables, except the crash test, which reads the database as its idle signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.releases import Origin
from fakediscord import FakeDiscord, Member, Role, ScheduledEvent
from fakediscord import permissions as perms
from tests.e2e.conftest import FanServer, Start, kill, stop
from tests.e2e.test_locale_break import change_language
from tests.e2e.test_reminders import add_release, answer, eventually, release_slot, set_up

SETTLE = 0.05
CANCELLED = "canceled"
EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
NO_EVENTS = perms.DEFAULT_BOT & ~perms.CREATE_EVENTS & ~perms.MANAGE_EVENTS


@pytest.fixture
async def mod(server: FanServer) -> Member:
    member: Member = server.guild.add_member("Mod", manage_guild=True)
    return member


@pytest.fixture
async def clock(server: FanServer) -> SystemClock:
    assert isinstance(server.bot.clock, SystemClock)
    return server.bot.clock


@pytest.fixture
async def news(server: FanServer) -> Role:
    role: Role = server.guild.add_role("Release news", mentionable=True, position=0)
    return role


BOOK = "Unrivaled (Rachel Reid), the final Game Changers book"  # the bundled catalogue's one dated release ahead


def events_of(server: FanServer, status: str = "scheduled") -> list[ScheduledEvent]:
    """The server's events with `status`, soonest first, without the catalogue's book (tests add their own)."""
    return sorted(
        (e for e in server.guild.scheduled_events.values() if e.status_name == status and e.name != BOOK),
        key=lambda e: e.start_time,
    )


async def idle(server: FanServer) -> None:
    await server.bot.wait_idle()


async def two_releases(server: FanServer, mod: Member, news: Role | None) -> tuple[dt.datetime, dt.datetime]:
    await set_up(server, mod, news, "1d, 0")
    now = server.bot.clock.now()
    party, premiere = release_slot(now, 60 * 24 * 2), release_slot(now, 60 * 24 * 5)
    await add_release(mod, party, "Listening party")
    answer(
        await mod.run("/reminders add-release", title="Season 2 premiere", date=f"{premiere:%Y-%m-%d}",
                      time=f"{premiere:%H:%M}", description="Episode 1 on Crave.")
    )  # fmt: skip
    return party, premiere


async def test_turning_the_mirror_on_creates_one_event_per_dated_release(server: FanServer, mod: Member) -> None:
    party, premiere = await two_releases(server, mod, None)
    said = answer(await mod.run("/reminders events", mode="on"))
    assert "mirrored as Discord events (3 created)" in said
    (book,) = [e for e in server.guild.scheduled_events.values() if e.name == BOOK]
    assert book.start_time.date() == dt.date(2027, 6, 1) and "Source: " in (book.description or "")
    first, second = events_of(server)
    assert (first.name, first.start_time, first.end_time) == ("Listening party", party, party + dt.timedelta(hours=1))
    assert first.entity_type == 3 and first.location == "https://example.org/party"
    assert "Track by track, together." in (first.description or "")
    assert "Added by this server's moderators" in (first.description or "")
    assert (second.name, second.location, second.start_time) == ("Season 2 premiere", "Online", premiere)
    assert all(e.creator_id == server.fd.bot_user_id for e in (first, second))
    # on again: nothing new, nothing doubled
    assert "(" not in answer(await mod.run("/reminders events", mode="on")).split(".")[0]
    assert len(server.guild.scheduled_events) == 3
    status = answer(await mod.run("/reminders status"))
    assert "On: 3 events." in status and f"/events/{server.guild.id}/{first.id}" in status


async def test_a_moved_release_edits_its_event_and_a_removed_one_cancels_it(server: FanServer, mod: Member) -> None:
    party, premiere = await two_releases(server, mod, None)
    answer(await mod.run("/reminders events", mode="on"))
    first, second = events_of(server)
    # The releases are on the server's clock (UTC by default): a new time zone moves both instants.
    answer(await mod.run("/reminders timezone", zone="America/Toronto"))
    await idle(server)
    moved = events_of(server)
    assert [e.id for e in moved] == [first.id, second.id], "edited in place, not made again"
    assert moved[0].start_time - party == dt.timedelta(hours=5) or moved[0].start_time - party == dt.timedelta(hours=4)
    assert moved[0].end_time == moved[0].start_time + dt.timedelta(hours=1)
    answer(await mod.run("/reminders remove-release", release="Season 2 premiere"))
    await idle(server)
    assert [e.name for e in events_of(server)] == ["Listening party"]
    assert [e.name for e in events_of(server, CANCELLED)] == ["Season 2 premiere"]
    assert premiere  # the premiere's event was cancelled, not deleted: members who were interested see why


async def test_turning_the_mirror_off_cancels_the_events(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod, None)
    answer(await mod.run("/reminders events", mode="on"))
    said = answer(await mod.run("/reminders events", mode="off"))
    assert "no longer mirrored" in said and "3 upcoming events cancelled" in said
    assert events_of(server) == [] and len(events_of(server, CANCELLED)) == 2
    answer(await mod.run("/reminders timezone", zone="Europe/Paris"))
    await idle(server)
    assert events_of(server) == [], "the mirror is off: a change makes no event"
    assert "Off: `/reminders events on`" in answer(await mod.run("/reminders status"))


async def test_an_event_deleted_by_hand_is_not_made_again(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod, None)
    answer(await mod.run("/reminders events", mode="on"))
    first, second = events_of(server)
    server.guild.delete_scheduled_event(first)
    server.guild.edit_scheduled_event(second, status=4)  # cancelled by hand, too
    answer(await mod.run("/reminders timezone", zone="Asia/Tokyo"))
    await idle(server)
    assert events_of(server) == [], "neither is recreated behind the moderators' backs"
    status = answer(await mod.run("/reminders status"))
    assert (
        "not made again (`/reminders events on` brings them back): **Listening party**, **Season 2 premiere**" in status
    )
    assert "2 created" in answer(await mod.run("/reminders events", mode="on")), "on again brings them back"
    assert len(events_of(server)) == 2


async def test_a_moderators_own_name_and_stream_link_survive_a_new_language_and_a_moved_release(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """Moderators rename the bot's event and put their stream link in its location. A language switch followed
    by an unrelated change, and then the release moving, must not write them back: the bot sends only what the
    release changed since it last wrote the event, never a field changed by hand (issue 19; the same bug was
    reported in derekantrican/GAS-ICS-Sync #126 and sws2apps/organized-app #4443)."""
    await set_up(server, mod, None, "1d")
    party = release_slot(server.bot.clock.now(), 60 * 24 * 2)
    answer(await mod.run("/reminders add-release", title="Listening party", date=f"{party:%Y-%m-%d}",
                         time=f"{party:%H:%M}", description="Track by track, together."))  # fmt: skip
    answer(await mod.run("/reminders events", mode="on"))
    (event,) = events_of(server)
    assert (event.location, event.start_time) == ("Online", party)
    stream = "https://twitch.tv/hr_fans"
    server.guild.edit_scheduled_event(event, by=mod, name="Listening party + cast Q&A",
                                      entity_metadata={"location": stream})  # fmt: skip
    await fd.gateway.sync()
    edits = len(fd.requests_to("PATCH", EVENT))

    await change_language(fd, server.guild, "fr")  # Server Settings → Server Primary Language
    await add_release(mod, release_slot(server.bot.clock.now(), 60 * 24 * 5), "Season 2 premiere")  # unrelated
    await idle(server)
    kept, premiere = events_of(server)
    assert (kept.id, kept.name, kept.location) == (event.id, "Listening party + cast Q&A", stream)
    assert "Ajoutée par les modérateurs" in (kept.description or ""), "the bot's own words follow the language"
    assert premiere.name == "Season 2 premiere" and "Ajoutée par" in (premiere.description or "")

    answer(await mod.run("/reminders timezone", zone="America/Toronto"))  # the release moves 4 or 5 hours later
    await idle(server)
    moved = server.guild.scheduled_events[event.id]
    assert (moved.name, moved.location) == ("Listening party + cast Q&A", stream), "the moderator's, still"
    assert moved.start_time - party in (dt.timedelta(hours=4), dt.timedelta(hours=5))
    assert moved.end_time == moved.start_time + dt.timedelta(hours=1)
    sent = [r.json for r in fd.requests_to("PATCH", EVENT)[edits:] if r.path.endswith(event.id)]
    assert sent and not [body for body in sent if {"name", "entity_metadata"} & set(body)], sent
    assert "scheduled_start_time" in sent[-1] and "description" not in sent[-1], "a move sends only the time"

    server.guild.edit_scheduled_event(event, by=mod, status=2)  # they start it early, to warm up the chat
    answer(await mod.run("/reminders timezone", zone="Europe/London"))
    await idle(server)
    assert server.guild.scheduled_events[event.id].status_name == "active", "left running"
    assert "Deleted by hand" not in answer(await mod.run("/reminders status")), "started early is not deleted"


async def test_reminder_posts_link_to_the_event(server: FanServer, mod: Member, clock: SystemClock) -> None:
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 5)
    await add_release(mod, release)
    answer(await mod.run("/reminders events", mode="on"))
    (event,) = events_of(server)
    clock.jump_to(int(release.timestamp()) - 60)
    await idle(server)
    (post,) = [m for m in server.fd.channel_messages(server.channel) if m.embeds]
    links = [c for row in post.components for c in row.get("components", []) if c.get("style") == 5]
    assert [c["url"] for c in links] == [f"https://discord.com/events/{server.guild.id}/{event.id}"]


async def test_a_missing_permission_is_named_and_nothing_changes(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    await two_releases(server, mod, None)
    server.guild.edit_role(server.guild.bot_role, permissions=NO_EVENTS)
    said = answer(await mod.run("/reminders events", mode="on"))
    assert "I need the Create Events permission in this server" in said and "Nothing was changed" in said
    assert server.guild.scheduled_events == {}
    assert "Off: `/reminders events on`" in answer(await mod.run("/reminders status"))


async def test_a_permission_lost_later_blocks_the_mirror_not_the_reminders(
    server: FanServer, mod: Member, clock: SystemClock
) -> None:
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 5)
    await add_release(mod, release)
    answer(await mod.run("/reminders events", mode="on"))
    server.guild.edit_role(server.guild.bot_role, permissions=NO_EVENTS)
    answer(await mod.run("/reminders timezone", zone="Europe/Paris"))
    await idle(server)
    status = answer(await mod.run("/reminders status"))
    assert "⚠️ I lack the Create Events permission" in status and "Reminders are not affected" in status
    clock.jump_to(int(release.timestamp()) - 60 * 60 - 60)  # Paris is an hour ahead in winter: 1 min before
    await idle(server)
    assert [m for m in server.fd.channel_messages(server.channel) if m.embeds], "the reminder still went out"


async def test_an_event_made_twice_by_a_retry_is_kept_once(fd: FakeDiscord, server: FanServer, mod: Member) -> None:
    """Discord made the event and answered 502; discord.py sent the create again, and Discord made a second."""
    await two_releases(server, mod, None)
    fd.faults.add("POST", "/guilds/{guild_id}/scheduled-events", kind="commit_then_502", count=1)
    said = answer(await mod.run("/reminders events", mode="on"))
    assert "3 created" in said
    names = [e.name for e in events_of(server)]
    assert names == ["Listening party", "Season 2 premiere"]
    assert len(server.guild.scheduled_events) == 3
    assert len(fd.requests_to("POST", "/guilds/{guild_id}/scheduled-events")) == 4, "one create was sent twice"


# -- a real crash --------------------------------------------------------------------------------------------


def _event_rows(database: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return [(str(r[0]), str(r[1])) for r in conn.execute("SELECT release_id, state FROM reminder_events")]


@pytest.mark.slow
async def test_sigkill_between_create_and_store_leaves_one_event(
    fd: FakeDiscord, start_bot: Start, tmp_path: Path
) -> None:
    guild = fd.add_guild("Crash Town")
    guild.add_text_channel("news")
    mod = guild.add_member("Mod", manage_guild=True)
    first = await start_bot()
    at = release_slot(dt.datetime.now(dt.UTC).timestamp(), 60 * 24)
    answer(await mod.run("/reminders add-release", title="Listening party", date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}"))
    fd.faults.add("POST", "/guilds/{guild_id}/scheduled-events", kind="delay", seconds=1.5)
    turning_on = asyncio.create_task(mod.run("/reminders events", mode="on"))
    route = "/guilds/{guild_id}/scheduled-events"
    await eventually(lambda: bool(fd.requests_to("POST", route)))
    await kill(first)  # the create is on its way; Discord finishes it, the bot never hears back
    with contextlib.suppress(Exception):
        await asyncio.wait_for(turning_on, 10)
    await eventually(lambda: len(guild.scheduled_events) == 1)
    database = tmp_path / "bot.sqlite3"
    ((interrupted, state),) = _event_rows(database)  # the first release's create; the second was never sent
    assert state == "creating"
    second = await start_bot()
    await eventually(lambda: sorted(_event_rows(database)) == [("own:1", "live"), ("unrivaled-book", "live")], 20)
    posts = fd.requests_to("POST", route)
    assert len(posts) == 2, "the interrupted create was found again, not sent again; the other was made once"
    assert sorted(e.name for e in guild.scheduled_events.values()) == ["Listening party", BOOK]
    assert interrupted in ("own:1", "unrivaled-book")
    code, _ = await stop(second)
    assert code == 0


async def test_a_release_in_a_voice_or_stage_channel_gets_its_event_there(server: FanServer, mod: Member) -> None:
    """A listening party given a voice or stage channel happens there: its event is a voice or stage event in it
    (Discord's entity types 2 and 1), which Discord lets members join from the event itself; a channel the bot may
    not hold an event in (a voice event needs View Channel and Connect there) leaves the event external, at its
    link."""
    guild = server.guild
    lounge = guild.add_voice_channel("listening-lounge")
    stage = guild.add_voice_channel(
        "stage",
        perms.DEFAULT_BOT | perms.CONNECT | perms.MANAGE_CHANNELS | perms.MUTE_MEMBERS | perms.MOVE_MEMBERS,
        stage=True,
    )
    closed = guild.add_voice_channel("closed", perms.DEFAULT_BOT & ~perms.CONNECT)
    await server.fd.gateway.sync()
    await set_up(server, mod, None, "1d")
    now = server.bot.clock.now()
    for n, (title, channel) in enumerate((("In the lounge", lounge), ("On stage", stage), ("Nowhere", closed))):
        at = release_slot(now, 60 * 24 * (2 + n))
        await server.bot.releases.add_release(
            int(guild.id), title=title, date=at.date(), time=at.time(), link="https://example.org/party",
            description=None, now=now, kind=Origin.PARTY, channel_id=int(channel.id),
        )  # fmt: skip
    answer(await mod.run("/reminders events", mode="on"))
    lounge_event, stage_event, nowhere = events_of(server)
    assert (lounge_event.entity_type, lounge_event.channel_id, lounge_event.location) == (2, lounge.id, None)
    assert (stage_event.entity_type, stage_event.channel_id) == (1, stage.id)
    assert (nowhere.entity_type, nowhere.channel_id, nowhere.location) == (3, None, "https://example.org/party")
    assert "A listening party of this server" in (lounge_event.description or "")
    assert "(" not in answer(await mod.run("/reminders events", mode="on")).split(".")[0], "nothing to redo"
