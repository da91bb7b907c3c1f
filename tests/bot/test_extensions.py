"""Every extension loads on a Bot that never logged in, and the command tree matches the spec and its snapshot."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.bot import EXTENSIONS, HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.db import Database
from bot.i18n import available
from bot.settings import load_settings
from bot.sync import payload_hash, sync_commands, tree_payload

SNAPSHOT = Path(__file__).parent / "snapshots" / "command_tree.json"


@pytest.fixture
async def loaded_bot(db: Database, catalogue: Catalogue, tmp_path: Path) -> AsyncIterator[HeatedRivalryBot]:
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "unused.sqlite3")})
    async with HeatedRivalryBot(settings=settings, db=db, catalogue=catalogue) as bot:  # set up, as every caller does
        await bot.load_features()  # the command translator, then every extension, as setup_hook does
        yield bot


def by_name(payload: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {command["name"]: command for command in payload}


async def test_every_extension_loads(loaded_bot: HeatedRivalryBot) -> None:
    assert set(loaded_bot.extensions) == set(EXTENSIONS)
    assert loaded_bot.intents.guilds
    assert (
        not loaded_bot.intents.members and not loaded_bot.intents.message_content and not loaded_bot.intents.presences
    )


async def test_command_tree_matches_the_spec(loaded_bot: HeatedRivalryBot) -> None:
    commands = by_name(await tree_payload(loaded_bot.tree))
    assert {"soundtrack", "about", "poll", "poll-admin"} <= set(commands)
    for command in commands.values():
        assert command["contexts"] == [0], f"/{command['name']} must be guild-only"
        assert command["integration_types"] == [0]
    soundtrack = {sub["name"]: sub for sub in commands["soundtrack"]["options"]}
    assert set(soundtrack) == {"about", "tracks", "track", "episode", "song"}
    options = {name: {o["name"]: o for o in sub.get("options", [])} for name, sub in soundtrack.items()}
    assert options["tracks"]["page"]["type"] == 4 and not options["tracks"]["page"]["required"]
    assert options["track"]["track"]["type"] == 3 and options["track"]["track"]["autocomplete"]
    assert options["track"]["track"]["required"]
    assert options["episode"]["number"]["type"] == 4 and options["episode"]["number"]["required"]
    assert options["song"]["query"]["type"] == 3 and options["song"]["query"]["autocomplete"]
    assert commands["about"].get("options", []) == []
    for name, command in commands.items():
        if name not in ("poll-admin", "reminders", "settings", "party-admin"):
            assert command["default_member_permissions"] is None, "fan commands are open to everyone"


def subcommands(command: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each subcommand's options by name."""
    return {sub["name"]: {o["name"]: o for o in sub.get("options", [])} for sub in command["options"]}


async def test_party_commands_match_the_spec(loaded_bot: HeatedRivalryBot) -> None:
    """The names of the spec's "Additions (third round)": /party now, /party-admin schedule, next, cancel."""
    commands = by_name(await tree_payload(loaded_bot.tree))
    assert set(subcommands(commands["party"])) == {"now"}
    admin = commands["party-admin"]
    assert int(admin["default_member_permissions"]) == 32, "party-admin needs Manage Server (1 << 5)"
    options = subcommands(admin)
    assert {"schedule", "next", "cancel"} <= set(options)
    schedule = options["schedule"]
    assert list(schedule) == ["title", "date", "time", "play", "tracks", "advance", "channel", "link"]
    assert [schedule[name]["required"] for name in ("title", "date", "time")] == [True, True, True]
    assert not any(schedule[name].get("required") for name in ("play", "tracks", "advance", "channel", "link"))
    assert [c["value"] for c in schedule["play"]["choices"]] == ["album", "singles", "tracks"]
    assert [c["value"] for c in schedule["advance"]["choices"]] == ["timed", "hosted"]
    assert schedule["channel"]["type"] == 7 and set(schedule["channel"]["channel_types"]) == {0, 5, 2, 13}, (
        "text, voice, stage"
    )
    assert options["next"] == {}
    assert options["cancel"]["party"]["required"] and options["cancel"]["party"]["autocomplete"]


