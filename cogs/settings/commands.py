"""/settings language: the language of everything the bot posts in this server.

Discord gives a server a language only when it is a Community server (Server Settings → Community → Server
Primary Language); other servers' posts would be English for good. The choice is stored by `bot.languages` and
read by every feature through `bot.i18n.server_language`: reminders, ballots, close summaries, native events'
text and notices written from then on are in that language; private answers keep following each member's client.
The languages offered are English and each one with a catalogue (`bot.i18n.spoken`), named in each
moderator's own language by Discord (`bot.translator.language_choice`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import reply
from bot.context import guild_of
from bot.i18n import _, current, language_name, server_language, spoken
from bot.translator import language_choice

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

Interaction = discord.Interaction["HeatedRivalryBot"]

FOLLOW_DISCORD = "server"  # the choice that clears the setting: posts follow the server's Discord language


def language_choices() -> list[app_commands.Choice[str]]:
    """`server`, then the bot's languages (a language appears once its catalogue exists)."""
    follow = app_commands.Choice(name="Follow the server's Discord language", value=FOLLOW_DISCORD)
    return [follow, *(language_choice(tag) for tag in spoken())]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SettingsCog(commands.GroupCog, group_name="settings", group_description="How the bot works in this server"):
    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot
        super().__init__()

    async def server_ids(self) -> set[int]:
        """The servers with a setting (`bot.bot.ServerData`): deleted with the rest once the bot left them."""
        return await self.bot.languages.server_ids()

    async def forget_server(self, guild_id: int) -> None:
        await self.bot.languages.forget_server(guild_id)

    @app_commands.command(name="language", description="The language of everything I post in this server")
    @app_commands.describe(language="Follow the server's Discord language, or one of my languages")
    @app_commands.choices(language=language_choices())
    async def language(self, interaction: Interaction, language: app_commands.Choice[str]) -> None:
        guild = guild_of(interaction)
        chosen = None if language.value == FOLLOW_DISCORD else language.value
        await self.bot.languages.choose(guild.id, chosen, self.bot.clock.now())
        posts = server_language(guild)
        name = language_name(posts.tag, current().tag, capital=False)
        if chosen is not None:
            text = _(
                "From now on I post in {language} in this server: reminders, ballots, poll results, Discord events "
                "and notices. Private answers keep following each member's own Discord language.",
                language=name,
            )
        elif "COMMUNITY" in guild.features:
            text = _(
                "From now on my posts follow this server's Discord language: {language} (Server Settings → "
                "Community → Server Primary Language).",
                language=name,
            )
        else:
            text = _(
                "From now on my posts follow this server's Discord language ({language}): Discord lets only "
                "Community servers choose theirs, so `/settings language` is how to choose mine here.",
                language=name,
            )
        await reply(interaction, text)
