"""Every interaction answered, whatever a fan or moderator types or clicks (issue 10), end to end.

One regression test per kind of input that used to end in "This interaction failed", the internal-error
apology, or a refusal of valid input; each failing input of the issue is here as typed. The property test
over every string option is in `test_every_option.py`.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.bot import STALE_COMPONENT
from bot.catalogue import Catalogue, load_catalogue
from bot.errors import INTERNAL_ERROR, NOT_IN_A_SERVER
from cogs.reminders.posts import ROLE_DELETED_NOTICE
from fakediscord import FakeDiscord, Member, Message, Reply, Role, pick
from tests.conftest import FULL_TRACKLIST_OVERLAY
from tests.e2e.conftest import FanServer, fan_server, said

DEADLINE_S = 3.0
MESSAGES = re.compile(r"^/channels/\d+/messages$")
SETTLE = 0.05  # a short quiet period after each answer: every answer here is one initial response
FIRE = "🔥🔥"
ACCENTED = "Ça commence · été"


@pytest.fixture
def odd_catalogue(tmp_path: Path) -> Catalogue:
    """The full tracklist, track 9 titled only with emoji and track 10 with accents (test data)."""
    overlay = tmp_path / "odd.toml"
    titles = FULL_TRACKLIST_OVERLAY.replace('"Test cue 9"', f'"{FIRE}"').replace('"Test cue 10"', f'"{ACCENTED}"')
    overlay.write_text(titles, "utf-8")
    return load_catalogue(overlay)


@pytest.fixture
async def odd_server(fd: FakeDiscord, tmp_path: Path, odd_catalogue: Catalogue) -> AsyncIterator[FanServer]:
    async with fan_server(fd, tmp_path / "bot.sqlite3", odd_catalogue) as running:
        yield running


@pytest.fixture
async def mod(server: FanServer) -> Member:
    member: Member = server.guild.add_member("Mod", manage_guild=True)
    return member


def answer(reply: Reply, *, ephemeral: bool = True) -> str:
    """What the member reads, after checking it was acknowledged in time, accepted, and visible as it should be."""
    assert reply.elapsed is not None and reply.elapsed < DEADLINE_S, reply
    assert reply.rejected == [], reply.rejected
    message = said(reply)
    assert message.ephemeral is ephemeral, reply
    return (message.content or "") + "\n" + json.dumps(message.embeds, ensure_ascii=False)


async def add_release(mod: Member, title: str = "Listening party", date: str = "2035-06-01", **more: str) -> Reply:
    return await mod.run("/reminders add-release", options={"title": title, "date": date, **more})


# -- 1. answer first, then do slow work --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [{"kind": "429", "retry_after": 3.2}, {"kind": "delay", "seconds": 3.5}], ids=["429-3.2s", "slow-3.5s"]
)
@pytest.mark.parametrize("command", ["/poll-admin post", "/reminders test"])
async def test_a_command_that_posts_answers_in_time_when_its_post_is_slow(
    server: FanServer, mod: Member, command: str, fault: dict[str, Any]
) -> None:
    """Regression: the post met a 429 of 3.2 s (or took 3.5 s) before the answer, and Discord showed "This
    interaction failed" although the post went out, so a moderator who tried again got a duplicate."""
    fd, channel = server.fd, server.channel
    answer(await mod.run("/reminders channel", options={"channel": channel}))
    answer(await add_release(mod))
    fd.faults.add("POST", MESSAGES, **fault)
    reply = await mod.run(command, options={"channel": channel} if command == "/poll-admin post" else {})
    assert reply.deferred and reply.elapsed is not None and reply.elapsed < 1.0, "acknowledged at once"
    await reply.wait(timeout=10)
    assert answer(reply).startswith(("Ballot posted: https://", "Test reminder posted: https://"))
    assert len(fd.channel_messages(channel)) == 1, "exactly one post"


@pytest.mark.parametrize(
    "fault", [{"kind": "429", "retry_after": 3.2}, {"kind": "delay", "seconds": 3.5}], ids=["429-3.2s", "slow-3.5s"]
)
async def test_a_button_that_edits_its_message_answers_in_time_when_the_edit_is_slow(
    server: FanServer, mod: Member, fault: dict[str, Any]
) -> None:
    asked = await mod.run("/poll-admin reset")
    server.fd.faults.add("PATCH", re.compile(r"^/webhooks/"), **fault)
    confirmed = await mod.click(asked, "Start round 2")
    assert confirmed.deferred and confirmed.elapsed is not None and confirmed.elapsed < 1.0, "acknowledged at once"
    async with asyncio.timeout(10):  # a deferred update shows nothing until the edit lands
        while not said(confirmed).content.startswith("Round 2 has started."):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    answer(confirmed)


