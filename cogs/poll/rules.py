"""The favourite-track poll's rules, free of Discord and SQL so they can be tested on their own.

Modes and ballot checks, 3-2-1 scoring, standings with ties shown as ties, the text rendering members
read (often on a phone), and the CSV moderators export. The database hands over tallies (how many
ballots name a track at each rank), never ballots, so nothing here can reveal who voted for what.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.catalogue import Catalogue
from bot.i18n import N_, _, current, ngettext, option_name

PICK_OPTIONS = ("track", "second", "third")  # the /poll vote options, in ballot order
BAR_WIDTH = 12  # fits beside the numbers on a phone held upright
TIE_NOTE = N_("Equal scores share a place and are listed in album order.")


class BallotMode(StrEnum):
    SINGLE = "single"
    TOP3 = "top3"

    @property
    def weights(self) -> tuple[int, ...]:
        """Points for the 1st, 2nd, 3rd pick; the length is how many picks a ballot may hold."""
        return (1,) if self is BallotMode.SINGLE else (3, 2, 1)

    @property
    def description(self) -> str:
        """What the mode means, in the current language."""
        return _("one favourite per member") if self is BallotMode.SINGLE else _("top 3 per member, scored 3-2-1")


class Visibility(StrEnum):
    LIVE = "live"
    HIDDEN = "hidden"


DEFAULT_MODE = BallotMode.SINGLE
DEFAULT_VISIBILITY = Visibility.LIVE
OPEN_BY_DEFAULT = True  # a server that just added the bot can vote at once


class PollRuleError(Exception):
    """A vote or setting the poll's rules refuse; the message tells the member what to do instead."""


def check_candidates(current: Sequence[str], picks: Sequence[str | None], candidates: Container[str]) -> None:
    """A ballot may keep a track that has since left the catalogue, but never gain one (PollRuleError)."""
    if any(pick is not None and pick not in current and pick not in candidates for pick in picks):
        raise PollRuleError(_(LEFT_CATALOGUE))


def check_ballot(mode: BallotMode, picks: Sequence[str | None]) -> tuple[str, ...]:
    """The ballot as stored, from picks in option order (None = option left empty), or a PollRuleError."""
    given = [(option, pick) for option, pick in zip(PICK_OPTIONS, picks, strict=False) if pick is not None]
    if not given or given[0][0] != PICK_OPTIONS[0]:
        raise PollRuleError(_("Choose your favourite with `{option}`.", option=option_name(PICK_OPTIONS[0])))
    if len(given) > len(mode.weights):
        extra = current().join(f"`{option_name(option)}`" for option, _pick in given[len(mode.weights) :])
        raise PollRuleError(
            _(
                "This server's poll takes {mode}: leave out {options}. "
                "A moderator can switch to top-3 ballots with `/poll-admin settings mode:top3`.",
                mode=mode.description,
                options=extra,
            )
        )
    for index, (option, pick) in enumerate(given):
        if option != PICK_OPTIONS[index]:
            raise PollRuleError(
                _("Fill `{first}` before `{then}`.", first=option_name(PICK_OPTIONS[index]), then=option_name(option))
            )
        earlier = next((o for o, p in given[:index] if p == pick), None)
        if earlier is not None:
            raise PollRuleError(
                _(
                    "`{option}` repeats `{earlier}`: each pick must be a different track.",
                    option=option_name(option),
                    earlier=option_name(earlier),
                )
            )
    return tuple(pick for _option, pick in given)


def place_pick(current: Sequence[str], track_id: str, rank: int, size: int) -> tuple[str, ...]:
    """Insert a track at `rank` (1-based), moving it if already there; picks below shift down, the last may drop.

    Ranks are never left empty: on a ballot with one pick, "#3" becomes #2.
    """
    picks = [pick for pick in current if pick != track_id]
    picks.insert(min(rank - 1, len(picks)), track_id)
    return tuple(picks[:size])


def visible_to(results: Visibility, *, is_open: bool, moderator: bool) -> bool:
    """Hidden standings stay hidden from members until the poll closes; moderators always see them."""
    return results is Visibility.LIVE or not is_open or moderator


def check_voting_change(is_open: bool, *, opening: bool) -> None:
    """Opening an open poll, or closing a closed one, is refused (PollRuleError): the moderator meant something."""
    if is_open == opening:
        raise PollRuleError(_("The poll is already open.") if opening else _("The poll is already closed."))


LEFT_CATALOGUE = N_("That track has left the catalogue since this ballot was posted; pick another one.")
CLOSED_MESSAGE = N_(
    "Voting is closed in this server's poll, so ballots can't change right now. "
    "Your current ballot (if any) still counts; a moderator reopens voting with `/poll-admin open`."
)


def track_label(title: str, number: int | None, *, in_catalogue: bool) -> str:
    """'Melt · track 2': the title first, since a place number already leads each standings line."""
    if not in_catalogue:
        return _("{title} · no longer in the catalogue", title=title)
    return _("{title} · track {number}", title=title, number=number) if number is not None else title


@dataclass(frozen=True, slots=True)
class Tally:
    """How many ballots name `track_id` at `rank`, with the title stored when the track was last seen."""

    track_id: str
    rank: int
    ballots: int
    stored_title: str


