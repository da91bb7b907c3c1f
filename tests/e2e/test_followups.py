"""A private answer to a public command reaches the member, on Discord as documented, under both readings.

Discord: the follow-up after a DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE edits its loading message and ignores the
follow-up's EPHEMERAL flag; once that message is deleted, such a follow-up fails with 10008 (discord-api-docs
#2739, #3087). The emulator runs each test under both readings of that rule (`FakeDiscord(followup_rule=...)`):
the loading message is edited "while it is loading", or by "the first" follow-up always.

What a member must see: their refusal, privately; what the channel must see: nothing of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.demo.harness import fake_token
from bot.errors import NOT_DONE
from fakediscord import FakeDiscord, Member, Reply
from fakediscord.interactions import CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE
from tests.e2e.conftest import FanServer, holding_the_write_lock

SETTLE = 0.05
UNKNOWN_RELEASE = "no release matches"
HIDDEN = "This server keeps the standings hidden until the poll closes"
ALREADY_OPEN = "The poll is already open."
BUSY = "busy"


@pytest.fixture(params=["while-loading", "first"])
async def fd(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """The emulator under each reading of the documented follow-up rule."""
    async with FakeDiscord(token=fake_token(), settle=SETTLE, followup_rule=request.param) as emulator:
        yield emulator
        assert emulator.violations == [], f"the bot broke Discord's rules: {emulator.violations}"


def moderator(server: FanServer) -> Member:
    member: Member = server.guild.add_member("Mod", manage_guild=True)
    return member


def private_answer(reply: Reply) -> str:
    """The one thing the member reads: an ephemeral message; Discord refused nothing the bot sent."""
    assert reply.rejected == [], reply.rejected
    visible = [m for m in reply.messages if not m.deleted]
    assert [m.ephemeral for m in visible] == [True], reply
    return visible[0].content


def channel_shows(fd: FakeDiscord, server: FanServer) -> list[str]:
    """What everyone in the command's channel reads from the bot now."""
    return [m.content for m in fd.channel_messages(server.guild.system_channel) if not m.deleted]


def public_texts(fd: FakeDiscord, server: FanServer) -> list[Any]:
    """Everything the bot ever showed in the channel, deleted or not, by content and embeds."""
    return [(m.content, m.embeds) for m in fd.channel_messages(server.guild.system_channel)]


async def test_a_typed_release_that_matches_nothing_is_refused_at_once_privately(server: FanServer) -> None:
    """The member typed, Discord asked for suggestions (so the server's releases are in memory): the refusal is
    the initial response, private, before any "thinking…" in the channel."""
    reply = await server.fan.run("/releases countdown", release="zzzz")
    assert reply.response_type == CHANNEL_MESSAGE
    assert UNKNOWN_RELEASE in private_answer(reply)
    assert channel_shows(server.fd, server) == []


async def test_a_refusal_only_the_database_knows_still_reaches_the_member(server: FanServer) -> None:
    """Pasted and sent before any suggestion was asked for: the server's releases are not in memory, so the
    command is deferred publicly; the refusal still reaches the member privately, and the channel keeps nothing."""
    reply = await server.fan.run("/releases countdown", release="zzzz", pasted=True)
    assert reply.response_type == DEFERRED_CHANNEL_MESSAGE
    assert UNKNOWN_RELEASE in private_answer(reply)
    assert channel_shows(server.fd, server) == []
    assert all(UNKNOWN_RELEASE not in str(shown) for shown in public_texts(server.fd, server))


async def test_hidden_results_are_refused_privately(server: FanServer) -> None:
    mod = moderator(server)
    await mod.run("/poll-admin settings", results="hidden")
    await server.fan.run("/poll vote", track="Rivalry")
    reply = await server.other_fan.run("/poll results")
    assert reply.response_type == CHANNEL_MESSAGE
    assert HIDDEN in private_answer(reply)
    early = await mod.run("/poll results")  # a moderator sees hidden standings early, and only they do
    assert early.response_type == DEFERRED_CHANNEL_MESSAGE and early.record.deferred_ephemeral
    assert said_privately(early)
    assert channel_shows(server.fd, server) == []


def said_privately(reply: Reply) -> bool:
    visible = [m for m in reply.messages if not m.deleted]
    return reply.rejected == [] and len(visible) == 1 and visible[0].ephemeral and bool(visible[0].embeds)


async def test_opening_an_open_poll_is_refused_privately(server: FanServer) -> None:
    reply = await moderator(server).run("/poll-admin open")
    assert reply.response_type == CHANNEL_MESSAGE
    assert private_answer(reply) == ALREADY_OPEN
    assert channel_shows(server.fd, server) == []


async def test_a_busy_database_after_a_public_defer_is_told_privately(server: FanServer) -> None:
    """Closing the poll passes the screen (it is open), is deferred publicly, then the database is held by another
    program: the member is told privately that nothing changed, and the channel keeps nothing."""
    mod = moderator(server)
    async with holding_the_write_lock(server.bot.db.path):
        reply = await mod.run("/poll-admin close")
    assert reply.response_type == DEFERRED_CHANNEL_MESSAGE
    assert BUSY in private_answer(reply)
    assert channel_shows(server.fd, server) == []
    closed = await mod.run("/poll-admin close")  # nothing was applied: closing still works, publicly
    assert closed.rejected == [] and not closed.ephemeral and "closed" in closed.content


async def test_a_public_defer_stored_then_502_asks_the_member_privately_to_try_again(server: FanServer) -> None:
    """Discord stored the public "thinking…" but answered 502, and refused discord.py's retry (40060): the handler
    never ran, so the member is asked to try again, privately, and the channel keeps nothing."""
    server.fd.faults.add("POST", "/interactions/{id}/{token}/callback", kind="commit_then_502")
    reply = await server.fan.run("/poll results")
    await reply.wait()
    assert reply.record.rejected == ["second initial response: 400 40060 Interaction has already been acknowledged."]
    visible = [m for m in reply.messages if not m.deleted]
    assert [(m.content, m.ephemeral) for m in visible] == [(NOT_DONE, True)]
    assert channel_shows(server.fd, server) == []
