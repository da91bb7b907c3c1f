"""When a release happens, shared by every feature that places one on the calendar (reminders, parties).

What a moderator types (a `YYYY-MM-DD` date, an `HH:MM` time) is read here, and a release's instant is computed
here: instants are UTC epoch seconds, zones IANA names resolved with `zoneinfo`, and "now" is always a parameter.

Local times that a daylight-saving change skips or repeats are resolved the same way everywhere:
- a time in the spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) becomes the first
  instant that exists after it, the moment of the jump (03:00 new time);
- a time that occurs twice when clocks fall back means its first occurrence (`fold=0`, the earlier instant).

A server's own release may be at most `HORIZON_YEARS` ahead, which keeps every stored date far from the calendar's
ends, so it can be placed in any zone. Refusals are written in the current language (the moderator's).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.catalogue import Release
from bot.i18n import N_, Text, _, _l, current, text
from bot.markup import literal, quote
from bot.refusal import Refusal

DEFAULT_ZONE = "UTC"
HORIZON_YEARS = 10  # how far ahead a server's own release may be (see `future_release_epoch`)

_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
NOT_A_DATE = N_("{typed} is not a date: write it as YYYY-MM-DD, like 2026-06-01.")


class DateTimeError(ValueError):
    """A release date or time the moderator has to correct."""


class ScheduleError(ValueError):
    """A zone or release moment the moderator has to correct; the message says how."""


class PlanError(Refusal):
    """A stored release whose instant, or one of its posts', cannot be computed in a zone (outside years 1-9999 UTC).

    Raised by `release_epoch` and `reminder_plan` for rows already stored (or let in by a bug): the
    reminders service keeps it to that one server. `release` and `zone` (an IANA name) say which. Its message
    (`text`) is written when it is shown, in the reader's language (`str(error)`), or for the database in English.
    """

    def __init__(self, release: Release, zone: str) -> None:
        when = f"{release.date}" + (f" {release.time:%H:%M}" if release.time else "")
        self.text: Text = _l(
            "**{title}** ({when}) cannot be placed on the calendar in {zone}: it falls outside the years 1 to 9999. "
            "Remove it with `/reminders remove-release` or choose another `/reminders timezone`",
            title=literal(text(release.title)),
            when=when,
            zone=zone,
        )
        super().__init__(self.text)
        self.release = release
        self.zone = zone
        self.row = f"{release.id} '{text(release.title)}' ({when})"


# -- instants -----------------------------------------------------------------------------------------------


def local_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time in `zone`, with gaps and repeats resolved as the module says."""
    wall = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tzinfo=zone)
    instant = wall.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The transition instant that skipped `wall`: the first instant that exists after it.

    fold=0 reads the wall time with the offset before the jump (an instant after the jump) and fold=1 with
    the offset after it (an instant before the jump), so the jump lies between them; bisect to the second.
    """
    late = int(wall.replace(fold=0).astimezone(dt.UTC).timestamp())
    early = int(wall.replace(fold=1).astimezone(dt.UTC).timestamp())
    after = _offset(late, zone)
    while late - early > 1:
        middle = (early + late) // 2
        if _offset(middle, zone) == after:
            late = middle
        else:
            early = middle
    return dt.datetime.fromtimestamp(late, dt.UTC)


def _offset(epoch: int, zone: ZoneInfo) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(epoch, zone).utcoffset()


def release_epoch(release: Release, server_zone: ZoneInfo) -> int | None:
    """When a release happens; None when its date is not announced.

    A release without a time comes out at 00:00 (music drops at local midnight); without its own zone it
    uses the server's. A zone given in the catalogue is honoured even without a time.
    """
    if release.date is None:
        return None
    zone = ZoneInfo(release.zone) if release.zone else server_zone
    try:
        return int(local_instant(release.date, release.time or dt.time(0, 0), zone).timestamp())
    except (OverflowError, ValueError) as error:  # past year 9999 or before year 1
        raise PlanError(release, zone.key) from error


def last_plannable_day(now: int) -> dt.date:
    """The latest date a server's own release may have: `HORIZON_YEARS` from today (UTC), on the same day of the
    month (the 28th at most, so that it exists in every month)."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.date(today.year + HORIZON_YEARS, today.month, min(today.day, 28))


def future_release_epoch(day: dt.date, time: dt.time | None, server_zone: ZoneInfo, now: int) -> int:
    """The instant (epoch seconds) of a server's own new release, refused (`ScheduleError`) when it has already
    passed or lies beyond `last_plannable_day`.

    The horizon keeps every stored date far from the calendar's ends (years 1 and 9999), so it can be
    planned in any zone, including one the server chooses later; both bounds are checked on the date
    before any instant is computed, so no typed date can overflow.
    """
    typed = day.isoformat() + (f" {time:%H:%M}" if time else "")
    last = last_plannable_day(now)
    if day > last:
        raise ScheduleError(
            _(
                "{typed} is too far ahead: a release can be at most {years} years away, on {last} at the latest.",
                typed=typed,
                years=HORIZON_YEARS,
                last=last,
            )
        )
    yesterday = dt.datetime.fromtimestamp(now, dt.UTC).date() - dt.timedelta(days=1)
    epoch = now if day < yesterday else int(local_instant(day, time or dt.time(0, 0), server_zone).timestamp())
    if epoch <= now:
        raise ScheduleError(
            _(
                "{typed} ({zone}) has already passed: give a date (and time) in the future, "
                "or set the server's time zone first with /reminders timezone.",
                typed=typed,
                zone=server_zone.key,
            )
        )
    return epoch


# -- what a moderator types ------------------------------------------------------------------------------


def parse_date(text: str) -> dt.date:
    """A `YYYY-MM-DD` date as typed into `/reminders add-release`."""
    typed = text.strip()
    match = _DATE_RE.fullmatch(typed)
    if match is None:
        raise DateTimeError(_(NOT_A_DATE, typed=quote(typed)))
    year, month, day = (int(group) for group in match.groups())
    if year < 1:
        raise DateTimeError(_(NOT_A_DATE, typed=quote(typed)))
    if not 1 <= month <= 12:
        raise DateTimeError(
            _("{typed} is not a date: the month must be 01 to 12 (YYYY-MM-DD, like 2026-06-01).", typed=quote(typed))
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        month_name = format_date(dt.date(year, month, 1), "MMMM y", locale=current().locale)  # "February 2027"
        raise DateTimeError(
            _("{typed} is not a real date: {month} has no day {day}.", typed=quote(typed), month=month_name, day=day)
        ) from None


def parse_time(text: str) -> dt.time:
    """An `HH:MM` 24-hour time as typed into `/reminders add-release`."""
    typed = text.strip()
    match = _TIME_RE.fullmatch(typed)
    if match is None:
        raise DateTimeError(
            _("{typed} is not a time: write it as HH:MM on a 24-hour clock, like 19:30.", typed=quote(typed))
        )
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise DateTimeError(
            _(
                "{typed} is not a time: hours go from 00 to 23 and minutes from 00 to 59, like 19:30.",
                typed=quote(typed),
            )
        )
    return dt.time(hour, minute)
