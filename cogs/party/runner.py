"""The one task that makes every server's party posts, without Discord (Discord is behind `Stage`).

It sleeps until the earliest post due (an index seek) and is woken early whenever a party is scheduled, cancelled or
moved on (Next). Due parties are read in batches and run concurrently, `concurrency` at a time, one post of a party at
a time; the bot's global pacer (`bot.pacing`) keeps them under Discord's global rate limit, so a thousand servers
starting a party at once are served at the pace Discord allows.

Exactly once (`bot.delivery`): every attempt at a post carries the same nonce, derived from (party, step), and a
post is recorded (with the party's next step) only after Discord took it. A party whose post was attempted before a
crash, by this process or an earlier one, is looked for first in its channel (the post's footer names the party and
the step), so a crash followed by an outage longer than Discord remembers nonces does not post twice either.

What a party does at each step is `rules`' (the timeline, the downtime policy, the catch-up after a restart); what
it says is `posts`'. A post is public, so it is written in the server's language (`Stage.language`).

A post goes out only while its server is available (`bot.presence`); an unavailable server's parties wait, parked,
until `unpark` (its GUILD_CREATE), and then follow the rules of a late start or a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.catalogue import Catalogue
from bot.clock import Clock
from bot.db import DatabaseBusy
from bot.delivery import DEFAULT_GRACE_S, MAX_ATTEMPTS, ON_TIME_S, DeliveryError, Failure, nonce, retry_delay
from bot.i18n import N_, Language, using
from bot.presence import Presence
from bot.scheduling import Scheduler
from cogs.party.posts import PartyPost, cue_post, plain_title, recap_post, start_post
from cogs.party.rules import PartyRuleError, PartyState, Timeline, catch_up, hearts, late, start, tracks_to_play
from cogs.party.store import Made, Party, PartyStore, Posted

log = logging.getLogger(__name__)

CONCURRENCY = 16  # parties posting at once; the global pacer spaces their requests out further
BATCH = 100  # due parties read at once at most
# Why a party did not go on, stored in English (the moderators' status translates them: they are message ids).
MISSED = N_("its start passed while I was away, longer ago than the 12-hour grace period")
NO_TRACKS = N_("none of its tracks is in the catalogue any more")
NO_START = N_("Discord did not take its start message")


class Stage(Protocol):
    """What the runner needs from Discord."""

    def presence(self, guild_id: int) -> Presence: ...

    def language(self, guild_id: int) -> Language:
        """The server's language (`/settings language`, else Discord's): what its parties' posts are written in."""
        ...

    async def post(self, party: Party, channel_id: int, post: PartyPost, nonce: str) -> int:
        """Post and return the message id, or raise `DeliveryError`."""
        ...

    async def find(self, channel_id: int, post: PartyPost, since: int) -> int | None:
        """The id of this post if it is already in the channel (made at or after `since`), else None."""
        ...

    async def open_thread(self, party: Party, message_id: int) -> int | None:
        """Open the party's thread on its start message; None when Discord does not let the bot (the cues then go
        to the channel). Raises `DeliveryError` for a fault worth retrying."""
        ...

    async def close_thread(self, thread_id: int) -> None:
        """Archive the party's thread (at the end; Discord archives it an hour later by itself otherwise)."""
        ...


Ended = Callable[[Party], Awaitable[None]]
"""Told of a party that is over, missed or stopped: its release has nothing more to announce."""


