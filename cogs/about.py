"""/about: what this bot is, how it is doing, and where its facts come from."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import instant, public, reply
from bot.cards import about_card
from bot.version import bot_version

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


class About(commands.Cog):
    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot

    @instant
    @public
    @app_commands.command(name="about", description="This bot: version, uptime, latency, servers, sources")
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction[HeatedRivalryBot]) -> None:
        latency = self.bot.latency
        card = about_card(
            self.bot.catalogue,
            version=bot_version(),
            started_at=self.bot.started_at,
            latency_ms=latency * 1000 if math.isfinite(latency) else None,
            guild_count=len(self.bot.guilds),
        )
        await reply(interaction, embed=card.build())


async def setup(bot: HeatedRivalryBot) -> None:
    await bot.add_cog(About(bot))
