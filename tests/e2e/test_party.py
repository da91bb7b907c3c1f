"""Listening parties end to end: scheduled by a moderator, run by the real bot through the emulator, with a fake clock.

The bot's clock and the emulator's move together (`jump`): each test jumps to just before a post is due and waits
for it, so a 34-track party takes seconds; every time a test checks is read from the emulator's record of the
messages (their snowflakes), against the schedule the test computes from the overlay's durations, never from the
bot's own tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.clock import SystemClock
from bot.db import Database
from bot.delivery import RETRY_BASE_S
from bot.demo.harness import emulated_bot, fake_token
from bot.releases import Origin, ServerReleases, own_number
from cogs.party.rules import COUNTDOWN_S, MAX_LENGTH_S, Advance, Play
from cogs.party.store import Made, PartyStore
from fakediscord import Channel, FakeDiscord, Guild, Member, Message, Reply, Thread
from fakediscord.snowflake import snowflake_time
from fakediscord.state import PUBLIC_THREAD
from fakediscord.threads import start_thread
from tests.e2e.conftest import FanServer, Start, kill

SETTLE = 0.05
ON_TIME_S = 2.0  # issue 22: each cue within 2 s of its time
TRACKS = 34


def duration_of(number: int) -> int:
    """The overlay's duration of track `number`: from 1:31 to 4:00, all different enough to tell cues apart."""
    return 91 + (number * 37) % 150


BUNDLED = ("rivalry", "melt", "those-english-words", "heartbeat-i", "face-off", "common-goal", "jane-and-lily",
           "two-souls")  # fmt: skip


def overlay(with_durations: bool) -> str:
    """The full tracklist (test data, titles say so), with each track's duration when `with_durations`."""
    lines = [
        '[overlay]\nsources = ["test"]\n[sources]\ntest = { name = "Test data", url = "https://example.org/test" }'
    ]
    for number in range(1, TRACKS + 1):
        seconds = duration_of(number)
        length = f'\nduration = "{seconds // 60}:{seconds % 60:02d}"' if with_durations else ""
        if number <= len(BUNDLED):
            lines.append(f'[[tracks]]\nid = "{BUNDLED[number - 1]}"{length}')
        elif number < TRACKS:
            lines.append(
                f'[[tracks]]\nid = "test-cue-{number}"\ntitle = "Test cue {number}"\nnumber = {number}{length}'
            )
        else:
            lines.append(f'[[tracks]]\nid = "its-you"\nnumber = {number}{length}')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def timed_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("overlay") / "durations.toml"
    path.write_text(overlay(with_durations=True), "utf-8")
    return load_catalogue(path)


@dataclass
class Server:
    guild: Guild
    channel: Channel
    mod: Member
    fan: Member
    other: Member


@dataclass
class Parties:
    fd: FakeDiscord
    bot: Any
    clock: SystemClock
    timed: Server
    hosted: Server


def add_server(fd: FakeDiscord, name: str) -> Server:
    guild = fd.add_guild(name)
    channel = guild.add_text_channel("listening-party")
    return Server(guild, channel, guild.add_member("Mod", manage_guild=True), guild.add_member("Shane"),
                  guild.add_member("Ilya"))  # fmt: skip


@pytest.fixture
async def parties(fd: FakeDiscord, tmp_path: Path, timed_catalogue: Catalogue) -> AsyncIterator[Parties]:
    """Two servers with the bot, whose catalogue knows every track's duration."""
    timed, hosted = add_server(fd, "Timed Fans"), add_server(fd, "Hosted Fans")
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", timed_catalogue) as bot:
        assert isinstance(bot.clock, SystemClock)
        yield Parties(fd, bot, bot.clock, timed, hosted)


def jump(fd: FakeDiscord, clock: SystemClock, epoch: float) -> None:
    """Move the bot's clock and the emulator's to `epoch` together (the emulator's only ever forward)."""
    clock.jump_to(epoch)
    ahead = epoch - fd.clock.now().timestamp()
    if ahead > 0:
        fd.clock.advance(ahead)


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def text_of(reply: Reply) -> str:
    message = reply.followups[-1] if reply.followups else reply.message
    assert message is not None, reply
    return message.content + "\n" + json.dumps(message.embeds, ensure_ascii=False)


def private(reply: Reply) -> str:
    assert reply.rejected == [], reply.rejected
    message = reply.followups[-1] if reply.followups else reply.message
    assert message is not None and message.ephemeral, reply
    return text_of(reply)


