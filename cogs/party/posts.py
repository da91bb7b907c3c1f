"""What a listening party says: its start message, its cues, its recap, and what `/party now` and the moderators'
status answer.

The posts are public, so they are written in the current language, which the runner sets to the server's; the
answers are written in the member's (the command tree sets it). Track titles, scenes and a moderator's party title
are never translated. Each post's footer names the party ("Listening party #12 · track 5 of 34"): the same text in
every language (`footers`) is how a post made before a crash is found in the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.cards import heard_in, listen_line
from bot.catalogue import Catalogue
from bot.embeds import Card, format_duration
from bot.i18n import N_, _, current, in_every_language, ngettext, pgettext
from bot.markup import discord_timestamp, literal
from cogs.party.rules import MAX_LENGTH_S, Advance, Hearts, PartyState, Timeline, playing
from cogs.party.store import Party, Posted

HEART = "♥"
START_FOOTER = N_("Listening party #{party}")
CUE_FOOTER = N_("Listening party #{party} · track {position} of {count}")
RECAP_FOOTER = N_("Listening party #{party} · recap")
TOP = 3  # the recap names this many tracks


@dataclass(frozen=True, slots=True)
class PartyPost:
    """A post of a party as data: its card, the footers it may carry in any language, and its buttons (the ♥ of the
    cue of `heart`, Next moving on from the cue of `next`) and chart (`hearts`)."""

    card: Card
    footers: frozenset[str]
    heart: int | None = None
    next: int | None = None
    hearts: Hearts | None = None


def plain_title(catalogue: Catalogue, track_id: str) -> str:
    """A track's title as the catalogue has it (its id, should it have left the catalogue since), as plain text."""
    track = catalogue.track(track_id)
    return track.title if track is not None else track_id


def track_title(catalogue: Catalogue, track_id: str) -> str:
    """`plain_title` in markdown (shown as written)."""
    return literal(plain_title(catalogue, track_id), 200)


def duration(seconds: int | None) -> str:
    return format_duration(seconds) if seconds is not None else pgettext("duration", "unknown")


def how_it_moves(party: Party, line: Timeline | None) -> str:
    """How the party goes from one track to the next, in a phrase."""
    switch = None if line is None else line.switch
    if party.advance is Advance.HOSTED:
        return _("the host moves on with **Next**")
    if switch is not None:
        return _(
            "each track when the one before it ends, until track {position}, whose length is unknown: then the host "
            "moves on with **Next**",
            position=switch,
        )
    return _("each track when the one before it ends")


# -- the posts ---------------------------------------------------------------------------------------------------


def start_post(party: Party, line: Timeline, *, late: bool) -> PartyPost:
    """The one start message: the countdown to track 1 (a timestamp every client animates), and how it goes."""
    first = line.due(1) or line.start_at
    lines = [_("🎧 **The listening party starts {countdown}.** Track 1's cue comes in the thread below: press play "
               "when it arrives.", countdown=discord_timestamp(first, "R"))]  # fmt: skip
    if late:
        lines.append(
            _("⏱️ I was away when it was due ({when}), so it starts now, late.", when=discord_timestamp(party.start_at))
        )
    lines.append(ngettext("{n} track: {how}", "{n} tracks: {how}", line.tracks, how=how_it_moves(party, line)) + ".")
    if party.venue_id is not None:
        lines.append(_("Listen together in {channel}.", channel=f"<#{party.venue_id}>"))
    lines.append(
        _("Click {heart} under the track you love most: the recap names the track of the night. Joining late? "
          "`/party now` tells you where we are.", heart=HEART)
    )  # fmt: skip
    footer = _(START_FOOTER, party=party.id)
    card = Card(title=literal(party.title, 200), description="\n\n".join(lines), url=party.link, footer=footer)
    return PartyPost(card, in_every_language(lambda: _(START_FOOTER, party=party.id)))


