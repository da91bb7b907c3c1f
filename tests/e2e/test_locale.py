"""Languages end to end: each member reads answers in their client's language, the channel reads public posts in
the server's, localised command names are registered and typed, and an unknown language reads English.

English is the default: every other e2e test runs in English and asserts English text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import Channel, CommandNotAvailable, FakeDiscord, Message, Reply, pick
from fakediscord import permissions as perms
from tests.e2e.conftest import FanServer, said
from tests.e2e.test_reminders import eventually, release_slot

SETTLE = 0.05  # every answer here is a single response or one follow-up


def shown(reply: Reply) -> str:
    """What the member reads: the answer's content and its embeds' text."""
    message = said(reply)
    return (message.content or "") + "\n" + json.dumps(message.embeds, ensure_ascii=False)


def field_names(reply: Reply) -> list[str]:
    return [field["name"] for embed in said(reply).embeds for field in embed.get("fields", [])]


async def test_a_french_client_gets_french_answers_and_errors(full_server: FanServer) -> None:
    amelie = full_server.guild.add_member("Amélie", locale="fr")

    album = await amelie.run("/soundtrack about")
    assert said(album).ephemeral is False, "an answer to a member, public as always"
    assert field_names(album)[:3] == ["Compositeur", "Maison de disques", "Sortie numérique"]
    assert "La musique originale de *Rivalité passionnée*" in shown(album)
    assert "Chaque fait vient avec ses sources." in shown(album)
    assert [b["label"] for row in said(album).components for b in row["components"]] == ["Sources"]
    assert "Composer" not in shown(album) and "Where to listen" not in shown(album)

    missing = await amelie.run("/soundtrack tracks", page=7)
    assert said(missing).ephemeral
    assert said(missing).content == (
        "Il n'y a pas de page 7\u00a0: la liste des pièces a 3 pages. Utilise `page` de 1 à 3, ou laisse-la vide."
    )
    typo = await amelie.run("/soundtrack track", track="zzqx")
    assert said(typo).content.startswith("Aucune pièce ne correspond à 'zzqx'.")
    control = await amelie.run("/soundtrack track", track="melt\x07")
    assert said(control).content.startswith("`pièce` contient un caractère de contrôle invisible (U+0007)")

    vote = await amelie.run("/poll vote", track=pick("melt"))
    assert said(vote).content.startswith("Ton vote dans la ronde 1\u00a0: **Melt · pièce 2** (modifié <t:")
    assert "`/sondage retirer`" in said(vote).content, "French answers name the French commands"


async def test_a_french_member_types_the_localised_command_names(full_server: FanServer) -> None:
    registered = {command["name"]: command for command in full_server.fd.commands()}
    soundtrack = registered["soundtrack"]
    assert soundtrack["name_localizations"] == {
        "es-419": "banda-sonora",
        "es-ES": "banda-sonora",
        "fr": "trame-sonore",
        "pt-BR": "trilha-sonora",
    }
    assert soundtrack["description_localizations"]["fr"] == "La trame sonore de Rivalité passionnée"
    settings = next(o for o in registered["poll-admin"]["options"] if o["name"] == "settings")
    mode = next(o for o in settings["options"] if o["name"] == "mode")
    assert [c["name_localizations"]["fr"] for c in mode["choices"]] == ["un favori", "top 3"]

    amelie = full_server.guild.add_member("Amélie", locale="fr")
    album = await amelie.run("/trame-sonore à-propos")
    assert album.record.payload["data"]["name"] == "soundtrack", "the interaction carries the registered name"
    assert field_names(album)[0] == "Compositeur"
    episode = await amelie.run("/trame-sonore épisode", numéro=99)
    assert said(episode).content.startswith("Il n'y a pas d'épisode 99.")
    with pytest.raises(CommandNotAvailable):
        await full_server.fan.run("/trame-sonore à-propos")  # an English client sees only the English names


async def test_an_english_member_in_a_french_server_reads_english_while_the_channel_reads_french(
    french_server: FanServer,
) -> None:
    fd, channel, shane = french_server.fd, french_server.channel, french_server.fan
    mod = french_server.guild.add_member("Mod", manage_guild=True)  # an English client too

    posted = await mod.run("/poll-admin post", options={"channel": channel})
    assert said(posted).ephemeral and said(posted).content.startswith("Ballot posted: "), "to the moderator: English"
    ballot = fd.channel_messages(channel)[-1]
    assert ballot.embeds[0]["title"] == "Ta pièce préférée de Rivalité passionnée", "the public ballot: French"
    buttons = [c.get("label") for row in ballot.components for c in row["components"] if c["type"] == 2]
    assert buttons == ["Mon vote", "Résultats"]

    picked = await shane.select(ballot, ["melt"], custom_id="hr:poll:pick:0")
    assert said(picked).ephemeral and said(picked).content.startswith("Your vote in round 1: **Melt · track 2**")
    assert fd.channel_messages(channel)[-1].embeds[0]["title"] == "Ta pièce préférée de Rivalité passionnée", (
        "the refreshed ballot stays in the server's language"
    )
    mine = await shane.click(ballot, "Mon vote")
    assert said(mine).ephemeral and said(mine).content.startswith("Your vote in round 1")

    results = await shane.run("/poll results")
    assert said(results).embeds[0]["title"] == "Favourite track · round 1 · live standings", "an answer: English"

    closed = await mod.run("/poll-admin close")
    summary = said(closed)
    assert not summary.ephemeral, "the close summary is for the channel"
    assert summary.content == "Le vote est fermé pour la ronde 1."
    assert summary.embeds[0]["title"] == "Pièce préférée · ronde 1 · classement final"
    assert summary.embeds[0]["description"].startswith("**1** votant · un favori par membre")

    late = await shane.run("/poll vote", track=pick("rivalry"))
    assert said(late).content.startswith("Voting is closed in this server's poll"), "a refusal: the member's language"


async def test_unknown_languages_fall_back_to_english(fd: FakeDiscord, tmp_path: Path, catalogue: Catalogue) -> None:
    guild = fd.add_guild("Fans aus Berlin", preferred_locale="de")  # a language without a catalogue
    channel = guild.add_text_channel("general")
    jonas = guild.add_member("Jonas", locale="de")
    mod = guild.add_member("Mod", manage_guild=True, locale="ja")
    async with emulated_bot(fd, fake_token(), tmp_path / "bot.sqlite3", catalogue):
        album = await jonas.run("/soundtrack about")
        assert field_names(album)[:3] == ["Composer", "Label", "Digital release"]
        await mod.run("/poll-admin post", options={"channel": channel})
        assert fd.channel_messages(channel)[-1].embeds[0]["title"] == "Favourite Heated Rivalry track"
        typo = await jonas.run("/soundtrack track", track="zzqx")
        assert said(typo).content.startswith("No track matches 'zzqx'.")


async def test_the_second_language_is_complete(full_server: FanServer) -> None:
    """pt-BR is complete (issue 21): the soundtrack's answers, the refusals of typed input, the poll's and the
    reminders' own answers, in Brazilian Portuguese and its lead-time units."""
    bruna = full_server.guild.add_member("Bruna", locale="pt-BR")
    album = await bruna.run("/trilha-sonora sobre")
    assert field_names(album)[:3] == ["Compositor", "Gravadora", "Lançamento digital"]
    blank = await bruna.run("/trilha-sonora música", busca="\u200b \u200b")
    assert said(blank).content == "`busca` fica vazio sem os espaços e caracteres invisíveis: digite algum texto."
    mine = await bruna.run("/enquete meu-voto")
    assert said(mine).content == "Você ainda não votou na rodada 1: use `/enquete votar` ou a mensagem de votação."
    rafa = full_server.guild.add_member("Rafa", manage_guild=True, locale="pt-BR")
    leads = await rafa.run("/lembretes antecedência", tempos="1sem, 1d, 0")
    assert said(leads).content.startswith(
        "Os lembretes serão publicados para cada lançamento: 1 semana antes, 1 dia antes e na hora do lançamento."
    )


