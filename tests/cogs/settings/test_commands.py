"""`/settings language` offers English and each language with a catalogue: a new catalogue adds its language."""

from __future__ import annotations

import pytest

from bot import i18n
from cogs.settings.commands import FOLLOW_DISCORD, language_choices


def test_the_languages_offered_are_english_and_those_with_a_catalogue() -> None:
    choices = language_choices()
    assert [c.value for c in choices] == [FOLLOW_DISCORD, "en", *i18n.available()]
    assert [c.name for c in choices][:6] == [
        "Follow the server's Discord language",
        "English",
        "Spanish (Latin America)",
        "Spanish (Spain)",
        "French",
        "Portuguese (Brazil)",
    ]


def test_a_language_appears_once_its_catalogue_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "available", lambda: ["de", "es-419", "es-ES", "fr", "pt-BR"])
    named = {c.value: c.name for c in language_choices()}
    assert named["de"] == "German", "a catalogue the bot does not have today"
