"""Moderator-typed lead times (`7d, 1d, 1h, 0`); a release's typed date and time are read by `bot.moments`.

A lead time is typed in the moderator's language's short units (`Units`, from the catalogue: `7j, 1j, 1h30min`
in French, `7d, 1sem` in Portuguese and Spanish), and the English `w d h m` are always understood too. What is
stored is the canonical English form (`LeadTime.key`, read back with `ENGLISH`), so a server's settings never
depend on who typed them; `format_lead_times(leads, units(...))` writes them back in a reader's units.

Every error is a `ValueError` whose message names the bad part and shows the form that works, so the
`/reminders` cog can hand it to the moderator as is: it is written in the current language (the moderator's,
since a spec is parsed while their command runs), with that language's units. A lead time's words
(`str(lead)`) are too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from functools import cache

from bot.i18n import ENGLISH, N_, Language, _, current, ngettext, pgettext
from bot.markup import quote

log = logging.getLogger(__name__)

MAX_LEAD_TIMES = 6
MAX_LEAD_DAYS = 60
DEFAULT_SPEC = "7d, 1d, 0"

_ENTRY_RE = re.compile(r"(?:\d+\s*[^\W\d_]+\s*)+")
_PART_RE = re.compile(r"(\d+)\s*([^\W\d_]+)")
_UNIT_RE = re.compile(r"[^\W\d_]{1,5}")  # what a language's unit may be: a few letters
# Translators: {units} lists your lead-time units ("w, d, h or m"); {day} and {mixed} are examples in them ("7d",
# "1h30m").
LEAD_FORM = N_("use a number followed by {units} (like {day} or {mixed}), or 0")


@dataclass(frozen=True, slots=True)
class Units:
    """The short units of lead times in one language, as moderators type them and as the bot writes them back."""

    week: str
    day: str
    hour: str
    minute: str

    def steps(self) -> dict[str, tuple[int, int]]:
        """Each unit → (days, minutes) it stands for."""
        return {self.week: (7, 0), self.day: (1, 0), self.hour: (0, 60), self.minute: (0, 1)}


ENGLISH_UNITS = Units("w", "d", "h", "m")


def units(lang: Language | None = None) -> Units:
    """The lead-time units of `lang` (default: the current language), from its catalogue; English's when the
    catalogue's are not four different short words (the tests keep that from shipping)."""
    return _units(lang or current())


@cache
def _units(lang: Language) -> Units:
    written = Units(
        # Translators: the unit of a lead time in weeks, typed right after a number ("2w"); a few letters, different
        # from your other lead-time units. English w, d, h and m are understood too.
        lang.pgettext("lead time unit: weeks", "w").casefold(),
        # Translators: the unit of a lead time in days, typed right after a number ("7d"), e.g. French "j".
        lang.pgettext("lead time unit: days", "d").casefold(),
        # Translators: the unit of a lead time in hours, typed right after a number ("1h").
        lang.pgettext("lead time unit: hours", "h").casefold(),
        # Translators: the unit of a lead time in minutes, typed right after a number ("30m"), e.g. French "min".
        lang.pgettext("lead time unit: minutes", "m").casefold(),
    )
    forms = astuple(written)
    if all(_UNIT_RE.fullmatch(form) for form in forms) and len(set(forms)) == len(forms):
        return written
    log.warning("the %s catalogue's lead-time units %s are not four different short words; using w d h m", lang, forms)
    return ENGLISH_UNITS


def _steps(lang: Language) -> dict[str, tuple[int, int]]:
    """What a moderator reading `lang` may type: its units, and the English ones where they mean nothing else."""
    return {**ENGLISH_UNITS.steps(), **units(lang).steps()}


def lead_form() -> str:
    """How to write a lead time, in the current language and its units."""
    written = units()
    return _(
        LEAD_FORM,
        units=current().join(astuple(written), "or"),
        day=LeadTime(days=7).short(written),
        mixed=LeadTime(minutes=90).short(written),
    )


