"""/settings: what moderators set for the bot in their server as a whole (the language of its posts).

The settings themselves belong to `bot/` (every feature reads them: `bot.languages`); this feature is only the
command that writes them, so no feature ever imports another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


async def setup(bot: HeatedRivalryBot) -> None:
    # Imported here, not at the top, as every feature does: loading the package alone loads no discord.
    from cogs.settings.commands import SettingsCog

    await bot.add_cog(SettingsCog(bot))
