"""Listening parties: a server plays the album together, track by track.

`commands.py` (/party and /party-admin, thin), `components.py` (a cue's ♥ and Next buttons, persistent),
`service.py` (what commands and buttons share), `runner.py` (the one task that makes every party's posts, exactly
once) with `sender.py` (its view of Discord), `posts.py` (what a party says), `rules.py` (what is played, the
timeline, downtime, limits, the hearts: no Discord), `store.py` (SQL).

A party is a release of its server (`bot.releases`): the reminders, `/releases`, the native event and Notify me
follow it as they follow any release, without this feature knowing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


async def setup(bot: HeatedRivalryBot) -> None:
    """Build the party service once; its components reach it as `bot.service(PartyService)`."""
    # Imported here, not at the top: importing a discord-free module of this package must not load discord.
    from cogs.party.commands import PartyCog
    from cogs.party.sender import DiscordStage
    from cogs.party.service import PartyService
    from cogs.party.store import PartyStore

    service = PartyService(
        PartyStore(bot.db, bot.shard_range), bot.releases, bot.catalogue, DiscordStage(bot), bot.clock
    )
    bot.releases.listeners.append(service.releases_changed)
    bot.provide(service)
    await bot.add_cog(PartyCog(bot, service))
