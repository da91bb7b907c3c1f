"""Time zones as moderators type them: cities, IANA names, abbreviations and UTC offsets (`cogs.reminders.zones`)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import language, using
from cogs.reminders import zones
from cogs.reminders.zones import (
    ABBREVIATIONS,
    ZoneError,
    describe_zone,
    is_city,
    resolve_zone,
    zone_choices,
    zone_label,
)

NOW = int(dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC).timestamp())  # winter in the north


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("America/Toronto", "America/Toronto"),
        ("america/toronto", "America/Toronto"),
        (" Europe/London ", "Europe/London"),
        ("america/new york", "America/New_York"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Toronto", "America/Toronto"),
        ("new york", "America/New_York"),
        ("EST", "America/New_York"),
        ("edt", "America/New_York"),
        ("PT", "America/Los_Angeles"),
        ("CET", "Europe/Paris"),
        ("AEST", "Australia/Sydney"),
        ("JST", "Asia/Tokyo"),
        ("Etc/GMT+5", "Etc/GMT+5"),
    ],
)
def test_resolve_zone(typed: str, zone: str) -> None:
    assert resolve_zone(typed, NOW).key == zone


@pytest.mark.parametrize(
    ("typed", "zone", "offset"),
    [
        ("UTC+1", "Etc/GMT-1", 1),
        ("GMT-5", "Etc/GMT+5", -5),
        ("+02:00", "Etc/GMT-2", 2),
        ("utc −3", "Etc/GMT+3", -3),
        ("UTC+14", "Etc/GMT-14", 14),
        ("UTC-12", "Etc/GMT+12", -12),
        ("UTC+0", "Etc/GMT", 0),
    ],
)
def test_offsets_mean_what_people_mean_and_never_store_an_inverted_sign(typed: str, zone: str, offset: int) -> None:
    """Regression: `GMT+1` used to be stored as `Etc/GMT+1` (UTC-1), so posts came hours early or late."""
    found = resolve_zone(typed, NOW)
    assert found.key == zone
    assert dt.datetime(2026, 7, 1, tzinfo=found.zone).utcoffset() == dt.timedelta(hours=offset)
    assert found.read_as is not None and "fixed offset" in found.read_as
    assert "all year (no daylight saving)" in describe_zone(found.zone, NOW)


def test_an_abbreviation_is_its_city_with_daylight_saving() -> None:
    """Regression: `EST` used to be the fixed UTC-5 zone, so a New York server's summer event was an hour late."""
    found = resolve_zone("EST", NOW)
    assert found.read_as == (
        "EST is read as US Eastern Time, the time in America/New_York (for America/Toronto, choose that instead)"
    )
    assert describe_zone(found.zone, NOW) == ("UTC-5 now; it follows daylight saving (UTC-5 in January, UTC-4 in July)")
    summer = dt.datetime(2026, 7, 1, 12, tzinfo=found.zone)
    assert summer.utcoffset() == dt.timedelta(hours=-4)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "UTC+5:30",
            "'UTC+5:30' is not a whole-hour offset, so it needs a city. Cities at UTC+5:30 now: Asia/Kolkata. "
            "Pick a city from the list, like Europe/London or America/Toronto, or a whole-hour offset like UTC+1.",
        ),
        ("UTC+15", "'UTC+15' is not a UTC offset: offsets go from UTC-12 to UTC+14."),
        ("IST", "'IST' stands for several time zones; choose the city: Asia/Kolkata, Europe/Dublin, Asia/Jerusalem."),
        (" ", "Give a time zone."),
        ("qqqqqqqq", "'qqqqqqqq' is not a time zone I know. Pick a city"),
        ("Torronto", "'Torronto' is not a time zone I know. Did you mean America/Toronto"),
        ("localtime", "'localtime' is not a time zone I know."),
    ],
)
def test_unknown_zones_are_refused_with_city_suggestions(typed: str, message: str) -> None:
    with pytest.raises(ZoneError) as error:
        resolve_zone(typed, NOW)
    assert str(error.value).startswith(message)


@pytest.fixture(scope="module", autouse=True)
def warm_lookups() -> None:
    """The city lookups are built once per process (`zones.warm`, which the bot runs at start): not inside a timed
    hypothesis example."""
    zones.warm()


@given(st.text(max_size=120))
def test_any_text_is_a_zone_or_a_refusal_suggesting_only_cities(typed: str) -> None:
    """Kind: time zones as typed. Never an exception other than `ZoneError`; suggestions are cities (or UTC),
    never `Etc/…` or legacy names (regression: `UTC+1` suggested `Etc/GMT+1`, `AEST` suggested `EST`)."""
    try:
        found = resolve_zone(typed, NOW)
    except ZoneError as error:
        message = str(error)
        assert len(message) < 500
        suggested = re.findall(r"\b[A-Z][A-Za-z_]+(?:/[A-Za-z_+\-0-9]+)+", message.split("Pick a city")[0])
        assert all(is_city(name) for name in suggested), message
        return
    assert dt.datetime(2026, 1, 1, tzinfo=found.zone).utcoffset() is not None
    assert zone_label(found.key)


def test_every_abbreviation_names_a_city() -> None:
    assert all(is_city(zone) for zone, _, others in ABBREVIATIONS.values() for zone in (zone, *others))


