"""Issue 21, items 1 and 6, as members read them: dates as dates, and sentences a person would write.

Each test is one kind the issue names: a date-only release is its date for every reader; the singular and the range
of one; a countdown said twice; a status summary that agrees with its details; unconfirmed versus unknown tracks;
echoed moderator text escaped everywhere. (A mirror link labelled as a mirror: tests/bot/test_cards.py for every
card, tests/e2e/test_catalogue.py through the emulator.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from bot.clock import SystemClock
from cogs.soundtrack.commands import no_episode
from fakediscord import Member, Reply
from tests.e2e.conftest import FanServer, said
from tests.e2e.test_reminders import answer, eventually, reminder_posts, set_up

ZWSP = "\u200b"


@pytest.fixture
async def mod(server: FanServer) -> Member:
    member: Member = server.guild.add_member("Mod", manage_guild=True)
    return member


def shown(reply: Reply) -> str:
    """What the member reads, whoever answered (the response or its follow-up)."""
    message = said(reply)
    return (message.content or "") + "\n" + json.dumps(message.embeds, ensure_ascii=False)


def midnight(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0, 0), dt.UTC).timestamp())


# -- item 1: dates as dates ---------------------------------------------------------------------------------------


async def test_a_date_only_release_reads_as_its_date_for_every_reader_and_posts_at_the_servers_midnight(
    server: FanServer, mod: Member
) -> None:
    """The server's zone is UTC. A date alone is shown as that date (a Toronto fan no longer reads the evening
    before), in each reader's language, with days to go counted in the server's calendar; its event says its time
    is the server's midnight; its posts still go out at that midnight."""
    clock = server.bot.clock
    assert isinstance(clock, SystemClock)
    await set_up(server, mod, None, "7d, 1d, 0")
    today = dt.datetime.fromtimestamp(clock.now(), dt.UTC).date()
    day = today + dt.timedelta(days=10)
    words = format_date(day, "EEE d MMMM y", locale="en")
    epoch = midnight(day)

    added = answer(await mod.run("/reminders add-release", title="Fan art contest", date=day.isoformat()))
    assert added.startswith(f"Added **Fan art contest**: {words} (in 10 days).")

    upcoming = answer(await server.fan.run("/releases upcoming"), ephemeral=False)
    assert f"**Fan art contest** · {words} · in 10 days" in upcoming and f"<t:{epoch}:" not in upcoming
    french = server.guild.add_member("Amélie", locale="fr")
    en_francais = answer(await french.run("/sorties à-venir"), ephemeral=False)
    assert f"**Fan art contest** · {format_date(day, 'EEEE d MMMM y', locale='fr')} · dans 10 jours" in en_francais
    countdown = answer(await server.fan.run("/releases countdown", release="Fan art contest"), ephemeral=False)
    assert f"Comes out in 10 days: {words}." in countdown

    preview = answer(await mod.run("/reminders preview", release="Fan art contest"))
    assert f"**Fan art contest**: {words} (in 7 days)" in preview, "the post as it will read, 7 days before"
    assert f"Comes out in 7 days: {words}." in preview and "Preview of the post · 1 week" in preview

    answer(await mod.run("/reminders events", mode="on"))
    (event,) = [e for e in server.guild.scheduled_events.values() if e.name == "Fan art contest"]
    assert int(event.start_time.timestamp()) == epoch, "the event still starts at the server's midnight"
    assert (event.description or "").startswith(
        f"Out on {words}. No time is announced: the time shown is midnight in this server's time zone (UTC)"
    )

    for due, when in ((epoch - 7 * 86400, "in 7 days"), (epoch - 86400, "tomorrow")):
        expected = len(reminder_posts(server.fd, server.channel)) + 1
        clock.jump_to(due - 0.5)
        await eventually(lambda: len(reminder_posts(server.fd, server.channel)) == expected)  # noqa: B023
        post = reminder_posts(server.fd, server.channel)[-1]
        assert post.content == f"**Fan art contest**: {words} ({when})"
        assert post.embeds[0]["description"] == f"Comes out {when}: {words}.", "said once, and as a date"
    clock.jump_to(epoch - 0.5)
    await eventually(lambda: len(reminder_posts(server.fd, server.channel)) == 3)
    release_day = reminder_posts(server.fd, server.channel)[-1]
    assert release_day.content == f"**Fan art contest**: {words} (today)"
    assert release_day.embeds[0]["description"] == f"Out now: {words}."


