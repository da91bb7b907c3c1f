"""Errors a user can fix, and the one place that turns any failure into an answer.

A command raises `UserError("what was wrong and how to fix it")`; the tree's `on_error` sends it as an
ephemeral message through `send_ephemeral`, which works whether or not the interaction was already
acknowledged or answered (see `bot.answer`), so no interaction is ever left showing "This interaction failed".
Components answer through `guarded`, which acknowledges them first and routes their failures the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.answer import Ack, acknowledge, reply, stored_acknowledgement
from bot.callbacks import callback_interaction, was_retry
from bot.db import interactive
from bot.i18n import N_, Text, _, current, member_language, ngettext, text, using
from bot.markup import quote
from bot.permissions import permission_names
from bot.refusal import Refusal

log = logging.getLogger(__name__)

NOT_IN_A_SERVER = N_("This works in a server, not in direct messages.")
INTERNAL_ERROR = N_(
    "Something went wrong on our side while answering that. It has been logged for the server's bot operator; "
    "please try again in a moment."
)


# What an option's parser (discord.py's transformers) refused, one sentence per kind of option, so that each
# language words it whole instead of slotting an English type name ("channel", "integer") into a sentence.
NOT_OF_KIND = {
    discord.AppCommandOptionType.integer: N_("{value} is not a whole number."),
    discord.AppCommandOptionType.number: N_("{value} is not a number."),
    discord.AppCommandOptionType.boolean: N_("{value} is neither yes nor no."),
    discord.AppCommandOptionType.user: N_("{value} is not a member of this server."),
    discord.AppCommandOptionType.channel: N_("{value} is not a channel I can use for this option."),
    discord.AppCommandOptionType.role: N_("{value} is not a role of this server."),
    discord.AppCommandOptionType.mentionable: N_("{value} is not a member or a role of this server."),
    discord.AppCommandOptionType.attachment: N_("{value} is not a file."),
}
NOT_VALID = N_("{value} is not a valid value for this option.")


ALREADY_ACKNOWLEDGED = 40060  # Discord's error code: "Interaction has already been acknowledged"
UNKNOWN_INTERACTION = 10062  # ... "Unknown interaction": it expired, or never reached Discord's records
NOT_DONE = N_("Discord had a hiccup while I was starting on that, so it was not done. Please try again.")
DISCORD_FAULT = N_(
    "Discord had a problem while I was answering, so you may not have seen my whole answer. "
    "Please check, and try again if it is not done."
)


class UserError(app_commands.AppCommandError):
    """Bad input or a state the user can change; the message is shown to them as is.

    The message is written already (`_(...)`, in the member's language) or marked (`_l(...)`, a `Text`
    written when it is shown).
    """

    def __init__(self, message: str | Text) -> None:
        super().__init__(message)


async def send_ephemeral(interaction: discord.Interaction[Any], message: str | Text) -> None:
    """Answer privately by whichever route is still open: response, followup, or nothing if expired.

    In the member's language (a marked message is written in it now)."""
    with using(member_language(interaction)):
        content = text(message)
    try:
        if interaction.is_expired():
            log.warning("interaction %s expired before an answer could be sent: %s", interaction.id, content)
        else:
            await reply(interaction, content, ephemeral=True)
    except discord.HTTPException as error:  # Discord or the network failing: a fault, not a bug
        if answered_elsewhere(error):
            log.warning(second_process(interaction.id, f"an error message, guild {interaction.guild_id}"))
        else:
            log.warning("could not send an error message for interaction %s: %s", interaction.id, error)