# -- reminders ------------------------------------------------------------------------------------------------

NBSP = "\u00a0"  # French puts one before a colon


def private(reply: Reply) -> str:
    """An ephemeral answer's text."""
    assert said(reply).ephemeral, reply
    return said(reply).content or ""


def bot_posts(fd: FakeDiscord, channel: Channel, footer: str) -> list[Message]:
    """The bot's messages in `channel` with an embed whose footer starts with `footer`."""
    return [
        m
        for m in fd.channel_messages(channel)
        if m["author"]["id"] == fd.bot_user_id
        and any(str(e.get("footer", {}).get("text", "")).startswith(footer) for e in m.embeds)
    ]


def labels(message: Message) -> list[str]:
    return [c.get("label", "") for row in message.components for c in row["components"]]


async def test_an_english_moderator_in_a_french_server_reads_english_while_the_reminder_post_is_french(
    french_server: FanServer,
) -> None:
    fd, channel, guild = french_server.fd, french_server.channel, french_server.guild
    clock = french_server.bot.clock
    assert isinstance(clock, SystemClock)
    mod = guild.add_member("Mod", manage_guild=True)  # an English client
    news = guild.add_role("Nouvelles des sorties", mentionable=True)

    assert private(await mod.run("/reminders channel", options={"channel": channel})).startswith(
        f"Reminders will be posted in {channel.mention}."
    )
    assert private(await mod.run("/reminders role", role=news)).startswith(f"Reminders will ping {news.mention}.")
    leads = private(await mod.run("/reminders leadtimes", spec="1m, 0"))
    assert leads.startswith("Reminders will be posted for each release: 1 minute before and at release.")
    release = release_slot(clock.now())
    epoch = int(release.timestamp())
    added = await mod.run(
        "/reminders add-release", title="Soirée d'écoute", date=f"{release:%Y-%m-%d}", time=f"{release:%H:%M}",
        description="Pièce par pièce, ensemble.",
    )  # fmt: skip
    assert private(added).startswith(f"Added **Soirée d'écoute**: <t:{epoch}:F>"), "the moderator's answer: English"
    assert "Next post: **Soirée d'écoute** (1 minute)" in private(added)

    tested = await mod.run("/reminders test")
    assert private(tested).startswith("Test reminder posted: https://discord.com/channels/")
    [test] = bot_posts(fd, channel, "Publication d'essai")
    assert test.content == f"[Essai] {news.mention} **Soirée d'écoute**{NBSP}: <t:{epoch}:F> (<t:{epoch}:R>)", (
        "a test post is for the channel: French"
    )
    assert test.mentioned_role_ids == []
    assert (
        test.embeds[0]["footer"]["text"]
        == "Publication d'essai de /rappels essai · personne n'a été mentionné · 1 minute"
    )

    clock.jump_to(epoch - 60 - 0.5)
    await eventually(lambda: len(bot_posts(fd, channel, "Rappel de sortie")) == 1)
    [post] = bot_posts(fd, channel, "Rappel de sortie")
    assert post.content == f"{news.mention} **Soirée d'écoute**{NBSP}: <t:{epoch}:F> (<t:{epoch}:R>)", (
        "the default text"
    )
    assert post.mentioned_role_ids == [news.id]
    embed = post.embeds[0]
    assert embed["title"] == "Soirée d'écoute", "a release's title is never translated"
    assert embed["description"] == (f"Sort <t:{epoch}:R>{NBSP}: <t:{epoch}:F>.\n\nPièce par pièce, ensemble.")
    assert embed["footer"]["text"] == "Rappel de sortie · 1 minute"
    assert labels(post) == ["M'avertir"]

    clock.jump_to(epoch + 1)
    await eventually(lambda: len(bot_posts(fd, channel, "Rappel de sortie")) == 2)
    moment = bot_posts(fd, channel, "Rappel de sortie")[-1]
    assert moment.embeds[0]["description"].startswith(f"C'est le moment{NBSP}: <t:{epoch}:F>.")
    assert moment.embeds[0]["footer"]["text"] == "Rappel de sortie · au moment de la sortie"

    status = await mod.run("/reminders status")
    card = said(status).embeds[0]
    assert said(status).ephemeral and card["title"] == f"Release reminders · {guild.name}", "status: English"
    assert "sent: 2" in json.dumps(card, ensure_ascii=False), "the two reminders"


