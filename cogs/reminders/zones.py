"""A server's time zone as moderators type it, read the way they mean it, and said back plainly.

What `/reminders timezone` accepts (`resolve_zone`), and what is stored (always an IANA name):
- an IANA name in any case, with spaces for underscores (`america/new york`): stored as is;
- a city that names exactly one zone (`Toronto`, `new york`);
- `UTC`, `GMT`, `Z`: UTC;
- a common abbreviation (`EST`, `PT`, `CET`, `AEST`, `JST`, … see `ABBREVIATIONS`): the zone of the main
  city that uses it, which follows that city's daylight saving, because that is what people mean:
  `EST` is New York's time, an hour later in summer, not the tz database's fixed `EST` (UTC−5 all
  year). The answer names the city and any other region the abbreviation is used for;
- a UTC offset in whole hours (`UTC+1`, `GMT-5`, `+02:00`, `utc −3`, from −12 to +14): the fixed zone with
  that offset (`UTC+1` is stored as `Etc/GMT-1`, the tz database's name for UTC+1, whose sign POSIX writes
  backwards; the typed sign is never copied into an `Etc/GMT` name, which would invert it). The answer says
  it never changes for daylight saving, and names cities at that offset in case the server's clocks do.

Refused, with up to three city suggestions: offsets that are not whole hours (`UTC+5:30`; the cities at
that offset now are suggested), offsets outside −12…+14, abbreviations used for several unrelated zones
(`IST`: India, Ireland, Israel), and anything else unknown. Suggestions and autocomplete list cities
(Area/City names) and `UTC` only, never `Etc/…` or legacy names.

`describe_zone` says what a zone does: its offset now, and whether it follows daylight saving (comparing
January and July of the current year). Pure: no Discord, `now` is a parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.markup import quote
from bot.search import MAX_CHOICES, Index
from cogs.reminders.schedule import DEFAULT_ZONE

CITY_AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
MIN_OFFSET_H, MAX_OFFSET_H = -12, 14  # the range of Etc/GMT zones (and of real offsets)
FORM = "Pick a city from the list, like Europe/London or America/Toronto, or a whole-hour offset like UTC+1."

# abbreviation -> (zone, what it is called, other zones the same letters are used for)
ABBREVIATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    **dict.fromkeys(("EST", "EDT", "ET"), ("America/New_York", "US Eastern Time", ("America/Toronto",))),
    **dict.fromkeys(("CST", "CDT", "CT"), ("America/Chicago", "US Central Time", ("Asia/Shanghai",))),
    **dict.fromkeys(("MST", "MDT", "MT"), ("America/Denver", "US Mountain Time", ("America/Phoenix",))),
    **dict.fromkeys(("PST", "PDT", "PT"), ("America/Los_Angeles", "US Pacific Time", ("America/Vancouver",))),
    **dict.fromkeys(("AKST", "AKDT"), ("America/Anchorage", "Alaska Time", ())),
    **dict.fromkeys(("HST", "HAST"), ("Pacific/Honolulu", "Hawaii Time", ())),
    **dict.fromkeys(("NST", "NDT"), ("America/St_Johns", "Newfoundland Time", ())),
    **dict.fromkeys(("BST",), ("Europe/London", "British Summer Time", ())),
    **dict.fromkeys(("WET", "WEST"), ("Europe/Lisbon", "Western European Time", ())),
    **dict.fromkeys(("CET", "CEST", "MEZ"), ("Europe/Paris", "Central European Time", ("Europe/Berlin",))),
    **dict.fromkeys(("EET", "EEST"), ("Europe/Athens", "Eastern European Time", ("Europe/Helsinki",))),
    **dict.fromkeys(("MSK",), ("Europe/Moscow", "Moscow Time", ())),
    **dict.fromkeys(("JST",), ("Asia/Tokyo", "Japan Time", ())),
    **dict.fromkeys(("KST",), ("Asia/Seoul", "Korea Time", ())),
    **dict.fromkeys(("HKT",), ("Asia/Hong_Kong", "Hong Kong Time", ())),
    **dict.fromkeys(("SGT",), ("Asia/Singapore", "Singapore Time", ())),
    **dict.fromkeys(("PHT", "PHST"), ("Asia/Manila", "Philippine Time", ())),
    **dict.fromkeys(("WIB",), ("Asia/Jakarta", "Western Indonesia Time", ())),
    **dict.fromkeys(("PKT",), ("Asia/Karachi", "Pakistan Time", ())),
    **dict.fromkeys(("AEST", "AEDT"), ("Australia/Sydney", "Australian Eastern Time", ("Australia/Brisbane",))),
    **dict.fromkeys(("ACST", "ACDT"), ("Australia/Adelaide", "Australian Central Time", ("Australia/Darwin",))),
    **dict.fromkeys(("AWST",), ("Australia/Perth", "Australian Western Time", ())),
    **dict.fromkeys(("NZST", "NZDT"), ("Pacific/Auckland", "New Zealand Time", ())),
    **dict.fromkeys(("BRT",), ("America/Sao_Paulo", "Brasília Time", ())),
    **dict.fromkeys(("ART",), ("America/Argentina/Buenos_Aires", "Argentina Time", ())),
    **dict.fromkeys(("SAST",), ("Africa/Johannesburg", "South Africa Time", ())),
    **dict.fromkeys(("WAT",), ("Africa/Lagos", "West Africa Time", ())),
    **dict.fromkeys(("CAT",), ("Africa/Maputo", "Central Africa Time", ())),
    **dict.fromkeys(("EAT",), ("Africa/Nairobi", "East Africa Time", ())),
}
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "AST": ("America/Halifax", "Asia/Riyadh"),
    "GST": ("Asia/Dubai", "Atlantic/South_Georgia"),
}
UTC_NAMES = {"UTC", "GMT", "Z", "ZULU", "UCT", "UNIVERSAL"}
# Well-known cities, tried first when suggesting a city for an offset.
MAJOR_CITIES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Phoenix", "America/Denver",
    "America/Chicago", "America/Mexico_City", "America/New_York", "America/Toronto", "America/Halifax",
    "America/St_Johns", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "Atlantic/Azores",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Africa/Lagos",
    "Africa/Johannesburg", "Europe/Athens", "Europe/Helsinki", "Africa/Cairo", "Europe/Istanbul",
    "Europe/Moscow", "Asia/Dubai", "Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Shanghai", "Asia/Singapore", "Australia/Perth",
    "Asia/Tokyo", "Asia/Seoul", "Australia/Adelaide", "Australia/Darwin", "Australia/Brisbane",
    "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip

_OFFSET_RE = re.compile(r"(?:utc|gmt|z)?\s*([+\-−])\s*(\d{1,2})(?:\s*:?\s*(\d{2}))?", re.IGNORECASE)
_ETC_RE = re.compile(r"Etc/GMT([+-])(\d{1,2})")


class ZoneError(ValueError):
    """A time zone the moderator has to correct; the message suggests cities."""


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """The zone a typed text was read as; `read_as` explains the reading when it was not the zone's own name."""

    zone: ZoneInfo
    read_as: str | None = None

    @property
    def key(self) -> str:
        return self.zone.key