async def test_poll_commands_match_the_spec(loaded_bot: HeatedRivalryBot) -> None:
    commands = by_name(await tree_payload(loaded_bot.tree))
    poll = subcommands(commands["poll"])
    assert set(poll) == {"vote", "mine", "withdraw", "results"}
    for name in ("track", "second", "third"):
        assert poll["vote"][name]["type"] == 3 and poll["vote"][name]["autocomplete"]
        assert poll["vote"][name]["required"] == (name == "track")
    assert poll["mine"] == {} and poll["withdraw"] == {}
    assert set(poll["results"]) == {"round"} and not poll["results"]["round"]["required"]
    admin = commands["poll-admin"]
    assert int(admin["default_member_permissions"]) == 32, "poll-admin needs Manage Server (1 << 5)"
    options = subcommands(admin)
    assert set(options) == {"open", "close", "reset", "settings", "post", "export"}
    assert options["open"] == options["close"] == options["reset"] == options["export"] == {}
    settings = options["settings"]
    assert [c["value"] for c in settings["mode"]["choices"]] == ["single", "top3"]
    assert [c["value"] for c in settings["results"]["choices"]] == ["live", "hidden"]
    assert not settings["mode"]["required"] and not settings["results"]["required"]
    channel = options["post"]["channel"]
    assert channel["type"] == 7 and channel["required"] and 0 in channel["channel_types"]


async def test_reminder_and_release_commands_match_the_spec(loaded_bot: HeatedRivalryBot) -> None:
    commands = by_name(await tree_payload(loaded_bot.tree))
    reminders = commands["reminders"]
    assert int(reminders["default_member_permissions"]) == 32, "reminders need Manage Server (1 << 5)"
    options = subcommands(reminders)
    assert set(options) == {
        "channel", "role", "timezone", "leadtimes", "template", "enable", "disable", "status", "preview", "test",
        "add-release", "remove-release", "events",
    }  # fmt: skip
    mode = options["events"]["mode"]
    assert mode["required"] and [c["value"] for c in mode["choices"]] == ["on", "off"]
    assert options["channel"]["channel"]["type"] == 7 and options["channel"]["channel"]["required"]
    assert 0 in options["channel"]["channel"]["channel_types"]
    assert options["role"]["role"]["type"] == 8 and not options["role"]["role"]["required"]
    assert options["timezone"]["zone"]["autocomplete"] and options["timezone"]["zone"]["required"]
    assert options["leadtimes"]["spec"]["type"] == 3 and options["leadtimes"]["spec"]["required"]
    assert options["template"]["text"]["max_length"] == 1000 and not options["template"]["text"]["required"]
    assert options["enable"] == options["disable"] == options["status"] == options["test"] == {}
    assert options["preview"]["release"]["autocomplete"] and not options["preview"]["release"]["required"]
    add = options["add-release"]
    assert [name for name in add if add[name]["required"]] == ["title", "date"]
    assert set(add) == {"title", "date", "time", "link", "description"}
    assert options["remove-release"]["release"]["autocomplete"] and options["remove-release"]["release"]["required"]
    releases = commands["releases"]
    assert releases["default_member_permissions"] is None
    options = subcommands(releases)
    assert options["upcoming"] == options["notify"] == {}
    assert options["countdown"]["release"]["autocomplete"] and not options["countdown"]["release"]["required"]


async def test_the_settings_command_matches_the_spec(loaded_bot: HeatedRivalryBot) -> None:
    """`/settings language`: moderators only, one required choice, `server` then the bot's languages, each named in
    every member's language (from Babel's locale data, not the catalogues)."""
    settings = by_name(await tree_payload(loaded_bot.tree))["settings"]
    assert int(settings["default_member_permissions"]) == 32, "settings need Manage Server (1 << 5)"
    language = subcommands(settings)["language"]["language"]
    assert language["type"] == 3 and language["required"]
    choices = {choice["value"]: choice for choice in language["choices"]}
    assert list(choices) == ["server", "en", *available()], "English and each language with a catalogue"
    assert {"fr", "pt-BR", "es-ES", "es-419"} <= set(choices)
    assert choices["server"]["name"] == "Follow the server's Discord language"
    assert choices["server"]["name_localizations"]["fr"] == "Suivre la langue Discord du serveur"
    assert choices["server"]["name_localizations"]["es-419"] == "Seguir el idioma de Discord del servidor"
    assert choices["es-ES"]["name"] == "Spanish (Spain)" and choices["es-419"]["name"] == "Spanish (Latin America)"
    assert choices["es-ES"]["name_localizations"]["es-ES"] == "Español (España)"
    assert choices["es-419"]["name_localizations"]["es-419"] == "Español (Latinoamérica)"
    assert choices["es-ES"]["name_localizations"]["fr"] == "Espagnol (Espagne)", "named in each reader's language"
    assert choices["fr"]["name"] == "French" and choices["fr"]["name_localizations"]["fr"] == "Français"
    assert choices["pt-BR"]["name_localizations"]["pt-BR"] == "Português (Brasil)"
    assert choices["pt-BR"]["name_localizations"]["de"] == "Portugiesisch (Brasilien)", "any client, no catalogue"


