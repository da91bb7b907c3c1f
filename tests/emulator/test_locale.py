"""Locales: interaction ``locale``/``guild_locale``, the guild's ``preferred_locale``, command localizations."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.app_commands import locale_str

from fakediscord import LOCALES, CommandNotAvailable, FakeDiscord

from .conftest import TOKEN, Env

FRENCH = {
    "vote": "sondage",
    "Vote for a track": "Voter pour un morceau",
    "track": "morceau",
    "The track": "Le morceau",
    "Heated": "Brûlant",
}


class FrenchTranslator(app_commands.Translator):
    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        return self.table.get(string.message) if locale is discord.Locale.french else None


async def test_interactions_carry_the_member_and_guild_locales(env: Env) -> None:
    fd = env.fd
    seen: list[tuple[str, str | None]] = []

    @env.bot.tree.command(name="where", description="Echo the locales")
    async def where(interaction: discord.Interaction) -> None:
        guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
        seen.append((interaction.locale.value, guild_locale))
        await interaction.response.send_message(f"{interaction.locale.value}/{guild_locale}")

    await env.bot.tree.sync()
    paris = fd.add_guild("Fans de Paris", preferred_locale="fr")
    berliner = paris.add_member("Jonas", locale="de")
    await fd.gateway.sync()
    cached = env.bot.get_guild(int(paris.id))
    assert cached is not None and cached.preferred_locale is discord.Locale.french
    assert (await berliner.run("/where")).content == "de/fr"
    assert (await env.fan.run("/where")).content == "en-US/en-US"
    berliner.locale = "pt-BR"
    assert (await berliner.run("/where")).content == "pt-BR/fr"
    assert seen == [("de", "fr"), ("en-US", "en-US"), ("pt-BR", "fr")]
    guild_json = (await env.bot.http.get_guild(int(paris.id)))["preferred_locale"]
    assert guild_json == "fr"


def test_unknown_locales_are_refused(fd: FakeDiscord) -> None:
    assert len(LOCALES) == 34 and {"en-US", "es-419", "zh-TW"} <= LOCALES
    with pytest.raises(ValueError, match="not a Discord locale"):
        fd.add_guild("Typo", preferred_locale="fr-FR")
    guild = fd.add_guild("Fine")
    with pytest.raises(ValueError, match="not a Discord locale"):
        guild.add_member("Typo", locale="english")


async def test_localized_commands_register_and_run_by_their_local_names(env: Env) -> None:
    @app_commands.command(name=locale_str("vote"), description=locale_str("Vote for a track"))
    @app_commands.describe(track=locale_str("The track"))
    @app_commands.rename(track=locale_str("track"))
    @app_commands.choices(track=[app_commands.Choice(name=locale_str("Heated"), value="heated")])
    async def vote(interaction: discord.Interaction, track: str) -> None:
        await interaction.response.send_message(f"{interaction.locale.value} voted {track}")

    env.bot.tree.add_command(vote)
    await env.bot.tree.set_translator(FrenchTranslator(FRENCH))
    await env.bot.tree.sync()
    assert env.fd.violations == []
    registered = next(c for c in env.fd.commands() if c["name"] == "vote")
    assert registered["name_localizations"] == {"fr": "sondage"}
    assert registered["description_localizations"] == {"fr": "Voter pour un morceau"}
    option = registered["options"][0]
    assert option["name_localizations"] == {"fr": "morceau"}
    assert option["choices"][0]["name_localizations"] == {"fr": "Brûlant"}

    amelie = env.guild.add_member("Amélie", locale="fr")
    reply = await amelie.run("/sondage", morceau="Brûlant")
    assert reply.content == "fr voted heated"
    assert reply.record.payload["data"]["name"] == "vote", "the interaction carries the registered name"
    assert (await amelie.run("/vote", track="heated")).content == "fr voted heated"
    with pytest.raises(CommandNotAvailable, match="not a registered slash command"):
        await env.fan.run("/sondage", morceau="heated")  # en-US sees only the English name


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"name_localizations": {"fr-FR": "sondage"}}, "0.name_localizations.fr-FR"),
        ({"name_localizations": {"fr": "Sondage"}}, "0.name_localizations.fr"),
        ({"name_localizations": {"fr": "un sondage"}}, "0.name_localizations.fr"),
        ({"name_localizations": {"ja": "x" * 33}}, "0.name_localizations.ja"),
        ({"description_localizations": {"de": ""}}, "0.description_localizations.de"),
        ({"description_localizations": {"de": "x" * 101}}, "0.description_localizations.de"),
        ({"description_localizations": {"xx": "hi"}}, "0.description_localizations.xx"),
        (
            {"options": [{"type": 3, "name": "track", "description": "t", "name_localizations": {"fr": "Morceau"}}]},
            "0.options.0.name_localizations.fr",
        ),
        (
            {
                "options": [
                    {
                        "type": 3,
                        "name": "track",
                        "description": "t",
                        "choices": [{"name": "a", "value": "a", "name_localizations": {"fr": "x" * 101}}],
                    }
                ]
            },
            "0.options.0.choices.0.name_localizations.fr",
        ),
    ],
)
async def test_bad_localizations_are_refused(env: Env, change: dict[str, Any], path: str) -> None:
    command: dict[str, Any] = {"name": "vote", "description": "Vote", "type": 1, **change}
    with pytest.raises(discord.HTTPException) as info:
        await env.bot.http.bulk_upsert_global_commands(int(env.fd.application_id), [command])
    assert info.value.status == 400 and info.value.code == 50035
    assert path in {v.path for v in env.fd.violations if v.source == "limits"}


async def test_thai_and_hindi_names_are_valid(env: Env) -> None:
    command = {
        "name": "vote",
        "description": "Vote",
        "type": 1,
        "name_localizations": {"th": "โหวต", "hi": "वोट", "uk": "голосувати", "fr": "l'vote"},
    }
    await env.bot.http.bulk_upsert_global_commands(int(env.fd.application_id), [command])
    assert env.fd.violations == []


async def test_a_translator_producing_an_invalid_name_fails_the_sync(env: Env) -> None:
    @app_commands.command(name=locale_str("vote"), description="Vote")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    env.bot.tree.add_command(vote)
    await env.bot.tree.set_translator(FrenchTranslator({"vote": "Sondage Rapide"}))
    with pytest.raises(app_commands.CommandSyncFailure):
        await env.bot.tree.sync()
    put = env.fd.requests_to("PUT", "/applications/{application_id}/commands")[-1]
    index = [c["name"] for c in put.json].index("vote")
    assert [(v.path, v.code) for v in env.fd.violations if v.source == "limits"] == [
        (f"{index}.name_localizations.fr", "APPLICATION_COMMAND_INVALID_NAME")
    ]
    assert "vote" not in {c["name"] for c in env.fd.commands()}, "a refused PUT changes nothing"


async def test_listing_commands_leaves_out_localizations_unless_asked(env: Env) -> None:
    command = {
        "name": "vote",
        "description": "Vote",
        "type": 1,
        "name_localizations": {"fr": "sondage"},
        "description_localizations": {"fr": "Voter"},
        "options": [{"type": 3, "name": "track", "description": "t", "name_localizations": {"fr": "morceau"}}],
    }
    await env.bot.http.bulk_upsert_global_commands(int(env.fd.application_id), [command])
    url = f"{env.fd.api_base}/applications/{env.fd.application_id}/commands"
    auth = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=auth) as resp:
            plain = await resp.json()
        async with session.get(url, headers={**auth, "X-Discord-Locale": "fr"}) as resp:
            french = await resp.json()
        async with session.get(url, params={"with_localizations": "true"}, headers=auth) as resp:
            full = await resp.json()
    assert "name_localizations" not in plain[0] and "name_localized" not in plain[0]
    assert (french[0]["name_localized"], french[0]["description_localized"]) == ("sondage", "Voter")
    assert french[0]["options"][0]["name_localized"] == "morceau"
    assert full[0]["name_localizations"] == {"fr": "sondage"}
    fetched = await env.bot.tree.fetch_commands()
    assert fetched[0].name == "vote" and fetched[0].name_localizations == {}