def describe_failure(error: Exception) -> str | None:
    """The message for an expected failure, or None when the failure is a bug to log."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError | Refusal):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return _(NOT_IN_A_SERVER)
    if isinstance(error, app_commands.MissingPermissions):
        missing = current().join(permission_names(error.missing_permissions))
        return _("You need the {permission} permission to use this.", permission=missing)
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = current().join(permission_names(error.missing_permissions))
        return _("I need the {permission} permission here to do that; ask a moderator to grant it.", permission=missing)
    if isinstance(error, app_commands.CommandOnCooldown):
        seconds = round(error.retry_after)
        return ngettext(
            "Slow down a little: try again in {n} second.", "Slow down a little: try again in {n} seconds.", seconds
        )
    if isinstance(error, app_commands.TransformerError):  # discord.py's parser of an option refused the value
        return _(NOT_OF_KIND.get(error.type, NOT_VALID), value=quote(str(error.value)))
    if isinstance(error, app_commands.CommandNotFound):
        return _(
            "`/{command}` is not one of my commands any more: it was renamed or removed in an update. "
            "Type `/` to see the current ones; if it still shows up, Discord will catch up within the hour.",
            command=error.name,
        )
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return _("This command was just updated; Discord needs a minute to catch up. Please try again shortly.")
    if isinstance(error, app_commands.CheckFailure):
        return _("You can't use this command here.")
    return None


def describe_options(interaction: discord.Interaction[Any]) -> str:
    """The command and the options it was given, for the log line of an unexpected error."""
    command = interaction.command.qualified_name if interaction.command else "?"
    options = dict(interaction.namespace.__dict__.items())
    return f"/{command} {options}"


UNKNOWN_CHANNEL = 10003  # Discord's JSON error codes ("Unknown channel", ...)
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
RATE_LIMITED = N_("Discord asked me to slow down just now, so that was not done. Please try again in a minute.")
GONE = {
    UNKNOWN_MEMBER: N_(
        "Discord no longer knows you as a member of this server (did you just leave it?), so nothing was changed."
    ),
    UNKNOWN_ROLE: N_("That role was deleted a moment ago, so nothing was changed. A moderator can choose another."),
    UNKNOWN_CHANNEL: N_("That channel was deleted or hidden from me a moment ago, so nothing was posted there."),
    UNKNOWN_MESSAGE: N_("That message was deleted a moment ago, so there was nothing left to change."),
}


def fault_message(error: Exception) -> str | None:
    """The message id (`N_`) for what a member is told when `error` is an expected fault of Discord's, after
    discord.py's own retries; None when it is not one (a bug, or a refusal the caller explains).

    The one place that says which of Discord's answers are expected rather than bugs, so the operator sees a
    WARNING, not an ERROR with a traceback:
    - Discord or the network failing: a 5xx, a lost connection or a timeout, or an interaction Discord no longer
      knows (10062: it expired on the way);
    - a 429 that outlasted discord.py's retries, e.g. a sub-limit shared with others (discord-api-docs #2190),
      or a `discord.RateLimited` over `max_ratelimit_timeout`;
    - something that went away on Discord's side between the click and the call (Unknown Member: a fan who left
      the server mid-click; Unknown Role, Channel, Message: deleted meanwhile; JSON error codes 10003-10011).
    `stored_then_refused` is the case where the answer did arrive.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, discord.RateLimited):
        return RATE_LIMITED
    if isinstance(error, discord.HTTPException):
        if isinstance(error, discord.DiscordServerError) or error.code == UNKNOWN_INTERACTION:
            return DISCORD_FAULT
        if error.status == 429:
            return RATE_LIMITED
        return GONE.get(error.code) if error.status == 404 else None
    return DISCORD_FAULT if isinstance(error, aiohttp.ClientError | TimeoutError) else None


def discord_fault(error: Exception) -> bool:
    """Whether `error` is an expected fault of Discord's (`fault_message`): a WARNING for the operator, not a bug."""
    return fault_message(error) is not None


def _already_acknowledged(error: Exception) -> discord.HTTPException | None:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return error if isinstance(error, discord.HTTPException) and error.code == ALREADY_ACKNOWLEDGED else None


def stored_then_refused(error: Exception) -> bool:
    """Whether `error` is Discord refusing a retried first response as already acknowledged (400 40060).

    It happens when Discord stored the first response but answered 5xx (or the answer was lost), and
    discord.py retried: a network fault, not a bug. What Discord stored is what the member sees.
    """
    refused = _already_acknowledged(error)
    return refused is not None and was_retry(refused.response)


def answered_elsewhere(error: Exception) -> bool:
    """Whether `error` is Discord refusing this process's first and only attempt at an interaction's first response
    as already acknowledged (400 40060): another process answered it (`bot.callbacks`), a second copy of the bot
    running with the same token. The member has that copy's answer; this one says nothing more.
    """
    refused = _already_acknowledged(error)
    return refused is not None and not was_retry(refused.response)


def second_process(interaction_id: int | str, where: str) -> str:
    """The one WARNING for an interaction another process answered (`answered_elsewhere`)."""
    return (
        f"another process answered interaction {interaction_id} ({where}) first: Discord refused this process's only "
        "response as already acknowledged (40060). A second copy of the bot is running with the same token, and what "
        "members do lands in whichever copy answers, each with its own database; stop the other copy"
    )


