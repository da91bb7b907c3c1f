"""Point discord.py's REST and gateway at the configured hosts (a REST proxy, or the local emulator).

discord.py reads both from class attributes, so this is the whole switch: every Route, including the
interaction callbacks and webhooks, is built from `Route.BASE`, and the first gateway connection uses
`DEFAULT_GATEWAY` (resumes follow the `resume_gateway_url` the gateway itself hands out).
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

from bot.settings import Settings


def apply_endpoints(settings: Settings) -> None:
    discord.http.Route.BASE = settings.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
