"""Lead-time specs and add-release dates: what moderators may type, and the exact words when they slip."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import ENGLISH, language, spoken, using
from bot.moments import DateTimeError, parse_date, parse_time
from cogs.reminders.timeparse import (
    AT_RELEASE,
    DEFAULT_SPEC,
    ENGLISH_UNITS,
    MAX_LEAD_DAYS,
    LeadTime,
    LeadTimeError,
    describe_lead_times,
    format_lead_times,
    parse_lead_time,
    parse_lead_times,
    units,
)

FORM = "use a number followed by w, d, h, or m (like 7d or 1h30m), or 0"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", AT_RELEASE),
        ("0m", AT_RELEASE),
        ("7d", LeadTime(days=7)),
        ("1w", LeadTime(days=7)),
        ("1d", LeadTime(days=1)),
        ("1h", LeadTime(minutes=60)),
        ("1m", LeadTime(minutes=1)),
        ("24h", LeadTime(minutes=1440)),
        ("1d12h", LeadTime(days=1, minutes=720)),
        ("12h1d", LeadTime(days=1, minutes=720)),
        ("1h30m", LeadTime(minutes=90)),
        (" 2W 3D ", LeadTime(days=17)),
        ("60d", LeadTime(days=60)),
        ("8w4d", LeadTime(days=60)),
    ],
)
def test_parse_lead_time(text: str, expected: LeadTime) -> None:
    assert parse_lead_time(text) == expected


def test_default_spec_is_longest_first() -> None:
    assert parse_lead_times(DEFAULT_SPEC) == (LeadTime(days=7), LeadTime(days=1), AT_RELEASE)


def test_spec_is_sorted_and_deduplicated() -> None:
    leads = parse_lead_times("0, 1h, 7d, 1d, 1w, 1h, 60m,")
    assert leads == (LeadTime(days=7), LeadTime(days=1), LeadTime(minutes=60), AT_RELEASE)


def test_same_nominal_length_keeps_the_first_written() -> None:
    """`1d` and `24h` would post at (nearly) the same moment; one of them is enough."""
    assert parse_lead_times("24h, 1d") == (LeadTime(minutes=1440),)
    assert parse_lead_times("1d, 24h") == (LeadTime(days=1),)


def test_six_different_lead_times_are_allowed_even_with_repeats() -> None:
    assert len(parse_lead_times("6d, 5d, 4d, 3d, 2d, 1d, 1d, 24h")) == 6


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("3x", f"'3x' is not a lead time: {FORM}."),
        ("7d, 1 day", f"'1 day' is not a lead time: {FORM}."),
        ("1", f"'1' is not a lead time: {FORM}."),
        ("-1d", f"'-1d' is not a lead time: {FORM}."),
        ("30s", f"'30s' is not a lead time: {FORM}."),
        ("1.5h", f"'1.5h' is not a lead time: {FORM}."),
        ("7d 1d 0", "'7d 1d 0' looks like several lead times: separate them with commas, like 7d, 1d, 0."),
        ("1d2d", f"'1d2d' gives d twice: {FORM}, and separate lead times with commas (7d, 1d)."),
        ("61d", "'61d' is too far ahead: a lead time can be at most 60 days."),
        ("60d1m", "'60d1m' is too far ahead: a lead time can be at most 60 days."),
        ("9w", "'9w' is too far ahead: a lead time can be at most 60 days."),
        ("", "No lead times given: write them like 7d, 1d, 0 (0 means the release moment)."),
        (" , ,", "No lead times given: write them like 7d, 1d, 0 (0 means the release moment)."),
        (
            "6d, 5d, 4d, 3d, 2d, 1d, 0",
            "That is 7 different lead times; at most 6 are allowed. Keep the ones that matter most, like 7d, 1d, 0.",
        ),
    ],
)
def test_bad_specs_name_the_bad_part(spec: str, message: str) -> None:
    with pytest.raises(LeadTimeError) as error:
        parse_lead_times(spec)
    assert str(error.value) == message
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("lead", "words", "key"),
    [
        (AT_RELEASE, "at release", "0"),
        (LeadTime(days=7), "1 week", "7d"),
        (LeadTime(days=14), "2 weeks", "14d"),
        (LeadTime(days=10), "1 week 3 days", "10d"),
        (LeadTime(days=1), "1 day", "1d"),
        (LeadTime(minutes=1440), "24 hours", "24h"),
        (LeadTime(minutes=150), "2 hours 30 minutes", "2h30m"),
        (LeadTime(minutes=1), "1 minute", "1m"),
        (LeadTime(days=1, minutes=721), "1 day 12 hours 1 minute", "1d12h1m"),
    ],
)
def test_lead_time_words_and_key(lead: LeadTime, words: str, key: str) -> None:
    assert str(lead) == words
    assert lead.key == key


def test_format_and_describe() -> None:
    leads = parse_lead_times("7d, 1d, 1h30m, 0")
    assert format_lead_times(leads) == "7d, 1d, 1h30m, 0"
    assert describe_lead_times(leads) == "1 week before, 1 day before, 1 hour 30 minutes before and at release"
    assert describe_lead_times((AT_RELEASE,)) == "at release"


lead_times = st.builds(
    LeadTime, days=st.integers(0, MAX_LEAD_DAYS - 1), minutes=st.integers(0, 23 * 60 + 59)
) | st.just(LeadTime(days=MAX_LEAD_DAYS))


@given(lead_times)
def test_key_round_trips(lead: LeadTime) -> None:
    assert parse_lead_time(lead.key) == lead


@given(st.lists(lead_times, min_size=1, max_size=6))
def test_spec_round_trips(leads: list[LeadTime]) -> None:
    parsed = parse_lead_times(format_lead_times(leads))
    assert parse_lead_times(format_lead_times(parsed)) == parsed
    assert [lead.seconds for lead in parsed] == sorted({lead.seconds for lead in leads}, reverse=True)


@pytest.mark.parametrize(
    ("reader", "spec", "expected"),
    [
        ("fr", "7j, 1j", (LeadTime(days=7), LeadTime(days=1))),
        ("fr", "2sem, 1j12h, 1h30min, 0", (LeadTime(days=14), LeadTime(1, 720), LeadTime(minutes=90), AT_RELEASE)),
        ("fr", "7J, 1 j", (LeadTime(days=7), LeadTime(days=1))),
        ("fr", "7d, 1w, 30m", (LeadTime(days=7), LeadTime(minutes=30))),  # the English units are always understood
        ("pt-BR", "1sem, 2d, 3h, 15min", (LeadTime(days=7), LeadTime(days=2), LeadTime(minutes=180), LeadTime(0, 15))),
        ("es-ES", "2sem, 1d12h, 1h30min, 0", (LeadTime(days=14), LeadTime(1, 720), LeadTime(minutes=90), AT_RELEASE)),
        ("es-419", "1sem, 2d, 3h, 15min", (LeadTime(days=7), LeadTime(days=2), LeadTime(minutes=180), LeadTime(0, 15))),
        ("en", "1w, 2d, 3h, 15m", (LeadTime(days=7), LeadTime(days=2), LeadTime(minutes=180), LeadTime(0, 15))),
    ],
)
def test_lead_times_in_the_moderators_units(reader: str, spec: str, expected: tuple[LeadTime, ...]) -> None:
    """Regression (issue 21): `7j, 1j` was refused, because lead-time units were the English `w d h m` only."""
    with using(language(reader)):
        assert parse_lead_times(spec) == expected


def test_a_refusal_lists_the_units_in_the_readers_language() -> None:
    with using(language("fr")), pytest.raises(LeadTimeError) as error:
        parse_lead_times("7j, 1x")
    assert str(error.value) == (
        f"'1x' n'est pas un délai{NBSP}: utilise un nombre suivi de sem, j, h ou min (comme 7j ou 1h30min), ou 0."
    )
    with using(language("fr")), pytest.raises(LeadTimeError) as error:
        parse_lead_times(" , ")
    assert str(error.value) == (
        f"Aucun délai donné{NBSP}: écris-les comme 7j, 1j, 0 (0 veut dire le moment de la sortie)."
    )
    with using(language("pt-BR")), pytest.raises(LeadTimeError) as error:
        parse_lead_time("1x")
    assert "sem, d, h ou min" in str(error.value)
    for spanish in ("es-ES", "es-419"):
        with using(language(spanish)), pytest.raises(LeadTimeError) as error:
            parse_lead_times("7d, 1x")
        assert str(error.value) == (
            "'1x' no es un tiempo de " + ("antelación" if spanish == "es-ES" else "anticipación") + ": usa un número "
            "seguido de sem, d, h o min (como 7d o 1h30min), o 0."
        ), spanish


def test_what_is_stored_reads_back_in_english_whoever_reads_it() -> None:
    leads = parse_lead_times("1j12h, 1h30min", language("fr"))
    assert format_lead_times(leads) == "1d12h, 1h30m", "stored in English units"
    with using(language("fr")):
        assert parse_lead_times(format_lead_times(leads), ENGLISH) == leads
        assert format_lead_times(leads, units()) == "1j12h, 1h30min"


def test_every_language_has_four_different_short_units() -> None:
    for reader in spoken():
        written = units(language(reader))
        assert len({written.week, written.day, written.hour, written.minute}) == 4, reader
    assert units(language("fr")) != ENGLISH_UNITS and units(language("pt-BR")) != ENGLISH_UNITS


@given(st.sampled_from(spoken()), st.lists(lead_times, min_size=1, max_size=6))
def test_a_spec_in_any_languages_units_reads_back_the_same(reader: str, leads: list[LeadTime]) -> None:
    """Kind: lead times as people type them. For every language and any lead-time set, formatting in that
    language's short units then parsing in that language gives back the same set."""
    with using(language(reader)):
        written = format_lead_times(leads, units())
        assert set(parse_lead_times(written)) == set(parse_lead_times(format_lead_times(leads), ENGLISH))


