"""When a release comes out, as every place that shows it writes it: the one formatter of a release's moment.

A release with a time comes out at one instant: it is shown with Discord's timestamps, which each reader's client
writes in their own zone and language. A release with a date and no time comes out on a day, not at an instant, so
it is shown as that date, written in the reader's language and the same for every reader: a timestamp of the
server's midnight would show a reader west of the server the evening before. Its countdown counts days from that
date, in the server's zone ("today", "tomorrow", "in 3 days"), never a reader-relative timestamp.

Only how it is shown differs: a date-only release is still scheduled at 00:00 in the server's zone (`epoch`), and
its reminders are due from that instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.catalogue import Release
from bot.i18n import _, current, ngettext
from bot.markup import discord_timestamp


@dataclass(frozen=True, slots=True)
class When:
    """A release's moment: `epoch` the instant it is scheduled at (UTC epoch seconds), `day` its date when it has
    no time of its own (then it is shown as that date)."""

    epoch: int
    day: dt.date | None = None

    @classmethod
    def of(cls, release: Release, epoch: int) -> When:
        """`release`'s moment, scheduled at `epoch`; date-only when the release has a date and no time."""
        return cls(epoch, release.date if release.time is None else None)

    def text(self) -> str:
        """'Tue 1 June 2027' (in the current language) for a date, a full Discord timestamp for a time."""
        return current().date(self.day) if self.day is not None else discord_timestamp(self.epoch, "F")

    def countdown(self, now: int, zone: ZoneInfo) -> str:
        """How far away it is at `now`: days to the date as the calendar of `zone` counts them, or a relative
        Discord timestamp for a time (which stays true whenever it is read)."""
        if self.day is None:
            return discord_timestamp(self.epoch, "R")
        return days_away(self.day, dt.datetime.fromtimestamp(now, zone).date())

    def plain(self) -> str:
        """For the operator's terminal, which renders no timestamps: `2027-06-01`, or `2027-06-01 20:00 UTC`."""
        if self.day is not None:
            return self.day.isoformat()
        return dt.datetime.fromtimestamp(self.epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def days_away(day: dt.date, today: dt.date) -> str:
    """'today', 'tomorrow', 'in 3 days', 'yesterday', '3 days ago': a date seen from `today`, in the current
    language."""
    days = (day - today).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in {n} day", "in {n} days", days)
    return ngettext("{n} day ago", "{n} days ago", -days)