class Runner(Scheduler[int]):
    """Makes what is due, retries what failed, and says when it is idle (jobs: parties' next posts, by party id).

    A post interrupted by `stop` is looked for in its channel at the next start, before it is made again."""

    def __init__(
        self,
        store: PartyStore,
        catalogue: Catalogue,
        stage: Stage,
        clock: Clock,
        ended: Ended,
        *,
        concurrency: int = CONCURRENCY,
        grace_s: int = DEFAULT_GRACE_S,
    ) -> None:
        super().__init__("party runner", log, clock, concurrency)
        self.store = store
        self.catalogue = catalogue
        self.stage = stage
        self.ended = ended
        self.grace_s = grace_s
        # (party, step) of the posts this process attempted: no need to look for them in their channel
        self._marked: set[tuple[int, int]] = set()

    def busy(self, party_id: int) -> bool:
        """Whether a post of the party is being made now."""
        return party_id in self._inflight

    async def settled(self, party_id: int) -> None:
        """Until the post of the party being made now, if one is, is recorded: a member may click a cue's button the
        instant it appears, before the bot has recorded it."""
        task = self._inflight.get(party_id)
        if task is not None:
            await asyncio.gather(asyncio.shield(task), return_exceptions=True)

    async def _step(self) -> None:
        self._wake.clear()
        now = self.clock.now()
        room = self.concurrency - len(self._inflight)
        if room > 0:
            for party in await self.store.due(
                now, min(room, BATCH), excluding=self._inflight, parked=self._parked
            ):  # fmt: skip
                if self._acts(party.guild_id):
                    self._launch(party.id, self._deliver(party), f"party {party.id} step {party.step}")
        if len(self._inflight) >= self.concurrency:
            await self._wake.wait()  # a post finishing makes room
            return
        if not self._inflight and not self._wake.is_set():
            self._idle.set()
        await self._sleep(now, await self.store.next_due(after=now, parked=self._parked))

    def _acts(self, guild_id: int) -> bool:
        presence = self.stage.presence(guild_id)
        if not presence.acts and guild_id not in self._parked:
            self._parked.add(guild_id)
            log.warning("parties of server %s wait: Discord reports the server %s", guild_id, presence.value)
        return presence.acts

    def _done(self, party_id: int, task: asyncio.Task[None]) -> None:
        self._inflight.pop(party_id, None)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, DatabaseBusy):
            log.warning("party %s: the database is busy; its post is tried again", party_id)
        elif error is not None:
            log.error("party %s: unexpected error", party_id, exc_info=error)
        self.wake()

    # -- one party ------------------------------------------------------------------------------------------------

    async def _deliver(self, party: Party) -> None:
        """Make the party's next post (in the server's language), or find it made before a crash."""
        with using(self.stage.language(party.guild_id)):
            if party.step == 0:
                await self._start(party)
            else:
                await self._go_on(party)

    async def _start(self, party: Party) -> None:
        """The start message, then the party's thread; or nothing, when the start passed too long ago."""
        now = self.clock.now()
        if party.tracks is None:  # the first attempt fixes its tracks and timeline (a retry keeps them)
            decision = start(party.start_at, now, self.grace_s)
            if decision.missed:
                await self._finish(party, PartyState.MISSED, MISSED, expected=PartyState.SCHEDULED)
                return
            tracks = self._tracks(party)
            if not tracks:
                await self._finish(party, PartyState.STOPPED, NO_TRACKS, expected=PartyState.SCHEDULED)
                return
            party = await self.store.begin(party, tracks, decision.shift, now)
            self._marked.add((party.id, 0))
        line = party.line
        assert line is not None
        post = start_post(party, line, late=party.shift > ON_TIME_S)
        message_id = None
        if party.attempted_at is not None and (party.id, 0) not in self._marked:  # it may have landed before a crash
            message_id = await self.stage.find(party.channel_id, post, party.attempted_at)
        message_id = message_id or await self._make(party, party.channel_id, post, 0)
        if message_id is None:
            return
        try:
            thread_id = await self.stage.open_thread(party, message_id)
        except DeliveryError as error:
            # The start message is out: the retry, maybe past Discord's memory of its nonce, looks for it first.
            self._marked.discard((party.id, 0))
            await self._failed(party, error, 0)
            return
        made = Made(party, 0, party.start_at + party.shift, message_id, False, next_due=line.due(1),
                    deadline=line.deadline, thread_id=thread_id)  # fmt: skip
        await self.store.record(made, self.clock.now())
        log.info("party %s of server %s started (message %s, thread %s)", party.id, party.guild_id, message_id,
                 thread_id)  # fmt: skip

    def _tracks(self, party: Party) -> tuple[tuple[str, int | None], ...]:
        """The party's tracks and their durations from today's catalogue, fixed at its start (a position that left
        the catalogue since the party was scheduled is left out)."""
        try:
            chosen = tracks_to_play(self.catalogue, party.play, party.picks)
        except PartyRuleError:
            by_number = {t.number.value: t for t in self.catalogue.tracks if t.number.known}
            chosen = [by_number[n] for n in party.picks if n in by_number]
        return tuple((t.id, t.duration_s.value) for t in chosen)

    async def _go_on(self, party: Party) -> None:
        """The next cue (the one of the track playing now, after downtime), or the recap."""
        line = party.line
        assert line is not None
        now = self.clock.now()
        ended_early = party.waits_next  # it waited for Next until its length cap: the recap
        target = line.recap if ended_early else catch_up(line, party.step, now)
        if party.attempted_at is not None and (party.id, party.step) not in self._marked:
            for step in range(party.step, target + 1):  # an attempt may have landed before a crash
                if await self._found(party, line, step, now):
                    return
        passed = [] if ended_early else [(s, self._due(party, line, s)) for s in range(party.step, target)]
        due = self._due(party, line, target)
        post = await self._compose(party, line, target, due, now, passed, ended_early=ended_early)
        message_id = await self._make(party, party.posts_to, post, target)
        if message_id is None:
            return
        is_recap = target == line.recap
        made = Made(
            party, target, due, message_id, late(due, now) and not is_recap, passed,
            next_due=None if is_recap else line.due(target + 1), deadline=line.deadline,
            state=PartyState.OVER if is_recap else PartyState.RUNNING,
        )  # fmt: skip
        await self.store.record(made, self.clock.now())
        log.info(
            "party %s: step %s posted as message %s%s", party.id, target, message_id, " (late)" if made.late else ""
        )
        if is_recap:
            await self._wrap_up(party)

    def _due(self, party: Party, line: Timeline, step: int) -> int:
        """When `step` was due: its time on the timeline, or (a hosted step) when Next was clicked."""
        return line.due(step) or party.due_at

    async def _compose(
        self, party: Party, line: Timeline, step: int, due: int, now: int, passed: list[tuple[int, int]],
        *, ended_early: bool = False,
    ) -> PartyPost:  # fmt: skip
        if step < line.recap:
            return cue_post(party, line, step, self.catalogue, due=due, late=late(due, now))
        posts = [*await self.store.posts(party.id), *(Posted(s, d, None, None, False) for s, d in passed)]
        assert party.tracks is not None
        played = [(track_id, plain_title(self.catalogue, track_id)) for track_id, _s in party.tracks]
        night = hearts(played, await self.store.heart_counts(party.id))
        return recap_post(party, posts, night, ended_early=ended_early)

    async def _found(self, party: Party, line: Timeline, step: int, now: int) -> bool:
        """Whether the post of `step` is already in the channel (a crash came between Discord taking it and its
        record); if so it is recorded as made."""
        assert party.attempted_at is not None
        due = self._due(party, line, step)
        post = await self._compose(party, line, step, due, now, [])
        channel = party.channel_id if step == 0 else party.posts_to
        found = await self.stage.find(channel, post, party.attempted_at)
        if found is None:
            return False
        is_recap = step == line.recap
        passed = [(s, self._due(party, line, s)) for s in range(party.step, step)]
        made = Made(party, step, due, found, False, passed, None if is_recap else line.due(step + 1), line.deadline,
                    state=PartyState.OVER if is_recap else PartyState.RUNNING)  # fmt: skip
        await self.store.record(made, now)
        log.info("party %s: step %s was already in the channel as message %s", party.id, step, found)
        if is_recap:
            await self._wrap_up(party)
        return True

    async def _make(self, party: Party, channel_id: int, post: PartyPost, step: int) -> int | None:
        """Hand the post to Discord (its attempt noted first); None when it failed (what follows is decided)."""
        if party.attempted_at is None:  # the first attempt at this step: a crash from here on looks for it first
            await self.store.mark_attempt(party, self.clock.now())
        self._marked.add((party.id, party.step))
        try:
            return await self.stage.post(party, channel_id, post, nonce("party", party.id, step))
        except DeliveryError as error:
            await self._failed(party, error, step)
            return None

    async def _failed(self, party: Party, error: DeliveryError, step: int) -> None:
        now = self.clock.now()
        if error.kind is Failure.BLOCKED and not self._acts(party.guild_id):
            return  # refused because the server went away meanwhile: it waits
        if error.kind is Failure.BLOCKED or (step == 0 and error.kind is Failure.REJECTED):
            log.warning("party %s of server %s stopped: %s", party.id, party.guild_id, error.reason)
            await self._finish(party, PartyState.STOPPED, error.reason, expected=party.state)
            return
        if error.kind is Failure.REJECTED or party.attempts + 1 >= MAX_ATTEMPTS:
            log.error("party %s: step %s given up: %s", party.id, step, error.reason)
            line = party.line
            assert line is not None
            if step == 0:
                await self._finish(party, PartyState.STOPPED, NO_START, expected=party.state)
            elif step >= line.recap:
                await self.store.set_state(party, PartyState.OVER, now, expected=PartyState.RUNNING)
                await self._wrap_up(party)
            else:
                await self.store.pass_over(party, self._due(party, line, step), line.due(step + 1), line.deadline,
                                           error.reason, now)  # fmt: skip
            return
        delay = retry_delay(error, party.attempts)
        await self.store.retry_later(party, error.reason, now + delay, now)
        log.warning("party %s: step %s: %s; retrying in %d s", party.id, step, error.reason, delay)

    async def _finish(self, party: Party, state: PartyState, detail: str, *, expected: PartyState) -> None:
        if await self.store.set_state(party, state, self.clock.now(), detail, expected=expected):
            log.info("party %s of server %s: %s (%s)", party.id, party.guild_id, state.value, detail)
            await self._wrap_up(party)

    async def _wrap_up(self, party: Party) -> None:
        """The party is over (or will not go on): its thread is archived, and its release has nothing more to say."""
        self._marked = {key for key in self._marked if key[0] != party.id}
        if party.thread_id is not None:
            await self.stage.close_thread(party.thread_id)
        await self.ended(party)