def cue_post(party: Party, line: Timeline, step: int, catalogue: Catalogue, *, due: int, late: bool) -> PartyPost:
    """The cue of the track at `step` (1-based, in play order): what it is, where it plays in the series, where to
    listen, and what comes next."""
    assert party.tracks is not None
    track_id, seconds = party.tracks[step - 1]
    track = catalogue.track(track_id)
    count = line.tracks
    title = track_title(catalogue, track_id)
    number = track.number.value if track is not None else None
    heading = _("Track {number} · {title}", number=number, title=title) if number is not None else title
    lines = [_("**{position} of {count}** · {duration}", position=step, count=count, duration=duration(seconds))]
    if late:
        lines.append(_("⏱️ Late: this track started {when}; I was away.", when=discord_timestamp(due, "R")))
    lines.append(following(party, line, step, catalogue))
    card = Card(title=heading, description="\n".join(lines), footer=_(CUE_FOOTER, party=party.id, position=step,
                                                                      count=count))  # fmt: skip
    if track is not None and (scenes := heard_in(catalogue, track)):
        card.add(_("Heard in"), scenes)
    card.add(_("Listen"), listen_line(catalogue))
    footers = in_every_language(lambda: _(CUE_FOOTER, party=party.id, position=step, count=count))
    return PartyPost(card, footers, heart=step, next=step if line.hosted(step + 1) else None)


def following(party: Party, line: Timeline, step: int, catalogue: Catalogue) -> str:
    """What comes after the cue of `step`: the next track or the recap, when (timed), or who moves on (hosted)."""
    assert party.tracks is not None
    nxt = line.due(step + 1)
    if line.switch == step:
        return _(
            "This track's length is unknown, so the party is hosted from here: when it ends, the host clicks **Next**."
        )
    if nxt is None:
        return _("When it ends, the host clicks **Next**.")
    if step == line.tracks:
        return _("The recap comes {when}, when it ends.", when=discord_timestamp(nxt, "R"))
    coming = track_title(catalogue, party.tracks[step][0])
    return _("Next: **{title}** {when}.", title=coming, when=discord_timestamp(nxt, "R"))


