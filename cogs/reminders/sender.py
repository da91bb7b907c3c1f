"""The dispatcher's view of Discord: post a reminder, find one posted before a crash, tell moderators.

Every Discord failure becomes a `DeliveryError` whose `Failure` kind tells the dispatcher whether to
retry, give up on the post, or block the server until a moderator fixes the configuration; its reason is
marked (`_l`): stored in English, and told to the server's moderators in the server's language.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.embeds import Card
from bot.i18n import _, _l, chosen_server_language
from bot.presence import Presence
from cogs.reminders.components import post_view
from cogs.reminders.dispatcher import DeliveryError, Failure
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
        channel = self.bot.get_partial_messageable(channel_id)
        mention = f"<#{channel_id}>"
        try:
            sent = await channel.send(
                message.content or None,
                embed=to_embed(message),
                allowed_mentions=allowed_mentions(message),
                nonce=nonce,
                view=post_view(message),
            )
        except discord.Forbidden as error:
            raise DeliveryError(
                Failure.BLOCKED,
                _l(
                    "Discord refused my post in {channel} ({reason}): I need View Channel, Send Messages and Embed "
                    "Links there",
                    channel=mention,
                    reason=error.text or "Missing Permissions",
                ),
            ) from error
        except discord.NotFound as error:
            raise DeliveryError(
                Failure.BLOCKED,
                _l("the reminder channel {channel} was deleted or is hidden from me", channel=mention),
            ) from error
        except discord.RateLimited as error:
            raise DeliveryError(
                Failure.RATE_LIMITED, _l("rate limited by Discord"), retry_after=error.retry_after
            ) from error
        except discord.HTTPException as error:
            if error.status == 429:
                raise DeliveryError(Failure.RATE_LIMITED, _l("Discord answered 429 (rate limited)")) from error
            if error.status >= 500:
                raise DeliveryError(Failure.TRANSIENT, _l("Discord answered {status}", status=error.status)) from error
            raise DeliveryError(
                Failure.REJECTED,
                _l("Discord refused the post ({status}: {reason})", status=error.status, reason=error.text),
            ) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(
                Failure.TRANSIENT, _l("could not reach Discord ({error})", error=repr(error))
            ) from error
        return sent.id

    async def find_sent(self, channel_id: int, message: ReminderMessage, since: int) -> int | None:
        """Look through the channel's messages since the first attempt (a minute's margin for clock skew).

        Needs Read Message History; without it the nonce alone protects against duplicates.
        """
        me = self.bot.user
        channel = self.bot.get_partial_messageable(channel_id)
        after = discord.Object(discord.utils.time_snowflake(dt.datetime.fromtimestamp(since - 60, dt.UTC)))
        try:
            async for old in channel.history(after=after, limit=100):
                if (
                    me is not None
                    and old.author.id == me.id
                    and any(
                        embed.title == message.title and embed.footer.text in message.footers for embed in old.embeds
                    )
                ):
                    return old.id
        except discord.HTTPException as error:
            log.warning("could not read <#%s> to look for an earlier attempt: %s", channel_id, error)
        return None

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