# -- 2. never echo unbounded input -------------------------------------------------------------------------


async def test_a_long_time_zone_is_bounded_and_its_refusal_quotes_it_short(server: FanServer, mod: Member) -> None:
    """Regression: 1,900 characters in `zone` made a refusal over 2,000 characters, which Discord refused too."""
    with pytest.raises(AssertionError, match="allows at most 100 characters"):  # Discord's client stops it
        await mod.run("/reminders timezone", zone="x" * 1900)
    refused = answer(await mod.run("/reminders timezone", zone="Mars/" + "x" * 95))
    assert refused.startswith("`zone`: 'Mars/xxx") and "x" * 80 not in refused and "…'" in refused


# -- 3. every free-text option validated at the boundary ---------------------------------------------------


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("   ", "is empty once spaces and invisible characters are removed"),
        ("\u200b\u200f", "is empty once spaces and invisible characters are removed"),
        ("\ud800 party", "contains a broken character (an unpaired surrogate)"),
        ("party\x07", "contains an invisible control character (U+0007)"),
    ],
    ids=["spaces", "invisible", "lone-surrogate", "control"],
)
async def test_text_that_is_blank_or_broken_is_refused_naming_the_option(
    server: FanServer, mod: Member, caplog: pytest.LogCaptureFixture, title: str, problem: str
) -> None:
    """Regression: a blank title was stored and broke every release autocomplete; a lone surrogate or a control
    character ended in the internal-error apology and a traceback."""
    refused = answer(await add_release(mod, title))
    assert refused.startswith(f"`title` {problem}")
    assert await mod.autocomplete("/releases countdown", "release", "") != []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("https://exa mple.com/x", "contains spaces or invisible characters"),
        ("http://localhost/x", "does not name a public web server"),
        ("https://example/x", "does not name a public web server"),
        ("javascript:alert(1)", "does not start with https:// or http://"),
    ],
)
async def test_links_discord_would_refuse_on_an_embed_are_refused_when_typed(
    server: FanServer, mod: Member, link: str, problem: str
) -> None:
    """Regression: these were accepted, and Discord then refused every post that embedded them."""
    assert answer(await add_release(mod, link=link)).startswith(f"`link`: '{link}' {problem}")


async def test_every_string_option_declares_its_length_bound(server: FanServer) -> None:
    """So that Discord's client enforces it too; read from what the bot registered, so new options are covered."""
    options = [
        (command["name"], option)
        for command in server.fd.commands()
        for option in leaf_options(command.get("options", []))
        if option["type"] == 3 and not option.get("choices")  # a choice's value is the bot's own
    ]
    assert options, "the bot registers string options"
    unbounded = [f"/{name} {option['name']}" for name, option in options if "max_length" not in option]
    assert unbounded == []


def leaf_options(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [leaf for o in options for leaf in (leaf_options(o.get("options", [])) if o["type"] in (1, 2) else [o])]


# -- 4. dates that cannot be planned are refused when typed --------------------------------------------------


async def test_dates_outside_the_horizon_are_refused_naming_the_bound(server: FanServer, mod: Member) -> None:
    """Regression: 9999-12-31 23:00 overflowed in a zone west of UTC, and 0001-01-01 in Asia/Tokyo."""
    answer(await mod.run("/reminders timezone", zone="America/Los_Angeles"))
    far = answer(await add_release(mod, date="9999-12-31", time="23:00"))
    assert re.match(r"`date` and `time`: 9999-12-31 23:00 is too far ahead: a release can be at most 10 years", far)
    assert re.search(r"on \d{4}-\d{2}-\d{2} at the latest", far)
    answer(await mod.run("/reminders timezone", zone="Asia/Tokyo"))
    assert "has already passed" in answer(await add_release(mod, date="0001-01-01"))
    assert "Added **Listening party**" in answer(await add_release(mod, date="2035-12-31", time="23:00"))
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):  # a later zone change keeps it plannable
        assert "Next post" in answer(await mod.run("/reminders timezone", zone=zone))
    assert "Listening party" in answer(await mod.run("/releases upcoming"), ephemeral=False)


