"""Trying to break the languages (issue 15) as a new member and a hostile one would: every Discord locale on every
command, French members in English servers and the reverse, French error paths, plural forms, the standings
chart with hostile titles, the localised command names against Discord's rules, and a server changing its
language between a reminder being planned and posted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands
from PIL import Image

from bot.catalogue import Catalogue, load_catalogue
from bot.chart import DESCRIPTION_LIMIT, MAX_ROWS, chart_size, draw_standings
from bot.clock import SystemClock
from bot.db.database import BUSY
from bot.demo.harness import emulated_bot, fake_token
from bot.errors import INTERNAL_ERROR
from bot.i18n import language, using
from cogs.poll.rules import BallotMode, Entry, Standings
from fakediscord import LOCALES, FakeDiscord, Member, Message, Reply
from fakediscord.state import StoredFile
from tests.e2e.conftest import FanServer, Start, holding_the_write_lock, kill, said
from tests.e2e.test_reminders import MESSAGES, eventually, overlay, release_slot, seed, settled

SETTLE = 0.05  # every answer here is one response or one follow-up

INTERNAL_ERRORS = {language(tag).gettext(INTERNAL_ERROR) for tag in ("en-US", "fr", "pt-BR")}
TEMPLATE_PLACEHOLDERS = {"release", "when", "countdown", "role", "link", "server"}
RAW_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
NBSP = "\u00a0"


def shown(message: Message | Reply) -> str:
    """What the member reads: content and every embed's text."""
    if isinstance(message, Reply):
        message = said(message)
    return (message.content or "") + "\n" + json.dumps(message.embeds, ensure_ascii=False)


def field_names(reply: Reply) -> list[str]:
    return [field["name"] for embed in said(reply).embeds for field in embed.get("fields", [])]


def private(reply: Reply) -> str:
    assert said(reply).ephemeral, reply
    return said(reply).content or ""


def raw_placeholders(text: str) -> set[str]:
    """`{name}` left unfilled in what the bot wrote (a reminder template's own placeholders are allowed)."""
    return set(RAW_PLACEHOLDER.findall(text)) - TEMPLATE_PLACEHOLDERS


def chart_of(message: Message | Reply) -> StoredFile:
    """The one attachment: a PNG that decodes, of the size Discord reports, with its description sent."""
    if isinstance(message, Reply):
        message = said(message)
    [chart] = message.files
    assert chart.content_type == "image/png", chart
    image = Image.open(io.BytesIO(chart.data))
    image.load()
    assert image.format == "PNG" and image.size == chart.dimensions
    assert message["attachments"][0]["description"] == chart.description
    assert chart.description is not None and 0 < len(chart.description) <= DESCRIPTION_LIMIT
    return chart


def set_locale(member: Member, locale: str) -> None:
    """The member's client language, even one Discord would never send (the emulator checks the setter)."""
    member.record.locale = locale


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING)
    yield caplog
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], bad


# -- every locale on every command ------------------------------------------------------------------------------

UNUSUAL = ("fr", "pt-BR", "es-419", "es-ES", "zh-TW", "zh-CN", "en-GB", "en-US", "hi", "th", "ar", "he", "no", "ja")
VALID = {"title": "Watch party", "date": "2035-06-01", "track": "melt", "zone": "UTC", "spec": "1d, 0", "query": "x"}


def commands_of(tree: app_commands.CommandTree[Any]) -> list[app_commands.Command[Any, ..., Any]]:
    return [c for c in tree.walk_commands() if isinstance(c, app_commands.Command)]


