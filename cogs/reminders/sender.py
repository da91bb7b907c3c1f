"""The dispatcher's view of Discord: post a reminder, find one posted before a crash, tell moderators.

Posting and looking are `bot.send`'s (shared with the listening parties): every Discord failure becomes a
`DeliveryError` whose `Failure` kind tells the dispatcher whether to retry, give up on the post, or block the
server until a moderator fixes the configuration; its reason is marked (`_l`): stored in English, and told to the
server's moderators in the server's language.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.embeds import Card
from bot.i18n import _, _l, chosen_server_language
from bot.presence import Presence
from bot.send import find_sent, post_once
from cogs.reminders.components import post_view
from cogs.reminders.posts import ReminderMessage

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)


def to_embed(message: ReminderMessage) -> discord.Embed:
    return Card(title=message.title, description=message.description, url=message.url, footer=message.footer).build()


def allowed_mentions(message: ReminderMessage) -> discord.AllowedMentions:
    """Exactly the configured role, or nobody: a template can never ping @everyone, @here or members."""
    if message.ping_role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(message.ping_role_id)])


class DiscordSender:
    """The dispatcher's view of Discord: post, name a server, notify its moderators."""

    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot

    def server_name(self, guild_id: int) -> str:
        guild = self._available(guild_id)
        return guild.name if guild is not None else _("this server")

    def locale(self, guild_id: int) -> str | None:
        """The language the server's moderators chose (`/settings language`), else Discord's (`bot.i18n`)."""
        guild = self._available(guild_id)
        return (chosen_server_language(guild_id) or str(guild.preferred_locale)) if guild is not None else None

    def presence(self, guild_id: int) -> Presence:
        return self.bot.presence(guild_id)

    def _available(self, guild_id: int) -> discord.Guild | None:
        """The server as cached, unless Discord does not serve it now: an unavailable server's stub has an empty
        name, no roles, no channels and no language (`bot.presence`), and none of that is to be believed."""
        guild = self.bot.get_guild(guild_id)
        return None if guild is None or guild.unavailable else guild

    async def send(self, channel_id: int, message: ReminderMessage, nonce: str) -> int:
        sent = await post_once(
            self.bot, channel_id, nonce,
            gone=_l("the reminder channel {channel} was deleted or is hidden from me", channel=f"<#{channel_id}>"),
            content=message.content or None, embed=to_embed(message), allowed_mentions=allowed_mentions(message),
            view=post_view(message),
        )  # fmt: skip
        return sent.id

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        """Look through the channel's messages since the first attempt for this post (`bot.send.find_sent`)."""
        return await find_sent(
            self.bot,
            channel_id,
            since,
            lambda old: any(e.title == message.title and e.footer.text in message.footers for e in old.embeds),
        )

    def role_exists(self, guild_id: int, role_id: int) -> bool:
        guild = self._available(guild_id)
        return guild is None or guild.get_role(role_id) is not None

    async def notify(self, guild_id: int, text: str) -> bool:
        guild = self._available(guild_id)
        channel = guild.system_channel if guild is not None else None
        if channel is None:
            return False
        mine = channel.permissions_for(channel.guild.me)
        if not (mine.view_channel and mine.send_messages):
            return False
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not tell server %s in its system channel", guild_id, exc_info=True)
            return False
        return True
