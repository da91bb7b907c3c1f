"""The poll service: what the /poll commands and the ballot message's components share.

Resolving typed tracks, voting through the rules in `rules.py` and the SQL in `store.py`, and the text a
member reads about their ballot and the standings. Built once per bot by the extension's `setup`, and
reached from components as `poll_service(interaction)`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import Catalogue
from bot.chart import draw_standings
from bot.embeds import Card
from bot.errors import UserError
from bot.finder import SoundtrackFinder
from bot.i18n import N_, _, choice_name, ngettext, option_name
from bot.markup import discord_timestamp
from cogs.poll.rules import (
    TIE_NOTE,
    BallotMode,
    PollRuleError,
    Standings,
    Visibility,
    check_candidates,
    compute_standings,
    render_standings,
    summary_line,
    track_label,
    visible_to,
)
from cogs.poll.store import Ballot, PollState, PollStore

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

STANDINGS_LIMIT = 3800  # the standings' share of an embed description (4,096)
HIDDEN_MESSAGE = N_(
    "This server keeps the standings hidden until the poll closes, so everyone votes without knowing "
    "who leads. `/poll mine` shows your own ballot."
)
CHANGE_HINT = N_("Change it any time while voting is open, or remove it with `/poll withdraw`.")


@dataclass(frozen=True, slots=True)
class Results:
    """The standings as an answer shows them: the card, its visibility, and the chart's makings."""

    embed: discord.Embed
    private: bool
    standings: Standings
    title: str
    round_id: int

    async def chart(self) -> discord.File | None:
        """The standings chart as a PNG attachment with its description (alt text); None when nobody voted.

        Drawn in a thread (a few milliseconds of CPU, kept off the event loop), in the current language.
        """
        if not self.standings.entries:
            return None
        chart = await asyncio.to_thread(draw_standings, self.standings, title=self.title)
        if chart is None:
            return None
        return discord.File(
            io.BytesIO(chart.png), filename=f"poll-round-{self.round_id}-standings.png", description=chart.description
        )


@contextmanager
def refusals() -> Iterator[None]:
    """The poll's rules speak in plain sentences; show them to the member like any other bad input."""
    try:
        yield
    except PollRuleError as error:
        raise UserError(str(error)) from error