def values(typed: str, limit: int = 25) -> list[str]:
    """The zones autocomplete offers for `typed`, in order (what a pick sends)."""
    return [value for _name, value in zone_choices(typed, NOW, limit)]


def test_zone_autocomplete_lists_cities() -> None:
    assert values("toronto")[0] == "America/Toronto"
    assert values("london")[0] == "Europe/London"
    assert values("new york")[0] == "America/New_York"
    assert values("")[0] == "UTC"
    assert len(values("")) == 25
    assert len(values("a", limit=5)) == 5
    assert all(name == "UTC" or is_city(name) for name in values("gmt"))


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Montréal", "America/Montreal"),
        ("montreal", "America/Montreal"),
        ("São Paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Mexico", "America/Mexico_City"),  # French
        ("Ciudad de México", "America/Mexico_City"),  # Spanish
        ("ciudad de mexico", "America/Mexico_City"),
        ("Cidade do México", "America/Mexico_City"),  # Portuguese
        ("Nueva York", "America/New_York"),
        ("Nova York", "America/New_York"),  # Brazil
        ("Nova Iorque", "America/New_York"),  # Portugal
        ("Londres", "Europe/London"),
        ("Bruxelles", "Europe/Brussels"),
        ("Calcutta", "Asia/Calcutta"),
    ],
)
def test_a_city_is_known_with_or_without_accents_in_any_of_the_bots_languages(typed: str, zone: str) -> None:
    """Regression (issue 21): `/rappels fuseau Montréal` was "not a time zone I know", though autocomplete listed
    America/Montreal first; a city named as French, Portuguese or Spanish write it was unknown too."""
    for reader in ("en", "fr", "pt-BR", "es-ES"):
        with using(language(reader)):
            assert resolve_zone(typed, NOW).key == zone, reader


def test_the_answer_says_which_citys_time_it_is_in_the_readers_language() -> None:
    assert resolve_zone("Nueva York", NOW).read_as == "Nueva York is read as New York, the time in America/New_York"
    assert resolve_zone("Mexico", NOW).read_as == "Mexico is read as Mexico City, the time in America/Mexico_City"
    with using(language("fr")):
        assert resolve_zone("Nueva York", NOW).read_as == (
            "Nueva York est lu comme New York, soit l'heure de America/New_York"
        )
        assert resolve_zone("Ciudad de México", NOW).read_as == (
            "Ciudad de México est lu comme Mexico, soit l'heure de America/Mexico_City"
        ), "the city as the reader's language writes it"
        assert resolve_zone("Londres", NOW).read_as is None, "typed as the reader writes it: nothing to explain"
    for spanish in ("es-ES", "es-419"):
        with using(language(spanish)):
            assert resolve_zone("Mexico", NOW).read_as == (
                "Mexico se interpreta como Ciudad de México, es decir, la hora de America/Mexico_City"
            ), spanish
            assert resolve_zone("Nueva York", NOW).read_as is None, spanish
            assert resolve_zone("ciudad de mexico", NOW).read_as is None, "accents aside, as Spanish writes it"
    assert resolve_zone("Montréal", NOW).read_as is None, "the zone's own city, accents aside"


def test_an_abbreviation_first_offers_the_zone_it_means() -> None:
    """Regression (issue 21): `EST` offered Creston, Australia/West and Bucharest before New York."""
    assert values("EST")[:2] == ["America/New_York", "America/Toronto"]
    assert values("est")[:2] == ["America/New_York", "America/Toronto"]
    assert values("PT")[:2] == ["America/Los_Angeles", "America/Vancouver"]
    assert values("IST")[:3] == ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"], "each zone it may mean"
    assert values("gmt")[0] == "UTC"


def test_what_the_text_reads_as_comes_first() -> None:
    assert values("Nueva York")[0] == "America/New_York"
    assert values("montréal")[0] == "America/Montreal"
    assert zone_choices("UTC+1", NOW)[:2] == [("UTC+1", "UTC+1"), ("Europe/Paris", "Europe/Paris")], (
        "an offset offers itself (never its Etc/ name), then cities at it now"
    )
    assert resolve_zone("UTC+1", NOW).key == "Etc/GMT-1", "and the offer reads back as that offset"


def test_cities_in_the_readers_language_rank_first_and_are_named_in_it() -> None:
    with using(language("fr")):
        assert zone_choices("londres", NOW)[0] == ("Europe/London (Londres)", "Europe/London")
        assert values("maca")[0] == "Asia/Makassar", "French writes it Macassar"
    with using(language("pt-BR")):
        assert zone_choices("nova", NOW)[0] == ("America/New_York (Nova York)", "America/New_York")
        assert values("maca")[0] == "Asia/Macao"
    for spanish in ("es-ES", "es-419"):
        with using(language(spanish)):
            assert zone_choices("nueva", NOW)[0] == ("America/New_York (Nueva York)", "America/New_York"), spanish
    assert zone_choices("london", NOW)[0] == ("Europe/London", "Europe/London"), "no name to add in English"


def test_fixed_zones_are_shown_with_their_real_offset() -> None:
    assert zone_label("Etc/GMT-1") == "UTC+1 (Etc/GMT-1)"
    assert zone_label("Europe/Paris") == "Europe/Paris"
