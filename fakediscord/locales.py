"""Discord's client locales: what ``locale``/``guild_locale`` may be and the keys ``*_localizations`` accept.

The list is the documented one (docs "Locales") plus ``ar`` and ``he``, which Discord's OpenAPI spec lists in
``AvailableLocalesEnum``; discord.py 2.7's ``discord.Locale`` has the documented 32.
"""

from __future__ import annotations

DEFAULT_LOCALE = "en-US"

LOCALES: frozenset[str] = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
        "ar",
        "he",
    }
)


def checked_locale(value: str) -> str:
    """``value`` if it is a Discord locale; ``ValueError`` otherwise (catches typos like ``"fr-FR"``)."""
    if value not in LOCALES:
        raise ValueError(f"{value!r} is not a Discord locale; use one of {sorted(LOCALES)}")
    return value
