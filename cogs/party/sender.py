"""The party runner's view of Discord: post (with the cue's buttons and the recap's chart), find a post made before
a crash, open the party's thread on its start message, and archive it at the end.

Posting and looking are `bot.send`'s (shared with the reminders); a party's thread is opened on its start message,
which Discord allows once per message (160004 "A thread has already been created for this message"): a retry after
a lost answer finds the thread it made, whose id is the message's (Discord: a thread started from a message has
the message's id).
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Literal

import aiohttp
import discord

from bot.chart import draw_standings
from bot.delivery import DeliveryError, Failure
from bot.i18n import ENGLISH, Language, _l, server_language
from bot.markup import clamp
from bot.presence import Presence
from bot.send import find_sent, post_once
from cogs.party.components import post_view
from cogs.party.posts import PartyPost, chart_title
from cogs.party.store import Party

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

THREAD_ALREADY_CREATED = 160004  # Discord: "A thread has already been created for this message"
THREAD_NAME_LIMIT = 100
THREAD_ARCHIVE_MINUTES: Literal[60] = (
    60  # Discord archives the thread an hour after its last message, should archiving fail
)


class DiscordStage:
    """The runner's view of Discord (`runner.Stage`)."""

    def __init__(self, bot: HeatedRivalryBot) -> None:
        self.bot = bot

    def presence(self, guild_id: int) -> Presence:
        return self.bot.presence(guild_id)

    def language(self, guild_id: int) -> Language:
        guild = self.bot.get_guild(guild_id)
        return ENGLISH if guild is None or guild.unavailable else server_language(guild)

    async def post(self, party: Party, channel_id: int, post: PartyPost, nonce: str) -> int:
        files = [] if post.hearts is None else [await self._chart(party, post)]
        sent = await post_once(
            self.bot, channel_id, nonce,
            gone=_l("the party's channel {channel} was deleted or is hidden from me", channel=f"<#{channel_id}>"),
            embed=post.card.build(), view=post_view(party.id, post) or discord.utils.MISSING, files=files,
        )  # fmt: skip
        return sent.id

    async def _chart(self, party: Party, post: PartyPost) -> discord.File:
        """The hearts' standings as the poll's chart, drawn in a thread (in the current language, the server's)."""
        assert post.hearts is not None
        chart = await asyncio.to_thread(draw_standings, post.hearts, title=chart_title(party))
        assert chart is not None, "a recap has a chart only when someone gave a heart"
        return discord.File(
            io.BytesIO(chart.png), filename=f"party-{party.id}-hearts.png", description=chart.description
        )

    async def find(self, channel_id: int, post: PartyPost, since: int) -> int | None:
        return await find_sent(
            self.bot, channel_id, since, lambda old: any(e.footer.text in post.footers for e in old.embeds)
        )

    async def open_thread(self, party: Party, message_id: int) -> int | None:
        try:
            thread = await self.bot.http.start_thread_with_message(
                party.channel_id, message_id, name=clamp(party.title, THREAD_NAME_LIMIT),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )  # fmt: skip
        except discord.HTTPException as error:
            if error.code == THREAD_ALREADY_CREATED:
                return message_id
            if error.status >= 500 or error.status == 429:
                raise DeliveryError(Failure.TRANSIENT, _l("Discord answered {status}", status=error.status)) from error
            log.warning(
                "party %s: Discord refused its thread (%s %s); its cues go to the channel", party.id, error.status,
                error.text,
            )  # fmt: skip
            return None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(
                Failure.TRANSIENT, _l("could not reach Discord ({error})", error=repr(error))
            ) from error
        return int(thread["id"])

    async def close_thread(self, thread_id: int) -> None:
        try:
            await self.bot.http.edit_channel(thread_id, archived=True)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.info("could not archive thread %s (%s); Discord archives it within the hour", thread_id, error)
