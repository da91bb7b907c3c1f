"""Every word the bot says, in its reader's language: gettext catalogues through Babel, English by default.

The sources are `bot/locales/<lang>/LC_MESSAGES/messages.po` (a language is added by adding one, see the
README's "Languages"); installing the bot compiles them to `.mo` (`build_catalogues.py`). The English text in
the code is the message id, and a language without a catalogue, or a message its catalogue lacks, reads in
English.

Who reads what decides the language (`Language`, picked by `language(locale)` from a Discord locale string):
- an answer to a member, private or not, is in the member's client language (`interaction.locale`);
- a public post (a ballot, a close summary, a reminder, a notice) is in the server's language
  (`interaction.guild_locale`, `guild.preferred_locale`).

The language of what is being written is a context variable: the command tree and `bot.errors.guarded` set it
to the member's for each interaction, and a public post is written inside `using(server_language(...))`.
Inside it:
- `_("There is no page {page}.", page=page)` translates now (placeholders are `str.format` names, the
  catalogue's `python-brace-format`);
- `ngettext("{n} voter", "{n} voters", n)` picks gettext's plural form for `n` (given to the text as `{n}`,
  written the language's way);
- `N_("...")` marks a module constant (it stays the English message id, which tests compare) to be
  translated where it is used, `_(CONSTANT)`;
- `_l(...)` and `_nl(...)` mark a message to be written later (a refusal raised where the reader is not
  known yet): a `Text`, written by `str()` in the language current at that time, or by `.render(lang)`;
- `current().date(day)`, `.number(n)`, `.percent(ratio)`, `.join(items)` format with Babel's locale data.
Discord's `<t:…>` timestamps are left as they are: every client shows them in its own language and zone.

This module imports no discord; command names and descriptions are localised from the same catalogues by
`bot.translator`.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import logging
from collections.abc import Iterable, Iterator, Mapping
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

    def pgettext(self, context: str, message: str, /) -> str:
        return self.translations.pgettext(context, message)

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

    The catalogue of the locale itself, else of its language (`es-ES` → `es`), else English; None or an
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


def member_language(interaction: object) -> Language:
    """The language of the member behind an interaction: their client's (`interaction.locale`)."""
    return language(getattr(interaction, "locale", None))


def server_language(where: object) -> Language:
    """The language a server's public posts are written in: an interaction's `guild_locale`, or a guild's
    `preferred_locale` (Server Settings → Community; English when the server never set one)."""
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


def pgettext(context: str, message: str, /) -> str:
    return _current.get().pgettext(context, message)


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

    def render(self, lang: Language) -> str:
        values = {key: value.render(lang) if isinstance(value, Text) else value for key, value in self.values.items()}
        if self.plural is None:
            return lang.gettext(self.singular, **values)
        return lang.ngettext(self.singular, self.plural, self.n, **values)

    def __str__(self) -> str:
        return self.render(_current.get())

    def format(self, **values: object) -> Text:
        return Text(self.singular, self.plural, self.n, {**self.values, **values})


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


def text(message: str | Text) -> str:
    """A message as the current reader reads it, whether already written (`str`) or marked (`Text`)."""
    return message if isinstance(message, str) else str(message)
