"""The soundtrack: the album card, the tracklist with its page buttons, tracks, episodes, licensed songs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


async def setup(bot: HeatedRivalryBot) -> None:
    # Imported here, not at the top: importing a discord-free module of this package must not load discord.
    from cogs.soundtrack.commands import Soundtrack

    await bot.add_cog(Soundtrack(bot))
