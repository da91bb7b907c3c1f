"""Exactly-once posting, the Discord side: post with a nonce, classify what Discord answered, and find a post
made before a crash (the rules are in `bot.delivery`).

Shared by every feature that posts on its own schedule: the reminders' sender and the listening parties.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.delivery import DeliveryError, Failure
from bot.i18n import Text, _l

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot

log = logging.getLogger(__name__)

HISTORY_MARGIN_S = 60  # `find_sent` looks this much before the first attempt: clocks disagree a little
HISTORY_LIMIT = 100  # messages `find_sent` reads at most


async def post_once(bot: HeatedRivalryBot, channel_id: int, nonce: str, *, gone: Text, **parts: Any) -> discord.Message:
    """Post `parts` (`content`, `embed`, `view`, `allowed_mentions`...) to the channel with `nonce` (Discord then
    makes one message however often this is retried), or raise `DeliveryError`.

    `gone` is what a 404 means to the feature (its channel was deleted or is hidden from the bot): `BLOCKED`.
    """
    channel = bot.get_partial_messageable(channel_id)
    try:
        return await channel.send(nonce=nonce, **parts)
    except discord.Forbidden as error:
        raise DeliveryError(
            Failure.BLOCKED,
            _l(
                "Discord refused my post in {channel} ({reason}): I need View Channel, Send Messages and Embed "
                "Links there",
                channel=f"<#{channel_id}>",
                reason=error.text or "Missing Permissions",
            ),
        ) from error
    except discord.NotFound as error:
        raise DeliveryError(Failure.BLOCKED, gone) from error
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
        raise DeliveryError(Failure.TRANSIENT, _l("could not reach Discord ({error})", error=repr(error))) from error


async def find_sent(
    bot: HeatedRivalryBot, channel_id: int, since: int, matches: Callable[[discord.Message], bool]
) -> int | None:
    """The id of the bot's own message in the channel, made at or after `since` (epoch seconds, less a margin for
    clock skew), that `matches`; None when there is none, or the channel cannot be read.

    Needs Read Message History; without it the nonce alone protects against duplicates.
    """
    me = bot.user
    if me is None:
        return None
    channel = bot.get_partial_messageable(channel_id)
    after = discord.Object(discord.utils.time_snowflake(dt.datetime.fromtimestamp(since - HISTORY_MARGIN_S, dt.UTC)))
    try:
        async for old in channel.history(after=after, limit=HISTORY_LIMIT):
            if old.author.id == me.id and matches(old):
                return old.id
    except discord.HTTPException as error:
        log.warning("could not read <#%s> to look for an earlier attempt: %s", channel_id, error)
    return None
