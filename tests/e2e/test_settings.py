"""`/settings language` end to end: a fan server that is not a Community server (so Discord gives it no language)
chooses French for what the bot posts there, while each member's private answers keep their own language."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.catalogue import Catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import FakeDiscord, ScheduledEvent, pick
from fakediscord import permissions as perms
from tests.e2e.conftest import said
from tests.e2e.test_locale import NBSP, bot_posts, private
from tests.e2e.test_reminders import eventually, release_slot

SETTLE = 0.05
OWN_SOURCE_FR = "Ajoutée par les modérateurs de ce serveur avec /rappels ajouter-sortie."
OWN_SOURCE_EN = "Added by this server's moderators with /reminders add-release."


def party_event(events: dict[str, ScheduledEvent]) -> ScheduledEvent:
    [event] = [e for e in events.values() if e.name == "Soirée d'écoute"]
    return event


async def test_a_french_fan_server_that_is_not_a_community_server_posts_in_french(
    fd: FakeDiscord, tmp_path: Path, full_catalogue: Catalogue
) -> None:
    guild = fd.add_guild("Fans de Rivalité", bot_permissions=perms.DEFAULT_BOT)  # not Community: Discord says en-US
    channel = guild.add_text_channel("annonces")
    mod = guild.add_member("Mod", manage_guild=True)  # the moderator's Discord is in English
    shane = guild.add_member("Shane")  # so is this fan's
    amelie = guild.add_member("Amélie", locale="fr")
    news = guild.add_role("Nouvelles", mentionable=True, position=0)
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", full_catalogue) as bot:
        clock = bot.clock
        assert isinstance(clock, SystemClock)
        private(await mod.run("/reminders channel", options={"channel": channel}))
        private(await mod.run("/reminders role", role=news))
        private(await mod.run("/reminders leadtimes", spec="1m, 0"))
        release = release_slot(clock.now(), minutes_ahead=5)
        epoch = int(release.timestamp())
        private(
            await mod.run(
                "/reminders add-release", title="Soirée d'écoute", date=f"{release:%Y-%m-%d}",
                time=f"{release:%H:%M}",
            )
        )  # fmt: skip
        private(await mod.run("/reminders events", mode="on"))
        await bot.wait_idle()
        english_event = party_event(guild.scheduled_events)
        assert english_event.description == OWN_SOURCE_EN, "before: the server's Discord language, English"

        chosen = private(await mod.run("/settings language", language="fr"))
        assert chosen == (
            "From now on I post in French in this server: reminders, ballots, poll results, Discord events and "
            "notices. Private answers keep following each member's own Discord language."
        ), "the moderator's own answer: their language"

        # The native event's words follow at once (the mirror re-syncs as on a change of Discord's language).
        await eventually(lambda: party_event(guild.scheduled_events).description == OWN_SOURCE_FR)
        assert party_event(guild.scheduled_events).id == english_event.id, "the same event, rewritten"

        private(await mod.run("/poll-admin post", options={"channel": channel}))
        ballot = fd.channel_messages(channel)[-1]
        assert ballot.embeds[0]["title"] == "Ta pièce préférée de Rivalité passionnée", "the ballot: French"
        buttons = [c.get("label") for row in ballot.components for c in row["components"] if c["type"] == 2]
        assert buttons == ["Mon vote", "Résultats"]

        vote = await shane.run("/poll vote", track=pick("melt"))
        assert said(vote).content.startswith("Your vote in round 1: **Melt · track 2**"), "a private answer: English"
        french_vote = await amelie.run("/sondage voter", pièce=pick("rivalry"))
        assert said(french_vote).content.startswith(f"Ton vote dans la ronde 1{NBSP}: **Rivalry · pièce 1**")

        clock.jump_to(epoch - 60 - 0.5)
        await eventually(lambda: len(bot_posts(fd, channel, "Rappel de sortie")) == 1)
        [post] = bot_posts(fd, channel, "Rappel de sortie")
        assert post.content == f"{news.mention} **Soirée d'écoute**{NBSP}: <t:{epoch}:F> (<t:{epoch}:R>)"
        assert post.embeds[0]["footer"]["text"] == "Rappel de sortie · 1 minute", "the reminder post: French"
        assert post.mentioned_role_ids == [news.id]

        closed = said(await mod.run("/poll-admin close"))
        assert closed.content == "Le vote est fermé pour la ronde 1.", "the close summary is for the channel: French"

        status = said(await mod.run("/reminders status")).embeds[0]
        assert status["title"] == f"Release reminders · {guild.name}", "the moderator's status: English"

        back = private(await mod.run("/settings language", language="server"))
        assert back == (
            "From now on my posts follow this server's Discord language (English): Discord lets only Community "
            "servers choose theirs, so `/settings language` is how to choose mine here."
        )
        opened = said(await mod.run("/poll-admin open"))
        assert opened.content.startswith("Voting is open for round 1"), "`server` follows Discord's language again"
        private(await mod.run("/poll-admin post", options={"channel": channel}))
        assert fd.channel_messages(channel)[-1].embeds[0]["title"] == "Favourite Heated Rivalry track"
        clock.jump_to(epoch + 1)
        await eventually(lambda: len(bot_posts(fd, channel, "Release reminder")) == 1)
        assert "sent: 2" in json.dumps(said(await mod.run("/reminders status")).embeds[0])


async def test_the_choice_outlives_a_restart_and_a_french_moderator_reads_french(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue
) -> None:
    guild = fd.add_guild("Fans de Montréal")
    channel = guild.add_text_channel("général")
    modo = guild.add_member("Modo", manage_guild=True, locale="fr")
    database = tmp_path / "bot.sqlite3"
    async with emulated_bot(fd, fake_token(), database, catalogue):
        chosen = private(await modo.run("/réglages langue", langue="fr"))
        assert chosen.startswith(f"Désormais, je publie en français dans ce serveur{NBSP}: rappels, bulletins")
    async with emulated_bot(fd, fake_token(), database, catalogue):
        private(await modo.run("/sondage-admin publier", options={"salon": channel}))
        ballot = fd.channel_messages(channel)[-1]
        assert ballot.embeds[0]["title"] == "Ta pièce préférée de Rivalité passionnée", (
            "the stored choice, after a restart"
        )


async def test_a_latin_american_fan_server_posts_in_its_spanish_while_each_member_reads_their_own(
    fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue
) -> None:
    """Discord's two Spanish locales are two languages of the bot: a Mexican server that is not a Community server
    chooses Latin American Spanish for its posts (ballot, reminders), typed as its moderator's Discord names the
    commands, the lead times and the zone (`1min`, `Ciudad de México`); a fan from Spain reads Spain's Spanish in
    private, and an English-speaking fan English."""
    guild = fd.add_guild("Fans de Heated Rivalry MX", bot_permissions=perms.DEFAULT_BOT)  # Discord says en-US
    channel = guild.add_text_channel("anuncios")
    mod = guild.add_member("Mod", manage_guild=True, locale="es-419")
    paco = guild.add_member("Paco", locale="es-ES")
    shane = guild.add_member("Shane")
    news = guild.add_role("Noticias", mentionable=True, position=0)
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", catalogue) as bot:
        clock = bot.clock
        assert isinstance(clock, SystemClock)
        chosen = private(await mod.run("/configuración idioma", idioma="es-419"))
        assert chosen == (
            "A partir de ahora publico en español (Latinoamérica) en este servidor: recordatorios, boletas, "
            "resultados de la encuesta, eventos de Discord y avisos. Las respuestas privadas siguen el idioma de "
            "Discord de cada miembro."
        )

        private(await mod.run("/recordatorios canal", options={"canal": channel}))
        private(await mod.run("/recordatorios rol", rol=news))
        zone = private(await mod.run("/recordatorios zona-horaria", zona="Ciudad de México"))
        assert zone.startswith("Zona horaria: **America/Mexico_City**: UTC-6 todo el año (sin horario de verano)")
        leads = private(await mod.run("/recordatorios anticipación", options={"anticipación": "1min, 0"}))
        assert leads.startswith(
            "Los recordatorios se publicarán para cada lanzamiento: 1 minuto antes y en el momento del lanzamiento."
        ), "Spanish lead-time units, said back in words"
        release = release_slot(clock.now(), minutes_ahead=5)
        epoch = int(release.timestamp())
        local = release.astimezone(ZoneInfo("America/Mexico_City"))  # the time as the moderator types it
        added = private(
            await mod.run(
                "/recordatorios agregar-lanzamiento",
                options={"título": "Fiesta de escucha", "fecha": f"{local:%Y-%m-%d}", "hora": f"{local:%H:%M}"},
            )
        )
        assert added.startswith(f"Se agregó **Fiesta de escucha**: <t:{epoch}:F> (<t:{epoch}:R>).")

        private(await mod.run("/encuesta-admin publicar", options={"canal": channel}))
        ballot = fd.channel_messages(channel)[-1]
        assert ballot.embeds[0]["title"] == "Tu pista favorita de Heated Rivalry"
        assert "**Mi voto** muestra tu boleta" in ballot.embeds[0]["description"], "the server's Spanish: boleta"
        buttons = [c.get("label") for row in ballot.components for c in row["components"] if c["type"] == 2]
        assert buttons == ["Mi voto", "Resultados"]

        mine = private(await paco.run("/encuesta mi-voto"))
        assert mine == "Todavía no has votado en la ronda 1: usa `/encuesta votar` o la papeleta.", "Spain's: papeleta"
        vote = await paco.run("/encuesta votar", pista=pick("melt"))
        assert said(vote).content.startswith("Tu voto en la ronda 1: **Melt · pista 2** (último cambio: <t:")
        english = await shane.run("/poll vote", track=pick("rivalry"))
        assert said(english).content.startswith("Your vote in round 1: **Rivalry · track 1**"), "a private answer"

        clock.jump_to(epoch - 60 - 0.5)
        await eventually(lambda: len(bot_posts(fd, channel, "Recordatorio de lanzamiento")) == 1)
        [post] = bot_posts(fd, channel, "Recordatorio de lanzamiento")
        assert post.content == f"{news.mention} **Fiesta de escucha**: <t:{epoch}:F> (<t:{epoch}:R>)"
        assert post.embeds[0]["footer"]["text"] == "Recordatorio de lanzamiento · 1 minuto", "the post: Spanish"
        assert post.embeds[0]["description"].startswith(f"Sale <t:{epoch}:R>: <t:{epoch}:F>.")
        notify = [c.get("label") for row in post.components for c in row["components"] if c["type"] == 2]
        assert "Avisarme" in notify
        assert post.mentioned_role_ids == [news.id]

        status = said(await mod.run("/recordatorios estado")).embeds[0]
        assert status["title"] == f"Recordatorios de lanzamientos · {guild.name}"
        configuration = next(f["value"] for f in status["fields"] if f["name"] == "Configuración")
        assert "Anticipación: 1 minuto antes y en el momento del lanzamiento" in configuration
