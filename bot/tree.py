"""The command tree: guild-only by default, with one error handler for every app command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import answer_failure, describe_options

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


class BotTree(app_commands.CommandTree["HeatedRivalryBot"]):
    def __init__(self, client: HeatedRivalryBot) -> None:
        super().__init__(
            client,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        )

    async def on_error(
        self, interaction: discord.Interaction[HeatedRivalryBot], error: app_commands.AppCommandError
    ) -> None:
        await answer_failure(interaction, error, describe_options(interaction))
