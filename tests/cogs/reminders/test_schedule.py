"""Due times in each server's zone across daylight-saving changes, the downtime policy, releases, zones."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import Catalogue, Confidence, Release
from bot.delivery import DEFAULT_GRACE_S
from bot.moments import ScheduleError, future_release_epoch, local_instant, release_epoch
from cogs.reminders.schedule import (
    Action,
    Decision,
    Due,
    decide,
    due_epoch,
    moment,
    next_release,
    reminder_plan,
    upcoming,
)
from cogs.reminders.timeparse import AT_RELEASE, LeadTime, parse_lead_time, parse_lead_times

TORONTO = ZoneInfo("America/Toronto")
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
HOUR = 3600
DAY = 24 * HOUR


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp())


def release(
    day: dt.date | None,
    time: dt.time | None = None,
    zone: str | None = None,
    *,
    ident: str = "r",
) -> Release:
    return Release(
        id=ident,
        title="A release",
        kind="release",
        date=day,
        time=time,
        zone=zone,
        link=None,
        description=None,
        status=None,
        confidence=Confidence.SINGLE,
        sources=(),
    )


# -- local instants: gaps and repeats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "time", "expected"),
    [
        # Toronto springs forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist, 03:00 EDT is next.
        (TORONTO, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7)),
        (TORONTO, dt.date(2026, 3, 8), dt.time(2, 0), utc(2026, 3, 8, 7)),
        (TORONTO, dt.date(2026, 3, 8), dt.time(1, 59), utc(2026, 3, 8, 6, 59)),
        (TORONTO, dt.date(2026, 3, 8), dt.time(3, 0), utc(2026, 3, 8, 7)),
        # Toronto falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice, the first (EDT) counts.
        (TORONTO, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
        (TORONTO, dt.date(2026, 11, 1), dt.time(2, 0), utc(2026, 11, 1, 7)),
        # London springs forward 2026-03-29 01:00 GMT -> 02:00 BST, and falls back 2026-10-25 02:00 -> 01:00.
        (LONDON, dt.date(2026, 3, 29), dt.time(1, 15), utc(2026, 3, 29, 1)),
        (LONDON, dt.date(2026, 10, 25), dt.time(1, 15), utc(2026, 10, 25, 0, 15)),
        # Lord Howe's change is 30 minutes; Santiago's skips midnight itself.
        (ZoneInfo("Australia/Lord_Howe"), dt.date(2026, 10, 4), dt.time(2, 10), utc(2026, 10, 3, 15, 30)),
        (ZoneInfo("America/Santiago"), dt.date(2026, 9, 6), dt.time(0, 0), utc(2026, 9, 6, 4)),
    ],
)
def test_local_instant_resolves_gaps_forward_and_repeats_to_the_first(
    zone: ZoneInfo, day: dt.date, time: dt.time, expected: int
) -> None:
    instant = local_instant(day, time, zone)
    assert instant.utcoffset() == dt.timedelta(0)
    assert int(instant.timestamp()) == expected


# -- due times across daylight-saving changes --------------------------------------------------------------------
# For each change: a midnight release on the day after it (the 1d step crosses the change), one on the day of
# it (before the change: an ordinary day), and a timed release just after it (the 1h step crosses it).


@pytest.mark.parametrize(
    ("zone", "day", "time", "lead", "expected", "hours_before"),
    [
        # Toronto, March: 2026-03-08 02:00 EST -> 03:00 EDT.
        (TORONTO, dt.date(2026, 3, 9), None, "1d", utc(2026, 3, 8, 5), 23),  # previous local midnight (EST)
        (TORONTO, dt.date(2026, 3, 9), None, "1h", utc(2026, 3, 9, 3), 1),  # 23:00 EDT
        (TORONTO, dt.date(2026, 3, 8), None, "1d", utc(2026, 3, 7, 5), 24),
        (TORONTO, dt.date(2026, 3, 8), None, "1h", utc(2026, 3, 8, 4), 1),
        (TORONTO, dt.date(2026, 3, 8), dt.time(3, 30), "1h", utc(2026, 3, 8, 6, 30), 1),  # 01:30 EST
        (TORONTO, dt.date(2026, 3, 8), dt.time(3, 30), "1d", utc(2026, 3, 7, 8, 30), 23),  # 03:30 EST
        (TORONTO, dt.date(2026, 3, 9), dt.time(2, 30), "1d", utc(2026, 3, 8, 7), 23.5),  # 02:30 skipped -> 03:00
        (TORONTO, dt.date(2026, 3, 15), None, "1w", utc(2026, 3, 8, 5), 7 * 24 - 1),
        # Toronto, November (it changes in November, not October): 2026-11-01 02:00 EDT -> 01:00 EST.
        (TORONTO, dt.date(2026, 11, 2), None, "1d", utc(2026, 11, 1, 4), 25),  # previous local midnight (EDT)
        (TORONTO, dt.date(2026, 11, 2), None, "1h", utc(2026, 11, 2, 4), 1),  # 23:00 EST
        (TORONTO, dt.date(2026, 11, 1), None, "1d", utc(2026, 10, 31, 4), 24),
        (TORONTO, dt.date(2026, 11, 1), dt.time(3, 0), "1h", utc(2026, 11, 1, 7), 1),  # 02:00 EST
        (TORONTO, dt.date(2026, 11, 1), dt.time(3, 0), "1d", utc(2026, 10, 31, 7), 25),
        (TORONTO, dt.date(2026, 11, 2), dt.time(1, 30), "1d", utc(2026, 11, 1, 5, 30), 25),  # first 01:30
        (TORONTO, dt.date(2026, 11, 2), None, "1d12h", utc(2026, 10, 31, 16), 37),  # calendar day, then 12 h
        # London, March: 2026-03-29 01:00 GMT -> 02:00 BST.
        (LONDON, dt.date(2026, 3, 30), None, "1d", utc(2026, 3, 29, 0), 23),
        (LONDON, dt.date(2026, 3, 30), None, "1h", utc(2026, 3, 29, 22), 1),  # 23:00 BST
        (LONDON, dt.date(2026, 3, 29), None, "1d", utc(2026, 3, 28, 0), 24),
        (LONDON, dt.date(2026, 3, 29), dt.time(2, 30), "1h", utc(2026, 3, 29, 0, 30), 1),  # 00:30 GMT
        (LONDON, dt.date(2026, 3, 29), dt.time(2, 30), "1d", utc(2026, 3, 28, 2, 30), 23),
        # London, October: 2026-10-25 02:00 BST -> 01:00 GMT.
        (LONDON, dt.date(2026, 10, 26), None, "1d", utc(2026, 10, 24, 23), 25),  # previous local midnight (BST)
        (LONDON, dt.date(2026, 10, 26), None, "1h", utc(2026, 10, 25, 23), 1),  # 23:00 GMT
        (LONDON, dt.date(2026, 10, 25), None, "1d", utc(2026, 10, 23, 23), 24),
        (LONDON, dt.date(2026, 10, 25), dt.time(2, 30), "1h", utc(2026, 10, 25, 1, 30), 1),  # 01:30 GMT
        (LONDON, dt.date(2026, 10, 25), dt.time(2, 30), "1d", utc(2026, 10, 24, 1, 30), 25),
        (LONDON, dt.date(2026, 10, 25), dt.time(2, 30), "90m", utc(2026, 10, 25, 1), 1.5),  # the repeated 01:00
    ],
)
def test_due_times_across_daylight_saving_changes(
    zone: ZoneInfo, day: dt.date, time: dt.time | None, lead: str, expected: int, hours_before: float
) -> None:
    at = release_epoch(release(day, time), zone)
    assert at is not None
    assert due_epoch(at, parse_lead_time(lead), zone) == expected
    assert at - expected == hours_before * HOUR


def test_day_leads_keep_the_wall_clock_time_in_the_servers_zone() -> None:
    """A release in New York at 09:00 EDT is 14:00 in London; 1d before is 14:00 the day before, in GMT."""
    timed = release(dt.date(2026, 3, 29), dt.time(9, 0), "America/New_York")
    at = release_epoch(timed, LONDON)
    assert at == utc(2026, 3, 29, 13)
    assert due_epoch(at, parse_lead_time("1d"), LONDON) == utc(2026, 3, 28, 14)
    assert due_epoch(at, parse_lead_time("1d"), TORONTO) == utc(2026, 3, 28, 13)


def test_a_date_only_release_is_local_midnight_in_the_servers_zone() -> None:
    album = release(dt.date(2026, 1, 16))
    assert release_epoch(album, TORONTO) == utc(2026, 1, 16, 5)
    assert release_epoch(album, LONDON) == utc(2026, 1, 16, 0)
    assert release_epoch(album, ZoneInfo("Asia/Tokyo")) == utc(2026, 1, 15, 15)
    assert release_epoch(release(None), TORONTO) is None


def test_a_release_with_its_own_zone_is_the_same_instant_everywhere() -> None:
    party = release(dt.date(2026, 6, 1), dt.time(20, 0), "America/Toronto")
    assert release_epoch(party, LONDON) == release_epoch(party, TORONTO) == utc(2026, 6, 2, 0)


def test_reminder_plan_is_in_due_order() -> None:
    plan = reminder_plan(release(dt.date(2026, 3, 9)), parse_lead_times("7d, 1d, 23h30m, 0"), TORONTO)
    # Across the spring change "1d" (23 h elapsed) is due after "23h30m".
    assert plan == (
        Due(LeadTime(days=7), utc(2026, 3, 2, 5)),
        Due(LeadTime(minutes=23 * 60 + 30), utc(2026, 3, 8, 4, 30)),
        Due(LeadTime(days=1), utc(2026, 3, 8, 5)),
        Due(AT_RELEASE, utc(2026, 3, 9, 4)),
    )
    assert reminder_plan(release(None), parse_lead_times("7d, 0"), TORONTO) == ()


zones = st.sampled_from(
    [TORONTO, LONDON, UTC, ZoneInfo("America/Santiago"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Beirut")]
)
days = st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))


@given(zones, days, st.integers(1, 60))
def test_day_leads_land_on_local_midnight(zone: ZoneInfo, day: dt.date, count: int) -> None:
    at = release_epoch(release(day), zone)
    assert at is not None
    posted = dt.datetime.fromtimestamp(due_epoch(at, LeadTime(days=count), zone, wall=dt.time(0, 0)), zone)
    expected = day - dt.timedelta(days=count)
    if (posted.date(), posted.time()) != (expected, dt.time(0, 0)):  # only where midnight itself was skipped
        assert posted.date() == expected
        assert dt.datetime.fromtimestamp(int(posted.timestamp()) - 1, zone).date() == expected - dt.timedelta(days=1)


@given(zones, days, st.times(), st.integers(0, 60 * 24 * 60))
def test_minute_leads_are_elapsed_time(zone: ZoneInfo, day: dt.date, time: dt.time, minutes: int) -> None:
    at = release_epoch(release(day, time.replace(second=0, microsecond=0)), zone)
    assert at is not None
    assert at - due_epoch(at, LeadTime(minutes=minutes), zone) == minutes * 60


@given(zones, days, st.times())
def test_local_instant_reads_back_as_the_wall_time_or_just_after_a_gap(
    zone: ZoneInfo, day: dt.date, time: dt.time
) -> None:
    wall = dt.datetime.combine(day, time)
    back = local_instant(day, time, zone).astimezone(zone).replace(tzinfo=None)
    assert dt.timedelta(0) <= back - wall < dt.timedelta(hours=1)


# -- downtime policy ------------------------------------------------------------------------------------------

RELEASE_AT = utc(2026, 6, 1)
WEEK = LeadTime(days=7)


@pytest.mark.parametrize(
    ("due_at", "lead", "now", "next_due", "expected"),
    [
        (RELEASE_AT, AT_RELEASE, RELEASE_AT - 1, None, Decision(Action.WAIT)),
        (RELEASE_AT, AT_RELEASE, RELEASE_AT, None, Decision(Action.POST)),
        (RELEASE_AT, AT_RELEASE, RELEASE_AT + 600, None, Decision(Action.POST)),
        (RELEASE_AT, AT_RELEASE, RELEASE_AT + 601, None, Decision(Action.POST_LATE)),
        (RELEASE_AT, AT_RELEASE, RELEASE_AT + 12 * HOUR, None, Decision(Action.POST_LATE)),
        (
            RELEASE_AT,
            AT_RELEASE,
            RELEASE_AT + 13 * HOUR,
            None,
            Decision(Action.SKIP, "the release-moment post was 13 hours late, more than the 12 hours grace period"),
        ),
        (RELEASE_AT - 7 * DAY, WEEK, RELEASE_AT - 7 * DAY - 1, None, Decision(Action.WAIT)),
        (RELEASE_AT - 7 * DAY, WEEK, RELEASE_AT - 7 * DAY + 5, RELEASE_AT - DAY, Decision(Action.POST)),
        (RELEASE_AT - 7 * DAY, WEEK, RELEASE_AT - 7 * DAY + 11 * HOUR, RELEASE_AT - DAY, Decision(Action.POST)),
        (
            RELEASE_AT - 7 * DAY,
            WEEK,
            RELEASE_AT - 6 * DAY,
            RELEASE_AT - DAY,
            Decision(Action.SKIP, "the 1 week reminder was 24 hours late, more than the 12 hours grace period"),
        ),
        (
            RELEASE_AT - HOUR,
            LeadTime(minutes=60),
            RELEASE_AT + 60,
            RELEASE_AT,
            Decision(Action.SKIP, "the 1 hour reminder was missed and the release has come out since"),
        ),
        (
            RELEASE_AT - 6 * HOUR,
            LeadTime(minutes=360),
            RELEASE_AT - 30 * 60,
            RELEASE_AT - HOUR,
            Decision(Action.SKIP, "the 6 hours reminder was missed and a later reminder replaces it"),
        ),
        (RELEASE_AT - 6 * HOUR, LeadTime(minutes=360), RELEASE_AT - 2 * HOUR, RELEASE_AT - HOUR, Decision(Action.POST)),
    ],
)
def test_downtime_policy(due_at: int, lead: LeadTime, now: int, next_due: int | None, expected: Decision) -> None:
    assert decide(due_at, RELEASE_AT, lead, now, next_due=next_due) == expected


def test_grace_period_is_adjustable() -> None:
    assert DEFAULT_GRACE_S == 12 * HOUR
    late = RELEASE_AT + 2 * HOUR
    assert decide(RELEASE_AT, RELEASE_AT, AT_RELEASE, late, grace_s=HOUR) == Decision(
        Action.SKIP, "the release-moment post was 2 hours late, more than the 1 hour grace period"
    )
    assert decide(RELEASE_AT, RELEASE_AT, AT_RELEASE, RELEASE_AT + 30 * 60 + 59, grace_s=20 * 60) == Decision(
        Action.SKIP, "the release-moment post was 30 minutes late, more than the 20 minutes grace period"
    )


# -- releases: upcoming, countdown, new ones ----------------------------------------------------------------------


def test_upcoming_lists_dated_releases_soonest_first_then_undated() -> None:
    later = release(dt.date(2027, 6, 1), ident="later")
    sooner = release(dt.date(2026, 7, 1), dt.time(18, 0), ident="sooner")
    past = release(dt.date(2026, 1, 16), ident="past")
    undated = release(None, ident="undated")
    now = utc(2026, 3, 1)
    listed = upcoming([undated, later, past, sooner], TORONTO, now)
    assert [(m.release.id, m.epoch) for m in listed] == [
        ("sooner", utc(2026, 7, 1, 22)),
        ("later", utc(2027, 6, 1, 4)),
        ("undated", None),
    ]
    assert next_release([undated, later, past, sooner], TORONTO, now) == listed[0]
    assert next_release([undated, past], TORONTO, now) is None


def test_countdown_to_a_release_already_out() -> None:
    out = moment(release(dt.date(2026, 1, 16)), LONDON)
    assert out.epoch == utc(2026, 1, 16)
    assert out.is_out(utc(2026, 1, 16))
    assert not out.is_out(utc(2026, 1, 15, 23, 59))
    assert not moment(release(None), LONDON).is_out(utc(2030, 1, 1))


def test_upcoming_from_the_bundled_catalogue(catalogue: Catalogue) -> None:
    listed = upcoming(catalogue.releases, TORONTO, utc(2026, 2, 1))
    dated = [m for m in listed if m.epoch is not None]
    assert [m.release.id for m in dated] == ["unrivaled-book"]
    assert {m.release.id for m in listed if m.epoch is None} == {"album-cd", "album-vinyl", "season-2"}


def test_a_new_release_must_be_in_the_future() -> None:
    now = utc(2026, 6, 1, 12)
    assert future_release_epoch(dt.date(2026, 6, 1), dt.time(20, 0), TORONTO, now) == utc(2026, 6, 2, 0)
    with pytest.raises(ScheduleError) as error:
        future_release_epoch(dt.date(2026, 6, 1), None, TORONTO, now)
    assert str(error.value) == (
        "2026-06-01 (America/Toronto) has already passed: give a date (and time) in the future, "
        "or set the server's time zone first with /reminders timezone."
    )
    with pytest.raises(ScheduleError, match=r"^2026-06-01 08:00 \(America/Toronto\) has already passed"):
        future_release_epoch(dt.date(2026, 6, 1), dt.time(8, 0), TORONTO, now)


def test_a_new_release_may_be_at_most_ten_years_ahead() -> None:
    now = utc(2026, 12, 4, 12)
    assert future_release_epoch(dt.date(2036, 12, 4), None, TORONTO, now) > now
    for day, time in ((dt.date(2036, 12, 5), None), (dt.date(9999, 12, 31), dt.time(23, 0))):
        with pytest.raises(ScheduleError) as error:
            future_release_epoch(day, time, ZoneInfo("America/Los_Angeles"), now)
        assert "at most 10 years away, on 2036-12-04 at the latest" in str(error.value)
    with pytest.raises(ScheduleError, match="has already passed"):  # it used to overflow before year 1 UTC
        future_release_epoch(dt.date(1, 1, 1), None, ZoneInfo("Asia/Tokyo"), now)


ZONES = sorted(available_timezones() - {"Factory", "localtime"})


@given(
    day=st.dates(),
    time=st.none() | st.times(),
    zone=st.sampled_from(ZONES),
    later=st.sampled_from(ZONES),
    now=st.integers(utc(2000, 1, 1), utc(2100, 1, 1)),
)
def test_any_typed_date_is_planned_or_refused_and_stays_plannable_in_any_zone(
    day: dt.date, time: dt.time | None, zone: str, later: str, now: int
) -> None:
    """Kind: dates a moderator types. Every date either gets a future instant or a `ScheduleError` (never an
    overflow), and an accepted one can be planned in every zone the server may switch to later."""
    try:
        epoch = future_release_epoch(day, time, ZoneInfo(zone), now)
    except ScheduleError:
        return
    assert epoch > now
    stored = release(day, time=time)
    assert reminder_plan(stored, [LeadTime(days=60), AT_RELEASE], ZoneInfo(later))


def test_the_reminder_core_does_not_import_discord() -> None:
    """The scheduling rules must stay usable (and testable) without discord.py, e.g. in `python -m bot check`."""
    modules = (
        "cogs.reminders.schedule, cogs.reminders.templates, cogs.reminders.timeparse, cogs.reminders.posts, "
        "cogs.reminders.zones"
    )
    code = f"import sys, {modules}; print('discord' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_day_lead_before_a_skipped_midnight_is_the_previous_midnight() -> None:
    """Beirut skipped 2024-03-31 00:00; the release moves to 01:00 but "1d before" is still 30 March 00:00."""
    beirut = ZoneInfo("Asia/Beirut")
    plan = reminder_plan(release(dt.date(2024, 3, 31)), [LeadTime(days=1), AT_RELEASE], beirut)
    local = [dt.datetime.fromtimestamp(d.due, beirut) for d in plan]
    assert [(t.date(), t.time()) for t in local] == [
        (dt.date(2024, 3, 30), dt.time(0, 0)),
        (dt.date(2024, 3, 31), dt.time(1, 0)),
    ]
