"""Every /soundtrack command and /about, as a fan sees them, through discord.py and the emulator."""

from __future__ import annotations

import json
import logging
import sys
from types import ModuleType
from typing import Any

import pytest

from bot.catalogue import Catalogue
from bot.errors import INTERNAL_ERROR
from fakediscord import pick
from tests.e2e.conftest import FanServer

DEADLINE_S = 3.0


def text_of(reply: Any) -> str:
    """Everything a fan reads in a reply: content and every embed's text."""
    return (reply.content or "") + "\n" + json.dumps(reply.embeds, ensure_ascii=False)


def loaded(extension: str) -> ModuleType:
    """The module the bot loaded (load_extension executes a fresh copy of it)."""
    return sys.modules[extension]


def assert_in_time(reply: Any) -> None:
    assert reply.elapsed is not None and reply.elapsed < DEADLINE_S


async def test_about_album(server: FanServer) -> None:
    reply = await server.fan.run("/soundtrack about")
    assert_in_time(reply)
    assert not reply.ephemeral
    text = text_of(reply)
    for expected in ("Peter Peter", "Milan Records", "9 of 34 tracks listed", "Vinyl", "CD", "Spotify"):
        assert expected in text
    assert "not been confirmed" in text


async def test_short_tracklist_is_one_page_without_buttons(server: FanServer) -> None:
    reply = await server.fan.run("/soundtrack tracks")
    assert_in_time(reply)
    text = text_of(reply)
    assert "`1.` Rivalry" in text and "`9–34.` *title not confirmed yet*" in text
    assert reply.components == []


async def test_tracklist_paginates_with_buttons(full_server: FanServer) -> None:
    reply = await full_server.fan.run("/soundtrack tracks")
    assert_in_time(reply)
    assert "`1.` Rivalry" in text_of(reply) and "page 1 of 3" in text_of(reply)
    buttons = [c for row in reply.components for c in row["components"]]
    assert [(b["label"], b.get("disabled", False)) for b in buttons] == [("Previous", True), ("Next", False)]
    turned = await full_server.fan.click(reply, "Next")
    assert_in_time(turned)
    assert "page 2 of 3" in text_of(turned)
    assert turned.message["id"] == reply.message["id"], "the asker turns the page in place"
    last = await full_server.fan.click(turned, "Next")
    assert "It's You" in text_of(last) and "page 3 of 3" in text_of(last)
    back = await full_server.fan.click(last, "Previous")
    assert "page 2 of 3" in text_of(back)


async def test_someone_else_paging_gets_a_private_copy(full_server: FanServer) -> None:
    reply = await full_server.fan.run("/soundtrack tracks", channel=full_server.channel)
    theirs = await full_server.other_fan.click(reply, "Next")
    assert theirs.ephemeral and "page 2 of 3" in text_of(theirs)
    channel_view = full_server.fd.channel_messages(full_server.channel)[-1]
    assert "page 1 of 3" in json.dumps(channel_view["embeds"]), "the channel's message did not change"


async def test_tracks_page_out_of_range(full_server: FanServer) -> None:
    reply = await full_server.fan.run("/soundtrack tracks", page=7)
    assert reply.ephemeral
    assert reply.content == "There is no page 7: the tracklist has 3 pages. Use `page` from 1 to 3, or leave it out."


async def test_track_with_autocomplete_round_trip(server: FanServer) -> None:
    reply = await server.fan.run("/soundtrack track", track=pick("rivl"))
    assert reply.autocomplete_choices and reply.autocomplete_choices[0]["value"] == "rivalry"
    assert len(reply.autocomplete_choices) <= 25
    assert all(len(c["name"]) <= 100 for c in reply.autocomplete_choices)
    assert_in_time(reply)
    text = text_of(reply)
    assert "Rivalry" in text and "single" in text.lower()
    assert "||" in text, "scenes are behind spoiler bars"


async def test_track_autocomplete_handles_typos_accents_numbers(server: FanServer) -> None:
    assert (await server.fan.autocomplete("/soundtrack track", "track", "its yuo"))[0]["value"] == "its-you"
    assert (await server.fan.autocomplete("/soundtrack track", "track", "3"))[0]["name"].startswith("3. ")
    assert (await server.fan.autocomplete("/soundtrack track", "track", "FACE-OFF"))[0]["name"].endswith("Face-Off")
    every = await server.fan.autocomplete("/soundtrack track", "track", "")
    assert 0 < len(every) <= 25


async def test_unknown_track_gets_ephemeral_suggestions(server: FanServer) -> None:
    reply = await server.fan.run("/soundtrack track", track="Rivalry theme remix")
    assert reply.ephemeral
    assert reply.content.startswith("No track matches 'Rivalry theme remix'. Did you mean: **1. Rivalry**")


async def test_episode(server: FanServer, catalogue: Catalogue) -> None:
    reply = await server.fan.run("/soundtrack episode", number=1)
    assert_in_time(reply)
    episode = catalogue.episode(1)
    assert episode is not None and episode.title in text_of(reply)
    assert "Rivalry" in text_of(reply)


async def test_missing_episode_is_explained(server: FanServer) -> None:
    reply = await server.fan.run("/soundtrack episode", number=9)
    assert reply.ephemeral and reply.content == "There is no episode 9. Choose `number` from 1 to 6."


async def test_song(server: FanServer, catalogue: Catalogue) -> None:
    song = catalogue.songs[0]
    reply = await server.fan.run("/soundtrack song", query=pick(song.artist))
    assert_in_time(reply)
    assert song.artist in text_of(reply)


async def test_about_the_bot(server: FanServer) -> None:
    reply = await server.fan.run("/about")
    assert_in_time(reply)
    text = text_of(reply)
    assert "Version" in text and "9 of 34 tracks listed" in text and "Servers" in text


async def test_commands_are_registered_once_and_not_resynced_on_reconnect(server: FanServer) -> None:
    puts = [r for r in server.fd.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(puts) == 1
    await server.fd.gateway.send_reconnect()
    await server.fan.run("/about")
    assert len([r for r in server.fd.requests if r.method == "PUT" and "/commands" in r.path]) == 1


async def test_a_bug_is_logged_with_its_command_and_the_fan_gets_an_apology(
    server: FanServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(loaded("cogs.soundtrack.commands"), "track_card", broken)
    reply = await server.fan.run("/soundtrack track", track=pick("rivl"))
    assert reply.ephemeral and reply.content == INTERNAL_ERROR
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith("unexpected error in /soundtrack track {'track': 'rivalry'}")


async def test_a_bug_in_a_button_is_answered_too(
    full_server: FanServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await full_server.fan.run("/soundtrack tracks")

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(loaded("cogs.soundtrack.components"), "tracklist_card", broken)
    clicked = await full_server.fan.click(reply, "Next")
    assert clicked.ephemeral and clicked.content == INTERNAL_ERROR
    assert any("tracklist page button" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
