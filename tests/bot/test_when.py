"""The one formatter of a release's moment (`bot.when`): a date alone is a date for everyone; a time is a timestamp."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.catalogue import Confidence, Release
from bot.i18n import language, using
from bot.when import When, days_away

BOOK_DAY = dt.date(2027, 6, 1)
UTC_MIDNIGHT = int(dt.datetime(2027, 6, 1, tzinfo=dt.UTC).timestamp())


def release(time: dt.time | None) -> Release:
    return Release(
        id="unrivaled-book", title="Unrivaled", kind="book", date=BOOK_DAY, time=time, zone=None, link=None,
        description=None, status=None, confidence=Confidence.MULTI, sources=(),
    )  # fmt: skip


def test_a_release_without_a_time_is_its_date_for_every_reader() -> None:
    """Issue 21: a Toronto fan read "31 May 2027, 20:00" for a book out on 1 June; a date has no instant to move."""
    when = When.of(release(None), UTC_MIDNIGHT)
    assert when.text() == "Tue 1 June 2027" and "<t:" not in when.text()
    with using(language("fr")):
        assert when.text() == "mardi 1 juin 2027"
    assert when.plain() == "2027-06-01"


def test_a_release_with_a_time_keeps_discords_timestamps() -> None:
    when = When.of(release(dt.time(20, 0)), UTC_MIDNIGHT + 20 * 3600)
    assert when.text() == f"<t:{UTC_MIDNIGHT + 72000}:F>"
    assert when.countdown(UTC_MIDNIGHT, ZoneInfo("UTC")) == f"<t:{UTC_MIDNIGHT + 72000}:R>"
    assert when.plain() == "2027-06-01 20:00 UTC"


def test_days_are_counted_on_the_servers_calendar() -> None:
    """At 02:00 UTC on 31 May it is still 30 May in Toronto: one day away in UTC, two in Toronto."""
    when = When.of(release(None), UTC_MIDNIGHT)
    now = UTC_MIDNIGHT - 22 * 3600
    assert when.countdown(now, ZoneInfo("UTC")) == "tomorrow"
    assert when.countdown(now, ZoneInfo("America/Toronto")) == "in 2 days"


@pytest.mark.parametrize(
    ("days", "english", "french"),
    [
        (3, "in 3 days", "dans 3 jours"),
        (2, "in 2 days", "dans 2 jours"),
        (1, "tomorrow", "demain"),
        (0, "today", "aujourd'hui"),
        (-1, "yesterday", "hier"),
        (-40, "40 days ago", "il y a 40 jours"),
    ],
)
def test_days_away_is_a_sentence_with_no_one_day_and_no_zero(days: int, english: str, french: str) -> None:
    """Kind: the singular. "in 1 day" is "tomorrow", "in 0 days" is "today"."""
    today = dt.date(2027, 5, 1)
    day = today + dt.timedelta(days=days)
    assert days_away(day, today) == english
    with using(language("fr")):
        assert days_away(day, today) == french