def values_for(command: app_commands.Command[Any, ..., Any], server: FanServer, role: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for parameter in command.parameters:
        name = parameter.display_name
        if parameter.choices:
            values[name] = parameter.choices[-1].value
        elif parameter.type is AppCommandOptionType.channel:
            values[name] = server.channel
        elif parameter.type is AppCommandOptionType.role:
            values[name] = role
        elif parameter.type is AppCommandOptionType.integer:
            values[name] = 1
        elif parameter.required:
            values[name] = VALID.get(name, "x")
    return values


async def run_everything(server: FanServer, member: Member, role: Any) -> dict[str, str]:
    """Every command with valid values, as `member`; what each answered."""
    answers: dict[str, str] = {}
    for command in commands_of(server.bot.tree):
        if command.qualified_name in ("poll-admin reset", "reminders events"):
            continue  # a confirmation button, and Discord events needing Manage Events: elsewhere
        reply = await member.run(f"/{command.qualified_name}", options=values_for(command, server, role))
        await reply.wait(timeout=5)
        label = f"/{command.qualified_name} as {member.record.locale!r}"
        assert reply.rejected == [], (label, reply.rejected)
        text = "\n".join(shown(m) for m in reply.messages)
        assert reply.messages and not any(e in text for e in INTERNAL_ERRORS), (label, text)
        assert raw_placeholders(text) == set(), (label, text)
        answers[command.qualified_name] = text
    return answers


@pytest.mark.parametrize("locale", [*UNUSUAL, "", "xx-YY", "fr-FR", "pt", "../../../etc/passwd", "EN-us", "\x00"])
async def test_every_command_in_unusual_and_garbage_locales_answers_in_its_language_or_english(
    full_server: FanServer, errors: pytest.LogCaptureFixture, locale: str
) -> None:
    role = full_server.guild.add_role("Release news", mentionable=True)
    member = full_server.guild.add_member(f"Mod {locale!r}", manage_guild=True)
    set_locale(member, locale)
    answers = await run_everything(full_server, member, role)
    about = answers["soundtrack about"]
    if locale in ("fr", "fr-FR"):  # a regional variant reads its language's catalogue
        assert "Compositeur" in about and "Composer" not in about, locale
    elif locale == "pt-BR":
        assert "Compositor" in about and "Composer" not in about, locale
    elif locale in ("es-ES", "es-419"):  # Discord's two Spanish locales, each with its own catalogue
        assert "Sello discográfico" in about and '"Composer"' not in about, locale
    else:
        assert '"Composer"' in about, (locale, about)


async def test_every_server_locale_writes_the_ballot_and_close_summary_in_its_language_or_english(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue, errors: pytest.LogCaptureFixture
) -> None:
    servers = []
    for locale in sorted(LOCALES):
        guild = fd.add_guild(f"Server {locale}", preferred_locale=locale)
        servers.append((locale, guild, guild.add_text_channel("poll"), guild.add_member("Mod", manage_guild=True)))
    spanish = "Tu pista favorita de Heated Rivalry"
    expected = {
        "fr": "Ta pièce préférée de Rivalité passionnée",
        "pt-BR": "Faixa favorita de Heated Rivalry",
        "es-ES": spanish,
        "es-419": spanish,
    }
    spanish_closing = "La votación de la ronda 1 está cerrada."
    closing = {
        "fr": "Le vote est fermé pour la ronde 1.",
        "pt-BR": "A votação da rodada 1 está encerrada.",
        "es-ES": spanish_closing,
        "es-419": spanish_closing,
    }
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", catalogue):
        for locale, _guild, channel, mod in servers:
            await mod.run("/poll-admin post", options={"channel": channel})
            ballot = fd.channel_messages(channel)[-1]
            title = ballot.embeds[0]["title"]
            assert title == expected.get(locale, "Favourite Heated Rivalry track"), locale
            await mod.run("/poll vote", track="melt")
            closed = said(await mod.run("/poll-admin close"))
            assert not closed.ephemeral
            chart_of(closed)
            assert closed.content == closing.get(locale, "Voting is closed for round 1."), locale


# -- plural forms -------------------------------------------------------------------------------------------------


async def test_french_plurals_take_the_singular_for_zero_and_one(french_server: FanServer) -> None:
    guild = french_server.guild
    modo = guild.add_member("Modo", manage_guild=True, locale="fr")
    voters = [guild.add_member(f"Fan {n}", locale="fr") for n in range(21)]
    expected = {0: "**0** votant ·", 1: "**1** votant ·", 2: "**2** votants ·", 21: "**21** votants ·"}
    done = 0
    for n, summary in expected.items():
        for voter in voters[done:n]:
            await voter.run("/sondage voter", pièce="melt")
        done = n
        results = said(await modo.run("/sondage résultats"))
        assert results.embeds[0]["description"].startswith(summary), (n, results.embeds)
        if n == 0:
            assert results.files == [] and "Aucun vote pour l'instant." in shown(results)
            continue
        score = "1 vote" if n == 1 else f"{n} votes"
        assert chart_of(results).description.endswith(f"En tête{NBSP}: «{NBSP}Melt{NBSP}», {score}."), n  # type: ignore[union-attr]
    closed = said(await modo.run("/sondage-admin fermer"))
    assert closed.content == "Le vote est fermé pour la ronde 1."
    assert closed.embeds[0]["description"].startswith("**21** votants · un favori par membre")
    assert chart_of(closed).dimensions == chart_size(1, more=False)


# -- a member's language against the server's ----------------------------------------------------------------


async def test_a_french_moderator_in_an_english_server_reads_french_while_the_channel_reads_english(
    full_server: FanServer, errors: pytest.LogCaptureFixture
) -> None:
    fd, guild, channel = full_server.fd, full_server.guild, full_server.channel
    modo = guild.add_member("Modo", manage_guild=True, locale="fr")
    amelie = guild.add_member("Amélie", locale="fr")

    posted = private(await modo.run("/sondage-admin publier", salon=channel))
    assert "publié" in posted and "Ballot posted" not in posted, posted
    ballot = fd.channel_messages(channel)[-1]
    assert ballot.embeds[0]["title"] == "Favourite Heated Rivalry track", "the ballot is the channel's: English"
    picked = await amelie.select(ballot, ["melt"], custom_id="hr:poll:pick:0")
    assert said(picked).ephemeral and said(picked).content.startswith("Ton vote dans la ronde 1")
    assert fd.channel_messages(channel)[-1].embeds[0]["title"] == "Favourite Heated Rivalry track"
    await full_server.fan.run("/poll vote", track="rivalry")
    await full_server.other_fan.run("/poll vote", track="melt")

    results = said(await amelie.run("/sondage résultats"))
    assert results.embeds[0]["title"] == "Pièce préférée · ronde 1 · classement en direct"
    alt = chart_of(results).description or ""
    assert alt.startswith("Diagramme à barres") and alt.endswith(f"En tête{NBSP}: «{NBSP}Melt{NBSP}», 2 votes."), alt

    closed = said(await modo.run("/sondage-admin fermer"))
    assert not closed.ephemeral and closed.content == "Voting is closed for round 1.", "the channel's language"
    assert closed.embeds[0]["title"] == "Favourite track · round 1 · final standings"
    assert closed.embeds[0]["description"].startswith("**3** voters · one favourite per member")
    assert chart_of(closed).description == "Bar chart of the 2 tracks with votes. Leading: “Melt”, 2 votes."

    late = private(await amelie.run("/sondage voter", pièce="melt"))
    assert late.startswith("Le vote est fermé"), "a refusal is the member's"
    menu = await amelie.select(ballot, ["melt"], custom_id="hr:poll:pick:0")
    assert said(menu).content.startswith("Le vote est fermé"), "through the ballot too"
    assert fd.channel_messages(channel)[-1].embeds[0]["title"] == "Favourite Heated Rivalry track"


async def test_a_french_moderator_tests_reminders_in_an_english_server(
    server: FanServer, errors: pytest.LogCaptureFixture
) -> None:
    fd, guild, channel = server.fd, server.guild, server.channel
    clock = server.bot.clock
    assert isinstance(clock, SystemClock)
    modo = guild.add_member("Modo", manage_guild=True, locale="fr")
    assert private(await modo.run("/rappels essai")).startswith("Choisis d'abord où publier")
    private(await modo.run("/rappels salon", salon=channel))
    private(await modo.run("/rappels délais", délais="1m, 0"))
    release = release_slot(clock.now())
    epoch = int(release.timestamp())
    added = private(
        await modo.run(
            "/rappels ajouter-sortie", titre="Listening party", date=f"{release:%Y-%m-%d}", heure=f"{release:%H:%M}"
        )
    )
    assert "**Listening party**" in added and not added.startswith("Added"), added
    tested = private(await modo.run("/rappels essai"))
    assert "https://discord.com/channels/" in tested, tested
    assert "Test reminder posted" not in tested, "the moderator's answer is French"
    test_post = fd.channel_messages(channel)[-1]
    assert test_post.content.startswith(f"[Test] **Listening party**: <t:{epoch}:F>"), test_post.content
    assert test_post.embeds[0]["footer"]["text"].startswith("Test post from /reminders test"), test_post.embeds

    preview = said(await modo.run("/rappels aperçu"))
    assert preview.ephemeral and preview.embeds[0]["footer"]["text"].startswith("Preview of the post"), (
        "a preview shows the post as the channel will read it"
    )
    missing = private(await modo.run("/rappels aperçu", sortie="zzqx"))
    assert missing.startswith(f"`sortie`{NBSP}: aucune sortie ne correspond à 'zzqx'"), "a refusal is the moderator's"


# -- the chart with hostile titles ------------------------------------------------------------------------------

ZALGO = "Z" + "".join(chr(0x0300 + n % 0x70) for n in range(99))
HOSTILE_TITLES = [
    "W" * 100,
    "🔥" * 100,
    ZALGO,
    "\u202eמסלול עברית مرحبا بالعالم\u202c" + "ש" * 60,
    "**bold** __under__ `code` ||spoiler|| [link](https://example.org) # Title",
    "@everyone @here <@123456789012345678> <@&123456789012345678>",
    "{title} {n} {leader} {{ }} %s",
    "line\\nbreak\\ttab\\u0007bell",
    "👩\u200d👩\u200d👧\u200d👦🏳️\u200d🌈" * 9,
]


def hostile_overlay() -> str:
    head = '[overlay]\nsources = ["test"]\n[sources]\ntest = { name = "Test data", url = "https://example.org/test" }\n'
    rows = "".join(
        f'[[tracks]]\nid = "hostile-{n}"\ntitle = "{title}"\nnumber = {n + 9}\n'
        for n, title in enumerate(HOSTILE_TITLES)
    )
    return head + rows


@pytest.fixture
async def hostile_server(fd: FakeDiscord, tmp_path: Path) -> AsyncIterator[FanServer]:
    overlay = tmp_path / "hostile.toml"
    overlay.write_text(hostile_overlay(), "utf-8")
    catalogue = load_catalogue(overlay)
    guild = fd.add_guild("Serveur hostile", preferred_locale="fr")
    channel = guild.add_text_channel("sondage")
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", catalogue) as bot:
        yield FanServer(fd, bot, guild, guild.add_member("A", locale="fr"), guild.add_member("B"), channel)


async def test_hostile_titles_tied_for_the_lead_draw_and_describe_within_limits(
    hostile_server: FanServer, errors: pytest.LogCaptureFixture
) -> None:
    guild = hostile_server.guild
    modo = guild.add_member("Modo", manage_guild=True, locale="fr")
    ids = [f"hostile-{n}" for n in range(len(HOSTILE_TITLES))]
    for n, track in enumerate(ids):
        answer = said(await guild.add_member(f"Fan {n}").run("/poll vote", track=track))
        assert answer.content.startswith("Your vote"), answer.content
    for locale, member in (("en-US", hostile_server.other_fan), ("fr", hostile_server.fan)):
        results = said(await member.run("/poll results"))
        chart = chart_of(results)
        assert chart.dimensions == chart_size(len(ids), more=False), locale
        alt = chart.description or ""
        assert "@everyone" not in alt and "\n" not in alt, alt
        more = len(ids) - 3
        assert (f"and {more} more, 1 vote each." if locale == "en-US" else f"{more} autres") in alt, alt
    closed = said(await modo.run("/sondage-admin fermer"))
    assert not closed.mention_everyone and closed.mentioned_role_ids == []
    assert chart_of(closed).description, "the close summary carries the chart"


def hostile_standings(count: int, title: str, mode: BallotMode = BallotMode.SINGLE) -> Standings:
    entries = tuple(
        Entry(1, count > 1, f"t-{n}", f"{title}{n}", None, False, 1, 1 if mode is BallotMode.SINGLE else 3)
        for n in range(count)
    )
    return Standings(mode, count, entries)


@pytest.mark.parametrize("locale", ["en-US", "fr", "pt-BR", "ar", "zh-TW"])
@pytest.mark.parametrize(
    "title", ["x" * 500, "🔥" * 500, ZALGO * 5, "\u202e" + "ע" * 499, "@everyone " * 50, "**" * 250, "{n}{title}"]
)
@pytest.mark.parametrize("count", [1, 2, 3, 4, 40])
def test_the_chart_of_500_character_titles_stays_within_its_size_and_discords_description_limit(
    locale: str, title: str, count: int
) -> None:
    """Titles longer than any catalogue allows (stored titles of tracks that left it are not re-checked)."""
    with using(language(locale)):
        chart = draw_standings(hostile_standings(count, title), title=title)
    assert chart is not None
    image = Image.open(io.BytesIO(chart.png))
    image.load()
    rows = min(count, MAX_ROWS)
    assert image.size == (chart.width, chart.height) == chart_size(rows, more=count > MAX_ROWS)
    assert 0 < len(chart.description) <= DESCRIPTION_LIMIT, len(chart.description)
    assert raw_placeholders(chart.description) <= {"n", "title"}, chart.description


# -- localised command names --------------------------------------------------------------------------------------


def discord_name(name: str) -> bool:
    """Discord's rule: ^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$, lowercase where a letter has a case."""

    def allowed(char: str) -> bool:
        if char in "-_'":
            return True
        category = unicodedata.category(char)
        return category[0] in "LN" or "\u0900" <= char <= "\u097f" or "\u0e00" <= char <= "\u0e7f"

    return 1 <= len(name) <= 32 and all(allowed(c) for c in name) and name == name.lower()


def walk(nodes: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every list of siblings (commands, subcommands, options) with where it is."""
    yield path or "/", nodes
    for node in nodes:
        children = [o for o in node.get("options") or [] if isinstance(o, dict)]
        if children:
            yield from walk(children, f"{path}/{node['name']}")


async def test_localised_names_follow_discords_rules_and_never_clash_among_siblings(full_server: FanServer) -> None:
    registered = full_server.fd.commands()
    assert registered
    for where, siblings in walk(registered):
        for locale in sorted(LOCALES):
            names = [s.get("name_localizations", {}).get(locale) or s["name"] for s in siblings]
            assert len(names) == len(set(names)), (where, locale, names)
            for node in siblings:
                local = node.get("name_localizations") or {}
                for loc, name in local.items():
                    assert loc in LOCALES and discord_name(name), (where, loc, name)
                for loc, text in (node.get("description_localizations") or {}).items():
                    assert 1 <= len(text) <= 100, (where, loc, text)
                for choice in node.get("choices") or []:
                    for loc, text in (choice.get("name_localizations") or {}).items():
                        assert 1 <= len(text) <= 100, (where, loc, text)
                    choice_names = [
                        (c.get("name_localizations") or {}).get(locale) or c["name"] for c in node["choices"]
                    ]
                    assert len(choice_names) == len(set(choice_names)), (where, locale, choice_names)
    french = {c["name"]: c["name_localizations"]["fr"] for c in registered}
    assert {"trame-sonore", "sondage", "rappels", "sorties"} <= set(french.values()), french


# -- a server changing its language between a reminder being planned and posted ----------------------------------


async def change_language(fd: FakeDiscord, guild: Any, locale: str) -> None:
    """Server Settings → Community → Server Primary Language: Discord sends GUILD_UPDATE."""
    guild.preferred_locale = locale
    await fd.gateway.dispatch("GUILD_UPDATE", guild.to_json(intents=0))


async def test_a_reminder_planned_in_english_is_posted_in_the_language_the_server_has_when_it_goes_out(
    server: FanServer, errors: pytest.LogCaptureFixture
) -> None:
    fd, guild, channel = server.fd, server.guild, server.channel
    clock = server.bot.clock
    assert isinstance(clock, SystemClock)
    mod = guild.add_member("Mod", manage_guild=True)
    private(await mod.run("/reminders channel", options={"channel": channel}))
    private(await mod.run("/reminders leadtimes", spec="1m, 0"))
    release = release_slot(clock.now())
    epoch = int(release.timestamp())
    private(await mod.run("/reminders add-release", title="Party", date=f"{release:%Y-%m-%d}", time=f"{release:%H:%M}"))

    await change_language(fd, guild, "fr")
    await eventually(lambda: str(server.bot.get_guild(int(guild.id)).preferred_locale) == "fr")  # type: ignore[union-attr]
    clock.jump_to(epoch - 60 - 0.5)
    await eventually(lambda: len([m for m in fd.channel_messages(channel) if m.embeds]) == 1)
    [countdown] = [m for m in fd.channel_messages(channel) if m.embeds]
    assert countdown.embeds[0]["footer"]["text"] == "Rappel de sortie · 1 minute", countdown.embeds
    assert countdown.content == f"**Party**{NBSP}: <t:{epoch}:F> (<t:{epoch}:R>)"

    await change_language(fd, guild, "de")  # no catalogue: English
    await eventually(lambda: str(server.bot.get_guild(int(guild.id)).preferred_locale) == "de")  # type: ignore[union-attr]
    clock.jump_to(epoch + 1)
    await eventually(lambda: len([m for m in fd.channel_messages(channel) if m.embeds]) == 2)
    moment = [m for m in fd.channel_messages(channel) if m.embeds][-1]
    assert moment.embeds[0]["description"].startswith("Out now"), moment.embeds
    status = said(await mod.run("/reminders status")).embeds[0]
    assert "sent: 2" in json.dumps(status), status


def bot_posts(fd: FakeDiscord, channel: Any) -> list[Message]:
    return [m for m in fd.channel_messages(channel) if m["author"]["id"] == fd.bot_user_id and m.embeds]


@pytest.mark.slow
async def test_a_post_that_landed_before_a_crash_is_found_after_the_server_changed_its_language(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start]
) -> None:
    """The crash-recovery look in the channel (`find_sent`) must recognise the post whatever language it was
    written in: here the server switched to French while the bot was down, past Discord's nonce window."""
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("releases")
    role = guild.add_role("Release news", mentionable=True)
    now = int(time.time())
    path = tmp_path / "overlay.toml"
    path.write_text(overlay(dt.datetime.fromtimestamp(now + 8, dt.UTC)), "utf-8")
    await seed(tmp_path / "bot.sqlite3", [(guild, channel, role)], "0")
    start = launcher(path)

    first = await start()
    # The post is stored by Discord but its answer is lost, and the bot dies before retrying.
    fd.faults.add("POST", MESSAGES, kind="commit_then_502")
    await eventually(lambda: len(bot_posts(fd, channel)) == 1, timeout=30)
    await kill(first)
    [landed] = bot_posts(fd, channel)
    assert landed.embeds[0]["footer"]["text"].startswith("Release reminder"), "written in English"

    guild.preferred_locale = "fr"  # a moderator changes the server's language during the outage
    fd.clock.advance(600)  # past Discord's memory of the nonce: only the bot can tell now
    await start()
    await eventually(lambda: any(MESSAGES.match(r.path) for r in fd.requests_to("GET")), timeout=20)
    await settled(tmp_path / "bot.sqlite3")
    posts = bot_posts(fd, channel)
    assert len(posts) == 1, [(p.embeds[0]["footer"]["text"], p.mentioned_role_ids) for p in posts]


async def test_a_busy_database_is_explained_in_french(full_server: FanServer) -> None:
    amelie = full_server.guild.add_member("Amélie", locale="fr")
    async with holding_the_write_lock(full_server.bot.db.path):
        busy = shown(await amelie.run("/sondage voter", pièce="melt"))
    french = language("fr").gettext(BUSY)
    assert french != BUSY and french in busy and BUSY not in busy, busy
