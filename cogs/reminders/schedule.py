"""When reminders are due, whether a missed one is still worth posting, and which release comes next.

Everything here is pure: instants are UTC epoch seconds, zones are IANA names resolved with `zoneinfo`,
and "now" is always a parameter, so the dispatcher, `/reminders status` and the tests share one clock rule.

Local times that a daylight-saving change skips or repeats are resolved the same way everywhere:
- a time in the spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) becomes the first
  instant that exists after it, the moment of the jump (03:00 new time);
- a time that occurs twice when clocks fall back means its first occurrence (`fold=0`, the earlier instant).

A refusal is written in the moderator's language; a reason stored in the database (`Decision.reason`, a post's
skip detail) is written in English, as every stored reason is (see `cogs.reminders.status`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.catalogue import Release
from bot.i18n import ENGLISH, Text, _, _l, text, using
from bot.markup import literal
from bot.refusal import Refusal
from bot.when import When
from cogs.reminders.timeparse import LeadTime

DEFAULT_ZONE = "UTC"
DEFAULT_GRACE_S = 12 * 3600
HORIZON_YEARS = 10  # how far ahead a server's own release may be (see `future_release_epoch`)
ON_TIME_S = 10 * 60  # a post this close to its due time is "on time": dispatch, retries and rate limits take a while


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


def due_epoch(release_at: int, lead: LeadTime, server_zone: ZoneInfo, *, wall: dt.time | None = None) -> int:
    """When the post for `lead` is due.

    Days and weeks are calendar steps on the server's wall clock (1d before a midnight release is the
    previous local midnight, 23 or 25 hours earlier across a daylight-saving change); hours and minutes
    are then subtracted as elapsed time. A wall time the step lands on that is skipped or repeated is
    resolved as the module says. `wall` is the time of day the release was set for, when a gap moved
    the release itself (a midnight that did not exist): the steps keep that intended time of day.
    """
    instant = dt.datetime.fromtimestamp(release_at, server_zone)
    if lead.days:
        stepped = instant.date() - dt.timedelta(days=lead.days)
        instant = local_instant(stepped, wall or instant.time(), server_zone)
    return int(instant.timestamp()) - lead.minutes * 60


@dataclass(frozen=True, slots=True)
class Due:
    """One post to make: the identity the dispatcher stores and the instant it is due."""

    lead: LeadTime
    due: int


def reminder_plan(release: Release, leads: Sequence[LeadTime], server_zone: ZoneInfo) -> tuple[Due, ...]:
    """Every post a release gets in a server, earliest first; none when its date is not announced.

    Raises `PlanError` when the release or one of its posts falls outside the calendar.
    """
    release_at = release_epoch(release, server_zone)
    if release_at is None:
        return ()
    on_server_clock = release.zone is None or release.zone == server_zone.key
    wall = (release.time or dt.time(0, 0)) if on_server_clock else None
    try:
        dues = [Due(lead, due_epoch(release_at, lead, server_zone, wall=wall)) for lead in leads]
    except (OverflowError, ValueError) as error:  # past year 9999 or before year 1
        raise PlanError(release, server_zone.key) from error
    return tuple(sorted(dues, key=lambda d: d.due))


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


# -- downtime policy ------------------------------------------------------------------------------------------


class Action(StrEnum):
    WAIT = "wait"  # not due yet
    POST = "post"  # on time, or late but still meaningful
    POST_LATE = "post-late"  # the release-moment post, late: it says the release "came out …"
    SKIP = "skip"  # recorded as skipped, with the reason, never posted


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str | None = None


def decide(
    due: int,
    release_at: int,
    lead: LeadTime,
    now: int,
    *,
    grace_s: int = DEFAULT_GRACE_S,
    next_due: int | None = None,
) -> Decision:
    """What to do with a post whose due time may have passed while the bot was down.

    A countdown post is only worth making before the release, within the grace period, and while the next
    shorter lead time's post (`next_due`) is not due yet, so a restart never posts a burst of stale
    countdowns. The release-moment post stays worth making for the grace period, marked as late.

    The reason of a skip is stored with the post, so it is written in English whatever the caller's language.
    """
    with using(ENGLISH):
        return _decide(due, release_at, lead, now, grace_s, next_due)


def _decide(due: int, release_at: int, lead: LeadTime, now: int, grace_s: int, next_due: int | None) -> Decision:
    if now < due:
        return Decision(Action.WAIT)
    late = now - due
    if lead.at_release:
        if late <= ON_TIME_S:
            return Decision(Action.POST)
        if late <= grace_s:
            return Decision(Action.POST_LATE)
        return Decision(
            Action.SKIP, f"the release-moment post was {_span(late)} late, more than the {_span(grace_s)} grace period"
        )
    if now >= release_at:
        return Decision(Action.SKIP, f"the {lead} reminder was missed and the release has come out since")
    if next_due is not None and now >= next_due:
        return Decision(Action.SKIP, f"the {lead} reminder was missed and a later reminder replaces it")
    if late > grace_s:
        return Decision(
            Action.SKIP, f"the {lead} reminder was {_span(late)} late, more than the {_span(grace_s)} grace period"
        )
    return Decision(Action.POST)


def _span(seconds: int) -> str:
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = seconds // 3600
    return f"{hours} hour{'s' if hours != 1 else ''}"


# -- /releases upcoming and countdown -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """A release with its instant in a server (`epoch is None`: date not announced)."""

    release: Release
    epoch: int | None

    def is_out(self, now: int) -> bool:
        return self.epoch is not None and self.epoch <= now

    @property
    def when(self) -> When | None:
        """How the moment is shown (`bot.when`); None when the date is not announced."""
        return None if self.epoch is None else When.of(self.release, self.epoch)


def moment(release: Release, server_zone: ZoneInfo) -> Moment:
    return Moment(release, release_epoch(release, server_zone))


def upcoming(releases: Iterable[Release], server_zone: ZoneInfo, now: int) -> list[Moment]:
    """Releases still ahead, soonest first, then the ones whose date is not announced, in catalogue order."""
    moments = [moment(release, server_zone) for release in releases]
    dated = sorted((m for m in moments if m.epoch is not None and m.epoch > now), key=lambda m: m.epoch or 0)
    return dated + [m for m in moments if m.epoch is None]


def next_release(releases: Iterable[Release], server_zone: ZoneInfo, now: int) -> Moment | None:
    """The next release that has a date, for `/releases countdown` without an argument."""
    return next((m for m in upcoming(releases, server_zone, now) if m.epoch is not None), None)
