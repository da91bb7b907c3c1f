"""A server's time zone as moderators type it, read the way they mean it, and said back plainly.

What `/reminders timezone` accepts (`resolve_zone`), and what is stored (always an IANA name):
- an IANA name in any case, with spaces for underscores (`america/new york`): stored as is;
- a city that names exactly one zone, with or without its accents (`Toronto`, `new york`, `Montréal`,
  `Sao Paulo`), also as any of the bot's languages writes it (CLDR's exemplar cities, through Babel: `Londres`,
  `Mexico`, `Ciudad de México`, `Nueva York`, `Nova Iorque`); the answer says, in the moderator's language, which
  city's time that is;
- `UTC`, `GMT`, `Z`: UTC;
- a common abbreviation (`EST`, `PT`, `CET`, `AEST`, `JST`, … see `ABBREVIATIONS`): the zone of the main
  city that uses it, which follows that city's daylight saving, because that is what people mean:
  `EST` is New York's time, an hour later in summer, not the tz database's fixed `EST` (UTC−5 all
  year). The answer names the city and any other region the abbreviation is used for;
- a UTC offset in whole hours (`UTC+1`, `GMT-5`, `+02:00`, `utc −3`, from −12 to +14): the fixed zone with
  that offset (`UTC+1` is stored as `Etc/GMT-1`, the tz database's name for UTC+1, whose sign POSIX writes
  backwards; the typed sign is never copied into an `Etc/GMT` name, which would invert it). The answer says
  it never changes for daylight saving, and names cities at that offset in case the server's clocks do.

Autocomplete (`zone_choices`) offers first what the text reads as (`EST`: America/New_York, then the other zones
the letters are used for; `Nueva York`: America/New_York; `UTC+1`: that offset, then cities at it now), then
cities by name, those matching in the reader's language first, each named in it (`Europe/London (Londres)`).

Refused, with up to three city suggestions: offsets that are not whole hours (`UTC+5:30`; the cities at
that offset now are suggested), offsets outside −12…+14, abbreviations used for several unrelated zones
(`IST`: India, Ireland, Israel), and anything else unknown. Suggestions and autocomplete list cities
(Area/City names) and `UTC` only, never `Etc/…` or legacy names.

`describe_zone` says what a zone does: its offset now, and whether it follows daylight saving (comparing
January and July of the current year). Pure: no Discord, `now` is a parameter. Every sentence (errors, the
reading in `read_as`, `describe_zone`) is written in the current language, the moderator's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location

from bot.i18n import N_, _, current
from bot.markup import quote
from bot.moments import DEFAULT_ZONE
from bot.search import MAX_CHOICES, Index, fold

CITY_AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
MIN_OFFSET_H, MAX_OFFSET_H = -12, 14  # the range of Etc/GMT zones (and of real offsets)
FORM = N_("Pick a city from the list, like Europe/London or America/Toronto, or a whole-hour offset like UTC+1.")
# Whose city names are understood (CLDR's exemplar cities): the bot's languages, Spanish included, with the regional
# variants their speakers write ("Nova Iorque" in Portugal, "Nova York" in Brazil).
CITY_LOCALES = ("en", "fr", "fr_CA", "pt", "pt_PT", "es", "es_419", "es_MX")
READER_BONUS = 5.0  # autocomplete: a city matching as the reader's language names it ranks above an equal match

# abbreviation -> (zone, what it is called (translated where it is shown), other zones the same letters are used for)
ABBREVIATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    **dict.fromkeys(("EST", "EDT", "ET"), ("America/New_York", N_("US Eastern Time"), ("America/Toronto",))),
    **dict.fromkeys(("CST", "CDT", "CT"), ("America/Chicago", N_("US Central Time"), ("Asia/Shanghai",))),
    **dict.fromkeys(("MST", "MDT", "MT"), ("America/Denver", N_("US Mountain Time"), ("America/Phoenix",))),
    **dict.fromkeys(("PST", "PDT", "PT"), ("America/Los_Angeles", N_("US Pacific Time"), ("America/Vancouver",))),
    **dict.fromkeys(("AKST", "AKDT"), ("America/Anchorage", N_("Alaska Time"), ())),
    **dict.fromkeys(("HST", "HAST"), ("Pacific/Honolulu", N_("Hawaii Time"), ())),
    **dict.fromkeys(("NST", "NDT"), ("America/St_Johns", N_("Newfoundland Time"), ())),
    **dict.fromkeys(("BST",), ("Europe/London", N_("British Summer Time"), ())),
    **dict.fromkeys(("WET", "WEST"), ("Europe/Lisbon", N_("Western European Time"), ())),
    **dict.fromkeys(("CET", "CEST", "MEZ"), ("Europe/Paris", N_("Central European Time"), ("Europe/Berlin",))),
    **dict.fromkeys(("EET", "EEST"), ("Europe/Athens", N_("Eastern European Time"), ("Europe/Helsinki",))),
    **dict.fromkeys(("MSK",), ("Europe/Moscow", N_("Moscow Time"), ())),
    **dict.fromkeys(("JST",), ("Asia/Tokyo", N_("Japan Time"), ())),
    **dict.fromkeys(("KST",), ("Asia/Seoul", N_("Korea Time"), ())),
    **dict.fromkeys(("HKT",), ("Asia/Hong_Kong", N_("Hong Kong Time"), ())),
    **dict.fromkeys(("SGT",), ("Asia/Singapore", N_("Singapore Time"), ())),
    **dict.fromkeys(("PHT", "PHST"), ("Asia/Manila", N_("Philippine Time"), ())),
    **dict.fromkeys(("WIB",), ("Asia/Jakarta", N_("Western Indonesia Time"), ())),
    **dict.fromkeys(("PKT",), ("Asia/Karachi", N_("Pakistan Time"), ())),
    **dict.fromkeys(("AEST", "AEDT"), ("Australia/Sydney", N_("Australian Eastern Time"), ("Australia/Brisbane",))),
    **dict.fromkeys(("ACST", "ACDT"), ("Australia/Adelaide", N_("Australian Central Time"), ("Australia/Darwin",))),
    **dict.fromkeys(("AWST",), ("Australia/Perth", N_("Australian Western Time"), ())),
    **dict.fromkeys(("NZST", "NZDT"), ("Pacific/Auckland", N_("New Zealand Time"), ())),
    **dict.fromkeys(("BRT",), ("America/Sao_Paulo", N_("Brasília Time"), ())),
    **dict.fromkeys(("ART",), ("America/Argentina/Buenos_Aires", N_("Argentina Time"), ())),
    **dict.fromkeys(("SAST",), ("Africa/Johannesburg", N_("South Africa Time"), ())),
    **dict.fromkeys(("WAT",), ("Africa/Lagos", N_("West Africa Time"), ())),
    **dict.fromkeys(("CAT",), ("Africa/Maputo", N_("Central Africa Time"), ())),
    **dict.fromkeys(("EAT",), ("Africa/Nairobi", N_("East Africa Time"), ())),
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


def city_of(name: str) -> str:
    """The city an IANA name ends with, as written there: `America/New_York` → `New York`."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