class DiscordFaultsAreWarnings(logging.Filter):
    """Turns discord.py's own ERROR for a fault of Discord's into one WARNING line, without the traceback.

    discord.py sends an autocomplete's choices itself and logs a failure there ("Ignoring exception in
    autocomplete", with a traceback) where the bot cannot catch it. When the exception is `discord_fault` or
    `stored_then_refused`, the operator's log shows a warning instead, and `answered_elsewhere` names the second
    process; anything else stays an ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, Exception):
            return True
        if answered_elsewhere(error):
            message = second_process(_interaction_of(error), "its autocomplete suggestions")
        elif discord_fault(error) or stored_then_refused(error):
            message = f"{record.getMessage()}: Discord failed: {error}"
        else:
            return True
        record.msg, record.args = message, None
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True


def _interaction_of(error: Exception) -> str:
    """The interaction id in the callback URL of a refused first response."""
    refused = _already_acknowledged(error)
    return (callback_interaction(refused.response) if refused is not None else None) or "?"


def quiet_discord_faults() -> None:
    """Install `DiscordFaultsAreWarnings` on discord.py's command-tree logger, once per process."""
    tree_log = logging.getLogger("discord.app_commands.tree")
    if not any(isinstance(existing, DiscordFaultsAreWarnings) for existing in tree_log.filters):
        tree_log.addFilter(DiscordFaultsAreWarnings())


async def after_stored_response(interaction: discord.Interaction[Any], where: str) -> None:
    """One warning; and if what Discord stored was only "thinking…", the handler never ran: say so privately.

    A stored answer is left as it is, so the member never gets a second, contradicting message.
    """
    try:
        original = await interaction.original_response()
        placeholder = original.flags.loading
        if placeholder:
            stored_acknowledgement(interaction, original)
            await reply(interaction, member_language(interaction).gettext(NOT_DONE), ephemeral=True)
    except discord.HTTPException as error:
        placeholder = None
        log.warning("interaction %s: could not look at or finish its stored response: %s", interaction.id, error)
    log.warning(
        "interaction %s in %s (guild %s): Discord stored the first response but reported an error, then refused "
        "the retry as already acknowledged; %s",
        interaction.id,
        where,
        interaction.guild_id,
        "it was only a placeholder, so the member was asked to try again" if placeholder else "the member has it",
    )


async def answer_failure(interaction: discord.Interaction[Any], error: Exception, where: str) -> None:
    """The friendly message for an expected failure, in the member's language; for a bug, a log line with its
    context and an apology."""
    with using(member_language(interaction)):
        await _answer_failure(interaction, error, where)


async def _answer_failure(interaction: discord.Interaction[Any], error: Exception, where: str) -> None:
    if answered_elsewhere(error):
        log.warning(second_process(interaction.id, f"{where}, guild {interaction.guild_id}"))
        return
    if stored_then_refused(error):
        await after_stored_response(interaction, where)
        return
    fault = fault_message(error)
    if fault is not None:
        log.warning(
            "interaction %s in %s (guild %s): Discord failed: %s", interaction.id, where, interaction.guild_id, error
        )
        await send_ephemeral(interaction, _(fault))
        return
    message = describe_failure(error)
    if message is None:
        log.error(
            "unexpected error in %s (guild %s, user %s)",
            where,
            interaction.guild_id,
            interaction.user.id,
            exc_info=error,
        )
        message = _(INTERNAL_ERROR)
    await send_ephemeral(interaction, message)


async def guarded(
    interaction: discord.Interaction[Any],
    action: Callable[[discord.Interaction[Any]], Awaitable[None]],
    where: str,
    *,
    ack: Ack = Ack.PRIVATE,
) -> None:
    """Run a component's `action` after acknowledging it (`ack`, see `bot.answer.Ack`).

    Component callbacks bypass the tree's on_error; their failures are answered the same way, privately. The
    action writes in the member's language (`bot.i18n`); a public post it makes chooses the server's.
    """
    with using(member_language(interaction)):
        try:
            await acknowledge(interaction, ack)
            interactive()  # the member is waiting: the database answers "busy" rather than late
            await action(interaction)
        except Exception as error:
            await answer_failure(interaction, error, where)
