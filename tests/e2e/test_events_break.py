"""Trying to break issue 14 as moderators, fans and a misbehaving Discord would: the Scheduled Events mirror
(`/reminders events`) and the **Notify me** toggle (`/releases notify`).

Each test asserts what a moderator or fan would expect to see; a failing one is a finding.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import pytest

from bot.clock import SystemClock
from bot.db import database
from fakediscord import FakeDiscord, Member, Reply, Role, ScheduledEvent
from fakediscord import permissions as perms
from tests.e2e.conftest import FanServer, holding_the_write_lock
from tests.e2e.test_reminders import add_release, answer, eventually, release_slot, set_up, text_of

SETTLE = 0.05
CANCELLED = "canceled"
NO_EVENTS = perms.DEFAULT_BOT & ~perms.CREATE_EVENTS & ~perms.MANAGE_EVENTS
CREATE = "/guilds/{guild_id}/scheduled-events"
EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
BOOK = "Unrivaled (Rachel Reid), the final Game Changers book"
INTERNAL = "Something went wrong on our side"


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
    """The reminder role, below the bot's own role; the bot may hand out roles."""
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
    role: Role = server.guild.add_role("Release news", mentionable=True, position=0)
    return role


async def told(reply: Reply, timeout: float = 15.0) -> str:  # noqa: ASYNC109
    """The member's final answer: acknowledged within 3 s (`answer`), and not left "thinking…"."""
    answer(reply)
    if reply.loading:
        await reply.wait(timeout)
    assert not reply.loading, f"still thinking: {reply}"
    text = text_of(reply)
    assert text.strip() not in ("", "[]"), reply
    return text


def events_of(server: FanServer, status: str = "scheduled") -> list[ScheduledEvent]:
    return sorted(
        (e for e in server.guild.scheduled_events.values() if e.status_name == status and e.name != BOOK),
        key=lambda e: (e.start_time, e.name),
    )


def scheduled(server: FanServer) -> list[ScheduledEvent]:
    return [e for e in server.guild.scheduled_events.values() if e.status_name == "scheduled"]


async def idle(server: FanServer) -> None:
    await server.bot.wait_idle()


async def two_releases(server: FanServer, mod: Member) -> tuple[dt.datetime, dt.datetime]:
    await set_up(server, mod, None, "1d, 0")
    now = server.bot.clock.now()
    party, premiere = release_slot(now, 60 * 24 * 2), release_slot(now, 60 * 24 * 5)
    await add_release(mod, party, "Listening party")
    answer(
        await mod.run("/reminders add-release", title="Season 2 premiere", date=f"{premiere:%Y-%m-%d}",
                      time=f"{premiere:%H:%M}", description="Episode 1 on Crave.")
    )  # fmt: skip
    return party, premiere


def events_field(reply: Reply) -> str:
    """The "Discord events" field of a `/reminders status` answer."""
    answer(reply)
    (embed,) = reply.embeds
    return next(str(f["value"]) for f in embed["fields"] if f["name"] == "Discord events")


def role_requests(fd: FakeDiscord) -> list[tuple[str, str]]:
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in fd.requests_to(route=ROLE_ROUTE)]


# == the events mirror: hostile input ===========================================================================


async def test_hostile_titles_links_and_descriptions_fit_discords_rules(server: FanServer, mod: Member) -> None:
    await set_up(server, mod, None, "1d")
    at = release_slot(server.bot.clock.now(), 60 * 24 * 3)
    title = ("@everyone **Bold** <@&1> 🏒" * 10)[:100]
    link = "https://example.org/" + "a" * 150
    description = "__x__ @here " + "é🎉" * 600
    said = answer(
        await mod.run("/reminders add-release", title=title, date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}",
                      link=link, description=description[:1000])
    )  # fmt: skip
    assert "Added" in said
    assert "2 created" in await told(await mod.run("/reminders events", mode="on"))
    (event,) = events_of(server)
    assert event.name == title.strip() and len(event.name) <= 100
    assert event.location == "Online", "a link over 100 characters cannot be the location"
    assert link in (event.description or "") and len(event.description or "") <= 1000