@cache
def _links() -> frozenset[str]:
    """The tz database's links (`America/Montreal` → `America/Toronto`): old names kept working, which CLDR names
    after the zone they point to (so their city names would be a second `Toronto`)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text("utf-8")
    return frozenset(parts[2] for line in text.splitlines() if (parts := line.split())[:1] == ["L"])


@cache
def _cities() -> tuple[str, ...]:
    return tuple(sorted(name for name in _all_names() if is_city(name)))


@cache
def local_cities(locale: str) -> dict[str, str]:
    """Each city zone's city as `locale` (a Babel locale name: `fr`, `pt_BR`) writes it: "Londres", "Nueva York"."""
    links = _links()
    return {
        name: get_timezone_location(name, locale=locale, return_city=True) for name in _cities() if name not in links
    }


def local_city(name: str) -> str:
    """The zone's city in the reader's language (the current one): "Londres" for Europe/London in French."""
    return local_cities(str(current().locale)).get(name) or city_of(name)


@cache
def _by_local_city() -> dict[str, frozenset[str]]:
    """A city's name in any of `CITY_LOCALES`, folded (no accents, no case) → the zones it names."""
    found: dict[str, set[str]] = {}
    for locale in CITY_LOCALES:
        for name, city in local_cities(locale).items():
            found.setdefault(fold(city), set()).add(name)
    return {city: frozenset(names) for city, names in found.items()}


@cache
def _city_index(locale: str | None) -> Index[str]:
    """Cities (and UTC) by IANA name and city: as `locale` writes it, or (None) as any of `CITY_LOCALES` does."""
    names = [DEFAULT_ZONE, *_cities()]
    by_locale = [local_cities(tag) for tag in ((locale,) if locale else CITY_LOCALES)]
    return Index(
        names,
        key=lambda name: name,
        aliases=lambda name: [city_of(name), *(cities[name] for cities in by_locale if name in cities)],
    )