def slot(now: float, minutes: int = 10) -> dt.datetime:
    """A whole minute at least `minutes` ahead, as `/party-admin schedule` takes HH:MM."""
    return dt.datetime.fromtimestamp((int(now) // 60 + minutes) * 60, dt.UTC)


async def schedule(server: Server, at: dt.datetime, **options: Any) -> str:
    reply = await server.mod.run(
        "/party-admin schedule", channel=server.channel, title=options.pop("title", "Album night"),
        date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}", **options,
    )  # fmt: skip
    return private(reply)


def thread_of(server: Server) -> Thread:
    [thread] = server.guild.threads.values()
    return thread


def footer(message: Message) -> str:
    return str(message.embeds[0].get("footer", {}).get("text", "")) if message.embeds else ""


def cues(fd: FakeDiscord, channel: Channel) -> list[Message]:
    """The bot's cue posts in the channel (or thread), in the order Discord took them."""
    return [m for m in fd.channel_messages(channel) if " · track " in footer(m)]


def seconds_in(now: str) -> int:
    """How far into its track `/party now` says the party is ("0:42 of 3:05 in"), in seconds."""
    match = re.search(r"(\d+):(\d\d) of \d+:\d\d in", now)
    assert match is not None, now
    return int(match[1]) * 60 + int(match[2])


def posted_at(message: Message) -> float:
    """When Discord took the message, by the emulator's record (its snowflake)."""
    return snowflake_time(message.id).timestamp()


async def test_a_hosted_party_moves_on_with_next_for_the_host_and_moderators_only(
    server: FanServer, catalogue: Catalogue
) -> None:
    """Today no duration is known: a timed party is hosted from track 1, and says so."""
    fd, clock = server.fd, server.bot.clock
    assert isinstance(clock, SystemClock)
    guild = server.guild
    host = guild.add_member("Host", manage_guild=True)
    other_mod = guild.add_member("Other mod", manage_guild=True)
    here = Server(guild, server.channel, host, server.fan, server.other_fan)
    at = slot(clock.now())
    said = await schedule(here, at, play="tracks", tracks="1-3")
    start = int(at.timestamp())
    assert f"Scheduled **Album night**: <t:{start}:F>" in said
    assert "3 tracks: each track when the one before it ends, until track 1, whose length is unknown" in said

    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(guild.threads) == 1)
    [opening] = [m for m in fd.channel_messages(server.channel) if footer(m).startswith("Listening party #")]
    assert f"<t:{start + COUNTDOWN_S}:R>" in opening.embeds[0]["description"], "one message counts down"
    thread = thread_of(here)
    jump(fd, clock, start + COUNTDOWN_S - 0.5)
    await eventually(lambda: len(cues(fd, thread)) == 1)
    [first] = cues(fd, thread)
    assert first.embeds[0]["title"] == "Track 1 · Rivalry"
    assert "length is unknown, so the party is hosted from here" in first.embeds[0]["description"]

    refused = await server.fan.click(first, "Next")
    assert "Only the party's host" in private(refused)
    moved = await host.click(first, "Next")
    assert "On to track 2" in private(moved)
    await eventually(lambda: len(cues(fd, thread)) == 2)
    again = await host.click(first, "Next")
    assert "already moved on" in private(again), "a second click moves it on once"
    took_over = await other_mod.run("/party-admin next", channel=server.channel)
    assert "On to track 3" in private(took_over) and "You are the party's host now" in text_of(took_over)
    await eventually(lambda: len(cues(fd, thread)) == 3)
    now = private(await server.fan.run("/party now", channel=server.channel))
    assert "is playing track 3 of 3: **Those English Words Just Roll Off Your Tongue**" in now
    third = cues(fd, thread)[-1]
    await server.fan.click(third, "Track of the night")
    ended = await other_mod.click(third, "Next")
    assert "On to the recap" in private(ended)
    await eventually(lambda: any("recap" in footer(m) for m in fd.channel_messages(thread)))
    [recap] = [m for m in fd.channel_messages(thread) if "recap" in footer(m)]
    assert "3 of 3 tracks played." in recap.embeds[0]["description"]
    assert (
        "Track of the night: **Those English Words Just Roll Off Your Tongue** (1 ♥)." in recap.embeds[0]["description"]
    )
    assert [f.filename for f in recap.files] == [f"party-{footer(recap).split('#')[1].split(' ')[0]}-hearts.png"]
    await server.bot.wait_idle()
    assert thread.archived, "archived after the party"