async def test_25_own_releases_are_mirrored_once_each(server: FanServer, mod: Member) -> None:
    await set_up(server, mod, None, "1d")
    now = server.bot.clock.now()
    for n in range(25):
        await add_release(mod, release_slot(now, 60 * 24 * 2 + 60 * n), f"Episode {n + 1}")
    said = await told(await mod.run("/reminders events", mode="on"), 30)
    assert "26 created" in said
    assert sorted(e.name for e in events_of(server)) == sorted(f"Episode {n + 1}" for n in range(25))
    assert len(server.guild.scheduled_events) == 26
    assert "On: 26 events." in await told(await mod.run("/reminders status"))


async def test_a_release_two_minutes_away_breaks_nothing(server: FanServer, mod: Member, clock: SystemClock) -> None:
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 2)
    await add_release(mod, release)
    await told(await mod.run("/reminders events", mode="on"))
    await idle(server)
    assert all(e.start_time > dt.datetime.now(dt.UTC) for e in scheduled(server)), "no event in the past"


async def test_a_time_zone_that_moves_a_release_into_the_past_cancels_its_event(
    server: FanServer, mod: Member, clock: SystemClock
) -> None:
    await set_up(server, mod, None, "1d")
    at = release_slot(clock.now(), 60 * 3)  # 3 hours ahead in UTC
    await add_release(mod, at)
    await told(await mod.run("/reminders events", mode="on"))
    answer(await mod.run("/reminders timezone", zone="Pacific/Kiritimati"))  # UTC+14: already out
    await idle(server)
    assert events_of(server) == [], "no event left showing a time the release does not have"
    assert [e.name for e in events_of(server, CANCELLED)] == ["Listening party"]


# == the events mirror: moderators racing =========================================================================


