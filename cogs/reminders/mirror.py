"""Which native Discord Scheduled Event each release should have, and what to do to get there; no Discord here.

`/reminders events on` mirrors every dated release a server is reminded of (the catalogue's and its own)
as an *external* Guild Scheduled Event, so fans can click "Interested" and Discord itself notifies them.
`wanted` says what each event should show; `steps` compares that with what the bot last sent (the
`reminder_events` rows) and lists the calls to make. `events.py` makes them, and `edit` picks what an edit sends.

A moderator may rename the bot's event or put their stream link in its location: a field changed by hand belongs
to them. An edit sends only what the release itself changed since the bot last wrote the event, compared with what
the bot last sent (not with what it would send today), and never a field Discord no longer shows as the bot left it.

Discord's rules (Guild Scheduled Event object, "Create Guild Scheduled Event"): an external event needs
`entity_metadata.location` (1–100 characters) and `scheduled_end_time`; the name is 1–100 characters, the
description at most 1,000; the start must be in the future when the event is created or moved.

An event is public: its words ("Source:", the own-release line, "Online") are written in the current language,
which `events.py` sets to the server's; its name is the release's title, never translated.

Discord's events have a start time, so a release with a date and no time starts at midnight in the server's zone
(when its reminders are planned from); its description says so, with the date as `bot.when` writes it, since
Discord shows that midnight in each member's own zone, the evening before for members west of the server.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.catalogue import Release
from bot.i18n import N_, _, text
from bot.markup import clamp
from bot.moments import release_epoch
from bot.releases import Origin
from bot.when import When

NAME_LIMIT = 100
LOCATION_LIMIT = 100
DESCRIPTION_LIMIT = 1000
DURATION_S = 3600  # a release has no end of its own: its event lasts an hour
START_MARGIN_S = 120  # an event is created or moved only if it starts at least this far ahead (Discord: "future")
# Translators: the location of a native Discord event whose release has no short link.
ONLINE = N_("Online")
OWN_SOURCE = N_("Added by this server's moderators with /reminders add-release.")
PARTY_SOURCE = N_("A listening party of this server: the album track by track, together. /party now says what plays.")
# Translators: the first line of a native event for a release with a date and no time; {zone} is an IANA zone name.
DATE_ONLY = N_(
    "Out on {date}. No time is announced: the time shown is midnight in this server's time zone ({zone}), the "
    "moment its reminders count from."
)


class EventState(StrEnum):
    """A `reminder_events` row's state; see migration 0005 for what each means."""

    CREATING = "creating"
    LIVE = "live"
    CANCELLING = "cancelling"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class EventShape:
    """What a release's event shows on Discord (UTC epoch seconds; lengths within Discord's limits).

    An event in a channel (`channel_id`: a voice or stage event, where the release happens) is placed there and
    not at `location`, which is then what it falls back to should it become external (`events.py` decides)."""

    name: str
    start_at: int
    end_at: int
    location: str
    description: str
    channel_id: int | None = None

    @property
    def place(self) -> str | int:
        """Where fans go: its channel, else its location (what the LOCATION field compares)."""
        return self.location if self.channel_id is None else self.channel_id


@dataclass(frozen=True, slots=True)
class MirroredEvent:
    """A `reminder_events` row: the event the bot made for a release, as last sent to Discord."""

    guild_id: int
    release_id: str
    event_id: int | None
    shape: EventShape
    state: EventState


class Step(StrEnum):
    CREATE = "create"  # no event yet (or a create a crash interrupted: look for it first)
    EDIT = "edit"  # the release moved or changed
    CANCEL = "cancel"  # the release is gone or undated, or the mirror is off
    FORGET = "forget"  # the row has nothing left to do on Discord (a start already past)


# Cancellations first, each freeing one of Discord's 100 places for upcoming events; creates last, so Discord's
# limit (which refuses only creates) never stops an edit or a cancellation queued behind it.
_ORDER = {Step.FORGET: 0, Step.CANCEL: 0, Step.EDIT: 1, Step.CREATE: 2}


class Field(StrEnum):
    """What a moderator can change by hand on an event. The time is one field: a start from the release and an end
    from the moderator could end the event before it starts."""

    NAME = "name"
    TIME = "time"
    LOCATION = "location"
    DESCRIPTION = "description"


@dataclass(frozen=True, slots=True)
class Action:
    step: Step
    release_id: str
    shape: EventShape | None  # what to create or edit to; None for CANCEL and FORGET
    row: MirroredEvent | None  # the stored row, None for a first CREATE