async def test_a_34_track_timed_party_and_a_hosted_one_at_the_same_time(parties: Parties) -> None:
    """One server plays the album by the catalogue's durations while another's host moves on by hand. Every cue
    goes out once, in order, within 2 s of its time (by the emulator's record); `/party now` says where the party
    is; a fan hearts a track, changes the heart and leaves the server; the recap counts the night right."""
    fd, clock, timed, hosted = parties.fd, parties.clock, parties.timed, parties.hosted
    at = slot(clock.now())
    start = int(at.timestamp())
    venue = timed.guild.add_voice_channel("listening-lounge")
    await fd.gateway.sync()
    said = await schedule(timed, at, title="The album, timed", options={"channel": venue})
    assert "34 tracks: each track when the one before it ends." in said and venue.mention in said
    await schedule(hosted, at, title="Hosted night", play="tracks", tracks="2, 5", advance="hosted")
    before = private(await timed.fan.run("/party now", channel=timed.channel))
    assert f"Next listening party: **The album, timed**, <t:{start}:F>" in before
    schedule_of = [start + COUNTDOWN_S]
    for number in range(1, TRACKS + 1):
        schedule_of.append(schedule_of[-1] + duration_of(number))  # cue n at schedule_of[n - 1], the recap last

    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(timed.guild.threads) == 1 and len(hosted.guild.threads) == 1)
    thread, other_thread = thread_of(timed), thread_of(hosted)
    counting = private(await timed.fan.run("/party now", channel=timed.channel))
    assert f"**The album, timed** starts <t:{schedule_of[0]}:R>, in <#{thread.id}>: track 1 is **Rivalry**." in counting
    for number in range(1, TRACKS + 1):
        jump(fd, clock, schedule_of[number - 1] - 0.5)
        await eventually(lambda n=number: len(cues(fd, thread)) == n)  # type: ignore[misc]
        if number == 1:
            await eventually(lambda: len(cues(fd, other_thread)) == 1)
            moved = await hosted.mod.click(cues(fd, other_thread)[0], "Next")
            assert "On to track 2" in private(moved)
            await eventually(lambda: len(cues(fd, other_thread)) == 2)
            waiting = private(await hosted.fan.run("/party now", channel=hosted.channel))
            assert "**Hosted night** is playing track 2 of 2: **Face-Off**, 0:0" in waiting, waiting
            assert "When it ends, the host clicks **Next**." in waiting
        if number == 3:
            await timed.fan.click(cues(fd, thread)[-1], "Track of the night")
        if number == 5:
            jump(fd, clock, schedule_of[4] + 42)
            asked = clock.now() - schedule_of[4]
            now = private(await timed.other.run("/party now", channel=timed.channel))
            assert "is playing track 5 of 34: **Face-Off**" in now
            assert asked <= seconds_in(now) <= clock.now() - schedule_of[4], now
            assert f"Next: **Common Goal** <t:{schedule_of[5]}:R>." in now
        if number == 7:
            changed = private(await timed.fan.click(cues(fd, thread)[-1], "Track of the night"))
            assert "Your track of the night: **Jane and Lily**" in changed
            await timed.other.click(cues(fd, thread)[-1], "Track of the night")
            timed.guild.remove_member(timed.fan)  # the fan leaves the server: their heart stays counted once
        if number == 9:
            await timed.other.click(cues(fd, thread)[-1], "Track of the night")  # changed their mind: test cue 9
    jump(fd, clock, schedule_of[-1] - 0.5)
    await eventually(lambda: any("recap" in footer(m) for m in fd.channel_messages(thread)))
    await parties.bot.wait_idle()

    made = cues(fd, thread)
    assert [footer(m).split(" · ")[1] for m in made] == [f"track {n} of 34" for n in range(1, TRACKS + 1)]
    late = [(n, posted_at(m) - schedule_of[n - 1]) for n, m in enumerate(made, 1)]
    assert all(0 <= delay <= ON_TIME_S for _n, delay in late), late
    assert made[4].embeds[0]["title"] == "Track 5 · Face-Off"
    assert "||The first official face-off of their rookie season.||" in json.dumps(made[4].embeds, ensure_ascii=False)
    [recap] = [m for m in fd.channel_messages(thread) if "recap" in footer(m)]
    assert posted_at(recap) - schedule_of[-1] <= ON_TIME_S
    text = recap.embeds[0]["description"]
    assert "34 of 34 tracks played." in text
    assert "Tied for track of the night: **Jane and Lily** and **Test cue 9** (1 ♥ each)." in text
    assert "#1 **Jane and Lily** · 1 ♥" in text
    assert "#1 **Test cue 9** · 1 ♥" in text, "a tie shares the place"
    assert len(recap.files) == 1 and recap.files[0].description and "Jane and Lily" in recap.files[0].description
    assert thread.archived
    after = private(await timed.mod.run("/party now", channel=timed.channel))
    assert "The last listening party, **The album, timed**, ended" in after and "34 tracks played" in after
    assert [c.embeds[0]["title"] for c in cues(fd, other_thread)] == ["Track 2 · Melt", "Track 5 · Face-Off"]


