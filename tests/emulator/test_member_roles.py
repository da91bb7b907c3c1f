"""Adding and removing member roles: Manage Roles, the role hierarchy, errors, GUILD_MEMBER_UPDATE, audit log."""

from __future__ import annotations

import discord
import pytest

from fakediscord import FakeDiscord, Guild
from fakediscord import permissions as perms

from .conftest import Env
from .helpers import dispatched, running

CAN_MANAGE_ROLES = perms.DEFAULT_BOT | perms.MANAGE_ROLES


async def _role_guild(env: Env, bot_permissions: int = CAN_MANAGE_ROLES) -> tuple[Guild, discord.Guild]:
    server = env.fd.add_guild("Role Town", bot_permissions=bot_permissions)
    await env.fd.gateway.sync()
    guild = env.bot.get_guild(int(server.id))
    assert guild is not None
    return server, guild


async def test_add_and_remove_roles_without_a_member_cache(env: Env) -> None:
    server, guild = await _role_guild(env)
    fans = server.add_role("Fans", position=0)  # below the bot's role
    news = server.add_role("News", position=0)
    fan = server.add_member("Shane")
    assert guild.get_member(int(fan.id)) is None, "no members intent: the bot has no member cache"
    member = await guild.fetch_member(int(fan.id))
    await member.add_roles(discord.Object(int(fans.id)), discord.Object(int(news.id)), reason="Joined the club")
    assert fan.roles == [fans, news]
    await member.remove_roles(discord.Object(int(fans.id)))
    assert fan.roles == [news]
    await member.remove_roles(discord.Object(int(fans.id)))  # removing a role the member lacks: still 204
    await env.bot.http.add_role(int(server.id), int(fan.id), int(news.id))  # already has it: 204, no change
    assert [r.status for r in env.fd.requests_to(route="/guilds/{guild_id}/members/{user_id}/roles/{role_id}")] == [
        204
    ] * 5
    assert [(a.action_type, a.target_id, a.reason, a.changes[0]["key"]) for a in server.audit_log] == [
        (25, fan.id, "Joined the club", "$add"),
        (25, fan.id, "Joined the club", "$add"),
        (25, fan.id, None, "$remove"),
    ]
    assert server.audit_log[0].changes[0]["new_value"] == [{"id": fans.id, "name": "Fans"}]
    assert "GUILD_MEMBER_UPDATE" not in dispatched(env.fd), "GUILD_MEMBER_UPDATE needs the members intent"


async def test_interaction_user_gets_a_role(env: Env) -> None:
    server, _guild = await _role_guild(env)
    listeners = server.add_role("Listeners", position=0)

    @env.bot.tree.command(name="join", description="Get the Listeners role")
    async def join(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.user, discord.Member)
        await interaction.user.add_roles(discord.Object(int(listeners.id)), reason="/join")
        await interaction.response.send_message("welcome", ephemeral=True)

    await env.bot.tree.sync()
    fan = server.add_member("Ilya")
    reply = await fan.run("/join")
    assert reply.content == "welcome" and fan.roles == [listeners]


async def test_refusals(env: Env) -> None:
    server, guild = await _role_guild(env)
    fan = server.add_member("Shane")
    above = server.add_role("Moderators")  # added on top: above the bot's role
    tie = server.add_role("Same position", position=server.bot_role.position)  # newer than the bot role: lower
    add = env.bot.http.add_role
    gid, uid = int(server.id), int(fan.id)

    cases = [
        (above.id, uid, discord.Forbidden, 50013),
        (server.bot_role.id, uid, discord.Forbidden, 50013),  # managed
        (server.id, uid, discord.Forbidden, 50013),  # @everyone
        ("1", uid, discord.NotFound, 10011),
        (tie.id, 1, discord.NotFound, 10007),
    ]
    for role_id, user_id, error, code in cases:
        with pytest.raises(error) as info:
            await add(gid, user_id, int(role_id))
        assert info.value.code == code, role_id
        with pytest.raises(error):
            await env.bot.http.remove_role(gid, user_id, int(role_id))
    await add(gid, uid, int(tie.id))
    assert fan.roles == [tie]

    plain, plain_guild = await _role_guild(env, bot_permissions=perms.DEFAULT_BOT)
    low = plain.add_role("Low", position=0)
    other = plain.add_member("Rose")
    with pytest.raises(discord.Forbidden) as info:
        await add(int(plain.id), int(other.id), int(low.id))
    assert info.value.code == 50013 and other.roles == []
    assert guild is not None and plain_guild is not None


async def test_administrator_still_obeys_the_hierarchy(env: Env) -> None:
    server, _guild = await _role_guild(env, bot_permissions=perms.ADMINISTRATOR)
    fan = server.add_member("Shane")
    above = server.add_role("Owners")
    below = server.add_role("Fans", position=0)
    with pytest.raises(discord.Forbidden):
        await env.bot.http.add_role(int(server.id), int(fan.id), int(above.id))
    await env.bot.http.add_role(int(server.id), int(fan.id), int(below.id))
    assert fan.roles == [below]


async def test_member_update_reaches_a_bot_with_the_members_intent(
    fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fd.add_guild("Fans", bot_permissions=CAN_MANAGE_ROLES)
    fan = server.add_member("Shane")
    fans = server.add_role("Fans", position=0)
    intents = discord.Intents.default()
    intents.members = True
    async with running(fd, monkeypatch, intents) as bot:
        guild = bot.get_guild(int(server.id))
        assert guild is not None
        member = guild.get_member(int(fan.id))
        assert member is not None, "members intent: GUILD_CREATE carries the members"
        await member.add_roles(discord.Object(int(fans.id)))
        await fd.gateway.sync()
        assert [r.id for r in member.roles[1:]] == [int(fans.id)], "the cache followed GUILD_MEMBER_UPDATE"
        assert [(kind, getattr(after, "id", None)) for kind, after in bot.events] == [("member_update", int(fan.id))]
        fan.remove_role(fans)  # a moderator takes it away by hand
        await fd.gateway.sync()
        assert member.roles[1:] == []
