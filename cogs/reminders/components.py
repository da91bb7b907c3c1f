"""The reminders' buttons: **Notify me** (persistent) and the link to a release's native Discord event.

Their labels are written in the current language: the server's under a reminder post (and its preview), the
member's under an answer (`/releases upcoming`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.answer import Ack, reply
from bot.errors import guarded
from bot.i18n import _
from cogs.reminders.notify import toggle_notify
from cogs.reminders.posts import ReminderMessage
from cogs.reminders.service import Reminders

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


def post_view(message: ReminderMessage) -> discord.ui.View:
    """The buttons under a reminder post: **Notify me** when the server has a role to opt into, and its event."""
    return reminder_view(notify=message.notify, event_url=message.event_url)


def reminder_view(*, notify: bool, event_url: str | None = None) -> discord.ui.View:
    """**Notify me** and a link to the event; a view without buttons when neither applies.

    The view holds only a dynamic item and a link, so discord.py keeps nothing per message (`ViewStore.add_view`
    stores only views with other dispatchable items): posting to 10,000 servers costs no memory.
    """
    view = discord.ui.View(timeout=None)
    if notify:
        view.add_item(NotifyButton())
    if event_url is not None:
        view.add_item(discord.ui.Button(label=_("Discord event"), style=discord.ButtonStyle.link, url=event_url))
    return view


class NotifyButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"hr:notify"):
    """Toggles the server's reminder role on whoever clicks; it holds no state, so it works after restarts."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Notify me"), style=discord.ButtonStyle.primary, emoji="🔔", custom_id="hr:notify"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NotifyButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self.toggle, "notify me button", ack=Ack.PRIVATE)  # it calls Discord

    async def toggle(self, interaction: discord.Interaction[HeatedRivalryBot]) -> None:
        service = interaction.client.service(Reminders)
        await reply(interaction, await toggle_notify(service, interaction), ephemeral=True)