# -- 5. time zones as people type them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "said_back"),
    [
        ("EST", "America/New_York", "EST is read as US Eastern Time, the time in America/New_York"),
        ("GMT+1", "Etc/GMT-1", "**UTC+1 (Etc/GMT-1)** (GMT+1 is read as the fixed offset UTC+1."),
        ("GMT-5", "Etc/GMT+5", "**UTC-5 (Etc/GMT+5)** (GMT-5 is read as the fixed offset UTC-5."),
        ("AEST", "Australia/Sydney", "AEST is read as Australian Eastern Time"),
    ],
)
async def test_zones_are_read_as_people_mean_them_and_said_back(
    server: FanServer, mod: Member, typed: str, stored: str, said_back: str
) -> None:
    """Regression: `EST` was a fixed UTC-5 (a New York summer event an hour late); `GMT+1` was stored as
    `Etc/GMT+1`, which is UTC-1, and `GMT-5` as UTC+5 (posts 10 hours early)."""
    text = answer(await mod.run("/reminders timezone", zone=typed))
    assert said_back in text
    assert ("follows daylight saving" in text) is (stored in ("America/New_York", "Australia/Sydney"))
    row = await server.bot.db.fetchone("SELECT zone FROM reminder_guilds WHERE guild_id = ?", (int(server.guild.id),))
    assert row is not None and row[0] == stored


async def test_refused_zones_suggest_cities(server: FanServer, mod: Member) -> None:
    """Regression: refusing `UTC+1` suggested `Etc/GMT+1` (UTC-1), and `AEST` suggested `EST`."""
    refused = answer(await mod.run("/reminders timezone", zone="UTC+5:30"))
    assert "Cities at UTC+5:30 now: Asia/Kolkata" in refused
    assert "Etc/" not in answer(await mod.run("/reminders timezone", zone="Torronto"))
    choices = await mod.autocomplete("/reminders timezone", "zone", "gmt")
    assert all(c["value"] == "UTC" or ("/" in c["value"] and not c["value"].startswith("Etc/")) for c in choices)


# -- 6. a choice's name is as good as its value --------------------------------------------------------------


async def test_a_choice_name_or_a_track_number_finds_the_track(odd_server: FanServer) -> None:
    """Regression: "2. Melt" (the choice's name, which some clients send) and "5", "#5", "track 5" were refused."""
    fan = odd_server.fan
    choices = await fan.autocomplete("/poll vote", "track", "melt")
    assert choices[0] == {"name": "2. Melt", "value": "melt"}
    assert "**Melt · track 2**" in answer(await fan.run("/poll vote", track="2. Melt"))
    for typed in ("5", "#5", "track 5"):
        assert "track 5**" in answer(await fan.run("/poll vote", track=typed)), typed
    card = await fan.run("/soundtrack track", track="12. Test cue 12")
    assert "Test cue 12" in answer(card, ephemeral=False)


async def test_an_emoji_title_is_found_by_its_emoji_and_not_by_a_question_mark(odd_server: FanServer) -> None:
    """Regression: a title made only of emoji could not be found by its emoji, and the text "?" matched it."""
    fan = odd_server.fan
    assert "9. " + FIRE in [c["name"] for c in await fan.autocomplete("/poll vote", "track", FIRE)]
    assert f"**{FIRE} · track 9**" in answer(await fan.run("/poll vote", track=FIRE))
    assert answer(await fan.run("/poll vote", track="?")).startswith("`track`: No track matches '?'.")


async def test_a_release_and_a_song_are_found_by_their_choice_names(server: FanServer, mod: Member) -> None:
    answer(await add_release(mod, "Watch party"))
    [choice] = [c for c in await mod.autocomplete("/releases countdown", "release", "watch") if "Watch" in c["name"]]
    assert "Watch party" in answer(await mod.run("/releases countdown", release=choice["name"]), ephemeral=False)
    [song] = (await mod.autocomplete("/soundtrack song", "query", ""))[:1]
    assert answer(await mod.run("/soundtrack song", query=song["name"]), ephemeral=False)


# -- 7. components whose state has moved on --------------------------------------------------------------------


async def ballot(server: FanServer) -> Message:
    moderator = server.guild.add_member("Poll mod", manage_guild=True)
    answer(await moderator.run("/poll-admin post", options={"channel": server.channel}))
    return server.fd.channel_messages(server.channel)[-1]


async def test_a_pick_refreshes_the_ballot_so_the_same_track_can_be_picked_again(odd_server: FanServer) -> None:
    """Regression: the menu kept showing the member's choice, so picking the same track later sent nothing."""
    message = await ballot(odd_server)
    for _ in range(2):
        chosen = await odd_server.fan.select(message, ["melt"], custom_id="hr:poll:pick:0")
        assert chosen.response_type == 7 and chosen.message is message, "answered by refreshing the ballot"
        assert answer(chosen).startswith("Your vote in round 1: **Melt · track 2**")


