"""Every word the bot says, in its reader's language: gettext catalogues through Babel, English by default.

The sources are `bot/locales/<lang>/LC_MESSAGES/messages.po` (a language is added by adding one, see the
README's "Languages"); installing the bot compiles them to `.mo` (`build_catalogues.py`). The English text in
the code is the message id, and a language without a catalogue, or a message its catalogue lacks, reads in
English.

Who reads what decides the language (`Language`, picked by `language(locale)` from a Discord locale string):
- an answer to a member, private or not, is in the member's client language (`interaction.locale`);
- a public post (a ballot, a close summary, a reminder, a notice) is in the server's language: the one its
  moderators chose with `/settings language` (`choose_server_language`, kept here by `bot.languages`), else
  Discord's (`interaction.guild_locale`, `guild.preferred_locale`, which only Community servers can set).

The language of what is being written is a context variable: the command tree and `bot.errors.guarded` set it
to the member's for each interaction, and a public post is written inside `using(server_language(...))`.
Inside it:
- `_("There is no page {page}.", page=page)` translates now (placeholders are `str.format` names, the
  catalogue's `python-brace-format`);
- `ngettext("{n} voter", "{n} voters", n)` picks gettext's plural form for `n` (given to the text as `{n}`,
  written the language's way);
- `N_("...")` marks a module constant (it stays the English message id, which tests compare) to be
  translated where it is used, `_(CONSTANT)`;
- `pgettext("duration", "unknown")` picks the translation of a word by what it qualifies (a gettext context:
  "unknown" agrees with a feminine duration and a masculine title in French);
- `_l(...)`, `_nl(...)` and `_lp(context, ...)` mark a message to be written later (a refusal raised where the
  reader is not known yet, a catalogue record's words): a `Text`, written by `str()` (or in an f-string) in the
  language current at that time, or by `.render(lang)`;
- `current().date(day)`, `.number(n)`, `.percent(ratio)`, `.join(items)` format with Babel's locale data.
Discord's `<t:…>` timestamps are left as they are: every client shows them in its own language and zone.

This module imports no discord; command names and descriptions are localised from the same catalogues by
`bot.translator`.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the language of the message ids, and of every reader without a catalogue
# The gettext contexts of the strings that are not sentences: command and option names, and Babel patterns.
COMMAND_NAME = "command name"
OPTION_NAME = "option name"
CHOICE_NAME = "choice name"


class Language:
    """One reader's language: its catalogue (gettext) and its formats (Babel)."""

    def __init__(self, tag: str, translations: gettext_module.NullTranslations, locale: Locale) -> None:
        self.tag = tag  # the catalogue's language, as Discord writes it ("fr", "pt-BR"), or "en"
        self.translations = translations
        self.locale = locale

    def __repr__(self) -> str:
        return f"Language({self.tag!r})"

    def gettext(self, message: str, /, **values: object) -> str:
        """`message` in this language, its `{placeholders}` filled from `values` (none: left as written)."""
        return _fill(self.translations.gettext(message), message, values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The plural form for `n` (gettext's rule for this language); `{n}` is `n` written this language's way."""
        values.setdefault("n", self.number(n))
        return _fill(self.translations.ngettext(singular, plural, n), singular if n == 1 else plural, values)

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """`message` as translated in `context` (what it qualifies, or what kind of string it is)."""
        return _fill(self.translations.pgettext(context, message), message, values)

    def translation(self, context: str | None, message: str) -> str | None:
        """What this language's catalogue holds for `message` (in `context`), or None when it holds nothing."""
        found = self.translations.gettext(message) if context is None else self.translations.pgettext(context, message)
        return found if found != message else None

    def date(self, day: dt.date) -> str:
        """A calendar date (it has no instant, so it is written, not a Discord timestamp): 'Fri 11 December 2026'."""
        # Translators: a Babel date pattern (EEE weekday, d day, MMMM month, y year), not words to translate.
        return format_date(day, self.pgettext("date format", "EEE d MMMM y"), locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, ratio: float) -> str:
        """`ratio` (0.25) as a whole percentage, this language's way ('25%', '25 %')."""
        return format_percent(ratio, locale=self.locale)

    def join(self, items: Iterable[str], style: str = "standard") -> str:
        """'a, b and c' (`standard`) or 'a, b or c' (`or`), in this language."""
        return format_list(list(items), style=style, locale=self.locale)  # type: ignore[arg-type]


def _fill(text: str, source: str, values: Mapping[str, object]) -> str:
    """`text` with its placeholders filled; a translation naming a placeholder the code does not give falls back
    to the English, with a warning (the catalogue checks in the tests keep this from shipping)."""
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        log.warning("translation of %r does not fit its values (%s); using the English", source, error)
        return source.format(**values)


def catalogue_dir_name(tag: str) -> str:
    """Discord's `pt-BR` is gettext's `pt_BR`."""
    return tag.replace("-", "_")


def language(locale: object = None) -> Language:
    """The language for a Discord locale (`discord.Locale`, or its value such as `fr`, `pt-BR`, `en-US`).

    The catalogue of the locale itself, else of its language (`fr-FR` → `fr`), else English; None or an
    unknown locale is English. Cached: one `Language` per locale.
    """
    return _language(str(locale) if locale is not None else "")


@cache
def _language(tag: str) -> Language:
    if not tag or tag.lower().startswith(SOURCE_LANGUAGE):
        return _english(tag)
    translations = gettext_module.translation(
        DOMAIN, LOCALES_DIR, languages=[catalogue_dir_name(tag), tag.split("-")[0]], fallback=True
    )
    if type(translations) is gettext_module.NullTranslations:
        return _english("")
    found = Path(str(translations.info().get("language", tag))).name or tag
    try:
        babel_locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        babel_locale = Locale.parse(catalogue_dir_name(found))
    return Language(found.replace("_", "-"), translations, babel_locale)


def _english(tag: str) -> Language:
    """The source language; `en-GB` keeps British formats, anything else reads as `en`."""
    try:
        babel_locale = Locale.parse(tag, sep="-") if tag else Locale(SOURCE_LANGUAGE)
    except (ValueError, UnknownLocaleError):
        babel_locale = Locale(SOURCE_LANGUAGE)
    return Language(SOURCE_LANGUAGE, gettext_module.NullTranslations(), babel_locale)


ENGLISH = language(None)


def available() -> list[str]:
    """The languages with a compiled catalogue, as Discord writes them (`fr`, `pt-BR`)."""
    found = sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return [name.replace("_", "-") for name in found]


def spoken() -> list[str]:
    """The bot's languages: English, then each language with a catalogue (a new catalogue adds one by itself)."""
    return [SOURCE_LANGUAGE, *available()]


def in_every_language(write: Callable[[], str]) -> frozenset[str]:
    """What `write()` writes in each of the bot's languages: how a post made before a crash is recognised in its
    channel, though the server may have changed its language since."""
    written = set()
    for tag in spoken():
        with using(language(tag)):
            written.add(write())
    return frozenset(written)


def language_name(tag: str, reader: object = None, *, capital: bool = True) -> str:
    """A language's name as `reader` (a Discord locale; None: English) writes it, from Babel's locale data, so
    every name exists in every language without a translator: "French", "Français", "Französisch"; with
    `capital=False`, as within a sentence ("français")."""
    try:
        named, locale = Locale.parse(tag, sep="-"), Locale.parse(str(reader or SOURCE_LANGUAGE), sep="-")
    except (ValueError, UnknownLocaleError):
        return tag
    name = named.get_display_name(locale) or tag
    return name[:1].upper() + name[1:] if capital else name


def member_language(interaction: object) -> Language:
    """The language of the member behind an interaction: their client's (`interaction.locale`)."""
    return language(getattr(interaction, "locale", None))


# The language each server's moderators chose for its posts (`/settings language`), by server id. Kept by
# `bot.languages.ServerLanguages` (read from the database at start, written on each change), so that
# `server_language`, called for every public post, costs no I/O.
_chosen: dict[int, str] = {}


def choose_server_language(guild_id: int, tag: str | None) -> None:
    """Posts in the server are written in `tag` from now on; None: in its Discord language again."""
    if tag is None:
        _chosen.pop(guild_id, None)
    else:
        _chosen[guild_id] = tag


def chosen_server_language(guild_id: int | None) -> str | None:
    """The language the server's moderators chose, or None when it follows Discord's."""
    return None if guild_id is None else _chosen.get(guild_id)


def server_language(where: object) -> Language:
    """The language a server's public posts are written in: the one its moderators chose with `/settings language`,
    else Discord's: an interaction's `guild_locale`, or a guild's `preferred_locale` (Server Settings → Community;
    English when the server never set one, as every server that is not a Community server)."""
    guild_id = getattr(where, "guild_id", None) if hasattr(where, "guild_locale") else getattr(where, "id", None)
    chosen = chosen_server_language(guild_id if isinstance(guild_id, int) else None)
    if chosen is not None:
        return language(chosen)
    if hasattr(where, "preferred_locale"):
        return language(where.preferred_locale)
    return language(getattr(where, "guild_locale", None))


# --- the language of what is being written now ------------------------------------------------------------

_current: ContextVar[Language] = ContextVar("hr_language", default=ENGLISH)


def current() -> Language:
    return _current.get()


@contextmanager
def using(lang: Language) -> Iterator[Language]:
    """Write in `lang` inside the block (a public post inside a member's interaction, a background post)."""
    token = _current.set(lang)
    try:
        yield lang
    finally:
        _current.reset(token)


def use(lang: Language) -> None:
    """Write in `lang` from here to the end of the current task (one interaction: the tree and `guarded`)."""
    _current.set(lang)


def _(message: str, /, **values: object) -> str:
    """`message` in the current language, `{placeholders}` filled from `values`."""
    return _current.get().gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The current language's plural form for `n`; `{n}` is filled with `n`."""
    return _current.get().ngettext(singular, plural, n, **values)


def pgettext(context: str, message: str, /, **values: object) -> str:
    """`message` in the current language as translated in `context`, `{placeholders}` filled from `values`."""
    return _current.get().pgettext(context, message, **values)


def option_name(name: str) -> str:
    """A command option's name as the current reader's Discord shows it (`track` is `pièce` in French)."""
    return _current.get().pgettext(OPTION_NAME, name)


def choice_name(value: str) -> str:
    """A choice's name as the current reader's Discord shows it (the mode `single` is `un favori` in French)."""
    return _current.get().pgettext(CHOICE_NAME, str(value))


@dataclass(frozen=True, slots=True)
class Text:
    """A message marked now and written later, in the language current when it is (`str()`) or in `render(lang)`.

    Values that are themselves `Text` are written in the same language.
    """

    singular: str
    plural: str | None = None
    n: int = 1
    values: Mapping[str, object] = field(default_factory=dict)
    context: str | None = None

    def render(self, lang: Language) -> str:
        values = {key: value.render(lang) if isinstance(value, Text) else value for key, value in self.values.items()}
        if self.context is not None:
            return lang.pgettext(self.context, self.singular, **values)
        if self.plural is None:
            return lang.gettext(self.singular, **values)
        return lang.ngettext(self.singular, self.plural, self.n, **values)

    def __str__(self) -> str:
        return self.render(_current.get())

    def format(self, **values: object) -> Text:
        return Text(self.singular, self.plural, self.n, {**self.values, **values}, self.context)


def N_(message: str, /) -> str:
    """Mark a module constant for the catalogue and return it unchanged (English, the message id); it is
    translated where it is used: `_(CONSTANT)`, `_l(CONSTANT)`."""
    return message


def _l(message: str, /, **values: object) -> Text:
    """Mark `message` to be written later (module constants, refusals); see `Text`."""
    return Text(message, values=values)


def _nl(singular: str, plural: str, n: int, /, **values: object) -> Text:
    """The plural counterpart of `_l`."""
    return Text(singular, plural, n, values)


def _lp(context: str, message: str, /, **values: object) -> Text:
    """The `pgettext` counterpart of `_l`: a message marked in a context (what the words qualify)."""
    return Text(message, values=values, context=context)


def text(message: str | Text) -> str:
    """A message as the current reader reads it, whether already written (`str`) or marked (`Text`)."""
    return message if isinstance(message, str) else str(message)
