"""Which interaction responses were a retry of this process's own: how Discord's 40060 is told apart.

Discord refuses a second initial response to an interaction with 400 40060 "Interaction has already been
acknowledged" (discord-api-docs #4484). The bot meets it in two ways, which mean different things:
- discord.py retried its own first response after Discord answered 5xx (or reset the connection), and Discord had
  stored the first one: a fault of Discord's, the member has the answer (`bot.errors.stored_then_refused`);
- the process's first and only attempt is refused: another process answered first. Discord sends every event to
  each session of the shard, so a second copy of the bot started with the same token receives every interaction
  too, and the faster copy answers it (`bot.errors.answered_elsewhere`; JDA says the same to its users, "This
  interaction could have been acknowledged by another process running for the same bot", discord-jda/JDA #2687;
  hata#80).

discord.py makes those retries inside its webhook adapter, out of the bot's sight, so `CallbackAttempts` watches
the HTTP session every callback goes through (discord.py's public `http_trace` option, an `aiohttp.TraceConfig`),
counts the attempts per interaction, and remembers the response of every attempt after the first.
"""

from __future__ import annotations

import re
import weakref
from collections import OrderedDict
from types import SimpleNamespace
from typing import Any

import aiohttp
import yarl

# POST /interactions/{interaction.id}/{interaction.token}/callback: an interaction's initial response.
_CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")
REMEMBERED = 10_000  # interactions whose attempts are counted at once; the oldest is forgotten first

# The response of every callback attempt after the first, in any bot of this process (responses are unique to the
# session that made them, so this needs no bot); held weakly, so it lives exactly as long as its exception.
_RETRIES: weakref.WeakSet[aiohttp.ClientResponse] = weakref.WeakSet()


class CallbackAttempts:
    """Counts one bot's attempts at each interaction's initial response; `trace` goes to discord.py's `http_trace`."""

    def __init__(self) -> None:
        self._attempts: OrderedDict[str, int] = OrderedDict()
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._started)
        self.trace.on_request_end.append(self._ended)

    async def _started(self, _session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        match = _CALLBACK.search(params.url.path) if params.method == "POST" else None
        if match is None:
            return
        interaction_id = match.group(1)
        attempt = self._attempts.pop(interaction_id, 0) + 1
        self._attempts[interaction_id] = attempt
        while len(self._attempts) > REMEMBERED:
            self._attempts.popitem(last=False)
        context.retry = attempt > 1

    async def _ended(self, _session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if getattr(context, "retry", False):
            _RETRIES.add(params.response)


def was_retry(response: object) -> bool:
    """Whether `response` (an `HTTPException.response`) answered a retry of the process's own initial response."""
    try:
        return response in _RETRIES
    except TypeError:  # not weakly referenceable, so never added
        return False


def callback_interaction(response: object) -> str | None:
    """The interaction id in the URL of `response`, when it answered an initial response (a callback)."""
    url = getattr(response, "url", None)
    match = _CALLBACK.search(url.path) if isinstance(url, yarl.URL) else None
    return match.group(1) if match else None
