"""The language each server chose for its posts (`bot.languages`): stored, read once, consulted without I/O."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.db import Database
from bot.i18n import chosen_server_language, server_language
from bot.languages import ServerLanguages

GUILD, OTHER = 1_000_000_000_000_001, 1_000_000_000_000_002


@dataclass
class Guild:
    id: int
    preferred_locale: str = "en-US"  # not a Community server: Discord's default


@dataclass
class Interaction:
    guild_id: int
    guild_locale: str = "en-US"


async def test_a_choice_is_what_every_public_post_reads_until_it_goes_back_to_discords(db: Database) -> None:
    changed: list[int] = []
    languages = ServerLanguages(db, changed.append)
    assert server_language(Guild(GUILD)).tag == "en"
    await languages.choose(GUILD, "fr", now=100)
    assert server_language(Guild(GUILD)).tag == "fr" and server_language(Interaction(GUILD)).tag == "fr"
    assert server_language(Guild(OTHER, "pt-BR")).tag == "pt-BR", "another server keeps Discord's"
    assert server_language(Guild(GUILD, "pt-BR")).tag == "fr", "the choice wins over Discord's"
    assert changed == [GUILD], "features are told (the events mirror rewrites its words)"
    await languages.choose(GUILD, None, now=200)
    assert server_language(Guild(GUILD, "pt-BR")).tag == "pt-BR" and changed == [GUILD, GUILD]
    languages.close()


async def test_choices_are_read_back_at_start_and_leave_the_process_with_the_bot(db: Database) -> None:
    await ServerLanguages(db).choose(GUILD, "fr", now=100)
    ServerLanguages(db).close()
    restarted = ServerLanguages(db)
    await restarted.load()
    assert restarted.chosen(GUILD) == "fr" and await restarted.server_ids() == {GUILD}
    restarted.close()
    assert chosen_server_language(GUILD) is None, "a bot that stopped leaves nothing behind in the process"


async def test_a_server_left_long_ago_is_forgotten(db: Database) -> None:
    languages = ServerLanguages(db)
    await languages.choose(GUILD, "fr", now=100)
    await languages.forget_server(GUILD)
    assert await languages.server_ids() == set() and server_language(Guild(GUILD)).tag == "en"
    languages.close()


@pytest.fixture(autouse=True)
def nothing_chosen() -> None:
    assert chosen_server_language(GUILD) is None and chosen_server_language(OTHER) is None