async def test_a_rank_button_for_a_track_that_left_the_catalogue_is_refused(odd_server: FanServer) -> None:
    """Regression: the menu refused such a track but the top-3 rank button still recorded a vote."""
    fan = odd_server.fan
    moderator = odd_server.guild.add_member("Settings mod", manage_guild=True)
    answer(await moderator.run("/poll-admin settings", mode="top3"))
    asked = await fan.select(await ballot(odd_server), ["melt"], custom_id="hr:poll:pick:0")
    question = said(asked)
    question.components[0]["components"][0]["custom_id"] = "hr:poll:rank:1:1:gone-track"  # posted back then
    refused = await fan.click(question, "#1 (3 pts)")
    assert answer(refused).startswith("That track has left the catalogue")
    assert await odd_server.bot.db.fetchone("SELECT 1 FROM poll_ballots") is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"custom_id": "hr:poll:pick:0", "component_type": 3, "values": []}, "Choose a track in the menu"),
        ({"custom_id": "hr:poll:gone:7", "component_type": 2}, STALE_COMPONENT),
    ],
    ids=["empty-pick", "unknown-id"],
)
async def test_odd_component_data_is_answered(
    odd_server: FanServer, caplog: pytest.LogCaptureFixture, data: dict[str, Any], expected: str
) -> None:
    """Regression: an empty pick got the apology and a traceback; an unknown `hr:` custom id got no answer."""
    message = await ballot(odd_server)
    reply = await odd_server.fan._component(message, data, "crafted component")  # what a stale client sends
    assert answer(reply).startswith(expected)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_my_vote_from_a_dm_is_answered(odd_server: FanServer) -> None:
    """Regression: "My vote" clicked on a copy of the ballot in a DM got no answer at all."""
    reply = await odd_server.fan.click(await ballot(odd_server), "My vote", dm=True)
    assert answer(reply).startswith(NOT_IN_A_SERVER)


async def test_a_command_that_no_longer_exists_is_explained(
    server: FanServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: "Something went wrong", logged as a bug. Discord may still offer a command an update removed."""
    fd = server.fd
    stale = dict(next(c for c in fd.commands() if c["name"] == "about"), name="ping", id=fd.world.snowflakes.next())
    fd.world.global_commands = [*(fd.world.global_commands or []), stale]
    text = answer(await server.fan.run("/ping"))
    assert text.startswith("`/ping` is not one of my commands any more") and INTERNAL_ERROR not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_server_with_only_the_commands_is_told_how_to_add_the_bot(server: FanServer) -> None:
    """Regression: a server that installed only the commands (no bot user) was served as if the bot were there."""
    lurkers = server.fd.add_guild("Lurkers", bot_member=False)
    member = lurkers.add_member("Jane", manage_guild=True)
    for command, values in (("/poll vote", {"track": "melt"}), ("/reminders status", {})):
        text = answer(await member.run(command, options=values))
        assert text.startswith("I'm not in this server yet") and "https://discord.com/oauth2/authorize?" in text
    assert await server.bot.db.fetchone("SELECT 1 FROM poll_ballots") is None


# -- 8. a deleted ping role --------------------------------------------------------------------------------------


async def test_a_deleted_ping_role_is_dropped_and_moderators_are_told_once(server: FanServer, mod: Member) -> None:
    """Regression: a role deleted after it was configured was still pinged as "@deleted-role", notifying nobody."""
    fd, guild, channel, bot = server.fd, server.guild, server.channel, server.bot
    news: Role = guild.add_role("Release news", mentionable=True)
    answer(await mod.run("/reminders channel", options={"channel": channel}))
    answer(await mod.run("/reminders role", role=news))
    answer(await mod.run("/reminders leadtimes", spec="1m, 0"))
    clock: Any = bot.clock
    at = dt.datetime.fromtimestamp((clock.now() // 60 + 3) * 60, dt.UTC)
    answer(await add_release(mod, date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}"))
    guild.delete_role(news)
    await fd.gateway.sync()
    for moment in (at.timestamp() - 30, at.timestamp() + 1):  # the 1-minute post, then the release-moment one
        clock.jump_to(moment)
        await bot.wait_idle()
    posts = [m for m in fd.channel_messages(channel) if m.embeds]
    assert len(posts) == 2 and all(f"<@&{news.id}>" not in p.content for p in posts)
    notices = [m for m in fd.channel_messages(guild.system_channel) if m.content == ROLE_DELETED_NOTICE]
    assert len(notices) == 1
    assert "Role: none" in answer(await mod.run("/reminders status"))


# -- 9. the CSV export opens correctly in spreadsheet programs ---------------------------------------------------


async def test_the_export_is_utf8_with_a_bom_and_keeps_formula_escaping(odd_server: FanServer) -> None:
    """Regression: without a BOM, Excel showed "Ã‡a commence Â· Ã©tÃ©"."""
    moderator = odd_server.guild.add_member("Export mod", manage_guild=True)
    answer(await odd_server.fan.run("/poll vote", track=pick("ça commence")))
    exported = await moderator.run("/poll-admin export")
    answer(exported)
    [file] = said(exported).files
    assert file.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert rows[1][4] == ACCENTED