async def test_command_tree_snapshot(loaded_bot: HeatedRivalryBot) -> None:
    """Any change to the public surface must be deliberate: rerun with UPDATE_SNAPSHOTS=1 and review the diff."""
    payload = await tree_payload(loaded_bot.tree)
    rendered = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, "utf-8")
    assert rendered == SNAPSHOT.read_text("utf-8"), "command tree changed; UPDATE_SNAPSHOTS=1 to accept"


async def test_payload_hash_is_stable_and_sensitive(loaded_bot: HeatedRivalryBot) -> None:
    payload = await tree_payload(loaded_bot.tree)
    assert payload_hash(payload) == payload_hash(json.loads(json.dumps(payload)))
    changed = json.loads(json.dumps(payload))
    changed[0]["description"] += "!"
    assert payload_hash(changed) != payload_hash(payload)


async def test_the_payload_and_its_hash_carry_the_localisations(loaded_bot: HeatedRivalryBot) -> None:
    """What is synced is the translated payload (`tree.sync` with the catalogues' translator), so a changed
    translation is a changed tree."""
    payload = await tree_payload(loaded_bot.tree)
    commands = by_name(payload)
    assert commands["soundtrack"]["name_localizations"] == {
        "es-419": "banda-sonora",
        "es-ES": "banda-sonora",
        "fr": "trame-sonore",
        "pt-BR": "trilha-sonora",
    }
    soundtrack = {sub["name"]: sub for sub in commands["soundtrack"]["options"]}
    assert soundtrack["track"]["name_localizations"]["fr"] == "pièce"
    assert soundtrack["track"]["options"][0]["name_localizations"]["fr"] == "pièce"
    assert soundtrack["episode"]["options"][0]["description_localizations"]["fr"] == "Le numéro de l'épisode"
    settings = subcommands(commands["poll-admin"])["settings"]
    assert [c["name_localizations"]["fr"] for c in settings["results"]["choices"]] == ["en direct", "masqués"]
    assert [c["name_localizations"]["es-ES"] for c in settings["results"]["choices"]] == ["en directo", "ocultos"]
    assert [c["name_localizations"]["es-419"] for c in settings["results"]["choices"]] == ["en vivo", "ocultos"]
    countdown = {sub["name"]: sub for sub in commands["releases"]["options"]}["countdown"]["name_localizations"]
    assert (countdown["es-ES"], countdown["es-419"]) == ("cuenta-atrás", "cuenta-regresiva"), "each region's word"
    retranslated = json.loads(json.dumps(payload))
    by_name(retranslated)["soundtrack"]["name_localizations"]["fr"] = "bande-sonore"
    assert payload_hash(retranslated) != payload_hash(payload)
    await loaded_bot.tree.set_translator(None)
    untranslated = await tree_payload(loaded_bot.tree)
    assert "name_localizations" not in by_name(untranslated)["soundtrack"]
    assert payload_hash(untranslated) != payload_hash(payload)


async def test_sync_runs_only_when_the_tree_changed(
    loaded_bot: HeatedRivalryBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[object] = []

    async def record_sync(*, guild: object = None) -> list[object]:
        sent.append(guild)
        return []

    monkeypatch.setattr(loaded_bot.tree, "sync", record_sync)
    assert await sync_commands(loaded_bot) is True
    assert await sync_commands(loaded_bot) is False, "unchanged tree: no second sync"
    assert await sync_commands(loaded_bot, force=True) is True
    assert await sync_commands(loaded_bot, guild_id=987654321098765432) is True, "each scope has its own hash"
    assert await sync_commands(loaded_bot, guild_id=987654321098765432) is False
    assert len(sent) == 3