async def test_a_french_moderator_gets_french_answers_and_refusals(server: FanServer) -> None:
    """In an English server: what a moderator reads follows their own language, not the server's."""
    modo = server.guild.add_member("Modo", manage_guild=True, locale="fr")

    zone = private(await modo.run("/rappels fuseau-horaire", fuseau="Mars/Olympus"))
    assert zone.startswith(f"`fuseau`{NBSP}: 'Mars/Olympus' n'est pas un fuseau horaire que je connais.")
    assert zone.endswith(
        "Choisis une ville dans la liste, comme America/Toronto ou Europe/Paris, ou un décalage en heures entières "
        "comme UTC-5."
    )
    half = private(await modo.run("/rappels fuseau-horaire", fuseau="UTC+5:30"))
    assert half.startswith(
        f"`fuseau`{NBSP}: 'UTC+5:30' n'est pas un décalage en heures entières, alors il faut une ville."
    )
    typo = private(await modo.run("/rappels délais", délais="7j, 1x"))
    assert typo == (
        f"`délais`{NBSP}: '1x' n'est pas un délai{NBSP}: utilise un nombre suivi de sem, j, h ou min "
        "(comme 7j ou 1h30min), ou 0."
    ), "the units a French moderator types, in French"
    far = private(await modo.run("/rappels délais", délais="90d"))
    assert far == f"`délais`{NBSP}: '90d' est trop loin{NBSP}: un délai peut être d'au plus 60 jours."
    date = private(await modo.run("/rappels ajouter-sortie", titre="X", date="2027-02-29"))
    assert date == f"`date`{NBSP}: '2027-02-29' n'est pas une vraie date{NBSP}: février 2027 n'a pas de 29e jour."

    toronto = private(await modo.run("/rappels fuseau-horaire", fuseau="America/Toronto"))
    assert toronto.startswith(f"Fuseau horaire{NBSP}: **America/Toronto**{NBSP}: UTC-")
    assert "il suit l'heure d'été (UTC-5 en janvier, UTC-4 en juillet)" in toronto
    leads = private(await modo.run("/rappels délais", délais="1w, 1d, 0"))
    assert leads.startswith(
        f"Les rappels seront publiés pour chaque sortie{NBSP}: 1 semaine avant, 1 jour avant et au moment de la sortie."
    )
    # Issue 21: a French moderator's own words, refused before.
    montreal = private(await modo.run("/rappels fuseau-horaire", fuseau="Montréal"))
    assert montreal.startswith(f"Fuseau horaire{NBSP}: **America/Montreal**{NBSP}: UTC-")
    mexico = private(await modo.run("/rappels fuseau-horaire", fuseau="Ciudad de México"))
    assert mexico.startswith(
        f"Fuseau horaire{NBSP}: **America/Mexico_City** (Ciudad de México est lu comme Mexico, soit l'heure de "
        "America/Mexico_City)"
    ), "how it was read, in the moderator's language"
    offered = await modo.autocomplete("/rappels fuseau-horaire", "fuseau", "londres")
    assert offered[0] == {"name": "Europe/London (Londres)", "value": "Europe/London"}
    french_units = private(await modo.run("/rappels délais", délais="7j, 1j, 1h30min, 0"))
    assert french_units.startswith(
        f"Les rappels seront publiés pour chaque sortie{NBSP}: 1 semaine avant, 1 jour avant, 1 heure 30 minutes "
        "avant et au moment de la sortie."
    )
    status = said(await modo.run("/rappels état")).embeds[0]
    assert status["title"] == f"Rappels de sortie · {server.guild.name}"
    assert status["description"] == f"**Pas configuré**{NBSP}: choisis un salon avec `/rappels salon`."