def thread_posts(fd: FakeDiscord, thread: Channel) -> str:
    return f"/channels/{thread.id}/messages"


async def run_until_recap(parties: Parties, server: Server, start: int, numbers: list[int]) -> Thread:
    """Jump through a timed party of the tracks `numbers` (the overlay's durations), cue by cue, to its recap."""
    fd, clock = parties.fd, parties.clock
    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(server.guild.threads) == 1)
    thread = thread_of(server)
    due = start + COUNTDOWN_S
    for count, number in enumerate(numbers, 1):
        jump(fd, clock, due - 0.5)
        await eventually(lambda n=count: len(cues(fd, thread)) == n)  # type: ignore[misc]
        due += duration_of(number)
    jump(fd, clock, due - 0.5)
    await eventually(lambda: any("recap" in footer(m) for m in fd.channel_messages(thread)))
    return thread


async def test_a_429_on_a_cue_still_posts_it_once_and_on_time(parties: Parties) -> None:
    fd, clock, server = parties.fd, parties.clock, parties.timed
    at = slot(clock.now())
    start = int(at.timestamp())
    await schedule(server, at, play="tracks", tracks="1, 2")
    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(server.guild.threads) == 1)
    thread = thread_of(server)
    fd.faults.add("POST", thread_posts(fd, thread), "429", retry_after=0.5)
    jump(fd, clock, start + COUNTDOWN_S - 0.5)
    await eventually(lambda: len(cues(fd, thread)) == 1)
    await parties.bot.wait_idle()
    [cue] = cues(fd, thread)
    assert posted_at(cue) - (start + COUNTDOWN_S) <= ON_TIME_S, "discord.py waits out the 429 and sends again"
    attempts = [r for r in fd.requests_to("POST", thread_posts(fd, thread)) if r.json.get("embeds")]
    assert len(attempts) == 2 and attempts[0].json["nonce"] == attempts[1].json["nonce"], "the same nonce each time"
    assert len(cues(fd, thread)) == 1


async def test_a_party_is_a_release_of_its_server_until_it_is_cancelled(parties: Parties) -> None:
    """Its reminders, `/releases upcoming` and its native event (a voice event in the channel given) follow it like
    any release; cancelling it takes them all away."""
    fd, clock, server = parties.fd, parties.clock, parties.timed
    mod = server.mod
    venue = server.guild.add_voice_channel("listening-lounge")
    await fd.gateway.sync()
    assert "Reminders will be posted" in private(
        await mod.run("/reminders channel", options={"channel": server.channel})
    )
    private(await mod.run("/reminders leadtimes", spec="1h, 0"))
    private(await mod.run("/reminders events", mode="on"))
    at = slot(clock.now(), 60 * 24)
    await schedule(server, at, title="Vinyl night", options={"channel": venue}, link="https://example.org/stream")
    await parties.bot.wait_idle()
    upcoming = text_of(await server.fan.run("/releases upcoming", channel=server.channel))
    assert "**Vinyl night** · <t:" in upcoming
    status = private(await mod.run("/reminders status", channel=server.channel))
    assert "**Vinyl night** · <t:" in status and "1 hour before" in status
    [event] = [e for e in server.guild.scheduled_events.values() if e.name == "Vinyl night"]
    assert (event.entity_type, event.channel_id) == (2, venue.id), "a voice event in the party's channel"
    assert "**Vinyl night**" in private(await mod.run("/party-admin status", channel=server.channel))

    cancelled = private(await mod.run("/party-admin cancel", channel=server.channel, party="Vinyl night"))
    assert "Cancelled **Vinyl night**; its reminders and its Discord event go with it." in cancelled
    await parties.bot.wait_idle()
    assert event.status_name == "canceled"
    assert "Vinyl night" not in text_of(await server.fan.run("/releases upcoming", channel=server.channel))
    assert (
        "Vinyl night"
        not in private(await mod.run("/reminders status", channel=server.channel)).split("Posts so far")[0]
    )
    assert "was cancelled" in private(await server.fan.run("/party now", channel=server.channel))
    jump(fd, clock, at.timestamp() + 5)
    await parties.bot.wait_idle()
    assert server.guild.threads == {} and cues(fd, server.channel) == [], "nothing is posted"


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"play": "tracks"}, "`tracks`: list the track numbers to play, like 1, 5, 8-12."),
        ({"tracks": "3, x"}, "`tracks`: 'x' is not a track number or a range"),
        ({"tracks": "1, 40"}, "`tracks`: The catalogue knows no track 40"),
        ({"play": "album", "tracks": "1"}, "`tracks` is for a party that plays the tracks you list; leave it out to play the album."),
        ({"date": "2020-01-01"}, "`date` and `time`: 2020-01-01 20:00 (UTC) has already passed"),
        ({"time": "25:00"}, "`time`: '25:00' is not a time"),
        ({"link": "example.org"}, "`link`: 'example.org' does not start with https:// or http://"),
    ],
)  # fmt: skip
async def test_a_bad_party_is_refused_naming_the_option(
    parties: Parties, options: dict[str, str], refusal: str
) -> None:
    server = parties.timed
    values: dict[str, Any] = {"title": "Bad", "date": "2035-06-01", "time": "20:00", **options}
    said = private(await server.mod.run("/party-admin schedule", channel=server.channel, **values))
    assert refusal in said, said