class PollService:
    """What the commands and the ballot message share: resolving tracks, voting, and the answers' text."""

    def __init__(self, store: PollStore, catalogue: Catalogue, finder: SoundtrackFinder) -> None:
        self.store = store
        self.catalogue = catalogue
        self.finder = finder
        self.stored_titles: dict[str, str] = {}

    async def load(self) -> None:
        """Remember the titles of today's tracks, read those of tracks that have left the catalogue, and hold every
        server's poll state (so commands can be screened before they are acknowledged: `screen_results`)."""
        self.stored_titles = await self.store.remember_titles((t.id, t.title) for t in self.catalogue.tracks)
        await self.store.load()

    def resolve(self, option: str, text: str) -> str:
        try:
            return self.finder.resolve_track(text).id
        except UserError as error:
            raise UserError(_("`{option}`: {problem}", option=option_name(option), problem=error)) from error

    def label(self, track_id: str) -> str:
        track = self.catalogue.track(track_id)
        if track is None:
            return track_label(self.stored_titles.get(track_id, track_id), None, in_catalogue=False)
        return track_label(track.title, track.number.value, in_catalogue=True)

    async def vote(
        self,
        guild_id: int,
        user_id: int,
        build: Callable[[tuple[str, ...]], Sequence[str | None]],
        *,
        round_id: int | None = None,
    ) -> str:
        """Replace the member's ballot with `build(current picks)`; the text confirming it.

        Every vote passes here (command, menu, rank button), so here a pick of a track that has left the
        catalogue is refused, whichever way it came (a ballot keeps such a track it already held).
        """
        candidates = {track.id for track in self.catalogue.tracks}

        def checked(current: tuple[str, ...]) -> Sequence[str | None]:
            picks = build(current)
            check_candidates(current, picks, candidates)
            return picks

        with refusals():
            state, ballot = await self.store.vote(guild_id, user_id, checked, round_id=round_id)
        return f"{self.ballot_text(state, ballot)}\n{_(CHANGE_HINT)}"

    def ballot_text(self, state: PollState, ballot: Ballot) -> str:
        changed = discord_timestamp(ballot.updated_at, "R")
        if state.mode is BallotMode.SINGLE:
            return _(
                "Your vote in round {round}: **{track}** (last changed {when}).",
                round=ballot.round_id,
                track=self.label(ballot.picks[0]),
                when=changed,
            )
        lines = [_("Your top 3 in round {round} (last changed {when}):", round=ballot.round_id, when=changed)]
        for rank, (pick, weight) in enumerate(zip(ballot.picks, state.mode.weights, strict=False), start=1):
            lines.append(f"**#{rank}** {self.label(pick)} ({ngettext('{n} pt', '{n} pts', weight)})")
        if len(ballot.picks) < len(state.mode.weights):
            lines.append(_("You can add more picks: each counts for points."))
        return "\n".join(lines)

    async def mine(self, guild_id: int, user_id: int) -> str:
        state = await self.store.state(guild_id)
        ballot = await self.store.ballot(guild_id, user_id)
        if ballot is None:
            return _(
                "You haven't voted in round {round} yet: use `/poll vote` or the ballot message.", round=state.round_id
            )
        return f"{self.ballot_text(state, ballot)}\n{_(CHANGE_HINT)}"

    async def compute(self, guild_id: int, round_id: int, mode: BallotMode) -> Standings:
        return compute_standings(mode, await self.store.tallies(guild_id, round_id), self.catalogue)

    def screen_results(self, guild_id: int, round_id: int | None, *, moderator: bool) -> bool | None:
        """Before `/poll results` is acknowledged, from memory: whether its answer is private (hidden standings a
        moderator sees early), None when the state is not in memory; a refusal (`UserError`) when it is known."""
        state = self.store.peek(guild_id)
        return None if state is None else _results_private(state, round_id, moderator=moderator)

    async def results(self, guild_id: int, round_id: int | None, *, moderator: bool) -> Results:
        """The standings card, whether it must be private, and what its chart is drawn from."""
        state = await self.store.state(guild_id)
        number = state.round_id if round_id is None else round_id
        private = _results_private(state, round_id, moderator=moderator)
        if number == state.round_id:
            mode, final = state.mode, not state.is_open
        else:
            past = await self.store.round(guild_id, number)
            if past is None:
                raise UserError(_no_round(number, state))
            mode, final = past.mode, True
        standings = await self.compute(guild_id, number, mode)
        title = (
            _("Favourite track · round {round} · final standings", round=number)
            if final
            else _("Favourite track · round {round} · live standings", round=number)
        )
        card = Card(
            title=title,
            description=f"{summary_line(standings)}\n\n{render_standings(standings, STANDINGS_LIMIT)}",
            footer=_(TIE_NOTE)
            + (" " + _("Hidden from members until the poll closes: only you can see this.") if private else ""),
        )
        return Results(card.build(), private, standings, title, number)


def _results_private(state: PollState, round_id: int | None, *, moderator: bool) -> bool:
    """Whether the standings of `round_id` (None: the current round) are for the asker alone: the current round's
    hidden standings, which only a moderator may see before the poll closes. `UserError` for standings the asker
    may not see, or a round that does not exist."""
    number = state.round_id if round_id is None else round_id
    if not 1 <= number <= state.round_id:
        raise UserError(_no_round(number, state))
    if number < state.round_id:
        return False
    if not visible_to(state.results, is_open=state.is_open, moderator=moderator):
        raise UserError(_(HIDDEN_MESSAGE))
    return state.is_open and state.results is Visibility.HIDDEN


def _no_round(number: int, state: PollState) -> str:
    """Which rounds there are; a poll still on its first round has no range to choose from."""
    if state.round_id == 1:
        return _(
            "There is no round {number}: this server's poll is on its first round. Leave `round` out.", number=number
        )
    return _(
        "There is no round {number}: this server's poll is on round {current}. "
        "Use `round` from 1 to {current}, or leave it out for the current round.",
        number=number,
        current=state.round_id,
    )


def settings_text(state: PollState) -> str:
    results = _("shown live") if state.results is Visibility.LIVE else _("hidden from members until the poll closes")
    return _(
        "Round **{round}** · voting **{voting}** · mode **{mode}** ({meaning}) · results **{results}**.",
        round=state.round_id,
        voting=_("open") if state.is_open else _("closed"),
        mode=choice_name(state.mode),
        meaning=state.mode.description,
        results=results,
    )


def poll_service(interaction: discord.Interaction[Any]) -> PollService:
    """The bot's one poll service, for components (commands get it from their cog)."""
    bot: HeatedRivalryBot = interaction.client
    return bot.service(PollService)
