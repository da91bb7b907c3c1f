"""A guild that installed only the app's commands (no bot user): slash commands reach discord.py, components and
the bot's REST calls there do not."""

from __future__ import annotations

import discord
import pytest

from fakediscord import Guild, Member
from fakediscord import permissions as perms

from .conftest import Env


def _commands_only(env: Env) -> tuple[Guild, Member]:
    guild = env.fd.add_guild("Commands Only", bot_member=False)
    return guild, guild.add_member("Jane")


def _events_of(env: Env, guild: Guild) -> list[str]:
    session = env.fd.gateway.current
    assert session is not None
    return [
        p["t"]
        for p in session.buffer
        if isinstance(p["d"], dict) and guild.id in (p["d"].get("guild_id"), p["d"].get("id"))
    ]


async def test_the_bot_gets_no_events_of_the_guild(env: Env) -> None:
    guild, jane = _commands_only(env)
    guild.add_text_channel("news")
    await jane.send("hello?")
    await env.fd.gateway.sync()
    assert env.bot.get_guild(int(guild.id)) is None
    assert _events_of(env, guild) == []
    assert guild in env.fd.guilds and not guild.has_bot and env.fd.bot_user_id not in guild.members


async def test_slash_commands_still_reach_discord_py(env: Env) -> None:
    seen: list[discord.Interaction] = []

    @env.bot.tree.command(name="whoami", description="Describes the interaction")
    async def whoami(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        cached = interaction.client.get_guild(interaction.guild_id or 0) is not None
        await interaction.response.send_message(f"guild {interaction.guild_id} cached={cached}")

    await env.bot.tree.sync()
    guild, jane = _commands_only(env)
    reply = await jane.run("/whoami")
    assert reply.content == f"guild {guild.id} cached=False"
    payload = reply.record.payload
    assert payload["guild_id"] == guild.id and payload["guild"]["id"] == guild.id
    assert payload["authorizing_integration_owners"] == {"0": guild.id}
    expected = perms.DEFAULT_EVERYONE & perms.INTERACTION_RESPONSE_PERMISSIONS
    assert payload["app_permissions"] == str(expected)
    assert expected == perms.EMBED_LINKS | perms.ATTACH_FILES | perms.USE_EXTERNAL_EMOJIS
    (interaction,) = seen
    assert interaction.app_permissions.value == expected
    assert interaction.guild is not None and interaction.guild.id == int(guild.id)
    assert isinstance(interaction.user, discord.Member) and interaction.user.id == int(jane.id)
    assert _events_of(env, guild) == ["INTERACTION_CREATE"], "the interaction is the only event of that guild"
    assert (await jane.run("/soundtrack track", track="heated")).content == "Track: heated"


async def test_guild_commands_can_be_registered_there(env: Env) -> None:
    guild, jane = _commands_only(env)

    @discord.app_commands.command(name="local", description="Only in the commands-only guild")
    async def local(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("local answer", ephemeral=True)

    env.bot.tree.add_command(local, guild=discord.Object(int(guild.id)))
    await env.bot.tree.sync(guild=discord.Object(int(guild.id)))  # the applications.commands scope allows it
    assert "local" in {c["name"] for c in env.fd.commands(guild)}
    reply = await jane.run("/local")
    assert reply.ephemeral and reply.content == "local answer"


async def test_rest_calls_there_are_missing_access(env: Env) -> None:
    guild, _jane = _commands_only(env)
    channel = env.bot.get_partial_messageable(int(guild.system_channel.id), guild_id=int(guild.id))
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("can I post here?")
    assert info.value.code == 50001
    with pytest.raises(discord.Forbidden) as info:
        await env.bot.http.get_guild(int(guild.id))
    assert info.value.code == 50001
    assert env.fd.channel_messages(guild.system_channel) == []


async def test_components_there_cannot_be_used(env: Env) -> None:
    guild, jane = _commands_only(env)
    reply = await jane.run("/panel")
    assert reply.content == "page 1" and reply.components, "the interaction response itself is posted"
    with pytest.raises(AssertionError, match="not a member of 'Commands Only'"):
        await jane.click(reply, "Next")
    with pytest.raises(AssertionError, match="not a member"):
        await jane.select(reply, ["rivalry"], custom_id="panel:pick")
    assert reply.content == "page 1"
    # the same panel works where the bot is a member
    home = await env.fan.run("/panel")
    assert (await env.fan.click(home, "Next")).content == "page 2"
    assert guild.bot_permissions_in(guild.system_channel) == 0