async def test_limits_one_party_at_a_time_and_four_coming_up(parties: Parties) -> None:
    server, clock = parties.timed, parties.clock
    first = slot(clock.now(), 60 * 24)
    await schedule(server, first, title="Monday")
    overlap = await server.mod.run(
        "/party-admin schedule", channel=server.channel, title="Clash", date=f"{first:%Y-%m-%d}",
        time=f"{first + dt.timedelta(minutes=30):%H:%M}",
    )  # fmt: skip
    assert "**Monday** runs from" in private(overlap) and "one party at a time" in private(overlap)
    for week in range(1, 4):
        await schedule(server, first + dt.timedelta(days=7 * week), title=f"Week {week}")
    full = await server.mod.run(
        "/party-admin schedule", channel=server.channel, title="Fifth", date=f"{first + dt.timedelta(days=40):%Y-%m-%d}",
        time="20:00",
    )  # fmt: skip
    assert "4 parties coming up, the most it can have" in private(full)
    locked = server.guild.add_text_channel("locked", bot_permissions=0x400 | 0x800 | 0x4000)  # view, send, embed
    await parties.fd.gateway.sync()
    refused = await server.mod.run(
        "/party-admin schedule", channel=locked, title="Nope", date="2035-06-01", time="20:00"
    )
    assert "I need Create Public Threads and Send Messages in Threads there" in private(refused)


async def test_a_restart_mid_party_resumes_at_the_track_playing_now(
    fd: FakeDiscord, tmp_path: Path, timed_catalogue: Catalogue
) -> None:
    """The bot is away while tracks 2 and 3 start: back during track 3, it posts track 3's cue, saying it is late,
    passes track 2 over, and carries on on time; the recap says so. The same happens after a SIGKILL
    (`test_a_sigkill_mid_party_then_a_restart`, in real time)."""
    server, clock, database = add_server(fd, "Restart Fans"), SystemClock(), tmp_path / "bot.sqlite3"
    async with emulated_bot(fd, fake_token(), database, timed_catalogue, clock=clock):
        at = slot(clock.now())
        start = int(at.timestamp())
        await schedule(server, at, play="tracks", tracks="1-4")
        jump(fd, clock, start - 0.5)
        await eventually(lambda: len(server.guild.threads) == 1)
        jump(fd, clock, start + COUNTDOWN_S - 0.5)
        await eventually(lambda: len(cues(fd, thread_of(server))) == 1)
    thread = thread_of(server)
    third = start + COUNTDOWN_S + duration_of(1) + duration_of(2)
    jump(fd, clock, third + 30)
    async with emulated_bot(fd, fake_token(), database, timed_catalogue, clock=clock) as bot:
        await eventually(lambda: len(cues(fd, thread)) == 2)
        late = cues(fd, thread)[-1]
        assert late.embeds[0]["title"] == "Track 3 · Those English Words Just Roll Off Your Tongue"
        assert f"Late: this track started <t:{third}:R>; I was away." in late.embeds[0]["description"]
        asked = clock.now() - third
        now = private(await server.fan.run("/party now", channel=server.channel))
        assert "is playing track 3 of 4" in now
        assert 30 <= asked <= seconds_in(now) <= clock.now() - third, "how far in, by the party's timeline"
        fourth = third + duration_of(3)
        jump(fd, clock, fourth - 0.5)
        await eventually(lambda: len(cues(fd, thread)) == 3)
        assert posted_at(cues(fd, thread)[-1]) - fourth <= ON_TIME_S and "Late" not in json.dumps(
            cues(fd, thread)[-1].embeds
        )
        jump(fd, clock, fourth + duration_of(4) - 0.5)
        await eventually(lambda: any("recap" in footer(m) for m in fd.channel_messages(thread)))
        await bot.wait_idle()
    [recap] = [m for m in fd.channel_messages(thread) if "recap" in footer(m)]
    assert "3 of 4 tracks played." in recap.embeds[0]["description"]
    assert "1 track was passed over while I was away." in recap.embeds[0]["description"]
    assert [footer(m).split(" · ")[1] for m in cues(fd, thread)] == ["track 1 of 4", "track 3 of 4", "track 4 of 4"]