async def test_on_off_on_quickly_leaves_one_live_event_per_release(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    for mode in ("on", "off", "on"):
        await told(await mod.run("/reminders events", mode=mode))
    assert [e.name for e in events_of(server)] == ["Listening party", "Season 2 premiere"]
    assert len(scheduled(server)) == 3
    assert "On: 3 events." in await told(await mod.run("/reminders status"))


async def test_two_moderators_turning_it_on_at_once_make_nothing_twice(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    other = server.guild.add_member("Mod 2", manage_guild=True)
    first, second = await asyncio.gather(
        mod.run("/reminders events", mode="on"), other.run("/reminders events", mode="on")
    )
    await told(first)
    await told(second)
    await idle(server)
    assert len(scheduled(server)) == 3 and len(server.guild.scheduled_events) == 3


async def test_two_moderators_on_and_off_at_once_agree_with_discord(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    other = server.guild.add_member("Mod 2", manage_guild=True)
    on, off = await asyncio.gather(mod.run("/reminders events", mode="on"), other.run("/reminders events", mode="off"))
    await told(on)
    await told(off)
    await idle(server)
    status = await told(await mod.run("/reminders status"))
    if "On: " in status:
        assert len(scheduled(server)) == 3
    else:
        assert scheduled(server) == [], "the mirror is off: no event may stay scheduled"


async def test_a_release_removed_while_the_mirror_is_off_gets_no_event(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    await told(await mod.run("/reminders events", mode="off"))
    answer(await mod.run("/reminders remove-release", release="Season 2 premiere"))
    assert "2 created" in await told(await mod.run("/reminders events", mode="on"))
    assert [e.name for e in events_of(server)] == ["Listening party"]


async def test_an_event_deleted_while_the_bot_moves_it_does_not_freeze_the_others(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """A moderator deletes one event just as the bot moves it (time zone change): the others still move."""
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    before = {e.id: e.start_time for e in scheduled(server)}
    fd.faults.add("PATCH", EVENT, kind="delay", seconds=1.0)
    answer(await mod.run("/reminders timezone", zone="America/Toronto"))
    await eventually(lambda: bool(fd.requests_to("PATCH", EVENT)))
    victim = fd.requests_to("PATCH", EVENT)[0].path.rsplit("/", 1)[-1]
    server.guild.delete_scheduled_event(victim)  # while the PATCH is on its way
    await eventually(lambda: all(r.status is not None for r in fd.requests_to("PATCH", EVENT)))
    await fd.gateway.sync()
    await idle(server)
    others = {i: start for i, start in before.items() if i != victim}
    moved = {i: server.guild.scheduled_events[i].start_time for i in others}
    assert all(moved[i] != others[i] for i in others), "the other events still show the old time"
    status = await told(await mod.run("/reminders status"))
    assert "Deleted by hand, not made again" in status


async def test_two_releases_with_the_same_title_and_time_keep_both_events(server: FanServer, mod: Member) -> None:
    await set_up(server, mod, None, "1d")
    at = release_slot(server.bot.clock.now(), 60 * 24 * 2)
    await add_release(mod, at, "Watch party")
    answer(
        await mod.run("/reminders add-release", title="Watch party", date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}",
                      link="https://example.org/in-person", description="At the pub.")
    )  # fmt: skip
    said = await told(await mod.run("/reminders events", mode="on"))
    await idle(server)
    assert "3 created" in said
    assert len(events_of(server)) == 3 - 1, "the answer said 3 created: both watch parties have their event"
    status = await told(await mod.run("/reminders status"))
    assert "Deleted by hand" not in status, "no moderator deleted anything"


async def test_a_removed_release_leaves_the_deleted_by_hand_list(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    first, _ = events_of(server)
    server.guild.delete_scheduled_event(first)
    await server.fd.gateway.sync()  # the gateway's DELETE reaches the bot
    await idle(server)
    assert "**Listening party**" in await told(await mod.run("/reminders status"))
    answer(await mod.run("/reminders remove-release", release="Listening party"))
    await idle(server)
    status = await told(await mod.run("/reminders status"))
    assert "Deleted by hand" not in status, "a release that no longer exists is still listed as deleted by hand"


async def test_an_event_cancelled_while_the_bot_moves_it_counts_as_cancelled_by_hand(
    fd: FakeDiscord, server: FanServer, mod: Member, clock: SystemClock
) -> None:
    """A moderator cancels the event just as the bot moves it: it stays cancelled, the bot says so in status, and
    the reminder post does not link to a cancelled event."""
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 180)
    await add_release(mod, release)
    await told(await mod.run("/reminders events", mode="on"))
    (event,) = events_of(server)
    fd.faults.add("PATCH", EVENT, kind="delay", seconds=1.0)
    answer(await mod.run("/reminders timezone", zone="UTC+1"))  # moves it an hour earlier
    await eventually(lambda: any(r.path.endswith(event.id) for r in fd.requests_to("PATCH", EVENT)))
    server.guild.edit_scheduled_event(event, status=4)
    await eventually(lambda: all(r.status is not None for r in fd.requests_to("PATCH", EVENT)))
    await fd.gateway.sync()
    await idle(server)
    assert server.guild.scheduled_events[event.id].status_name == CANCELLED
    status = await told(await mod.run("/reminders status"))
    assert "not made again (`/reminders events on` brings them back): **Listening party**" in status
    clock.jump_to(int(release.timestamp()) - 3600 - 60)
    await idle(server)
    (post,) = [m for m in server.fd.channel_messages(server.channel) if m.embeds]
    links = [c for row in post.components for c in row.get("components", []) if c.get("style") == 5]
    assert links == [], "the post links to an event the moderators cancelled"


async def test_a_post_after_a_hand_deletion_has_no_dead_event_link(
    server: FanServer, mod: Member, clock: SystemClock
) -> None:
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 5)
    await add_release(mod, release)
    await told(await mod.run("/reminders events", mode="on"))
    (event,) = events_of(server)
    server.guild.delete_scheduled_event(event)
    await server.fd.gateway.sync()
    await idle(server)
    clock.jump_to(int(release.timestamp()) - 60)
    await idle(server)
    (post,) = [m for m in server.fd.channel_messages(server.channel) if m.embeds]
    assert [c for row in post.components for c in row.get("components", []) if c.get("style") == 5] == []


async def test_status_with_long_titles_still_names_what_was_deleted_and_what_blocks(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """Eight releases with 100-character titles (the most `/reminders add-release` takes), three events deleted
    by hand, then Discord refuses an edit: the moderator must still read both facts in `/reminders status`."""
    await set_up(server, mod, None, "1d")
    now = server.bot.clock.now()
    titles = [f"{chr(65 + n)} " + "Heated Rivalry season two watch-along with the whole server, part " + "x" * 40
              for n in range(8)]  # fmt: skip
    titles = [t[:100] for t in titles]
    for n, title in enumerate(titles):
        await add_release(mod, release_slot(now, 60 * 24 * 2 + 60 * n), title)
    await told(await mod.run("/reminders events", mode="on"), 30)
    gone = events_of(server)[:3]
    for event in gone:
        server.guild.delete_scheduled_event(event)
    await fd.gateway.sync()
    await idle(server)
    fd.faults.add("PATCH", EVENT, kind="403", count=None)
    answer(await mod.run("/reminders timezone", zone="Europe/Paris"))
    await idle(server)
    status = events_field(await mod.run("/reminders status"))
    assert "Discord refused to change this server's events" in status
    assert "Deleted by hand, not made again" in status
    for event in gone:
        assert event.name[:50] in status, f"{event.name[:20]}… is not named as deleted by hand"


# == the events mirror: Discord misbehaving =======================================================================


async def test_a_server_with_100_open_events_is_told_about_discords_limit(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    for n in range(100):
        server.guild.add_scheduled_event(
            f"Game night {n}", start + dt.timedelta(hours=n), end=start + dt.timedelta(hours=n + 1), location="Online"
        )
    said = await told(await mod.run("/reminders events", mode="on"))
    assert INTERNAL not in said, "a known Discord limit is not 'something went wrong on our side'"
    assert "100" in said, "the moderator is told Discord allows 100 upcoming events per server"
    status = await told(await mod.run("/reminders status"))
    assert "100" in status.split("Discord events")[1].split("Next posts")[0]


LIMIT = "as many upcoming events as Discord allows (100)"


def bots(server: FanServer) -> list[str]:
    """The names of the bot's upcoming events, soonest first."""
    mine = [e for e in scheduled(server) if e.creator_id == server.fd.bot_user_id]
    return [e.name for e in sorted(mine, key=lambda e: e.start_time)]


async def at_the_limit(server: FanServer, mod: Member) -> list[ScheduledEvent]:
    """Three releases of the server's own and the catalogue's book to mirror, in a server whose moderators already
    have 100 upcoming events (Discord's limit): the mirror is turned on, and told it waits. Returns their events,
    the first a watch party that starts in half an hour and lasts an hour."""
    await set_up(server, mod, None, "1d")
    now = server.bot.clock.now()
    for n, title in enumerate(("Listening party", "Season 2 premiere", "Cast Q&A")):
        await add_release(mod, release_slot(now, 60 * 24 * (2 + n)), title)
    soon, later = server.fd.clock.now() + dt.timedelta(minutes=30), server.fd.clock.now() + dt.timedelta(days=30)
    theirs = [server.guild.add_scheduled_event("Watch party", soon, end=soon + dt.timedelta(hours=1), location="VC")]
    theirs += [
        server.guild.add_scheduled_event(f"Game night {n}", later + dt.timedelta(hours=n),
                                         end=later + dt.timedelta(hours=n + 1), location="Online")
        for n in range(99)
    ]  # fmt: skip
    said = await told(await mod.run("/reminders events", mode="on"))
    assert LIMIT in said and "end or delete some, and the mirror catches up" in said
    assert LIMIT in events_field(await mod.run("/reminders status"))
    assert bots(server) == []
    return theirs


async def test_the_mirror_catches_up_by_itself_when_places_free_under_discords_limit(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """Issue 19, kind 3: the moderator was told "end or delete some, and the mirror catches up". Any event of the
    server that ends, is cancelled or is deleted frees a place, and every waiting event is made, with no command."""
    party, first, second, third, *_ = await at_the_limit(server, mod)
    server.guild.delete_scheduled_event(first, by=mod)
    server.guild.edit_scheduled_event(second, by=mod, status=4)  # cancelled
    server.guild.edit_scheduled_event(third, by=mod, status=2)  # started early…
    server.guild.edit_scheduled_event(third, by=mod, status=3)  # …and ended
    fd.clock.advance(2 * 3600)
    assert server.guild.run_event_automation() == [party], "Discord ends the watch party at its end time"
    await fd.gateway.sync()
    await idle(server)
    assert bots(server) == ["Listening party", "Season 2 premiere", "Cast Q&A", BOOK], "all four, not 2 of 4"
    assert len(scheduled(server)) == 100
    status = events_field(await mod.run("/reminders status"))
    assert "On: 4 events." in status and LIMIT not in status and "Waiting" not in status


async def test_a_mirror_waiting_under_discords_limit_tries_again_even_if_it_hears_nothing(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """Places may free without a gateway event reaching the bot (it was reconnecting): it tries again by itself
    every `BLOCKED_RETRY_S`, here shortened."""
    cog: Any = server.bot.get_cog("RemindersCog")
    cog.mirror.blocked_retry_s = 0.2  # half an hour, shortened
    theirs = await at_the_limit(server, mod)
    for event in theirs[:4]:
        del server.guild.scheduled_events[event.id]  # deleted while the bot's session was down: no DELETE reaches it
    await eventually(lambda: len(bots(server)) == 4)
    await idle(server)
    assert LIMIT not in events_field(await mod.run("/reminders status"))


async def test_a_refusal_that_goes_away_lifts_by_itself(fd: FakeDiscord, server: FanServer, mod: Member) -> None:
    """ "`/reminders status` shows this until it is fixed": Discord refused (403) and then accepts again, with no
    gateway event saying so; the mirror tries again by itself and the warning goes."""
    cog: Any = server.bot.get_cog("RemindersCog")
    cog.mirror.blocked_retry_s = 0.2
    await two_releases(server, mod)
    fd.faults.add("POST", CREATE, kind="403", count=None)
    said = await told(await mod.run("/reminders events", mode="on"))
    assert "`/reminders status` shows this until it is fixed" in said
    fd.faults.clear()
    await eventually(lambda: len(events_of(server)) == 2)
    await idle(server)
    status = events_field(await mod.run("/reminders status"))
    assert "On: 3 events." in status and "Discord refused" not in status


async def test_a_busy_database_while_catching_up_is_tried_again_by_itself(
    fd: FakeDiscord, server: FanServer, mod: Member, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A place frees while another program (a backup tool) holds the database: the catch-up cannot record what it
    is about to create, so it waits and tries again by itself, as a warning, not a bug that drops the server."""
    cog: Any = server.bot.get_cog("RemindersCog")
    cog.mirror.retry_s = 0.2  # five minutes, shortened
    theirs = await at_the_limit(server, mod)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)  # background work waits 5 s for the lock, shortened
    async with holding_the_write_lock(server.bot.db.path):
        server.guild.delete_scheduled_event(theirs[1], by=mod)
        await fd.gateway.sync()
        await idle(server)
        assert bots(server) == []
    await eventually(lambda: len(bots(server)) == 1)
    assert "the database is busy" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a busy database is no bug"


async def test_a_5xx_promise_to_finish_by_itself_is_kept(fd: FakeDiscord, server: FanServer, mod: Member) -> None:
    # discord.py re-imports an extension's modules for each bot, so the class here is not the loaded one's.
    cog: Any = server.bot.get_cog("RemindersCog")
    cog.mirror.retry_s = 0.3  # "in a few minutes", shortened
    await two_releases(server, mod)
    fd.faults.add("POST", CREATE, kind="5xx", status=503, count=1)
    said = await told(await mod.run("/reminders events", mode="on"))
    assert "I'll finish in a few minutes by myself" in said
    await eventually(lambda: len(events_of(server)) == 2)  # the retry comes by itself; nobody asks again
    await idle(server)
    assert [e.name for e in events_of(server)] == ["Listening party", "Season 2 premiere"]
    assert len(scheduled(server)) == 3


async def test_an_interrupted_create_does_not_adopt_an_old_cancelled_event(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """On, off (the events are cancelled), on again with a 503: the retried create must not pick the cancelled
    event of the first round as "its" event and then call it deleted by hand."""
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    await told(await mod.run("/reminders events", mode="off"))
    fd.faults.add("POST", CREATE, kind="5xx", status=503, count=1)
    await told(await mod.run("/reminders events", mode="on"))
    said = await told(await mod.run("/reminders events", mode="on"))
    assert "deleted by hand" not in said
    assert [e.name for e in events_of(server)] == ["Listening party", "Season 2 premiere"]
    assert len(scheduled(server)) == 3
    assert "Deleted by hand" not in await told(await mod.run("/reminders status"))


async def test_an_interrupted_create_never_takes_over_a_moderators_own_event(
    fd: FakeDiscord, server: FanServer, mod: Member
) -> None:
    """The moderators made their own "Listening party" event by hand. The bot's create for the release of the same
    name and time fails (503); the next sync must not adopt, rewrite and later cancel the moderators' event."""
    await set_up(server, mod, None, "1d")
    at = release_slot(server.bot.clock.now(), 60 * 24 * 2)
    theirs = server.guild.add_scheduled_event(
        "Listening party", at, end=at + dt.timedelta(hours=3), location="The Pub", description="Bring snacks."
    )
    await told(await mod.run("/reminders events", mode="on"))  # the catalogue's book
    fd.faults.add("POST", CREATE, kind="5xx", status=503, count=1)
    await add_release(mod, at)
    await idle(server)
    await told(await mod.run("/reminders events", mode="on"))
    await told(await mod.run("/reminders events", mode="off"))
    kept = server.guild.scheduled_events[theirs.id]
    assert (kept.location, kept.description) == ("The Pub", "Bring snacks."), "the bot rewrote their event"
    assert kept.status_name == "scheduled", "turning the mirror off cancelled the moderators' own event"


@pytest.mark.parametrize("kind", ["429", "5xx"])
async def test_a_throttled_or_failing_create_makes_each_event_once(
    fd: FakeDiscord, server: FanServer, mod: Member, kind: str
) -> None:
    await two_releases(server, mod)
    fd.faults.add("POST", CREATE, kind=kind, count=2)  # type: ignore[arg-type]
    said = await told(await mod.run("/reminders events", mode="on"))
    assert "3 created" in said and "⚠️" not in said
    assert [e.name for e in events_of(server)] == ["Listening party", "Season 2 premiere"]
    assert len(server.guild.scheduled_events) == 3


async def test_a_403_on_create_is_told_and_shown_and_reminders_still_post(
    fd: FakeDiscord, server: FanServer, mod: Member, clock: SystemClock
) -> None:
    await set_up(server, mod, None, "1m, 0")
    release = release_slot(clock.now(), 5)
    await add_release(mod, release)
    fd.faults.add("POST", CREATE, kind="403", count=None)
    said = await told(await mod.run("/reminders events", mode="on"))
    assert "⚠️ Discord refused to change this server's events" in said and "Reminders are not affected" in said
    assert "Discord refused" in await told(await mod.run("/reminders status"))
    assert scheduled(server) == []
    clock.jump_to(int(release.timestamp()) - 60)
    await idle(server)
    assert [m for m in server.fd.channel_messages(server.channel) if m.embeds], "the reminder still went out"
    fd.faults.clear()
    said = await told(await mod.run("/reminders events", mode="on"))  # the release itself is now too close
    made = [e.name for e in server.guild.scheduled_events.values()]
    assert f"{len(made)} created" in said and len(set(made)) == len(made), "nothing made twice once Discord accepts"


async def test_a_403_on_edit_is_shown_in_status(fd: FakeDiscord, server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    fd.faults.add("PATCH", EVENT, kind="403", count=None)
    answer(await mod.run("/reminders timezone", zone="Europe/Paris"))
    await idle(server)
    assert "Discord refused to change this server's events" in await told(await mod.run("/reminders status"))


async def test_turning_off_without_the_permission_is_shown_in_status(server: FanServer, mod: Member) -> None:
    await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    server.guild.edit_role(server.guild.bot_role, permissions=NO_EVENTS)
    said = await told(await mod.run("/reminders events", mode="off"))
    assert "`/reminders status` shows this until it is fixed" in said
    assert len(scheduled(server)) == 3, "the events are still up on Discord"
    status = await told(await mod.run("/reminders status"))
    assert "I lack the Create Events permission" in status, "status shows it, as the answer promised"


async def test_a_restored_permission_is_no_longer_reported_missing_and_events_catch_up(
    server: FanServer, mod: Member
) -> None:
    party, _ = await two_releases(server, mod)
    await told(await mod.run("/reminders events", mode="on"))
    server.guild.edit_role(server.guild.bot_role, permissions=NO_EVENTS)
    answer(await mod.run("/reminders timezone", zone="America/Toronto"))
    await idle(server)
    assert "I lack the Create Events permission" in await told(await mod.run("/reminders status"))
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT)  # the moderator fixes it
    await idle(server)
    status = await told(await mod.run("/reminders status"))
    assert "I lack the Create Events permission" not in status, "status still says a granted permission is missing"
    await eventually(lambda: events_of(server)[0].start_time != party, 5)


# == Notify me ==================================================================================================


async def test_a_deleted_role_is_explained_and_nothing_is_touched(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    server.guild.delete_role(news)
    said = await told(await server.fan.click(upcoming, "Notify me"))
    assert "The reminder role was deleted" in said and role_requests(server.fd) == []


async def test_a_role_moved_above_the_bot_is_explained(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    server.guild.edit_role(news, position=len(server.guild.roles) + 1)
    said = await told(await server.fan.run("/releases notify"))
    assert "is not below my highest role" in said and role_requests(server.fd) == []
    assert "⚠️ Fans can't opt in" in await told(await mod.run("/reminders status"))


async def test_a_role_made_managed_is_explained(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    news.managed = True
    server.guild.edit_role(news)
    said = await told(await server.fan.run("/releases notify"))
    assert "managed by an integration" in said and role_requests(server.fd) == []


async def test_manage_roles_taken_away_is_explained(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT)
    said = await told(await server.fan.click(upcoming, "Notify me"))
    assert "I lack the Manage Roles permission" in said and role_requests(server.fd) == []
    assert "⚠️ Fans can't opt in" in await told(await mod.run("/reminders status"))


async def test_an_old_post_toggles_the_new_role_only(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    newer = server.guild.add_role("Premiere pings", mentionable=True, position=0)
    answer(await mod.run("/reminders role", role=newer))
    server.fan.add_role(news)  # the fan kept the old role
    said = await told(await server.fan.click(upcoming, "Notify me"))
    assert newer.mention in said and news.mention not in said
    assert sorted(r.id for r in server.fan.roles) == sorted([news.id, newer.id])
    said = await told(await server.fan.click(upcoming, "Notify me"))
    assert server.fan.roles == [news], "only the configured role is taken away"
    assert {rid for _, rid in role_requests(server.fd)} == {newer.id}


async def test_a_double_click_leaves_the_role_as_the_last_answer_says(
    server: FanServer, mod: Member, news: Role
) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    first, second = await asyncio.gather(
        server.fan.click(upcoming, "Notify me"), server.fan.click(upcoming, "Notify me")
    )
    texts = [await told(first), await told(second)]
    assert all(news.mention in t for t in texts)
    has = news in server.fan.roles
    said = await told(await server.fan.run("/releases notify"))
    assert ("no longer" in said) is has, "the next toggle agrees with the role the fan really has"
    assert server.fan.roles in ([], [news])


async def test_a_dm_click_is_refused_kindly(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    reply = await server.fan.click(upcoming, "Notify me", dm=True)
    assert reply.elapsed is not None and reply.elapsed < 3 and reply.rejected == []
    if reply.loading:
        await reply.wait()
    said = text_of(reply)
    assert "server" in said and INTERNAL not in said
    assert role_requests(server.fd) == [] and server.fan.roles == []


async def test_an_old_button_after_the_role_was_unset_points_to_the_setting(
    server: FanServer, mod: Member, news: Role
) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    answer(await mod.run("/reminders role"))  # ping nobody
    said = await told(await server.fan.click(upcoming, "Notify me"))
    assert "no reminder role to opt into yet" in said and role_requests(server.fd) == []


async def test_a_role_deleted_behind_the_bots_back_is_explained(
    fd: FakeDiscord, server: FanServer, mod: Member, news: Role
) -> None:
    """Discord answers 404 Unknown Role (the role was deleted a moment ago): the fan is told, not 'a bug'."""
    await set_up(server, mod, news)
    fd.faults.add("PUT", ROLE_ROUTE, kind="404", code=10011, message="Unknown Role")
    said = await told(await server.fan.run("/releases notify"))
    assert INTERNAL not in said and "deleted" in said


async def test_a_discord_5xx_on_the_role_is_a_fault_not_a_bug(
    fd: FakeDiscord, server: FanServer, mod: Member, news: Role
) -> None:
    await set_up(server, mod, news)
    fd.faults.add("PUT", ROLE_ROUTE, kind="5xx", status=503)
    said = await told(await server.fan.run("/releases notify"))
    assert INTERNAL not in said and "Discord had a problem" in said


async def test_a_role_with_moderator_powers_is_never_handed_out(server: FanServer, mod: Member) -> None:
    """A moderator picks a role that carries Administrator as the reminder role: Notify me must not turn every
    fan into an administrator (Discord only checks the hierarchy, so the bot has to)."""
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
    staff = server.guild.add_role("Staff pings", mentionable=True, permissions=perms.ADMINISTRATOR, position=0)
    answer(await mod.run("/reminders channel", options={"channel": server.channel}))
    answer(await mod.run("/reminders role", role=staff))
    await told(await server.fan.run("/releases notify"))
    assert staff not in server.fan.roles, "a fan gave themselves Administrator"
