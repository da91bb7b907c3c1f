"""Moderator-typed times: lead-time specs (`7d, 1d, 1h, 0`) and the date and time of a server's own release.

Every error is a `ValueError` whose message names the bad part and shows the form that works, so the
`/reminders` cog can hand it to the moderator as is: it is written in the current language (the moderator's,
since a spec is parsed while their command runs). A lead time's words (`str(lead)`) are too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.dates import format_date

from bot.i18n import N_, _, current, ngettext, pgettext
from bot.markup import quote

MAX_LEAD_TIMES = 6
MAX_LEAD_DAYS = 60
DEFAULT_SPEC = "7d, 1d, 0"

_UNIT_MINUTES = {"h": 60, "m": 1}
_UNIT_DAYS = {"w": 7, "d": 1}
_ENTRY_RE = re.compile(r"(?:\d+\s*[wdhm]\s*)+")
_PART_RE = re.compile(r"(\d+)\s*([wdhm])")
_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
NOT_A_DATE = N_("{typed} is not a date: write it as YYYY-MM-DD, like 2026-06-01.")
LEAD_FORM = N_("use a number followed by w, d, h or m (like 7d or 1h30m), or 0")


class LeadTimeError(ValueError):
    """A lead-time spec the moderator has to correct; the message says which part and how."""


class DateTimeError(ValueError):
    """A release date or time the moderator has to correct."""


@dataclass(frozen=True, slots=True)
class LeadTime:
    """How long before a release to post.

    Days (weeks are 7 days) and minutes (hours are 60) are kept apart because they differ across a
    daylight-saving change: days are calendar steps in the server's zone, minutes are elapsed time.
    """

    days: int = 0
    minutes: int = 0

    @property
    def seconds(self) -> int:
        """The nominal length (a day counted as 24 h), used for ordering and limits."""
        return self.days * 86_400 + self.minutes * 60

    @property
    def at_release(self) -> bool:
        return self.seconds == 0

    @property
    def key(self) -> str:
        """The compact, canonical form (`7d`, `1d12h`, `1h30m`, `0`): stored in the database and used in nonces."""
        if self.at_release:
            return "0"
        hours, minutes = divmod(self.minutes, 60)
        parts = [(self.days, "d"), (hours, "h"), (minutes, "m")]
        return "".join(f"{n}{unit}" for n, unit in parts if n)

    def __str__(self) -> str:
        """Words for people, in the current language: "1 week", "1 day 12 hours", "2 hours 30 minutes", "at
        release"."""
        if self.at_release:
            return _("at release")
        weeks, days = divmod(self.days, 7)
        hours, minutes = divmod(self.minutes, 60)
        parts = [
            ngettext("{n} week", "{n} weeks", weeks) if weeks else "",
            ngettext("{n} day", "{n} days", days) if days else "",
            ngettext("{n} hour", "{n} hours", hours) if hours else "",
            ngettext("{n} minute", "{n} minutes", minutes) if minutes else "",
        ]
        return " ".join(part for part in parts if part)


AT_RELEASE = LeadTime()


def parse_lead_time(text: str) -> LeadTime:
    """One entry such as `1d12h` or `0`; the units may come in any order, each at most once."""
    entry = text.strip().lower()
    if entry == "0":
        return AT_RELEASE
    if not _ENTRY_RE.fullmatch(entry):
        words = entry.split()
        if len(words) > 1 and all(word == "0" or _ENTRY_RE.fullmatch(word) for word in words):
            raise LeadTimeError(
                _(
                    "{typed} looks like several lead times: separate them with commas, like {example}.",
                    typed=quote(text.strip()),
                    example=", ".join(words),
                )
            )
        raise LeadTimeError(_("{typed} is not a lead time: {form}.", typed=quote(text.strip()), form=_(LEAD_FORM)))
    days = minutes = 0
    seen: set[str] = set()
    for number, unit in _PART_RE.findall(entry):
        if unit in seen:
            raise LeadTimeError(
                _(
                    "{typed} gives {unit} twice: {form}, and separate lead times with commas (7d, 1d).",
                    typed=quote(text.strip()),
                    unit=unit,
                    form=_(LEAD_FORM),
                )
            )
        seen.add(unit)
        days += int(number) * _UNIT_DAYS.get(unit, 0)
        minutes += int(number) * _UNIT_MINUTES.get(unit, 0)
    lead = LeadTime(days, minutes)
    if lead.seconds > MAX_LEAD_DAYS * 86_400:
        raise LeadTimeError(
            ngettext(
                "{typed} is too far ahead: a lead time can be at most {n} day.",
                "{typed} is too far ahead: a lead time can be at most {n} days.",
                MAX_LEAD_DAYS,
                typed=quote(text.strip()),
            )
        )
    return lead


def parse_lead_times(spec: str) -> tuple[LeadTime, ...]:
    """A comma-separated spec, longest first, without duplicates.

    Entries of the same nominal length (`1d` and `24h`) count as duplicates and the first one written
    wins, so a server never gets two posts at (nearly) the same moment.
    """
    parts = [part for part in re.split(r"[,;]", spec) if part.strip()]
    if not parts:
        raise LeadTimeError(
            _("No lead times given: write them like {example} (0 means the release moment).", example=DEFAULT_SPEC)
        )
    unique: dict[int, LeadTime] = {}
    for part in parts:
        lead = parse_lead_time(part)
        unique.setdefault(lead.seconds, lead)
    if len(unique) > MAX_LEAD_TIMES:
        raise LeadTimeError(
            _(
                "That is {count} different lead times; at most {most} are allowed. "
                "Keep the ones that matter most, like {example}.",
                count=len(unique),
                most=MAX_LEAD_TIMES,
                example=DEFAULT_SPEC,
            )
        )
    return tuple(sorted(unique.values(), key=lambda lead: -lead.seconds))


def format_lead_times(leads: Iterable[LeadTime]) -> str:
    """The spec form (`7d, 1d, 0`), which `parse_lead_times` reads back to the same tuple."""
    return ", ".join(lead.key for lead in leads)


def describe_lead_times(leads: Sequence[LeadTime]) -> str:
    """Words for `/reminders status`, in the current language: "1 week before, 1 day before and at release"."""
    words = [str(lead) if lead.at_release else _("{lead} before", lead=lead) for lead in leads]
    if not words:
        # Translators: no lead times at all ("Lead times: none"); a lead time is masculine in French (délai).
        return pgettext("lead times", "none")
    if len(words) == 1:
        return words[0]
    # Translators: the end of a list of lead times, "1 week before, 1 day before and at release".
    return _("{earlier} and {last}", earlier=", ".join(words[:-1]), last=words[-1])


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
