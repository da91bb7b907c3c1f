"""Where an interaction happened: the one place that turns "no server" into an answer.

Slash commands are guild-only, but a component can still be clicked from a DM copy of a message, and
a server may have the bot's commands without the bot member (the interaction then names a guild the
bot does not have): both get the same plain refusal instead of a traceback.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.errors import NOT_IN_A_SERVER, UserError
from bot.i18n import _l


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    """The id of the server the interaction came from; `UserError` outside one."""
    if interaction.guild_id is None:
        raise UserError(_l(NOT_IN_A_SERVER))
    return interaction.guild_id


def guild_of(interaction: discord.Interaction[Any]) -> discord.Guild:
    """The server the interaction came from, from the bot's cache; `UserError` outside one."""
    if interaction.guild is None:
        raise UserError(_l(NOT_IN_A_SERVER))
    return interaction.guild


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server in the channel it was used in; components are not gated by Discord, so check each click."""
    return interaction.permissions.manage_guild