def warm() -> None:
    """Build every city lookup now (about half a second of CPU, more on a loaded machine), so that the first
    `/reminders timezone` a member types is answered within Discord's 3 seconds for suggestions."""
    _by_local_city()
    _city_index(None)
    for locale in CITY_LOCALES:
        _city_index(locale)


def city_matches(typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """City zones (and UTC) whose name or city resembles `typed`, best first; on a par, a city named so in the
    reader's language (the current one) comes before one named so in another of `CITY_LOCALES`."""
    scores = {match.item: match.score for match in _city_index(None).search(typed, limit=limit)}
    for match in _city_index(str(current().locale)).search(typed, limit=limit):
        scores[match.item] = max(scores.get(match.item, 0.0), match.score + READER_BONUS)
    return sorted(scores, key=lambda name: -scores[name])[:limit]


def zone_choices(typed: str, now: int, limit: int = MAX_CHOICES) -> list[tuple[str, str]]:
    """(name, value) pairs for autocomplete, in the reader's language: what `typed` reads as first (see the module),
    then `city_matches`, each named with its city as the reader writes it when that differs from the IANA name."""
    first: list[str] = []
    upper = typed.strip().upper()
    if upper in AMBIGUOUS:
        first += AMBIGUOUS[upper]
    try:
        found = resolve_zone(typed, now)
    except ZoneError:
        pass
    else:
        if _OFFSET_RE.fullmatch(typed.strip()):  # the offset itself (its Etc/ name is never offered), then cities at it
            offset = dt.datetime.fromtimestamp(now, found.zone).utcoffset() or dt.timedelta()
            offered = [(offset_label(offset), offset_label(offset))]
            return [*offered, *((choice_name(name), name) for name in cities_at(offset, now))][:limit]
        if found.key == DEFAULT_ZONE or is_city(found.key):  # never an Etc/ or legacy name
            first.append(found.key)
        first += ABBREVIATIONS[upper][2] if upper in ABBREVIATIONS else ()
    names = list(dict.fromkeys([*first, *city_matches(typed, limit)]))[:limit]
    return [(choice_name(name), name) for name in names]


def choice_name(name: str) -> str:
    """`Europe/London (Londres)`: a zone's IANA name, with its city in the reader's language when it differs."""
    city = local_city(name) if is_city(name) else city_of(name)
    return name if fold(city) == fold(city_of(name)) else f"{name} ({city})"


# -- reading what was typed -----------------------------------------------------------------------------------


def resolve_zone(text: str, now: int) -> ZoneChoice:
    """The zone `text` means, read as the module says; `ZoneError` with city suggestions otherwise.

    `now` (epoch seconds) picks the cities suggested for an offset: those at that offset at this moment.
    """
    typed = text.strip()
    if not typed:
        raise ZoneError(_("Give a time zone. {form}", form=_(FORM)))
    upper = typed.upper()
    if upper in UTC_NAMES:
        return ZoneChoice(ZoneInfo(DEFAULT_ZONE), None if upper == "UTC" else _("{typed} is read as UTC", typed=typed))
    if upper in ABBREVIATIONS:
        return _abbreviation(typed, upper)
    if upper in AMBIGUOUS:
        raise ZoneError(
            _(
                "{typed} stands for several time zones; choose the city: {cities}.",
                typed=quote(typed),
                cities=", ".join(AMBIGUOUS[upper]),
            )
        )
    named = _by_name(typed)
    if named is not None:
        return named
    offset = _OFFSET_RE.fullmatch(typed)
    if offset is not None:
        return _offset(typed, offset, now)
    suggestions = [name for name in city_matches(typed, limit=3) if name != DEFAULT_ZONE]
    if suggestions:
        raise ZoneError(
            _(
                "{typed} is not a time zone I know. Did you mean {suggestions}? {form}",
                typed=quote(typed),
                suggestions=", ".join(suggestions),
                form=_(FORM),
            )
        )
    raise ZoneError(_("{typed} is not a time zone I know. {form}", typed=quote(typed), form=_(FORM)))


def _by_name(typed: str) -> ZoneChoice | None:
    """An IANA name in any case (spaces for underscores); else a city naming exactly one zone, with or without its
    accents: as the IANA name writes it (`Sao Paulo`, `Montréal`), or as a language of `CITY_LOCALES` does."""
    folded = typed.casefold().replace(" ", "_")
    names = _all_names() - {"Factory", "localtime"}
    exact = [name for name in names if name.casefold() == folded]
    if len(exact) == 1:
        return ZoneChoice(ZoneInfo(exact[0]), _etc_note(exact[0]))
    city = fold(typed)
    by_city = [name for name in _cities() if fold(city_of(name)) == city]
    if len(by_city) == 1:
        return ZoneChoice(ZoneInfo(by_city[0]))
    local = _by_local_city().get(city, frozenset())
    if len(local) != 1:
        return None
    [name] = local
    reader_city = local_city(name)
    if fold(reader_city) == city:
        return ZoneChoice(ZoneInfo(name))
    return ZoneChoice(
        ZoneInfo(name), _("{typed} is read as {city}, the time in {zone}", typed=typed, city=reader_city, zone=name)
    )


def _abbreviation(typed: str, upper: str) -> ZoneChoice:
    name, called, others = ABBREVIATIONS[upper]
    if others:
        reading = _(
            "{typed} is read as {called}, the time in {zone} (for {others}, choose that instead)",
            typed=typed,
            called=_(called),
            zone=name,
            others=", ".join(others),
        )
    else:
        reading = _("{typed} is read as {called}, the time in {zone}", typed=typed, called=_(called), zone=name)
    return ZoneChoice(ZoneInfo(name), reading)


def _offset(typed: str, match: re.Match[str], now: int) -> ZoneChoice:
    sign = -1 if match[1] in "-−" else 1
    hours, minutes = int(match[2]), int(match[3] or 0)
    total = sign * (hours * 60 + minutes)
    if minutes >= 60 or not MIN_OFFSET_H * 60 <= total <= MAX_OFFSET_H * 60:
        raise ZoneError(
            _("{typed} is not a UTC offset: offsets go from UTC-12 to UTC+14. {form}", typed=quote(typed), form=_(FORM))
        )
    label = offset_label(dt.timedelta(minutes=total))
    cities = cities_at(dt.timedelta(minutes=total), now)
    if minutes and cities:
        raise ZoneError(
            _(
                "{typed} is not a whole-hour offset, so it needs a city. Cities at {offset} now: {cities}. {form}",
                typed=quote(typed),
                offset=label,
                cities=", ".join(cities),
                form=_(FORM),
            )
        )
    if minutes:
        raise ZoneError(
            _("{typed} is not a whole-hour offset, so it needs a city. {form}", typed=quote(typed), form=_(FORM))
        )
    # Etc/GMT names have POSIX signs: Etc/GMT-1 is UTC+1. The name is derived from the meaning, not the text.
    name = "Etc/GMT" if total == 0 else f"Etc/GMT{'-' if total > 0 else '+'}{abs(total) // 60}"
    if cities:
        reading = _(
            "{typed} is read as the fixed offset {offset}. If your clocks change in summer, choose your city "
            "instead, like {cities}.",
            typed=typed,
            offset=label,
            cities=", ".join(cities),
        )
    else:
        reading = _("{typed} is read as the fixed offset {offset}.", typed=typed, offset=label)
    return ZoneChoice(ZoneInfo(name), reading)


def _etc_note(name: str) -> str | None:
    """What an `Etc/GMT±N` name typed as such means, since its sign reads backwards."""
    match = _ETC_RE.fullmatch(name)
    if match is None:
        return None
    meaning = offset_label(dt.timedelta(hours=(-1 if match[1] == "+" else 1) * int(match[2])))
    return _("{zone} is {offset}: the tz database writes these signs backwards", zone=name, offset=meaning)


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
    """The zone's offset now and whether it follows daylight saving, in the current language, e.g. "UTC-4 now; it
    follows daylight saving (UTC-5 in January, UTC-4 in July)" or "UTC+9 all year (no daylight saving)"."""
    moment = dt.datetime.fromtimestamp(now, zone)
    january, july = (offset_label(dt.datetime(moment.year, month, 1, 12, tzinfo=zone).utcoffset()) for month in (1, 7))
    current = offset_label(moment.utcoffset())
    if january == july:
        return _("{offset} all year (no daylight saving)", offset=current)
    return _(
        "{offset} now; it follows daylight saving ({january} in January, {july} in July)",
        offset=current,
        january=january,
        july=july,
    )
