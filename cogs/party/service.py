"""The party service: what `/party`, `/party-admin` and a cue's buttons share.

A party is a release of its server (`bot.releases`, kind `party`): scheduling one adds it, and the reminders (its
posts, its native event, `/releases`, Notify me) follow as for any release; once it is over, missed, stopped or
cancelled, its release is removed, so its reminders and event go with it and it leaves the server's 25 own
releases. Its own posts are the runner's (`runner.py`), which this service wakes on every change.

Refusals are `PartyRuleError`s written in the member's language; what is stored (why a party stopped) is English.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from bot.catalogue import Catalogue
from bot.clock import Clock
from bot.i18n import N_, _, ngettext
from bot.markup import discord_timestamp, literal
from bot.moments import future_release_epoch
from bot.releases import MAX_OWN_RELEASES, Origin, ServerReleases, own_number
from bot.search import Index
from cogs.party.posts import HEART, how_it_moves, now_text, plain_title, status_line, track_title
from cogs.party.rules import (
    MAX_LENGTH_S,
    MAX_UPCOMING,
    Advance,
    PartyRuleError,
    PartyState,
    Play,
    check_length,
    heart,
    hearts,
    timeline,
    tracks_to_play,
)
from cogs.party.runner import Runner, Stage
from cogs.party.store import Party, PartyStore

if TYPE_CHECKING:
    import discord

    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

RECENT = 5  # parties the moderators' status lists besides the upcoming ones
# Stored in English; the moderators' status translates it (a message id).
RELEASE_REMOVED = N_("its release was removed with /reminders remove-release")


class PartyService:
    """Every server's parties: scheduling, cancelling, moving on, hearts, and what members are told."""

    def __init__(
        self, store: PartyStore, releases: ServerReleases, catalogue: Catalogue, stage: Stage, clock: Clock
    ) -> None:
        self.store = store
        self.releases = releases
        self.catalogue = catalogue
        self.clock = clock
        self.runner = Runner(store, catalogue, stage, clock, self.ended)

    async def load(self) -> None:
        """At start: a schedule cut short between adding its release and its party leaves a release of kind
        `party` that no party holds; it is removed (its reminders and event go with it). Only this process's servers
        (`bot.shards`): another process may be scheduling a party in one of its own right now."""
        held = await self.store.party_releases()
        servers = {guild_id for guild_id in await self.releases.server_ids() if self.store.owns(guild_id)}
        for guild_id, releases in (await self.releases.own_releases_of(servers)).items():
            for release in releases:
                number = own_number(release.id)
                if release.kind == Origin.PARTY and number is not None and (guild_id, number) not in held:
                    log.warning("server %s: release %s is a party's that was never scheduled: removed", guild_id,
                                release.id)  # fmt: skip
                    await self.releases.remove_release(guild_id, release.id)

    async def ended(self, party: Party) -> None:
        """The party is over (or will not happen): its release goes, and its reminders and event with it."""
        await self.releases.remove_release(party.guild_id, party.release_id)

    # -- scheduling -------------------------------------------------------------------------------------------------

    async def schedule(
        self,
        guild_id: int,
        host_id: int,
        *,
        title: str,
        day: dt.date,
        time: dt.time,
        play: Play,
        picks: tuple[int, ...],
        advance: Advance,
        channel_id: int,
        venue_id: int | None,
        link: str | None,
    ) -> Party:
        """A new party (refused, nothing stored, when it breaks a rule); its release is added first, so its
        reminders and event are planned as the answer is written."""
        now = self.clock.now()
        zone = await self.releases.zone(guild_id)
        start_at = future_release_epoch(day, time, zone, now)
        tracks = tracks_to_play(self.catalogue, play, picks)
        line = timeline(start_at, [t.duration_s.value for t in tracks], advance)
        check_length(line)
        upcoming = await self.store.of_guild(guild_id, upcoming=True)
        if len(upcoming) >= MAX_UPCOMING:
            raise PartyRuleError(
                _(
                    "This server has {count} parties coming up, the most it can have: cancel one, or wait until one "
                    "is over.",
                    count=MAX_UPCOMING,
                )
            )
        end = self._end(start_at, [t.duration_s.value for t in tracks], advance)
        for other in upcoming:
            if start_at < self._end_of(other) and other.start_at < end:
                raise PartyRuleError(
                    _(
                        "**{other}** runs from {start} until {end} at the latest: a server has one party at a time. "
                        "Choose another time.",
                        other=literal(other.title, 100),
                        start=discord_timestamp(other.start_at, "f"),
                        end=discord_timestamp(self._end_of(other), "t"),
                    )
                )
        if await self.releases.count_own_releases(guild_id) >= MAX_OWN_RELEASES:
            raise PartyRuleError(
                _(
                    "This server has {count} releases of its own, the most it can have: remove one with "
                    "`/reminders remove-release` first.",
                    count=MAX_OWN_RELEASES,
                )
            )
        release = await self.releases.add_release(
            guild_id, title=title, date=day, time=time, link=link, description=None, now=now, kind=Origin.PARTY,
            channel_id=venue_id, zone=zone.key,
        )  # fmt: skip
        number = own_number(release.id)
        assert number is not None
        party = await self.store.create(
            guild_id, release=number, title=title, start_at=start_at, play=play, picks=picks, advance=advance,
            channel_id=channel_id, venue_id=venue_id, link=link, host_id=host_id, now=now,
        )  # fmt: skip
        self.runner.wake()
        return party

    def _end(self, start_at: int, durations: list[int | None], advance: Advance) -> int:
        """The latest a party would end: its timeline's end when every track is timed, else its length cap."""
        line = timeline(start_at, durations, advance)
        return line.due(line.recap) or line.deadline

    def _end_of(self, party: Party) -> int:
        line = party.line
        if line is not None:
            return line.due(line.recap) or line.deadline
        try:
            durations = [t.duration_s.value for t in tracks_to_play(self.catalogue, party.play, party.picks)]
        except PartyRuleError:
            return party.start_at + MAX_LENGTH_S
        return self._end(party.start_at, durations, party.advance)

    def how_it_goes(self, party: Party) -> str:
        """How the party will go, for the moderator who scheduled it (in their language)."""
        tracks = tracks_to_play(self.catalogue, party.play, party.picks)
        line = timeline(party.start_at, [t.duration_s.value for t in tracks], party.advance)
        return ngettext("{n} track: {how}", "{n} tracks: {how}", len(tracks), how=how_it_moves(party, line))

    # -- while it runs ----------------------------------------------------------------------------------------------

    async def running(self, guild_id: int) -> Party | None:
        """The server's party running now, if one is."""
        return next((p for p in await self.store.of_guild(guild_id, upcoming=True) if p.state is PartyState.RUNNING),
                    None)  # fmt: skip

    async def next(
        self, guild_id: int, user_id: int, *, moderator: bool, party_id: int | None = None, from_step: int | None = None
    ) -> str:
        """Move the party on (its Next button: `party_id` and the cue `from_step`; `/party-admin next`: the running
        party, from the track playing). The host and moderators only; a moderator who is not the host takes over."""
        party = await self.running(guild_id) if party_id is None else await self.store.party(party_id)
        if party is not None and self.runner.busy(party.id):  # its cue is being made: read it once recorded
            await self.runner.settled(party.id)
            party = await self.store.party(party.id)
        if party is None or party.guild_id != guild_id or party.state is not PartyState.RUNNING:
            raise PartyRuleError(_("No listening party is running in this server now."))
        if user_id != party.host_id and not moderator:
            raise PartyRuleError(
                _("Only the party's host (<@{host}>) and moderators can move it on.", host=party.host_id)
            )
        line = party.line
        assert line is not None
        step = party.step - 1 if from_step is None else from_step
        if party.step != step + 1 or step < 1:
            raise PartyRuleError(_("The party has already moved on: `/party now` says where it is."))
        if not party.waits_next:
            raise PartyRuleError(
                _(
                    "This part of the party is timed: the next cue comes by itself {when}.",
                    when=discord_timestamp(line.due(party.step) or party.due_at, "R"),
                )
            )
        if not await self.store.request_next(party, step, self.clock.now(), user_id):
            raise PartyRuleError(_("The party has already moved on: `/party now` says where it is."))
        self.runner.wake()
        coming = _("the recap") if party.step == line.recap else _("track {position}", position=party.step)
        said = _("On to {next}: its post comes in a moment.", next=coming)
        if user_id != party.host_id:
            said += " " + _("You are the party's host now.")
        return said

    async def heart(self, guild_id: int, party_id: int, step: int, user_id: int) -> str:
        """The member's heart goes to the track of the cue of `step` (or is taken back); one per member per party."""
        party = await self.store.party(party_id)
        if party is None or party.guild_id != guild_id or party.tracks is None or not 1 <= step <= len(party.tracks):
            raise PartyRuleError(_("This party is no longer known."))
        if party.state is PartyState.OVER:
            raise PartyRuleError(_("This party is over: its recap names the track of the night."))
        if party.state is not PartyState.RUNNING:
            raise PartyRuleError(_("This party did not go on to the end: no track of the night is named."))
        track_id = party.tracks[step - 1][0]
        chosen = heart(await self.store.heart_of(party_id, user_id), track_id)
        await self.store.set_heart(party_id, user_id, chosen, self.clock.now())
        title = track_title(self.catalogue, track_id)
        if chosen is None:
            return _("Your {heart} is taken back from **{title}**. Give it to any track of the party.", heart=HEART,
                     title=title)  # fmt: skip
        return _(
            "{heart} Your track of the night: **{title}**. Click {heart} under another cue to change it, or this one "
            "again to take it back.",
            heart=HEART,
            title=title,
        )

    # -- what members and moderators are told ------------------------------------------------------------------------

    async def now(self, guild_id: int) -> str:
        """`/party now`: the party running, else the next, else the last one's recap (in the member's language)."""
        parties = await self.store.of_guild(guild_id, limit=RECENT)
        upcoming = await self.store.of_guild(guild_id, upcoming=True)
        party = next((p for p in upcoming if p.state is PartyState.RUNNING), upcoming[0] if upcoming else None)
        party = party or (parties[0] if parties else None)
        if party is None:
            return now_text(None, [], None, self.catalogue, self.clock.now())
        posts = await self.store.posts(party.id)
        night = None
        if party.state is PartyState.OVER and party.tracks is not None:
            played = [(t, plain_title(self.catalogue, t)) for t, _s in party.tracks]
            night = hearts(played, await self.store.heart_counts(party.id))
        return now_text(party, posts, night, self.catalogue, self.clock.now())

    async def status(self, guild_id: int) -> str:
        """The moderators' status: the upcoming parties, then the last ones, each with what went wrong."""
        upcoming = await self.store.of_guild(guild_id, upcoming=True)
        recent = [p for p in await self.store.of_guild(guild_id, limit=RECENT) if not p.state.upcoming]
        now = self.clock.now()
        lines = [status_line(p, now) for p in [*upcoming, *recent]]
        return "\n".join(lines) or _("No party yet: `/party-admin schedule` plans one.")

    async def cancel(self, guild_id: int, typed: str) -> Party:
        """Cancel a scheduled or running party (`typed`: its id from the autocomplete, or its title); its release,
        reminders and event go with it, and a running party's thread is archived."""
        upcoming = await self.store.of_guild(guild_id, upcoming=True)
        party = party_index(upcoming).resolve(typed)
        if party is None:
            raise PartyRuleError(
                _("No party scheduled or running in this server matches that: pick one from the list as you type.")
            )
        if not await self._cancel(party):
            raise PartyRuleError(_("That party has just ended or was cancelled already."))
        return party

    async def _cancel(self, party: Party, detail: str | None = None) -> bool:
        """Cancel the party (False when it just ended or was cancelled): its thread is archived, its release goes."""
        if not await self.store.set_state(party, PartyState.CANCELLED, self.clock.now(), detail, expected=party.state):
            return False
        await self.runner.settled(party.id)  # a cue on its way lands before the thread is archived, not after
        if party.thread_id is not None:
            await self.runner.stage.close_thread(party.thread_id)
        await self.ended(party)
        self.runner.wake()
        return True

    async def releases_changed(self, guild_id: int) -> None:
        """The server's own releases changed (`bot.releases` tells every listener): a party whose release a moderator
        removed with `/reminders remove-release` is cancelled with it, so no party runs without its reminders and
        event, nor is announced after it was removed."""
        upcoming = await self.store.of_guild(guild_id, upcoming=True)
        if not upcoming:
            return
        held = {release.id for release in await self.releases.own_releases(guild_id)}
        for party in upcoming:
            if party.release_id not in held:
                log.info("server %s: party %s is cancelled with its release", guild_id, party.id)
                await self._cancel(party, RELEASE_REMOVED)

    async def choices(self, guild_id: int, typed: str) -> list[tuple[str, str]]:
        """The scheduled and running parties matching `typed`, for the autocomplete: (name, party id)."""
        return party_index(await self.store.of_guild(guild_id, upcoming=True)).choices(typed)

    async def server_ids(self) -> set[int]:
        return await self.store.server_ids()

    async def forget_server(self, guild_id: int) -> None:
        await self.store.forget_server(guild_id)


def party_index(parties: list[Party]) -> Index[Party]:
    return Index(parties, key=lambda p: p.title, ident=lambda p: str(p.id))


def party_service(interaction: discord.Interaction[Any]) -> PartyService:
    """The bot's one party service, for components (commands get it from their cog)."""
    bot: HeatedRivalryBot = interaction.client
    return bot.service(PartyService)