def default_example() -> str:
    """The default spec (`7d, 1d, 0`) in the current language's units."""
    return format_lead_times(parse_lead_times(DEFAULT_SPEC, ENGLISH), units())


class LeadTimeError(ValueError):
    """A lead-time spec the moderator has to correct; the message says which part and how."""


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
        return self.short(ENGLISH_UNITS)

    def short(self, written: Units) -> str:
        """The compact form in a language's units (`7j`, `1j12h`, `1h30min` in French), which it parses back."""
        if self.at_release:
            return "0"
        hours, minutes = divmod(self.minutes, 60)
        parts = [(self.days, written.day), (hours, written.hour), (minutes, written.minute)]
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


def parse_lead_time(text: str, lang: Language | None = None) -> LeadTime:
    """One entry such as `1d12h` or `0`, in the units of `lang` (default: the current language) or English's; the
    units may come in any order, each at most once."""
    steps = _steps(lang or current())
    entry = text.strip().casefold()
    if entry == "0":
        return AT_RELEASE
    parts = _PART_RE.findall(entry) if _ENTRY_RE.fullmatch(entry) else []
    if not parts or any(unit not in steps for _number, unit in parts):
        words = entry.split()
        if len(words) > 1 and all(word == "0" or _is_entry(word, steps) for word in words):
            raise LeadTimeError(
                _(
                    "{typed} looks like several lead times: separate them with commas, like {example}.",
                    typed=quote(text.strip()),
                    example=", ".join(words),
                )
            )
        raise LeadTimeError(_("{typed} is not a lead time: {form}.", typed=quote(text.strip()), form=lead_form()))
    days = minutes = 0
    seen: set[tuple[int, int]] = set()
    for number, unit in parts:
        if steps[unit] in seen:
            raise LeadTimeError(
                _(
                    "{typed} gives {unit} twice: {form}, and separate lead times with commas ({example}).",
                    typed=quote(text.strip()),
                    unit=unit,
                    form=lead_form(),
                    example=", ".join(LeadTime(days=n).short(units()) for n in (7, 1)),
                )
            )
        seen.add(steps[unit])
        days += int(number) * steps[unit][0]
        minutes += int(number) * steps[unit][1]
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


def _is_entry(word: str, steps: dict[str, tuple[int, int]]) -> bool:
    return bool(_ENTRY_RE.fullmatch(word)) and all(unit in steps for _number, unit in _PART_RE.findall(word))


def parse_lead_times(spec: str, lang: Language | None = None) -> tuple[LeadTime, ...]:
    """A comma-separated spec, longest first, without duplicates, in the units of `lang` (default: the current
    language) or English's; what is stored is read with `ENGLISH`.

    Entries of the same nominal length (`1d` and `24h`) count as duplicates and the first one written
    wins, so a server never gets two posts at (nearly) the same moment.
    """
    parts = [part for part in re.split(r"[,;]", spec) if part.strip()]
    if not parts:
        raise LeadTimeError(
            _("No lead times given: write them like {example} (0 means the release moment).", example=default_example())
        )
    unique: dict[int, LeadTime] = {}
    for part in parts:
        lead = parse_lead_time(part, lang)
        unique.setdefault(lead.seconds, lead)
    if len(unique) > MAX_LEAD_TIMES:
        raise LeadTimeError(
            _(
                "That is {count} different lead times; at most {most} are allowed. "
                "Keep the ones that matter most, like {example}.",
                count=len(unique),
                most=MAX_LEAD_TIMES,
                example=default_example(),
            )
        )
    return tuple(sorted(unique.values(), key=lambda lead: -lead.seconds))


def format_lead_times(leads: Iterable[LeadTime], written: Units = ENGLISH_UNITS) -> str:
    """The spec form (`7d, 1d, 0`; in a language's units with `written`), which `parse_lead_times` reads back to
    the same tuple in that language."""
    return ", ".join(lead.short(written) for lead in leads)


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