async def test_a_start_that_passed_while_the_bot_was_away_follows_the_downtime_policy(
    fd: FakeDiscord, tmp_path: Path, timed_catalogue: Catalogue
) -> None:
    """Within the 12-hour grace period the party starts late, saying so, its timeline moved; later, it is missed and
    nothing is posted, as with a release-moment reminder."""
    late_server, missed_server = add_server(fd, "Late Fans"), add_server(fd, "Missed Fans")
    clock, database = SystemClock(), tmp_path / "bot.sqlite3"
    async with emulated_bot(fd, fake_token(), database, timed_catalogue, clock=clock):
        now = clock.now()
        late_at, missed_at = slot(now, 60 * 13), slot(now, 60)
        await schedule(late_server, late_at, play="tracks", tracks="1")
        await schedule(missed_server, missed_at, play="tracks", tracks="1")
    back = int(late_at.timestamp()) + 20 * 60  # 20 minutes after the late party's time, 12 h after the other's
    jump(fd, clock, back)
    async with emulated_bot(fd, fake_token(), database, timed_catalogue, clock=clock) as bot:
        await eventually(lambda: len(late_server.guild.threads) == 1)
        [opening] = [m for m in fd.channel_messages(late_server.channel) if footer(m).startswith("Listening party")]
        description = opening.embeds[0]["description"]
        assert f"I was away when it was due (<t:{int(late_at.timestamp())}:F>), so it starts now, late." in description
        first = int(posted_at(opening)) + COUNTDOWN_S
        assert abs(int(description.split("<t:")[1].split(":R>")[0]) - first) <= 2, "the countdown runs from now"
        await bot.wait_idle()
        assert missed_server.guild.threads == {} and fd.channel_messages(missed_server.channel) == []
        missed = private(await missed_server.fan.run("/party now", channel=missed_server.channel))
        assert "did not take place: I was away when it was due" in missed
        status = private(await missed_server.mod.run("/party-admin status", channel=missed_server.channel))
        assert "its start passed while I was away, longer ago than the 12-hour grace period" in status


# -- the real process: SIGKILLs mid-party ----------------------------------------------------------------------

CRASH_TRACK_S = 10  # each track of the SIGKILL test's party, in real time: a restart fits well within one


async def seed_running_party(database: Path, guild: Guild, channel: Channel, thread: Thread, cue_at: int) -> None:
    """A timed party of tracks 1-3 that started in an earlier run: its start message is out, its thread open, and
    track 1's cue is due at `cue_at`; its release is the server's, as `/party-admin schedule` makes it."""
    start_at, now = cue_at - COUNTDOWN_S, int(time.time())
    guild_id, thread_id = int(guild.id), int(thread.id)
    moment = dt.datetime.fromtimestamp(start_at, dt.UTC)
    async with Database.open(database) as db:
        release = await ServerReleases(db).add_release(
            guild_id, title="Crash night", date=moment.date(), time=moment.time(), link=None, description=None,
            now=now, kind=Origin.PARTY, zone="UTC",
        )  # fmt: skip
        number = own_number(release.id)
        assert number is not None
        store = PartyStore(db)
        party = await store.create(
            guild_id, release=number, title="Crash night", start_at=start_at, play=Play.TRACKS, picks=(1, 2, 3),
            advance=Advance.TIMED, channel_id=int(channel.id), venue_id=None, link=None, host_id=int(guild.owner_id), now=now,
        )  # fmt: skip
        tracks = [(track_id, CRASH_TRACK_S) for track_id in BUNDLED[:3]]
        party = await store.begin(party, tracks, 0, now)
        made = Made(party, 0, start_at, thread_id, False, next_due=cue_at, deadline=start_at + MAX_LENGTH_S,
                    thread_id=thread_id)  # fmt: skip
        await store.record(made, now)