async def test_releases_upcoming_and_notify_in_french(french_server: FanServer) -> None:
    guild, amelie = french_server.guild, french_server.other_fan
    guild.edit_role(guild.bot_role, permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
    news = guild.add_role("Nouvelles des sorties", mentionable=True, position=0)
    mod = guild.add_member("Mod", manage_guild=True)
    private(await mod.run("/reminders role", role=news))

    upcoming = await amelie.run("/sorties à-venir")
    assert not said(upcoming).ephemeral, "a public answer, in the member's language"
    card = said(upcoming).embeds[0]
    assert card["title"] == "Sorties à venir"
    assert card["footer"]["text"] == "Les modérateurs ajoutent des événements avec /rappels ajouter-sortie.", (
        "only dates: no time to show in anyone's zone"
    )
    assert (
        "**Unrivaled (Rachel Reid), the final Game Changers book** · mardi 1 juin 2027 · dans " in card["description"]
    )
    assert "**Heated Rivalry soundtrack on vinyl** · date pas encore annoncée" in card["description"], (
        "catalogue titles stay as published"
    )
    assert (
        f"**Trame sonore de Rivalité passionnée en CD** · date pas encore annoncée (annoncée pour «{NBSP}later in "
        f"2026{NBSP}»)"
    ) in card["description"], "issue 21: the bot's own words around the facts are French; the facts stay as stated"
    assert labels(said(upcoming)) == ["M'avertir"]

    joined = private(await amelie.run("/sorties notifications"))
    assert joined == (
        f"C'est fait{NBSP}: tu as maintenant {news.mention}, alors les rappels de sortie vont te mentionner. "
        "Utilise-le de nouveau pour arrêter."
    )
    left = private(await amelie.run("/releases notify"))
    assert left.startswith(f"C'est fait{NBSP}: tu n'as plus {news.mention}")
    assert [e.reason for e in guild.audit_log if e.target_id == amelie.id] == [
        "A demandé les mentions des sorties (/sorties notifications)",
        "A demandé d'arrêter les mentions des sorties (/sorties notifications)",
    ], "the audit log is the moderators': the server's language"

    shane = private(await french_server.fan.run("/releases notify"))
    assert shane.startswith(f"Done: you now have {news.mention}"), "an English fan reads English"