def recap_post(party: Party, posts: Sequence[Posted], night: Hearts, *, ended_early: bool) -> PartyPost:
    """The recap: how much was played, the track of the night and the top 3 (the chart carries the rest)."""
    assert party.tracks is not None
    count = len(party.tracks)
    played = sum(1 for p in posts if 1 <= p.step <= count and p.message_id is not None)
    lines = [ngettext("{played} of {n} track played.", "{played} of {n} tracks played.", count, played=played)]
    passed = sum(1 for p in posts if 1 <= p.step <= count and p.message_id is None)
    if passed:
        lines.append(
            ngettext(
                "{n} track was passed over while I was away.", "{n} tracks were passed over while I was away.", passed
            )
        )
    if ended_early:
        lines.append(_("The party reached its {hours}-hour limit, so it ends here.", hours=MAX_LENGTH_S // 3600))
    top = night.top(TOP)
    if top:
        lines.append(track_of_the_night(night))
        lines += [
            _("#{place} **{title}** · {count} {heart}", place=entry.place, title=literal(entry.title, 200),
              count=entry.votes, heart=HEART)
            for entry in top
        ]  # fmt: skip
    else:
        lines.append(_("Nobody gave a {heart} tonight.", heart=HEART))
    lines.append(_("Thank you for listening together!"))
    footer = _(RECAP_FOOTER, party=party.id)
    card = Card(title=_("Recap · {title}", title=literal(party.title, 200)), description="\n".join(lines),
                footer=footer)  # fmt: skip
    return PartyPost(card, in_every_language(lambda: _(RECAP_FOOTER, party=party.id)), hearts=night if top else None)


def track_of_the_night(night: Hearts) -> str:
    """The track with the most hearts, or the tracks tied for the most (never one of them picked arbitrarily)."""
    leaders = night.top(1)
    if len(leaders) == 1:
        return _(
            "Track of the night: **{title}** ({count} {heart}).",
            title=literal(leaders[0].title, 200),
            count=leaders[0].votes,
            heart=HEART,
        )
    return _(
        "Tied for track of the night: {titles} ({count} {heart} each).",
        titles=current().join(f"**{literal(entry.title, 200)}**" for entry in leaders),
        count=leaders[0].votes,
        heart=HEART,
    )


def chart_title(party: Party) -> str:
    return _("Track of the night · {title}", title=party.title)


# -- /party now --------------------------------------------------------------------------------------------------


def now_text(party: Party | None, posts: Sequence[Posted], night: Hearts | None, catalogue: Catalogue, now: int) -> str:
    """What `/party now` answers: the party running (the track playing, how far into it, what is next), else the
    next one, else the last one's recap, else that there is none."""
    if party is None:
        return _(
            "No listening party is scheduled in this server. Moderators schedule one with `/party-admin schedule`."
        )
    title = literal(party.title, 200)
    if party.state is PartyState.SCHEDULED:
        return _(
            "Next listening party: **{title}**, {when} ({countdown}), in {channel}.",
            title=title,
            when=discord_timestamp(party.start_at),
            countdown=discord_timestamp(party.start_at, "R"),
            channel=f"<#{party.channel_id}>",
        )
    line = party.line
    if party.state is PartyState.RUNNING and line is not None and party.tracks is not None:
        return running_text(party, line, posts, catalogue, now)
    return ended_text(party, posts, night, now)


def running_text(party: Party, line: Timeline, posts: Sequence[Posted], catalogue: Catalogue, now: int) -> str:
    assert party.tracks is not None
    title, thread = literal(party.title, 200), f"<#{party.posts_to}>"
    # The track playing now (0: still counting down): the last cue made, or the next one once it is due (its post
    # is on its way), or later ones the timeline says have started.
    on_its_way = not party.waits_next and party.due_at <= now and party.step <= line.tracks
    step = playing(line, party.step if on_its_way else party.step - 1, now)
    if step < 1:
        first = line.due(1) or now
        return _(
            "**{title}** starts {countdown}, in {thread}: track 1 is **{track}**.",
            title=title, countdown=discord_timestamp(first, "R"), thread=thread,
            track=track_title(catalogue, party.tracks[0][0]),
        )  # fmt: skip
    track_id, seconds = party.tracks[step - 1]
    since = line.due(step) or next((p.due_at for p in posts if p.step == step), party.due_at)
    elapsed = max(0, now - since)
    into = (
        _("{elapsed} of {length} in", elapsed=format_duration(min(elapsed, seconds)), length=format_duration(seconds))
        if seconds is not None
        else _("{elapsed} in", elapsed=format_duration(elapsed))
    )
    lines = [
        _(
            "**{title}** is playing track {position} of {count}: **{track}**, {into} (it started {when}).",
            title=title,
            position=step,
            count=line.tracks,
            track=track_title(catalogue, track_id),
            into=into,
            when=discord_timestamp(since, "R"),
        ),
        following(party, line, step, catalogue),
        _("Follow along in {thread}.", thread=thread),
    ]
    return "\n".join(lines)


def ended_text(party: Party, posts: Sequence[Posted], night: Hearts | None, now: int) -> str:
    title = literal(party.title, 200)
    if party.state is PartyState.OVER:
        ended = max((p.posted_at or 0 for p in posts), default=now)
        played = sum(1 for p in posts if p.step >= 1 and p.message_id is not None) - 1  # the recap is no track
        text = ngettext(
            "The last listening party, **{title}**, ended {when}: {n} track played.",
            "The last listening party, **{title}**, ended {when}: {n} tracks played.",
            max(played, 0),
            title=title,
            when=discord_timestamp(ended, "R"),
        )
        if night is not None and night.top(1):
            text += " " + track_of_the_night(night)
        return text + " " + _("No other party is scheduled yet.")
    return _(
        "The last listening party, **{title}** ({when}), {outcome}. No other party is scheduled yet.",
        title=title,
        when=discord_timestamp(party.start_at),
        outcome=_(OUTCOMES.get(party.state, OUTCOMES[PartyState.CANCELLED])),
    )


OUTCOMES = {
    PartyState.CANCELLED: N_("was cancelled"),
    PartyState.MISSED: N_("did not take place: I was away when it was due"),
    PartyState.STOPPED: N_("stopped: Discord refused my posts"),
}


def status_line(party: Party, now: int) -> str:
    """One party in the moderators' status: its title, its time, where it is, and what went wrong."""
    title = literal(party.title, 100)
    when = discord_timestamp(party.start_at, "f")
    if party.state is PartyState.SCHEDULED:
        state = _("scheduled, {countdown}", countdown=discord_timestamp(party.start_at, "R"))
    elif party.state is PartyState.RUNNING:
        line = party.line
        count = line.tracks if line is not None else 0
        state = (
            _("running: track {position} of {count}", position=party.step - 1, count=count)
            if party.step > 1
            else _("starting")
        )
        if party.waits_next:
            state += " · " + _("waiting for **Next**")
    elif party.state is PartyState.OVER:
        state = _("over")
    else:
        state = _(OUTCOMES[party.state])
    text = _("**{title}** · {when} · {state}", title=title, when=when, state=state)
    if party.detail:
        text += "\n" + _("↳ {detail}", detail=_(party.detail))
    if party.error and party.state.upcoming:
        text += "\n" + _("↳ last delivery error: {error}", error=party.error)
    return text