def party_over(database: Path) -> bool:
    """The bot's own record says the party is over: its recap was recorded, nothing more will be posted."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT COUNT(*) FROM parties WHERE state = 'over'").fetchone()
    return int(row[0]) == 1


@pytest.mark.slow
async def test_a_sigkill_mid_party_then_a_restart(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start]
) -> None:
    """The bot is killed while discord.py waits to retry track 2's cue, which Discord stored but whose answer was
    lost, and the outage outlasts Discord's memory of nonces; then again the instant Discord shows track 3's cue
    (before the bot may have recorded it). Each restart resumes at the right track: every cue exactly once, in
    order, and the recap counts the three."""
    guild = fd.add_guild("Crash Fans")
    channel = guild.add_text_channel("listening-party")
    thread = start_thread(channel, guild.bot_member, "Crash night", kind=PUBLIC_THREAD)
    overlay = tmp_path / "overlay.toml"
    overlay.write_text(
        '[overlay]\nsources = ["test"]\n[sources]\ntest = { name = "Test data", url = "https://example.org/t" }\n'
        + "".join(f'[[tracks]]\nid = "{track_id}"\nduration = "0:{CRASH_TRACK_S}"\n' for track_id in BUNDLED[:3]),
        "utf-8",
    )
    database = tmp_path / "bot.sqlite3"
    cue_at = int(time.time()) + 8
    await seed_running_party(database, guild, channel, thread, cue_at)
    start = launcher(overlay)

    first = await start()
    await eventually(lambda: len(cues(fd, thread)) == 1, timeout=30)
    fd.faults.add("POST", thread_posts(fd, thread), kind="commit_then_502")
    await eventually(lambda: len(cues(fd, thread)) == 2, timeout=30)
    await kill(first)  # Discord stored track 2's cue; its answer was lost and discord.py waits to retry
    fd.faults.clear()
    fd.clock.advance(600)  # the outage outlasts Discord's memory of the nonce: only the bot can tell now
    second = await start()
    await eventually(lambda: len(cues(fd, thread)) >= 3, timeout=30)
    await kill(second)  # the instant track 3's cue shows: its record may not be made yet
    await start()
    await eventually(lambda: party_over(database), timeout=60)
    made = cues(fd, thread)
    assert [footer(m).split(" · ")[1] for m in made] == ["track 1 of 3", "track 2 of 3", "track 3 of 3"]
    assert [m.embeds[0]["title"] for m in made] == ["Track 1 · Rivalry", "Track 2 · Melt",
                                                     "Track 3 · Those English Words Just Roll Off Your Tongue"]  # fmt: skip
    [recap] = [m for m in fd.channel_messages(thread) if "recap" in footer(m)]
    assert "3 of 3 tracks played." in recap.embeds[0]["description"]
    assert "passed over" not in recap.embeds[0]["description"]
    await eventually(lambda: thread.archived)


async def test_a_party_posts_in_the_servers_language_and_answers_each_member_in_theirs(
    french_server: FanServer,
) -> None:
    """A French server's party speaks French in its channel and thread (its buttons too); an English-speaking fan's
    `/party now` and ♥ answer in English, a French-speaking one's in French."""
    fd, clock, guild = french_server.fd, french_server.bot.clock, french_server.guild
    assert isinstance(clock, SystemClock)
    host = guild.add_member("Hôte", manage_guild=True, locale="fr")
    here = Server(guild, french_server.channel, host, french_server.fan, french_server.other_fan)
    at = slot(clock.now())
    start = int(at.timestamp())
    said = await schedule(here, at, title="Soirée album", play="tracks", tracks="1", advance="hosted")
    assert "**Soirée album** est programmée" in said, "the host reads French"
    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(guild.threads) == 1)
    thread = thread_of(here)
    jump(fd, clock, start + COUNTDOWN_S - 0.5)
    await eventually(lambda: any("pièce 1 sur 1" in footer(m) for m in fd.channel_messages(thread)))
    [opening] = [m for m in fd.channel_messages(here.channel) if footer(m).startswith("Soirée d'écoute n°")]
    assert "La soirée d'écoute commence" in opening.embeds[0]["description"]
    [cue] = [m for m in fd.channel_messages(thread) if "pièce 1 sur 1" in footer(m)]
    assert cue.embeds[0]["title"] == "Pièce 1 · Rivalry"
    english = private(await french_server.fan.click(cue, "Pièce de la soirée"))
    assert "Your track of the night: **Rivalry**" in english
    french = private(await french_server.other_fan.click(cue, "Pièce de la soirée"))
    assert "Ta pièce de la soirée" in french, french
    assert "is playing track 1 of 1: **Rivalry**" in private(
        await french_server.fan.run("/party now", channel=here.channel)
    )
    assert "pièce 1 sur 1" in private(await french_server.other_fan.run("/party now", channel=here.channel))
    assert "le bilan" in private(await host.click(cue, "Suivant"))
    await eventually(lambda: any("bilan" in footer(m) for m in fd.channel_messages(thread)))
    [recap] = [m for m in fd.channel_messages(thread) if "bilan" in footer(m)]
    assert "**Rivalry** (2 ♥)" in recap.embeds[0]["description"]


