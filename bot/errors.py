"""Errors a user can fix, and the one place that turns any failure into an answer.

A command raises `UserError("what was wrong and how to fix it")`; the tree's `on_error` sends it as an
ephemeral message through `send_ephemeral`, which works whether or not the interaction was already
answered or has expired, so no interaction is ever left showing "This interaction failed".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

NOT_IN_A_SERVER = "This works in a server, not in direct messages."
INTERNAL_ERROR = (
    "Something went wrong on our side while answering that. It has been logged for the server's bot operator; "
    "please try again in a moment."
)


class UserError(app_commands.AppCommandError):
    """Bad input or a state the user can change; the message is shown to them as is."""


async def send_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Answer privately by whichever route is still open: response, followup, or nothing if expired."""
    try:
        if interaction.is_expired():
            log.warning("interaction %s expired before an answer could be sent: %s", interaction.id, message)
        elif interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.exception("could not send an error message for interaction %s", interaction.id)


def describe_failure(error: Exception) -> str | None:
    """The message for an expected failure, or None when the failure is a bug to log."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return NOT_IN_A_SERVER
    if isinstance(error, app_commands.MissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {missing} permission to use this."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {missing} permission here to do that; ask a moderator to grant it."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"'{error.value}' is not a valid {error.type.name.replace('_', ' ')} for this option."
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return "This command was just updated; Discord needs a minute to catch up. Please try again shortly."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


def describe_options(interaction: discord.Interaction[Any]) -> str:
    """The command and the options it was given, for the log line of an unexpected error."""
    command = interaction.command.qualified_name if interaction.command else "?"
    options = dict(interaction.namespace.__dict__.items())
    return f"/{command} {options}"


async def answer_failure(interaction: discord.Interaction[Any], error: Exception, where: str) -> None:
    """The friendly message for an expected failure; for a bug, a log line with its context and an apology."""
    message = describe_failure(error)
    if message is None:
        log.error(
            "unexpected error in %s (guild %s, user %s)",
            where,
            interaction.guild_id,
            interaction.user.id,
            exc_info=error,
        )
        message = INTERNAL_ERROR
    await send_ephemeral(interaction, message)


async def guarded(interaction: discord.Interaction[Any], action: Awaitable[None], where: str) -> None:
    """Component callbacks bypass the tree's on_error; answer their failures the same way, privately."""
    try:
        await action
    except Exception as error:
        await answer_failure(interaction, error, where)
