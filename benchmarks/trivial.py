"""The floor of every command figure: `/ping`, a slash command with no work of its own, loaded beside the features.

It answers the way every command does (`bot.answer.reply`: acknowledge, then follow up), so the floor
includes the two HTTP calls every answer makes and a figure's ratio is what its own work adds.

Loaded only by the benchmarks (`EXTENSIONS + ("benchmarks.trivial",)`), never by the bot itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import reply

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

EXTENSION = "benchmarks.trivial"


class Trivial(commands.Cog):
    @app_commands.command(name="ping", description="Answer with no work of its own (benchmark floor)")
    @app_commands.guild_only()
    async def ping(self, interaction: discord.Interaction[HeatedRivalryBot]) -> None:
        await reply(interaction, "pong")  # the way every command answers (bot.answer)


async def setup(bot: HeatedRivalryBot) -> None:
    await bot.add_cog(Trivial())
