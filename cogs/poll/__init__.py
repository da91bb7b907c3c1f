"""The favourite-track poll: ballots by command or by a ballot message, standings, rounds and export.

`commands.py` (thin slash commands), `ballot.py` (the persistent components), `service.py` (what both
share), `rules.py` (scoring and standings, no Discord), `store.py` (SQL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


async def setup(bot: HeatedRivalryBot) -> None:
    """Build the poll service once; its components reach it as `bot.service(PollService)`."""
    # Imported here, not at the top: importing a discord-free module of this package must not load discord.
    from cogs.poll.commands import Poll
    from cogs.poll.service import PollService
    from cogs.poll.store import PollStore

    service = PollService(PollStore(bot.db), bot.catalogue, bot.finder)
    bot.provide(service)
    await bot.add_cog(Poll(bot, service))