@given(st.text(max_size=40))
def test_any_text_parses_or_gives_a_lead_time_error(text: str) -> None:
    try:
        leads = parse_lead_times(text)
    except LeadTimeError:
        return
    assert 1 <= len(leads) <= 6
    assert all(0 <= lead.seconds <= MAX_LEAD_DAYS * 86_400 for lead in leads)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-06-01", dt.date(2026, 6, 1)), (" 2028-02-29 ", dt.date(2028, 2, 29)), ("2026-1-5", dt.date(2026, 1, 5))],
)
def test_parse_date(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026/01/16", "'2026/01/16' is not a date: write it as YYYY-MM-DD, like 2026-06-01."),
        ("16-01-2026", "'16-01-2026' is not a date: write it as YYYY-MM-DD, like 2026-06-01."),
        ("tomorrow", "'tomorrow' is not a date: write it as YYYY-MM-DD, like 2026-06-01."),
        ("0000-01-01", "'0000-01-01' is not a date: write it as YYYY-MM-DD, like 2026-06-01."),
        ("2026-13-01", "'2026-13-01' is not a date: the month must be 01 to 12 (YYYY-MM-DD, like 2026-06-01)."),
        ("2026-02-29", "'2026-02-29' is not a real date: February 2026 has no day 29."),
        ("2026-04-31", "'2026-04-31' is not a real date: April 2026 has no day 31."),
    ],
)
def test_bad_dates(text: str, message: str) -> None:
    with pytest.raises(DateTimeError) as error:
        parse_date(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "expected"), [("19:30", dt.time(19, 30)), ("9:05", dt.time(9, 5)), ("00:00", dt.time(0, 0))]
)
def test_parse_time(text: str, expected: dt.time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7pm", "'7pm' is not a time: write it as HH:MM on a 24-hour clock, like 19:30."),
        ("19.30", "'19.30' is not a time: write it as HH:MM on a 24-hour clock, like 19:30."),
        ("24:00", "'24:00' is not a time: hours go from 00 to 23 and minutes from 00 to 59, like 19:30."),
        ("12:60", "'12:60' is not a time: hours go from 00 to 23 and minutes from 00 to 59, like 19:30."),
    ],
)
def test_bad_times(text: str, message: str) -> None:
    with pytest.raises(DateTimeError) as error:
        parse_time(text)
    assert str(error.value) == message