async def test_cancelling_a_running_party_archives_its_thread_and_stops_it(server: FanServer) -> None:
    fd, clock, guild = server.fd, server.bot.clock, server.guild
    assert isinstance(clock, SystemClock)
    mod = guild.add_member("Mod", manage_guild=True)
    here = Server(guild, server.channel, mod, server.fan, server.other_fan)
    at = slot(clock.now())
    start = int(at.timestamp())
    await schedule(here, at, title="Short night", play="tracks", tracks="1-3", advance="hosted")
    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(guild.threads) == 1)
    thread = thread_of(here)
    jump(fd, clock, start + COUNTDOWN_S - 0.5)
    await eventually(lambda: len(cues(fd, thread)) == 1)
    cancelled = private(await mod.run("/party-admin cancel", channel=server.channel, party="Short night"))
    assert "Cancelled **Short night**" in cancelled
    await server.bot.wait_idle()
    assert thread.archived
    assert "No listening party is running" in private(await mod.click(cues(fd, thread)[0], "Next"))
    hearted = private(await server.fan.click(cues(fd, thread)[0], "Track of the night"))
    assert "This party did not go on to the end" in hearted
    assert "**Short night**" in (said := private(await server.fan.run("/party now", channel=server.channel)))
    assert "was cancelled" in said
    jump(fd, clock, start + 7200)
    await server.bot.wait_idle()
    assert len(cues(fd, thread)) == 1 and not any("recap" in footer(m) for m in fd.channel_messages(thread))


async def test_a_thread_discord_fails_to_open_is_opened_later_on_the_one_start_message(server: FanServer) -> None:
    """Discord's proxy answers 503 to the thread (discord.py does not retry it); the bot's own retry comes after
    Discord forgot the start message's nonce, so it finds the message in the channel rather than posting it again."""
    fd, clock, guild = server.fd, server.bot.clock, server.guild
    assert isinstance(clock, SystemClock)
    here = Server(guild, server.channel, guild.add_member("Mod", manage_guild=True), server.fan, server.other_fan)
    at = slot(clock.now())
    start = int(at.timestamp())
    await schedule(here, at, play="tracks", tracks="1", advance="hosted")
    fd.faults.add("POST", f"/channels/{server.channel.id}/messages/{{message_id}}/threads", kind="5xx", status=503)
    jump(fd, clock, start - 0.5)
    await eventually(lambda: len(fd.channel_messages(server.channel)) == 1)
    await server.bot.wait_idle()
    assert guild.threads == {}
    fd.clock.advance(600)  # Discord no longer remembers the start message's nonce
    jump(fd, clock, start + RETRY_BASE_S + 1)
    await eventually(lambda: len(guild.threads) == 1)
    [opening] = [m for m in fd.channel_messages(server.channel) if footer(m).startswith("Listening party #")]
    assert thread_of(here).id == opening.id


async def test_removing_a_partys_release_by_hand_cancels_the_party(parties: Parties) -> None:
    """`/reminders remove-release` lists a party's release with the others; removing it cancels the party too, so
    no party runs without its reminders and event."""
    fd, clock, server = parties.fd, parties.clock, parties.timed
    at = slot(clock.now())
    await schedule(server, at, title="Gone night", play="tracks", tracks="1")
    removed = private(await server.mod.run("/reminders remove-release", channel=server.channel, release="Gone night"))
    assert "Gone night" in removed
    await parties.bot.wait_idle()
    assert "was cancelled" in private(await server.fan.run("/party now", channel=server.channel))
    status = private(await server.mod.run("/party-admin status", channel=server.channel))
    assert "its release was removed with /reminders remove-release" in status
    jump(fd, clock, at.timestamp() + 5)
    await parties.bot.wait_idle()
    assert server.guild.threads == {} and fd.channel_messages(server.channel) == [], "nothing is posted"