# -- the zones ------------------------------------------------------------------------------------------------


@cache
def _all_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_city(name: str) -> bool:
    """An Area/City name (`Europe/London`), as opposed to `Etc/GMT+1`, `EST` or `US/Eastern`."""
    return name.split("/", 1)[0] in CITY_AREAS and "/" in name


@cache
def _city_index() -> Index[str]:
    names = [DEFAULT_ZONE, *sorted(name for name in _all_names() if is_city(name))]
    return Index(names, key=lambda name: name, aliases=lambda name: [name.rsplit("/", 1)[-1].replace("_", " ")])


def zone_choices(typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """City zones (and UTC) for autocomplete: "toronto" or "new york" finds the zone by its city."""
    return [match.item for match in _city_index().search(typed, limit=limit)]


# -- reading what was typed -----------------------------------------------------------------------------------


def resolve_zone(text: str, now: int) -> ZoneChoice:
    """The zone `text` means, read as the module says; `ZoneError` with city suggestions otherwise.

    `now` (epoch seconds) picks the cities suggested for an offset: those at that offset at this moment.
    """
    typed = text.strip()
    if not typed:
        raise ZoneError(f"Give a time zone. {FORM}")
    upper = typed.upper()
    if upper in UTC_NAMES:
        return ZoneChoice(ZoneInfo(DEFAULT_ZONE), None if upper == "UTC" else f"{typed} is read as UTC")
    if upper in ABBREVIATIONS:
        return _abbreviation(typed, upper)
    if upper in AMBIGUOUS:
        raise ZoneError(
            f"{quote(typed)} stands for several time zones; choose the city: {', '.join(AMBIGUOUS[upper])}."
        )
    named = _by_name(typed)
    if named is not None:
        return ZoneChoice(ZoneInfo(named), _etc_note(named))
    offset = _OFFSET_RE.fullmatch(typed)
    if offset is not None:
        return _offset(typed, offset, now)
    suggestions = [name for name in zone_choices(typed, limit=3) if name != DEFAULT_ZONE]
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise ZoneError(f"{quote(typed)} is not a time zone I know.{hint} {FORM}")


def _by_name(typed: str) -> str | None:
    """An IANA name in any case (spaces for underscores), or a city naming exactly one zone."""
    folded = typed.casefold().replace(" ", "_")
    names = _all_names() - {"Factory", "localtime"}
    exact = [name for name in names if name.casefold() == folded]
    if not exact:
        exact = [name for name in names if is_city(name) and name.rsplit("/", 1)[-1].casefold() == folded]
    return exact[0] if len(exact) == 1 else None


def _abbreviation(typed: str, upper: str) -> ZoneChoice:
    name, called, others = ABBREVIATIONS[upper]
    also = f" (for {', '.join(others)}, choose that instead)" if others else ""
    return ZoneChoice(ZoneInfo(name), f"{typed} is read as {called}, the time in {name}{also}")


def _offset(typed: str, match: re.Match[str], now: int) -> ZoneChoice:
    sign = -1 if match[1] in "-−" else 1
    hours, minutes = int(match[2]), int(match[3] or 0)
    total = sign * (hours * 60 + minutes)
    if minutes >= 60 or not MIN_OFFSET_H * 60 <= total <= MAX_OFFSET_H * 60:
        raise ZoneError(f"{quote(typed)} is not a UTC offset: offsets go from UTC-12 to UTC+14. {FORM}")
    label = offset_label(dt.timedelta(minutes=total))
    cities = cities_at(dt.timedelta(minutes=total), now)
    if minutes:
        where = f" Cities at {label} now: {', '.join(cities)}." if cities else ""
        raise ZoneError(f"{quote(typed)} is not a whole-hour offset, so it needs a city.{where} {FORM}")
    # Etc/GMT names have POSIX signs: Etc/GMT-1 is UTC+1. The name is derived from the meaning, not the text.
    name = "Etc/GMT" if total == 0 else f"Etc/GMT{'-' if total > 0 else '+'}{abs(total) // 60}"
    where = f" If your clocks change in summer, choose your city instead, like {', '.join(cities)}." if cities else ""
    return ZoneChoice(ZoneInfo(name), f"{typed} is read as the fixed offset {label}.{where}")


def _etc_note(name: str) -> str | None:
    """What an `Etc/GMT±N` name typed as such means, since its sign reads backwards."""
    match = _ETC_RE.fullmatch(name)
    if match is None:
        return None
    meaning = offset_label(dt.timedelta(hours=(-1 if match[1] == "+" else 1) * int(match[2])))
    return f"{name} is {meaning}: the tz database writes these signs backwards"


# -- saying what a zone does ----------------------------------------------------------------------------------


def offset_label(offset: dt.timedelta | None) -> str:
    """`UTC`, `UTC+1`, `UTC-5`, `UTC+5:30`."""
    minutes = int((offset or dt.timedelta()).total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def cities_at(offset: dt.timedelta, now: int, count: int = 3) -> list[str]:
    """Up to `count` cities whose clocks are at `offset` at `now`, well-known ones first, one per distinct
    rule (cities with the same offsets in January and July keep the same time, so one of them is enough)."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    others = sorted(name for name in _all_names() if is_city(name) and name not in MAJOR_CITIES)
    found: dict[tuple[dt.timedelta | None, ...], str] = {}
    for name in (*MAJOR_CITIES, *others):
        zone = ZoneInfo(name)
        if moment.astimezone(zone).utcoffset() == offset:
            rule = tuple(dt.datetime(moment.year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7))
            found.setdefault(rule, name)
    return list(found.values())[:count]


def zone_label(key: str) -> str:
    """How a stored zone is shown: its name, with the offset a fixed `Etc/GMT±N` zone really has."""
    match = _ETC_RE.fullmatch(key)
    if match is None:
        return key
    return f"{offset_label(dt.timedelta(hours=(-1 if match[1] == '+' else 1) * int(match[2])))} ({key})"


def describe_zone(zone: ZoneInfo, now: int) -> str:
    """The zone's offset now and whether it follows daylight saving, e.g. "UTC-4 now; it follows daylight
    saving (UTC-5 in January, UTC-4 in July)" or "UTC+9 all year (no daylight saving)"."""
    moment = dt.datetime.fromtimestamp(now, zone)
    january, july = (offset_label(dt.datetime(moment.year, month, 1, 12, tzinfo=zone).utcoffset()) for month in (1, 7))
    current = offset_label(moment.utcoffset())
    if january == july:
        return f"{current} all year (no daylight saving)"
    return f"{current} now; it follows daylight saving ({january} in January, {july} in July)"