@dataclass(frozen=True, slots=True)
class Entry:
    place: int
    tied: bool
    track_id: str
    title: str
    number: int | None  # the track's position on the album, when the catalogue knows it
    in_catalogue: bool
    votes: int  # ballots naming the track at any rank
    points: int  # equals votes in single mode

    @property
    def label(self) -> str:
        return track_label(self.title, self.number, in_catalogue=self.in_catalogue)


@dataclass(frozen=True, slots=True)
class Standings:
    mode: BallotMode
    voters: int
    entries: tuple[Entry, ...]

    @property
    def scored(self) -> bool:
        """Whether points differ from votes (top-3 mode): the chart shows both (`bot.chart.Standings`)."""
        return self.mode is not BallotMode.SINGLE

    @property
    def how(self) -> str:
        return self.mode.description


def compute_standings(mode: BallotMode, tallies: Iterable[Tally], catalogue: Catalogue) -> Standings:
    """Order by points; equal points share a place and are listed in album order, then by title and id."""
    votes: dict[str, int] = {}
    points: dict[str, int] = {}
    stored: dict[str, str] = {}
    voters = 0
    for tally in tallies:
        votes[tally.track_id] = votes.get(tally.track_id, 0) + tally.ballots
        points[tally.track_id] = points.get(tally.track_id, 0) + tally.ballots * mode.weights[tally.rank - 1]
        stored[tally.track_id] = tally.stored_title
        if tally.rank == 1:
            voters += tally.ballots
    album_order = {track.id: position for position, track in enumerate(catalogue.tracks_in_order())}
    unlisted = len(album_order)

    def order(track_id: str) -> tuple[int, int, str, str]:
        return (-points[track_id], album_order.get(track_id, unlisted), stored[track_id].casefold(), track_id)

    entries: list[Entry] = []
    ranked = sorted(points, key=order)
    for index, track_id in enumerate(ranked):
        tied_before = index > 0 and points[ranked[index - 1]] == points[track_id]
        tied_after = index + 1 < len(ranked) and points[ranked[index + 1]] == points[track_id]
        track = catalogue.track(track_id)
        entries.append(
            Entry(
                place=entries[-1].place if tied_before else index + 1,
                tied=tied_before or tied_after,
                track_id=track_id,
                title=track.title if track else stored[track_id],
                number=track.number.value if track else None,
                in_catalogue=track is not None,
                votes=votes[track_id],
                points=points[track_id],
            )
        )
    return Standings(mode, voters, tuple(entries))


def summary_line(standings: Standings) -> str:
    voters = standings.voters
    return ngettext("**{n}** voter · {mode}", "**{n}** voters · {mode}", voters, mode=standings.mode.description)


def bar(score: int, top: int) -> str:
    """A fixed-width bar scaled to the leader; any score above zero shows at least one block."""
    filled = 0 if top <= 0 or score <= 0 else max(1, round(BAR_WIDTH * score / top))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def render_entry(entry: Entry, standings: Standings, top: int) -> str:
    place = _("#{place} (tie)", place=entry.place) if entry.tied else f"#{entry.place}"
    share = current().percent(round(100 * entry.votes / standings.voters) / 100 if standings.voters else 0)
    votes = ngettext("{n} vote ({share})", "{n} votes ({share})", entry.votes, share=share)
    points = ngettext("{n} pt", "{n} pts", entry.points)
    numbers = votes if standings.mode is BallotMode.SINGLE else f"{points} · {votes}"
    return f"**{place}** {entry.label}\n`{bar(entry.points, top)}` {numbers}"


def render_standings(standings: Standings, limit: int) -> str:
    """Two short lines per candidate, as many as fit in `limit` characters, then how many were left out."""
    if not standings.entries:
        return _("No votes yet.")
    top = standings.entries[0].points
    lines: list[str] = []
    used = 0
    for index, entry in enumerate(standings.entries):
        text = render_entry(entry, standings, top)
        rest = len(standings.entries) - index
        tail = more_with_fewer_points(rest - 1) if rest > 1 else ""
        if used + len(text) + 1 + len(tail) > limit:
            lines.append(more_with_fewer_points(rest))
            break
        lines.append(text)
        used += len(text) + 1
    return "\n".join(lines)


def more_with_fewer_points(n: int) -> str:
    return ngettext("…and {n} more with fewer points.", "…and {n} more with fewer points.", n)


CSV_HEADER = (N_("place"), N_("tied"), "track_id", N_("track_number"), N_("title"), N_("in_catalogue"), N_("votes"),
              N_("points"))  # fmt: skip


def standings_csv(standings: Standings) -> str:
    """The standings as CSV, its header and yes/no in the current language (the track ids stay as they are);
    ballots and member ids never reach this function, so they cannot leak."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_(column) if column != "track_id" else column for column in CSV_HEADER])
    for e in standings.entries:
        writer.writerow(
            (e.place, _yes(e.tied), e.track_id, e.number or "", _cell(e.title), _yes(e.in_catalogue), e.votes, e.points)
        )
    return out.getvalue()


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _cell(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula; a leading quote keeps it text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
