"""The message catalogues: French complete, placeholders kept, the template and the compiled files current,
command names within Discord's rules, and the language chosen for each reader."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import string
from pathlib import Path
from typing import Any

import discord
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from discord import app_commands

from bot import i18n
from bot.i18n import LOCALES_DIR, Text, _, _l, _nl, language, ngettext, server_language, using
from bot.translator import DESCRIPTION_LIMIT, NAME_CONTEXTS, CommandTranslator, valid_name

ROOT = Path(__file__).parents[2]
TEMPLATE = LOCALES_DIR / "messages.pot"
CATALOGUES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
# The command that regenerates the template; the README's "Languages" gives the same one.
EXTRACT = [
    *("pybabel", "extract", "-F", "pyproject.toml", "-k", "_l", "-k", "_nl:1,2", "-k", "_lp:1c,2"),
    "--add-comments=Translators:",
]
FIX = "run the pybabel commands in the README's Languages section"
# Plural-Forms as GNU gettext writes them (its manual, "Plural forms"), by language.
GETTEXT_PLURALS = {"fr": (2, "(n > 1)"), "pt": (2, "(n > 1)"), "es": (2, "(n != 1)")}


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def key(message: Message) -> tuple[str | None, str]:
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def forms(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string or ())


def sources(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return read(TEMPLATE)


@pytest.fixture(scope="module")
def french() -> Catalog:
    return read(LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po")


# The languages that must be complete: every entry translated, none fuzzy (issue 21: French, Brazilian Portuguese, and
# Spanish as Discord's two Spanish locales).
REQUIRED_COMPLETE = ("fr", "pt-BR", "es-ES", "es-419")


@pytest.mark.parametrize("tag", REQUIRED_COMPLETE)
def test_every_message_is_translated_in_each_required_language(tag: str, template: Catalog) -> None:
    path = LOCALES_DIR / i18n.catalogue_dir_name(tag) / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"{tag} is required complete but has no catalogue: pybabel init (README, Languages)"
    catalog = read(path)
    untranslated = []
    for message in entries(template):
        found = catalog.get(message.id, context=message.context)
        plural_forms = 1 if isinstance(message.id, str) else catalog.num_plurals
        if found is None or found.fuzzy or not all(forms(found)) or len(forms(found)) != plural_forms:
            untranslated.append(key(message))
    assert untranslated == [], f"{tag} lacks (or has fuzzy) translations of {untranslated}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_translations_keep_the_placeholders_of_their_source(path: Path) -> None:
    """`{name}` placeholders (python-brace-format): a translation may not drop or invent any. A plural form may
    leave out `{n}` (some languages write "one" in words), nothing else."""
    wrong = []
    for message in entries(read(path)):
        given = set().union(*(fields(source) for source in sources(message)))
        for form in filter(None, forms(message)):
            allowed_missing = {"n"} if not isinstance(message.id, str) else set()
            if not fields(form) <= given or not given - allowed_missing <= fields(form):
                wrong.append((key(message), form))
    assert wrong == [], f"placeholders differ from the source's: {wrong}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogues_follow_the_template_and_are_compiled(path: Path, template: Catalog) -> None:
    catalog = read(path)
    assert {key(m) for m in entries(catalog)} == {key(m) for m in entries(template)}, (
        f"{path} is not updated from the template: {FIX}"
    )
    language_code = catalog.locale.language if catalog.locale else path.parent.parent.name
    assert (catalog.num_plurals, catalog.plural_expr) == GETTEXT_PLURALS.get(language_code), (
        f"Plural-Forms as gettext writes them for {language_code} (pybabel init writes CLDR's, with a form for "
        f"millions: replace it with {GETTEXT_PLURALS.get(language_code)}, or add the language to GETTEXT_PLURALS)"
    )
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    mo = path.with_suffix(".mo")
    assert mo.exists() and mo.read_bytes() == compiled.getvalue(), (
        f"{mo} is missing or older than its .po: reinstall (pip install -e .) or run pybabel compile -d bot/locales"
    )


def test_the_template_is_up_to_date_with_the_code(
    template: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run([EXTRACT[0], "--quiet", *EXTRACT[1:], "-o", str(output), "."])  # type: ignore[no-untyped-call]
    fresh = {key(m) for m in entries(read(output))}
    current = {key(m) for m in entries(template)}
    assert fresh - current == set(), f"messages missing from bot/locales/messages.pot: {FIX}"
    assert current - fresh == set(), f"messages the code no longer has are in bot/locales/messages.pot: {FIX}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_command_names_and_descriptions_fit_discords_rules(path: Path) -> None:
    for message in entries(read(path)):
        for form in filter(None, forms(message)):
            if message.context in NAME_CONTEXTS:
                assert valid_name(form), f"{form!r} is not a valid Discord name (lowercase, no spaces, ≤ 32)"
            elif message.context in ("command description", "option description", "choice name"):
                assert len(form) <= DESCRIPTION_LIMIT, f"{form!r} is longer than {DESCRIPTION_LIMIT} characters"


def test_french_typography_is_consistent(french: Catalog) -> None:
    """The convention chosen (the OQLF's, usual in Quebec): a non-breaking space before the colon, and no
    space before ! ? and ;."""
    for message in entries(french):
        for form in forms(message):
            assert not re.search(r"[ \u00a0\u202f][!?;]", form), f"space before ! ? or ; in {form!r}"
            assert not re.search(r"(?<![\u00a0]):(?=\s|$)", form), f"colon without a non-breaking space in {form!r}"


@pytest.mark.parametrize("tag", REQUIRED_COMPLETE)
def test_answers_name_the_commands_as_the_readers_discord_shows_them(tag: str) -> None:
    """A sentence naming a command (`/sondage-admin réglages mode:top 3`) names it, its option and the option's
    choice as a member's Discord shows them in that language."""
    catalog = read(LOCALES_DIR / i18n.catalogue_dir_name(tag) / "LC_MESSAGES" / "messages.po")
    names = {context: {m.string for m in entries(catalog) if m.context == context} for context in NAME_CONTEXTS}
    choices = {m.string for m in entries(catalog) if m.context == "choice name"}
    for message in entries(catalog):
        if message.context is None:
            for form in forms(message):
                for command, option, value in re.findall(r"`/([^`{]+?)(?: ([^` ]+):([^`]*))?`", form):
                    assert set(command.split()) <= names["command name"], f"`/{command}`: not in {tag} ({form!r})"
                    assert not option or option in names["option name"], f"`{option}:`: not in {tag} ({form!r})"
                    assert not value or "{" in value or value in {*choices, "…"}, f"`:{value}` ({tag}): {form!r}"


# --- the machinery -----------------------------------------------------------------------------------------


def test_a_discord_locale_picks_its_catalogue_or_english() -> None:
    assert language("fr").tag == "fr" and language(discord.Locale.french) is language("fr")
    assert language("pt-BR").tag == "pt-BR"
    assert language("es-ES").tag == "es-ES" and language(discord.Locale.spain_spanish) is language("es-ES")
    assert language("es-419").tag == "es-419", "Discord's es-419 is gettext's es_419, a catalogue of its own"
    assert language(discord.Locale.latin_american_spanish).gettext("Previous") == "Anterior"
    for unknown in ("de", "ja", "en-US", "en-GB", None, "", "xx-YY"):
        assert language(unknown).tag == "en", unknown
    assert language("fr").gettext("Previous") == "Précédent"
    assert language("de").gettext("Previous") == "Previous"


def test_plurals_dates_and_numbers_follow_the_language() -> None:
    french, english = language("fr"), language("en-US")
    assert french.ngettext("{n} voter", "{n} voters", 0) == "0 votant", "French counts 0 in the singular"
    assert french.ngettext("{n} voter", "{n} voters", 2) == "2 votants"
    assert english.ngettext("{n} voter", "{n} voters", 0) == "0 voters"
    day = dt.date(2026, 12, 11)
    assert english.date(day) == "Fri 11 December 2026"
    assert french.date(day) == "vendredi 11 décembre 2026"
    assert french.number(1234) == "1\u202f234" and english.number(1234) == "1,234"
    assert french.percent(0.5) == "50\u00a0%" and english.percent(0.5) == "50%"
    spain, latin_america = language("es-ES"), language("es-419")
    assert spain.ngettext("{n} voter", "{n} voters", 0) == "0 votantes", "Spanish counts 0 in the plural"
    assert latin_america.ngettext("{n} voter", "{n} voters", 1) == "1 votante"
    assert spain.date(day) == latin_america.date(day) == "viernes 11 de diciembre de 2026"
    assert spain.number(1234.5) == "1.234,5" and latin_america.number(1234.5) == "1,234.5", "each region's numbers"


def test_marked_messages_are_written_in_the_language_current_when_shown() -> None:
    marked = _l("Ballot posted: {link}", link="<url>")
    assert str(marked) == "Ballot posted: <url>"
    with using(language("fr")):
        assert str(marked) == "Bulletin publié\u00a0: <url>"
        assert _("Previous") == "Précédent" and ngettext("{n} pt", "{n} pts", 3) == "3 pts"
        assert str(_nl("{n} voter", "{n} voters", 1)) == "1 votant"
    assert marked.render(language("pt-BR")) == "Mensagem de votação publicada: <url>"
    assert marked.render(language("de")) == "Ballot posted: <url>", "no catalogue: English"
    assert str(Text("Sources · {title}", values={"title": _l("Previous")}).render(language("fr"))) == (
        "Sources · Précédent"
    ), "values that are messages are written in the same language"


def test_a_translation_that_does_not_fit_its_values_falls_back_to_english(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "{missing}"

    broken = i18n.Language("xx", Broken(), i18n.ENGLISH.locale)
    assert broken.gettext("Page {page}", page=2) == "Page 2"
    assert "does not fit its values" in caplog.text


def test_public_posts_use_the_servers_language() -> None:
    class Guild:
        preferred_locale = discord.Locale.french

    class Interaction:
        locale = discord.Locale.american_english
        guild_locale = discord.Locale.french

    assert server_language(Guild()).tag == "fr" and server_language(Interaction()).tag == "fr"
    assert i18n.member_language(Interaction()).tag == "en"
    assert server_language(object()).tag == "en", "no server language: English"


async def test_the_command_translator_reads_the_catalogues() -> None:
    @app_commands.command(name="soundtrack", description="The Heated Rivalry soundtrack")
    async def soundtrack_command(interaction: discord.Interaction) -> None: ...

    translator = CommandTranslator()
    name: app_commands.TranslationContext[Any, Any] = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, soundtrack_command
    )
    other: app_commands.TranslationContext[Any, Any] = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.other, None
    )
    soundtrack = app_commands.locale_str("soundtrack")
    assert await translator.translate(soundtrack, discord.Locale.french, name) == "trame-sonore"
    assert await translator.translate(soundtrack, discord.Locale.brazil_portuguese, name) == "trilha-sonora"
    assert await translator.translate(soundtrack, discord.Locale.spain_spanish, name) == "banda-sonora"
    assert await translator.translate(soundtrack, discord.Locale.latin_american_spanish, name) == "banda-sonora"
    assert await translator.translate(soundtrack, discord.Locale.german, name) is None, "no catalogue: English"
    assert await translator.translate(soundtrack, discord.Locale.american_english, name) is None
    assert await translator.translate(soundtrack, discord.Locale.french, other) is None
    unknown = app_commands.locale_str("not-in-the-catalogue")
    assert await translator.translate(unknown, discord.Locale.french, name) is None
