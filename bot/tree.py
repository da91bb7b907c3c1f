"""The command tree: guild-only by default, with one error handler for every app command."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import INTERNAL_ERROR, describe_failure, describe_options, send_ephemeral

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)


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
        message = describe_failure(error)
        if message is None:
            log.error(
                "unexpected error in %s (guild %s, user %s)",
                describe_options(interaction),
                interaction.guild_id,
                interaction.user.id,
                exc_info=error,
            )
            message = INTERNAL_ERROR
        await send_ephemeral(interaction, message)
