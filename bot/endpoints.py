"""Point discord.py's REST and gateway at the configured hosts (a REST proxy, or the local emulator), and wait until
Discord can be reached at all before the bot starts.

discord.py reads both from class attributes, so this is the whole switch: every Route, including the
interaction callbacks and webhooks, is built from `Route.BASE`, and the first gateway connection uses
`DEFAULT_GATEWAY` (resumes follow the `resume_gateway_url` the gateway itself hands out).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord.gateway
import discord.http
import yarl

from bot.settings import Settings

log = logging.getLogger(__name__)

FIRST_WAIT_S = 5.0  # after the first failed attempt to reach Discord at start-up
LONGEST_WAIT_S = 300.0  # the waits double up to this
PROBE_TIMEOUT_S = 10.0


def apply_endpoints(settings: Settings) -> None:
    discord.http.Route.BASE = settings.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


async def until_reachable(api_base: str, *, first_wait: float = FIRST_WAIT_S, longest: float = LONGEST_WAIT_S) -> None:
    """Return once Discord's REST API answers at all, trying again after growing waits (seconds) until then.

    At boot the network may come up after the bot (a machine or a container starting): exiting then would leave
    the service down once its restart policy gives up, so each failure is one WARNING and a wait instead, from
    `first_wait` doubling to `longest`. The probe is Discord's "Get Gateway" (`GET /gateway`), which needs no
    token; any answer but a 5xx means Discord is there, so a bad token is still refused at login at once (401).
    """
    wait = first_wait
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
                async with session.get(f"{api_base}/gateway", timeout=timeout) as response:
                    if response.status < 500:
                        return
                    problem = f"{response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = str(error) or type(error).__name__
            log.warning(
                "cannot reach Discord at %s (%s); trying again in %s (check the network, or DISCORD_API_BASE if you "
                "set it)",
                api_base,
                problem,
                _duration(wait),
            )
            await asyncio.sleep(wait)
            wait = min(wait * 2, longest)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
