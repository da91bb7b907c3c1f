"""The command tree: guild-only by default, every command acknowledged before it runs, one error handler.

`interaction_check` is the one place every slash command passes before its handler, so what holds for every
command is done there, in this order:
0. the language the handler writes in becomes the member's (`bot.i18n.member_language`), for autocomplete too
   (choices name things as the member's language does: a city, a language);
1. a server that has the bot's commands but not the bot member is told how to add the bot, and one Discord
   reports unavailable (an outage: its cache is an empty stub, `bot.presence`) is asked to try again later,
   except by `@instant` commands, which need nothing of the server;
2. every string option is checked as typed text (`bot.typed.text_problem`) and refused naming the option;
3. the interaction is acknowledged (`bot.answer`): private "thinking…", or public for `@public` commands,
   so a handler may wait for the database or Discord without the member seeing "This interaction failed"
   (only `@instant` commands, which do neither, answer at once by themselves).
A command the tree does not know (renamed or removed since Discord's copy was synced) is left to `_call`,
which raises `CommandNotFound`; `on_error` explains it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.answer import INSTANT, acknowledge_command
from bot.db import interactive
from bot.errors import UserError, answer_failure, describe_options
from bot.i18n import N_, _, member_language, option_name, use
from bot.invite import invite_url
from bot.presence import Presence
from bot.typed import text_problem

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

OUTAGE = N_(
    "Discord is having trouble with this server right now, so I can't see its channels, roles or settings. "
    "Nothing was changed; please try again in a few minutes."
)
STRING = 3  # Discord's option type for text
NESTING = (1, 2)  # subcommand, subcommand group: their options hold the command's options


def string_options(options: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(name, value) of every text option in an interaction's `data["options"]`, through subcommands."""
    for option in options:
        if option.get("type") in NESTING:
            yield from string_options(option.get("options", []))
        elif option.get("type") == STRING and isinstance(option.get("value"), str):
            yield option["name"], option["value"]


class BotTree(app_commands.CommandTree["HeatedRivalryBot"]):
    def __init__(self, client: HeatedRivalryBot) -> None:
        super().__init__(
            client,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        )

    async def interaction_check(self, interaction: discord.Interaction[HeatedRivalryBot], /) -> bool:
        use(member_language(interaction))  # the handler (or autocomplete) writes in the member's language (`bot.i18n`)
        if interaction.type is not discord.InteractionType.application_command or interaction.command is None:
            return True
        if self.commands_only(interaction):
            raise UserError(add_the_bot(interaction.client))
        if self.in_an_outage(interaction):
            raise UserError(_(OUTAGE))
        data: Any = interaction.data or {}
        for name, value in string_options(data.get("options", [])):
            problem = text_problem(value)
            if problem is not None:
                raise UserError(_("`{option}` {problem}.", option=option_name(name), problem=problem))
        try:
            await acknowledge_command(interaction, interaction.command)
        except discord.HTTPException as error:  # Discord failing on the way (see `bot.errors`): the handler waits
            await answer_failure(interaction, error, describe_options(interaction))
            return False
        interactive()  # the member is waiting: the database answers "busy" rather than late
        return True

    def commands_only(self, interaction: discord.Interaction[HeatedRivalryBot]) -> bool:
        """A server with the bot's commands (`applications.commands`) but without the bot user in it.

        Every server the bot is in is in its cache from the gateway's READY on (as unavailable until its
        GUILD_CREATE arrives), and an interaction comes after READY, so a server missing there has no bot.
        """
        return interaction.guild_id is not None and interaction.client.get_guild(interaction.guild_id) is None

    def in_an_outage(self, interaction: discord.Interaction[HeatedRivalryBot]) -> bool:
        """The command needs the server's channels, roles or settings, and Discord reports the server unavailable."""
        command = interaction.command
        if command is None or command.extras.get(INSTANT) or interaction.guild_id is None:
            return False
        return interaction.client.presence(interaction.guild_id) is Presence.UNAVAILABLE

    async def on_error(
        self, interaction: discord.Interaction[HeatedRivalryBot], error: app_commands.AppCommandError
    ) -> None:
        await answer_failure(interaction, error, describe_options(interaction))


def add_the_bot(client: HeatedRivalryBot) -> str:
    """The refusal in a server that installed only the commands, with the invite link that adds the bot."""

    if client.application_id:
        return _(
            "I'm not in this server yet: only my commands were added, so I can't see its channels, roles or "
            "settings. Someone with Manage Server can add me with this link: <{link}>. Nothing needs to be set up "
            "again after that.",
            link=invite_url(client.application_id),
        )
    return _(
        "I'm not in this server yet: only my commands were added, so I can't see its channels, roles or "
        "settings. Someone with Manage Server can add me. Nothing needs to be set up again after that."
    )
