"""Command names, descriptions, options and choices in each member's language, from the bot's catalogues.

discord.py asks `CommandTranslator` for every string of every command, once per Discord locale, when it
builds the payload it syncs (and `bot.sync` hashes); a translation goes to Discord as `name_localizations` /
`description_localizations`, and Discord shows each member the names of their client's language. The
catalogue keeps these strings apart from the bot's sentences by their gettext context (`CONTEXTS`: a
command's name is "command name", an option's description "option description"...), so the word "track"
as a command and as an option can be translated differently, and a name is never taken for a sentence.
A choice naming one of the bot's languages (`language_choice`) is not in the catalogues: its name in each
member's language comes from Babel's locale data (`bot.i18n.language_name`), for every Discord locale.

`extract_commands` is the Babel extractor that puts them in the template (`pybabel extract`, configured in
pyproject.toml): it imports the command module it is given and reads its commands as discord.py built them,
so option names from the handlers' parameters and choices built from enums are found too.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

import discord
from babel.messages.extract import extract_python
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where
from discord.ext import commands

from bot.i18n import CHOICE_NAME, COMMAND_NAME, OPTION_NAME, language, language_name

CONTEXTS: dict[Where, str] = {
    Where.command_name: COMMAND_NAME,
    Where.group_name: COMMAND_NAME,
    Where.command_description: "command description",
    Where.group_description: "command description",
    Where.parameter_name: OPTION_NAME,
    Where.parameter_description: "option description",
    Where.choice_name: CHOICE_NAME,
}
NAME_CONTEXTS = (COMMAND_NAME, OPTION_NAME)
NAME_RE = re.compile(r"^[-_\w]{1,32}$")  # Discord's rule for names (`\w` is letters, digits and `_` in Python)
DESCRIPTION_LIMIT = 100  # characters in a description or a choice's name
NAME_COMMENT = "Discord: lowercase letters, digits, - or _, no spaces, at most 32 characters"
LENGTH_COMMENT = "Discord: at most 100 characters"


LANGUAGE = "language"  # a `locale_str` extra: the choice names this language (a Discord locale such as `pt-BR`)


def language_choice(tag: str) -> app_commands.Choice[str]:
    """A choice of one of the bot's languages: named in English, and in each member's language by the translator."""
    return app_commands.Choice(name=app_commands.locale_str(language_name(tag), **{LANGUAGE: tag}), value=tag)


def names_a_language(choice: app_commands.Choice[Any]) -> bool:
    locale_name = getattr(choice, "_locale_name", None)  # what the choice was built with (discord.py keeps it)
    return isinstance(locale_name, app_commands.locale_str) and LANGUAGE in locale_name.extras


def valid_name(name: str) -> bool:
    """Whether Discord takes `name` as a command or option name: 1-32 lowercase letters, digits, `-` or `_`."""
    return bool(NAME_RE.fullmatch(name)) and name == name.lower()


class CommandTranslator(app_commands.Translator):
    """Reads the catalogues; a string a language's catalogue does not translate stays English there."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        where = CONTEXTS.get(context.location)
        if where is None:
            return None
        if where == CHOICE_NAME and LANGUAGE in string.extras:
            return language_name(string.extras[LANGUAGE], locale.value)
        translated = language(locale).translation(where, string.message)
        if translated is None or (where in NAME_CONTEXTS and not valid_name(translated)):
            return None
        return translated


# --- the template: what `pybabel extract` finds in command modules ---------------------------------------


def command_strings(command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> Iterator[tuple[str, str]]:
    """(context, English) of every string of `command` that the translator will be asked for."""
    yield CONTEXTS[Where.command_name], command.name
    yield CONTEXTS[Where.command_description], command.description
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            if isinstance(child, app_commands.Command | app_commands.Group):
                yield from command_strings(child)
        return
    for parameter in command.parameters:
        yield CONTEXTS[Where.parameter_name], parameter.display_name
        if parameter.description != "…":  # discord.py's placeholder for an undocumented option
            yield CONTEXTS[Where.parameter_description], str(parameter.description)
        for choice in parameter.choices:
            if not names_a_language(choice):
                yield CONTEXTS[Where.choice_name], choice.name


def module_strings(module: object) -> Iterator[tuple[int, str, str]]:
    """(line, context, English) for every command string of the cogs `module` defines (a group cog's group too)."""
    name = getattr(module, "__name__", "")
    for cls in vars(module).values():
        if not (inspect.isclass(cls) and cls.__module__ == name and issubclass(cls, commands.Cog)):
            continue
        if cls.__cog_is_app_commands_group__:
            line = inspect.getsourcelines(cls)[1]
            yield line, CONTEXTS[Where.group_name], str(cls.__cog_group_name__)
            yield line, CONTEXTS[Where.group_description], str(cls.__cog_group_description__)
        for command in cls.__cog_app_commands__:
            found = command.callback if isinstance(command, app_commands.Command) else cls
            line = inspect.getsourcelines(found)[1]
            for context, message in command_strings(command):
                yield line, context, message


def module_name(path: Path) -> str:
    """`cogs/poll/commands.py` → `cogs.poll.commands`: the path's packages, up to the first without `__init__`."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def extract_commands(
    fileobj: IO[bytes], keywords: Any, comment_tags: Collection[str], options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel extractor for a module that defines commands: its ordinary messages (Babel's Python extractor),
    then its commands' names, descriptions, options and choices with their contexts (`pgettext` form)."""
    yield from extract_python(fileobj, keywords, comment_tags, options)
    module = importlib.import_module(module_name(Path(fileobj.name).resolve()))
    for line, context, message in module_strings(module):
        if any(char.isalpha() for char in message):
            comments = [NAME_COMMENT] if context in NAME_CONTEXTS else [LENGTH_COMMENT]
            yield line, "pgettext", (context, message), comments