def shape_of(release: Release, start_at: int, zone: ZoneInfo) -> EventShape:
    """The event for `release` starting at `start_at` (planned in the server's `zone`): its link as the location
        when it fits, else "Online" (the link then leads the description), and its text with its source (catalogue) or
        its origin (own); a date-only release's text first says which day it is and that the time shown is midnight. A
    release that happens in a channel (a listening party's voice or stage channel) gets its event there."""
    link = release.link
    location = link if link and len(link) <= LOCATION_LIMIT else _(ONLINE)
    source = "; ".join(f"{s.name}: {s.url}" for s in release.sources[:2])
    day = When.of(release, start_at)
    lines = [
        *([_(DATE_ONLY, date=day.text(), zone=release.zone or zone.key)] if day.day is not None else []),
        *([link] if link and location != link else []),
        *([release.description] if release.description else []),
        _("Source: {source}", source=source)
        if source
        else _(PARTY_SOURCE if release.kind == Origin.PARTY else OWN_SOURCE),
    ]
    return EventShape(
        name=clamp(text(release.title), NAME_LIMIT),
        start_at=start_at,
        end_at=start_at + DURATION_S,
        location=location,
        description=clamp("\n\n".join(lines), DESCRIPTION_LIMIT),
        channel_id=release.channel_id,
    )


def wanted(releases: Iterable[Release], zone: ZoneInfo) -> dict[str, EventShape]:
    """The event each dated release should have, by release id (an undated release has none).

    Raises `PlanError` like the reminders' plan when a release cannot be placed in `zone`.
    """
    found: dict[str, EventShape] = {}
    for release in releases:
        start = release_epoch(release, zone)
        if start is not None:
            found[release.id] = shape_of(release, start, zone)
    return found


def steps(want: Mapping[str, EventShape], rows: Iterable[MirroredEvent], now: int) -> list[Action]:
    """The calls that bring Discord in line with `want`, given the stored rows.

    - an event is created only for a release that starts at least `START_MARGIN_S` ahead;
    - a row `gone` (removed by a moderator) is never recreated nor edited, and forgotten with its release;
    - an event whose release already started is left to Discord (it runs and ends by itself);
    - a row whose create was interrupted (`creating`) is created again, or cancelled, and `events.py` looks
      for the event by name and start first;
    - cancellations come first and creates last (`_ORDER`).
    """
    actions: list[Action] = []
    stored = {row.release_id: row for row in rows}
    soon = now + START_MARGIN_S
    for release_id, shape in want.items():
        row = stored.get(release_id)
        if row is None or row.state is EventState.CREATING:
            if shape.start_at >= soon:
                actions.append(Action(Step.CREATE, release_id, shape, row))
        elif row.state is EventState.LIVE and row.shape != shape:
            if row.shape.start_at <= now:
                continue  # it is running or over: Discord will not move it
            if shape.start_at >= soon:
                actions.append(Action(Step.EDIT, release_id, shape, row))
            else:
                actions.append(Action(Step.CANCEL, release_id, None, row))  # moved into the past or too close
        elif row.state is EventState.CANCELLING:
            actions.append(Action(Step.CANCEL, release_id, None, row))
    for release_id, row in stored.items():
        if release_id in want:
            continue
        done = row.state is EventState.GONE or (row.state is EventState.LIVE and row.shape.start_at <= now)
        actions.append(Action(Step.FORGET if done else Step.CANCEL, release_id, None, row))
    return sorted(actions, key=lambda action: _ORDER[action.step])


def edit(sent: EventShape, want: EventShape, seen: EventShape) -> tuple[frozenset[Field], EventShape]:
    """What an edit of the bot's event sends, and what the bot has then last sent (the row to store).

    `sent` is what the bot last sent, `want` what the release asks for now, `seen` what Discord shows now. A field
    is sent when the release changed it since the bot last wrote it (`want` differs from `sent`) and Discord still
    shows what the bot wrote (`seen` equals `sent`); one Discord shows otherwise was changed by hand and is the
    moderator's: never sent, and its last-sent value is kept, so it stays theirs until they put the bot's back.
    A server's new language changes the words of the bot's own fields ("Online", "Source:") and nothing else.
    """
    fields = frozenset(
        f
        for f in Field
        if field_value(want, f) != field_value(sent, f) and field_value(seen, f) == field_value(sent, f)
    )
    return fields, taking(sent, want, fields)


def field_value(shape: EventShape, field: Field) -> object:
    if field is Field.TIME:
        return (shape.start_at, shape.end_at)
    return shape.place if field is Field.LOCATION else getattr(shape, field.value)


def taking(shape: EventShape, source: EventShape, fields: Collection[Field]) -> EventShape:
    """`shape` with `fields` taken from `source`."""
    when = source if Field.TIME in fields else shape
    place = source if Field.LOCATION in fields else shape
    return EventShape(
        (source if Field.NAME in fields else shape).name, when.start_at, when.end_at, place.location,
        (source if Field.DESCRIPTION in fields else shape).description, place.channel_id,
    )  # fmt: skip


def turn_off(rows: Iterable[MirroredEvent], now: int) -> list[Action]:
    """The mirror was turned off: cancel every event still ahead, forget the rest (a moderator's deletions too)."""
    return [Action(Step.CANCEL if _ahead(row, now) else Step.FORGET, row.release_id, None, row) for row in rows]


def _ahead(row: MirroredEvent, now: int) -> bool:
    """Whether the row's event may still be waiting on Discord (so turning off must cancel it)."""
    return row.state is not EventState.GONE and row.shape.start_at > now


def event_url(guild_id: int, event_id: int) -> str:
    """The event's page in Discord (what `discord.ScheduledEvent.url` returns)."""
    return f"https://discord.com/events/{guild_id}/{event_id}"
