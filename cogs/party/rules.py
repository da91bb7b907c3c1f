"""A listening party's rules, free of Discord and SQL so they can be tested on their own.

What is played and in which order (the album, the singles, or album positions as typed: `1, 5, 8-12`), the party's
timeline (when each cue is due), when a `timed` party becomes `hosted` (at the first track whose duration is
unknown: nobody can say when it ends), what a restart or a late start does to the timeline, the limits, and the
standings of the night's hearts.

The timeline: the start message is posted at the party's time and counts down `COUNTDOWN_S` (Discord animates a
`<t:…:R>` timestamp by itself, so one message does what a message per second would); track 1's cue is then due.
In a timed party each later cue is due when the track before it ends, by the catalogue's durations, and the recap
when the last one ends. A cue whose track follows one of unknown length waits for the host's **Next**, and so does
every cue after it; so does every cue of a hosted party after the first. A party waiting for Next waits at most
until `MAX_LENGTH_S` after its start: then its recap is posted, so a host who left never keeps the server's party
going for good.

After downtime the reminders' policy holds (`bot.delivery`): a start within `DEFAULT_GRACE_S` is made late, the
whole timeline moving with it (said so past `ON_TIME_S`), and one older is missed; a running party resumes at the
track playing now, the cues the bot slept through passed over, and a cue later than `CUE_ON_TIME_S` says it is.

Refusals are written in the moderator's language (the current one when they are raised).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.catalogue import Catalogue, Track
from bot.delivery import DEFAULT_GRACE_S, ON_TIME_S
from bot.i18n import _, current, ngettext
from bot.markup import quote
from bot.refusal import Refusal

COUNTDOWN_S = 60  # from the start message to track 1's cue
CUE_ON_TIME_S = 5  # a cue later than this says it is late (a 429's retry, the pacer: well within it)
MAX_TRACKS = 50  # the album's 34 and its singles, once each, fit; a thread of cues stays readable
MAX_LENGTH_S = 6 * 3600  # from the start message to the recap, at most
MAX_UPCOMING = 4  # parties scheduled or running at once in a server: a weekly party, a month ahead
TRACK_RANGE = re.compile(r"(\d+)\s*(?:[-–—]\s*(\d+))?")


class Play(StrEnum):
    """What a party plays."""

    ALBUM = "album"  # the album in order
    SINGLES = "singles"  # the singles, in the order they came out
    TRACKS = "tracks"  # album positions in the order a moderator listed them


class Advance(StrEnum):
    """How a party moves from one track to the next."""

    TIMED = "timed"  # when the track ends, by the catalogue's durations
    HOSTED = "hosted"  # when the host (or a moderator) clicks Next


class PartyState(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    OVER = "over"  # the recap is posted
    CANCELLED = "cancelled"  # by a moderator
    MISSED = "missed"  # its start passed while the bot was away, longer ago than the grace period
    STOPPED = "stopped"  # Discord refused its posts (its channel gone, a permission taken away)

    @property
    def upcoming(self) -> bool:
        """Scheduled or running: it counts towards `MAX_UPCOMING`, and it may still post."""
        return self in (PartyState.SCHEDULED, PartyState.RUNNING)


class PartyRuleError(Refusal):
    """What a moderator asked for breaks a rule; the message says which and what to do instead."""


# -- what is played --------------------------------------------------------------------------------------------


def parse_numbers(text: str) -> tuple[int, ...]:
    """Album positions as typed (`1, 5, 8-12`: commas or spaces between them, ranges low to high), in that order.

    Refused (`PartyRuleError`, naming the part): anything else, a range written high to low, a position listed
    twice, none at all, or more than `MAX_TRACKS`.
    """
    numbers: list[int] = []
    for part in re.split(r"[,;\s]+", re.sub(r"\s*([-–—])\s*", r"\1", text.strip())):
        if not part:
            continue
        match = TRACK_RANGE.fullmatch(part)
        if match is None or int(match[1]) < 1:
            raise PartyRuleError(
                _("{part} is not a track number or a range: write them like 1, 5, 8-12.", part=quote(part))
            )
        low = int(match[1])
        high = low if match[2] is None else int(match[2])
        if high < low:
            raise PartyRuleError(
                _("{part} goes backwards: write a range from low to high, like {low}-{high}.", part=quote(part),
                  low=high, high=low)
            )  # fmt: skip
        if len(numbers) + high - low + 1 > MAX_TRACKS:
            raise PartyRuleError(too_many(len(numbers) + high - low + 1))
        for number in range(low, high + 1):
            if number in numbers:
                raise PartyRuleError(_("Track {number} is listed twice: a party plays each once.", number=number))
            numbers.append(number)
    if not numbers:
        raise PartyRuleError(_("List the tracks to play by their numbers, like 1, 5, 8-12."))
    return tuple(numbers)


def too_many(count: int) -> str:
    return ngettext(
        "That is {n} track; a party plays at most {max}.",
        "That is {n} tracks; a party plays at most {max}.",
        count,
        max=MAX_TRACKS,
    )


def tracks_to_play(catalogue: Catalogue, play: Play, numbers: Sequence[int] = ()) -> list[Track]:
    """The catalogue's tracks the party plays, in play order; refused when there are none, or a position is not on
    the album (as far as the catalogue knows it)."""
    if play is Play.ALBUM:
        chosen = [t for t in catalogue.tracks_in_order() if t.number.known]
    elif play is Play.SINGLES:
        chosen = []
        for single in sorted(
            catalogue.singles, key=lambda s: (s.release_date.value is None, s.release_date.value or dt.date.min)
        ):
            track = catalogue.track(single.track_id) if single.track_id is not None else None
            if track is not None and track not in chosen:
                chosen.append(track)

    else:
        by_number = {t.number.value: t for t in catalogue.tracks if t.number.known}
        unknown = [n for n in numbers if n not in by_number]
        if unknown:
            raise PartyRuleError(
                ngettext(
                    "The catalogue knows no track {numbers}: `/soundtrack tracks` lists the album as far as it is "
                    "known.",
                    "The catalogue knows no tracks {numbers}: `/soundtrack tracks` lists the album as far as it is "
                    "known.",
                    len(unknown),
                    numbers=current().join(str(n) for n in unknown),
                )
            )
        chosen = [by_number[n] for n in numbers]
    if not chosen:
        raise PartyRuleError(
            _("The catalogue has no singles yet to play.")
            if play is Play.SINGLES
            else _("The catalogue has no tracks with a known position yet to play.")
        )
    if len(chosen) > MAX_TRACKS:
        raise PartyRuleError(too_many(len(chosen)))
    return chosen


# -- the timeline ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeline:
    """When each of a party's posts is due, from its start and the durations of its tracks in play order.

    Steps: 0 the start message, 1..n the cue of each track, n + 1 the recap. `offsets[k]` is step k's time from
    the start; None when it waits for Next (a hosted step). `shift` moves every timed step (a late start).
    """

    start_at: int
    offsets: tuple[int | None, ...]
    advance: Advance
    shift: int = 0

    @property
    def recap(self) -> int:
        """The recap's step."""
        return len(self.offsets) - 1

    @property
    def tracks(self) -> int:
        return len(self.offsets) - 2

    def due(self, step: int) -> int | None:
        """When `step` is due (epoch seconds), or None when it waits for Next."""
        offset = self.offsets[step]
        return None if offset is None else self.start_at + self.shift + offset

    def hosted(self, step: int) -> bool:
        return self.offsets[step] is None

    @property
    def switch(self) -> int | None:
        """The cue whose track's duration is unknown in a timed party, from which it is hosted; None otherwise."""
        if self.advance is Advance.HOSTED:
            return None
        for step in range(1, self.recap):
            if self.offsets[step] is not None and self.offsets[step + 1] is None:
                return step
        return None

    @property
    def deadline(self) -> int:
        """The latest the recap may be posted: `MAX_LENGTH_S` after the (possibly late) start."""
        return self.start_at + self.shift + MAX_LENGTH_S


