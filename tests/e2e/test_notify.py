"""Fans opt in to release pings themselves: `/releases notify` and the **Notify me** button, end to end."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord, Member, Message, Role
from fakediscord import permissions as perms
from tests.e2e.conftest import FanServer, fan_server
from tests.e2e.test_reminders import add_release, answer, eventually, release_slot, set_up

SETTLE = 0.05
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"


@pytest.fixture
async def mod(server: FanServer) -> Member:
    member: Member = server.guild.add_member("Mod", manage_guild=True)
    return member


@pytest.fixture
async def news(server: FanServer) -> Role:
    """The reminder role, below the bot's own role; the bot may hand out roles."""
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
    role: Role = server.guild.add_role("Release news", mentionable=True, position=0)
    return role


def role_requests(fd: FakeDiscord) -> list[tuple[str, str]]:
    """(method, role id) of every role change the bot asked Discord for."""
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in fd.requests_to(route=ROLE_ROUTE)]


async def test_a_fan_toggles_the_role_by_command_and_nothing_else(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    other = server.guild.add_role("Hockey fans", position=0)
    server.fan.add_role(other)
    said = answer(await server.fan.run("/releases notify"))
    assert f"you now have {news.mention}" in said
    assert server.fan.roles == [other, news]
    said = answer(await server.fan.run("/releases notify"))
    assert f"you no longer have {news.mention}" in said
    assert server.fan.roles == [other]
    assert role_requests(server.fd) == [("PUT", news.id), ("DELETE", news.id)], "no other role is ever touched"
    assert [e.reason for e in server.guild.audit_log if e.target_id == server.fan.id] == [
        "Asked for release pings (/releases notify)",
        "Asked to stop release pings (/releases notify)",
    ]


async def test_the_notify_button_on_upcoming_toggles_the_role(server: FanServer, mod: Member, news: Role) -> None:
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    said = answer(await server.other_fan.click(upcoming, "Notify me"))
    assert f"you now have {news.mention}" in said and server.other_fan.roles == [news]
    said = answer(await server.other_fan.click(upcoming, "Notify me"))
    assert "no longer" in said and server.other_fan.roles == []


async def test_no_role_is_explained_and_points_to_the_setting(server: FanServer) -> None:
    said = answer(await server.fan.run("/releases notify"))
    assert "no reminder role to opt into yet" in said and "`/reminders role`" in said
    upcoming = await server.fan.run("/releases upcoming")
    assert upcoming.message is not None and not upcoming.message.components, "no button without a role"


async def test_a_role_above_the_bots_is_explained_to_the_fan_and_the_moderators(server: FanServer, mod: Member) -> None:
    server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
    high = server.guild.add_role("Release news", mentionable=True)  # on top of the list, above the bot's role
    await set_up(server, mod, high)
    said = answer(await server.fan.run("/releases notify"))
    assert f"I can't change {high.mention} for you" in said and "is not below my highest role" in said
    assert server.fan.roles == [] and role_requests(server.fd) == []
    status = answer(await mod.run("/reminders status"))
    assert "⚠️ Fans can't opt in with **Notify me**" in status and "drag my role above it" in status


async def test_without_manage_roles_the_fan_is_told_why(server: FanServer, mod: Member) -> None:
    role = server.guild.add_role("Release news", mentionable=True, position=0)
    await set_up(server, mod, role)
    said = answer(await server.fan.run("/releases notify"))
    assert "I lack the Manage Roles permission" in said and role_requests(server.fd) == []
    assert "✅ Fans can give themselves" not in answer(await mod.run("/reminders status"))


def _reminder_post(server: FanServer) -> Message:
    (post,) = [m for m in server.fd.channel_messages(server.channel) if m.embeds]
    return post


async def test_the_button_on_a_reminder_post_works_after_a_restart(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with fan_server(fd, database, catalogue) as server:
        mod = server.guild.add_member("Mod", manage_guild=True)
        server.guild.edit_role(server.guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
        news = server.guild.add_role("Release news", mentionable=True, position=0)
        await set_up(server, mod, news, "1m, 0")
        clock = server.bot.clock
        assert isinstance(clock, SystemClock)
        release = release_slot(clock.now(), 5)
        await add_release(mod, release)
        clock.jump_to(int(release.timestamp()) - 60)
        await server.bot.wait_idle()
        post = _reminder_post(server)
        assert answer(await server.fan.click(post, "Notify me")).count(news.mention) == 1
        assert server.fan.roles == [news]
    async with emulated_bot(fd, fake_token(), database, catalogue):
        said = answer(await server.fan.click(post, "Notify me"))
        assert f"you no longer have {news.mention}" in said and server.fan.roles == []


# -- Discord's expected faults: a warning for the operator, a real sentence for the member (bot.errors) -----------


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and r.name.startswith(("bot", "cogs"))]


async def test_a_fan_who_left_the_server_mid_click_is_told_so_and_the_log_has_a_warning(
    server: FanServer, mod: Member, news: Role, caplog: pytest.LogCaptureFixture
) -> None:
    """The fan clicks Notify me and leaves the server before Discord takes the role change: Discord answers 404
    10007 Unknown Member. That is an expected fault, not a bug of the bot's."""
    await set_up(server, mod, news)
    upcoming = await server.fan.run("/releases upcoming")
    server.fd.faults.add("PUT", ROLE_ROUTE, kind="delay", seconds=0.3)
    clicked = asyncio.create_task(server.other_fan.click(upcoming, "Notify me"))
    await eventually(lambda: any(r.route == ROLE_ROUTE for r in server.fd.requests))
    server.guild.remove_member(server.other_fan)
    said = answer(await clicked)
    assert "Discord no longer knows you as a member of this server" in said
    assert [r.status for r in server.fd.requests_to(route=ROLE_ROUTE)] == [404]
    assert logged(caplog, logging.ERROR) == [] and any("Unknown Member" in m for m in logged(caplog, logging.WARNING))


async def test_a_429_that_outlasts_discord_py_retries_is_a_sentence_and_a_warning(
    server: FanServer, mod: Member, news: Role, caplog: pytest.LogCaptureFixture
) -> None:
    """A sub-limit shared with other bots (discord-api-docs #2190) keeps answering 429 past discord.py's retries."""
    await set_up(server, mod, news)
    server.fd.faults.add("PUT", ROLE_ROUTE, kind="429", retry_after=0.01, scope="shared", count=None)
    said = answer(await server.fan.run("/releases notify"))
    assert "Discord asked me to slow down just now, so that was not done." in said
    assert server.fan.roles == []
    assert logged(caplog, logging.ERROR) == [] and logged(caplog, logging.WARNING)
