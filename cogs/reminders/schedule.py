"""When reminders are due, whether a missed one is still worth posting, and which release comes next.

Everything here is pure: instants are UTC epoch seconds, zones are IANA names resolved with `zoneinfo`,
and "now" is always a parameter, so the dispatcher, `/reminders status` and the tests share one clock rule.
A release's own instant, and how a wall-clock time in a gap or a repeat is read, are `bot.moments`' (parties
place their releases by the same rules).

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
from bot.delivery import DEFAULT_GRACE_S, ON_TIME_S
from bot.i18n import ENGLISH, using
from bot.moments import PlanError, local_instant, release_epoch
from bot.when import When
from cogs.reminders.timeparse import LeadTime


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