def timeline(start_at: int, durations: Sequence[int | None], advance: Advance, shift: int = 0) -> Timeline:
    """The party's timeline (see `Timeline`): a hosted party waits for Next after track 1; a timed one after the
    first track whose duration is unknown."""
    offsets: list[int | None] = [0, COUNTDOWN_S]
    elapsed: int | None = COUNTDOWN_S
    for duration in durations:
        elapsed = None if elapsed is None or duration is None or advance is Advance.HOSTED else elapsed + duration
        offsets.append(elapsed)
    return Timeline(start_at, tuple(offsets), advance, shift)


def check_length(line: Timeline) -> None:
    """A timed party whose tracks run past `MAX_LENGTH_S` is refused."""
    end = line.offsets[line.recap]
    if end is not None and end > MAX_LENGTH_S:
        raise PartyRuleError(
            _(
                "These tracks last {hours} hours together; a party lasts at most {max} hours. Play fewer tracks, "
                "or split them over two parties.",
                hours=current().number(round(end / 3600, 1)),
                max=MAX_LENGTH_S // 3600,
            )
        )


# -- after downtime --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """What to do with a party whose start came: `missed` (nothing is posted), else start it, its timeline moved
    by `shift` seconds, saying it is late when `late`."""

    missed: bool
    shift: int = 0
    late: bool = False


def start(start_at: int, now: int, grace_s: int = DEFAULT_GRACE_S) -> Start:
    """The reminders' downtime policy for a party's start (the module docstring)."""
    behind = max(0, now - start_at)
    if behind > grace_s:
        return Start(missed=True)
    return Start(missed=False, shift=behind if behind > CUE_ON_TIME_S else 0, late=behind > ON_TIME_S)


def catch_up(line: Timeline, step: int, now: int) -> int:
    """The step to post now, `step` being the next one not posted: the latest timed step already due (the track
    playing now, or the recap once the last one ended), so a restart resumes at the right track. The steps before
    it are passed over."""
    while step < line.recap and step > 0:
        later = line.due(step + 1)
        if later is None or later > now:
            break
        step += 1
    return step


def playing(line: Timeline, posted: int, now: int) -> int:
    """The track playing at `now` (its step; 0 while the start counts down), `posted` being the last cue made: by
    the timeline when the party is timed there, so `/party now` is right even in the instant before a cue is made."""
    step = posted
    while step < line.tracks:
        later = line.due(step + 1)
        if later is None or later > now:
            break
        step += 1
    return step


def late(due: int, now: int) -> bool:
    """Whether a cue made at `now` for `due` says it is late."""
    return now - due > CUE_ON_TIME_S


# -- the track of the night ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hearted:
    """One track's line in the hearts' standings (a `bot.chart.Entry`: votes and points are its hearts)."""

    place: int
    tied: bool
    track_id: str
    title: str
    votes: int

    @property
    def points(self) -> int:
        return self.votes


@dataclass(frozen=True, slots=True)
class Hearts:
    """The night's hearts, most first; tracks with as many share a place, in play order (a `bot.chart.Standings`)."""

    voters: int
    entries: tuple[Hearted, ...]
    scored: bool = False

    @property
    def how(self) -> str:
        return _("one heart per member")

    def top(self, count: int = 3) -> tuple[Hearted, ...]:
        """The tracks placed `count` or better (all tied at the last place included)."""
        return tuple(entry for entry in self.entries if entry.place <= count)


def hearts(played: Sequence[tuple[str, str]], counts: Mapping[str, int]) -> Hearts:
    """The standings of the hearts `counts` (track id -> hearts) over the tracks `played` ((id, title) in play
    order); tracks nobody hearted are left out."""
    order = {track_id: n for n, (track_id, _title) in enumerate(played)}
    titles = dict(played)
    ranked = sorted((t for t in counts if counts[t] > 0 and t in order), key=lambda t: (-counts[t], order[t]))
    entries: list[Hearted] = []
    for index, track_id in enumerate(ranked):
        before = index > 0 and counts[ranked[index - 1]] == counts[track_id]
        after = index + 1 < len(ranked) and counts[ranked[index + 1]] == counts[track_id]
        place = entries[-1].place if before else index + 1
        entries.append(Hearted(place, before or after, track_id, titles[track_id], counts[track_id]))
    return Hearts(sum(counts[t] for t in ranked), tuple(entries))


def heart(current_pick: str | None, clicked: str) -> str | None:
    """A member's heart after clicking the ♥ of `clicked`: it moves there, or is taken back when already there."""
    return None if current_pick == clicked else clicked