async def test_a_release_with_a_time_keeps_discords_timestamps(server: FanServer, mod: Member) -> None:
    at = dt.datetime.fromtimestamp(server.bot.clock.now(), ZoneInfo("UTC")) + dt.timedelta(days=3)
    added = answer(await mod.run("/reminders add-release", title="Premiere", date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}"))
    epoch = int(at.replace(second=0, microsecond=0).timestamp())
    assert added.startswith(f"Added **Premiere**: <t:{epoch}:F> (<t:{epoch}:R>).")
    upcoming = answer(await server.fan.run("/releases upcoming"), ephemeral=False)
    assert f"**Premiere** · <t:{epoch}:F> · <t:{epoch}:R>" in upcoming
    assert "Times are shown in your own time zone." in upcoming


# -- item 6: sentences a person would write ---------------------------------------------------------------------


async def test_a_countdown_is_said_once_in_the_preview(server: FanServer, mod: Member) -> None:
    """Kind: a countdown said twice. "1 week 2 days to go: out in 175 days" said the lead and a countdown that
    disagreed; the preview now says when and how far once, as the post will, and its footer names the lead."""
    answer(await mod.run("/reminders leadtimes", spec="1w2d, 0"))
    preview = answer(await mod.run("/reminders preview", release="unrivaled-book"))
    assert "Comes out in 9 days: Tue 1 June 2027." in preview and "Preview of the post · 1 week 2 days" in preview
    assert " to go" not in preview


async def test_the_singular_and_the_range_of_one(server: FanServer) -> None:
    """Kind: the singular and the range of one. "Use `page` from 1 to 1"; likewise a poll on its first round.
    ("Bar chart of the 1 track": tests/e2e/test_poll_chart.py.)"""
    page = shown(await server.fan.run("/soundtrack tracks", page=2))
    assert "There is no page 2: the tracklist has only one page. Leave `page` out." in page and "from 1 to" not in page
    answer(await server.fan.run("/poll vote", track="melt"), ephemeral=True)
    rounds = shown(await server.fan.run("/poll results", round=3))
    assert "There is no round 3: this server's poll is on its first round. Leave `round` out." in rounds
    assert "from 1 to" not in rounds


async def test_a_status_summary_agrees_with_its_details(server: FanServer, mod: Member) -> None:
    """Kind: a status summary that agrees with its details. A fresh server was "Not set up" next to "✅ I can post
    there, and the ping will notify", and after one release listed 6 "Next posts" and "pending: 6"."""
    fresh = answer(await mod.run("/reminders status"))
    assert "**Not set up**" in fresh and "No channel to check yet." in fresh and "✅" not in fresh
    day = dt.datetime.fromtimestamp(server.bot.clock.now(), dt.UTC).date() + dt.timedelta(days=20)
    answer(await mod.run("/reminders add-release", title="Fan art contest", date=day.isoformat()))
    waiting = answer(await mod.run("/reminders status"))
    assert "None until a channel is chosen; 6 planned posts wait for it." in waiting, (
        "3 for the book, 3 for the contest"
    )
    assert "pending" not in waiting and "Posts so far" in waiting and "None yet." in waiting

    answer(await mod.run("/reminders channel", options={"channel": server.channel}))
    on = answer(await mod.run("/reminders status"))
    assert f"✅ I can post in {server.channel.mention}." in on, "no role: no ping to promise"
    assert "**Fan art contest** · " in on and "1 week before: <t:" in on and "None until" not in on
    answer(await mod.run("/reminders disable"))
    off = answer(await mod.run("/reminders status"))
    assert "**Off**" in off and "None while posting is off; 6 planned posts wait for it to be on again." in off


@pytest.mark.parametrize("command", ["/soundtrack track", "/poll vote"])
async def test_an_unconfirmed_track_is_not_an_unknown_one(server: FanServer, command: str) -> None:
    """Kind: unconfirmed versus unknown. Track 20 exists (the album has 34) though its title is not confirmed;
    track 40 does not exist; a title that matches nothing is still "no track matches"."""
    unconfirmed = shown(await server.fan.run(command, track="track 20"))
    assert "Track 20 is on the album, but which title it has is not confirmed yet (9 of 34 tracks listed)" in (
        unconfirmed
    )
    assert "No track matches" not in unconfirmed
    assert "There is no track 40: the album has 34 tracks." in shown(await server.fan.run(command, track="#40"))
    assert "No track matches 'rivalry theme remix'." in shown(
        await server.fan.run(command, track="rivalry theme remix")
    )


HOSTILE = "Party **bold** <@&1> @everyone _x_"
INERT = f"Party \\*\\*bold\\*\\* <{ZWSP}@&1> @{ZWSP}everyone \\_x\\_"


def assert_inert(text: str) -> None:
    """The moderator's title shows as typed: none of its markdown or mentions takes effect."""
    assert "**bold**" not in text and "<@&1>" not in text and "@everyone" not in text and " _x_" not in text, text


async def test_a_moderators_text_is_echoed_as_typed_everywhere(server: FanServer, mod: Member) -> None:
    """Kind: echoed moderator text escaped everywhere. `Added **Party **bold** <@&1> @everyone _x_**` rendered
    bold and a role mention; each place that shows a title or description now shows them as typed."""
    clock = server.bot.clock
    assert isinstance(clock, SystemClock)
    await set_up(server, mod, None, "1d, 0")
    day = dt.datetime.fromtimestamp(clock.now(), dt.UTC).date() + dt.timedelta(days=2)
    added = answer(
        await mod.run("/reminders add-release", title=HOSTILE, date=day.isoformat(), description="# Big _news_ <@&1>")
    )
    assert added.startswith(f"Added **{INERT}**: ")
    answer(await mod.run("/reminders events", mode="on"))
    seen = {
        "added": added,
        "upcoming": answer(await server.fan.run("/releases upcoming"), ephemeral=False),
        "countdown": answer(await server.fan.run("/releases countdown", release=HOSTILE), ephemeral=False),
        "preview": answer(await mod.run("/reminders preview", release=HOSTILE)),
        "status": answer(await mod.run("/reminders status")),
    }
    clock.jump_to(midnight(day) - 86400 - 0.5)
    await eventually(lambda: len(reminder_posts(server.fd, server.channel)) == 1)
    post = reminder_posts(server.fd, server.channel)[0]
    seen["post"] = post.content + json.dumps(post.embeds, ensure_ascii=False)
    seen["removed"] = answer(await mod.run("/reminders remove-release", release=HOSTILE))
    for where, text in seen.items():
        assert INERT.replace("\\", "\\\\") in text or INERT in text, where
        assert_inert(text)
    description = post.embeds[0]["description"]
    assert description.endswith(f"\n\n\\# Big \\_news\\_ <{ZWSP}@&1>"), "a moderator's description, as typed"
    assert re.search(r"\*\*Party \\\*\\\*bold", post.content), "inside the template's own bold"


def test_an_episode_range_of_one_is_not_a_range() -> None:
    """Kind: the range of one, for a catalogue of one episode (an overlay can add episodes, never remove them, so
    the rule is checked without the emulator)."""
    assert no_episode(7, [1]) == "There is no episode 7: the catalogue has only episode 1."
    assert no_episode(7, [1, 2, 3]) == "There is no episode 7. Choose `number` from 1 to 3."
